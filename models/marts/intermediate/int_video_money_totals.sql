{#
    Per video, everything its cost line items and revenue days add up to,
    over all time: cost per category and in total, line items, first and last
    incurred_at (fact_costs), revenue and last revenue_date (fact_revenue).
    mart_video_economics reads these totals instead of summing every cost
    line and revenue day on each refresh, and sums from the facts only the
    videos that have rows after its as_of.

    Incremental: the videos with cost lines ingested or revenue reported since
    the watermarks (costs_ingested_at, revenue_reported_at) are summed again
    from the facts, each through its video_id index.
#}
{{
    config(
        materialized='incremental',
        unique_key='video_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['video_id'], 'unique': true},
        ],
    )
}}

with

-- Each read twice: not materialized, so each read keeps its own filters and indexes.
costs as not materialized (

    select * from {{ ref('fact_costs') }}

),

revenue as not materialized (

    select * from {{ ref('fact_revenue') }}

),

{% if is_incremental() %}

touched as (

    select costs.video_id
    from costs
    where
        costs.ingested_at >= {{ incremental_watermark('costs_ingested_at') }}
        and costs.video_id is not null

    union

    select revenue.video_id
    from revenue
    where
        revenue.reported_at >= {{ incremental_watermark('revenue_reported_at') }}
        and revenue.video_id is not null

),

{% endif %}

video_costs as (

    select
        costs.video_id,
        {{ video_cost_sums('costs') }},
        max(costs.ingested_at) as costs_ingested_at
    from costs
    where
        costs.video_id is not null
        and {{ 'costs.video_id in (select touched.video_id from touched)' if is_incremental() else 'true' }}
    group by costs.video_id

),

video_revenue as (

    select
        revenue.video_id,
        {{ video_revenue_sums('revenue') }},
        max(revenue.reported_at) as revenue_reported_at
    from revenue
    where
        revenue.video_id is not null
        and {{ 'revenue.video_id in (select touched.video_id from touched)' if is_incremental() else 'true' }}
    group by revenue.video_id

),

final as (

    select
        coalesce(video_costs.video_id, video_revenue.video_id) as video_id,
        {% for category in cost_categories() %}
        cast(video_costs.{{ category }}_cost_cents as numeric(18, 4)) as {{ category }}_cost_cents,
        {% endfor %}
        cast(video_costs.total_cost_cents as numeric(18, 4)) as total_cost_cents,
        cast(coalesce(video_costs.cost_line_items, 0) as integer) as cost_line_items,
        video_costs.first_cost_incurred_at,
        video_costs.last_cost_incurred_at,
        video_revenue.total_revenue_cents,
        video_revenue.last_revenue_date,
        video_costs.costs_ingested_at,
        video_revenue.revenue_reported_at
    from video_costs
    full outer join video_revenue
        on video_costs.video_id = video_revenue.video_id

)

select * from final
