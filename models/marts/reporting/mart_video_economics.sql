{#
    One row per video of dim_video: what it cost (per category and in total),
    what it earned, its profit, ROI, cost bucket and budget alert level, as of
    as_of: cost line items incurred at or before as_of, revenue of the days up
    to as_of's UTC date. A video without cost or revenue has 0 there.

    The sums come from int_video_money_totals (all time, kept up to date
    incrementally); a video with rows after as_of is summed from the facts.
#}

with

videos as (

    select * from {{ ref('dim_video') }}

),

totals as (

    select * from {{ ref('int_video_money_totals') }}

),

-- Each read twice: not materialized, so each read keeps its own filters and indexes.
costs as not materialized (

    select * from {{ ref('fact_costs') }}

),

revenue as not materialized (

    select * from {{ ref('fact_revenue') }}

),

-- Videos with a cost line incurred after as_of or revenue of a day after
-- as_of's date: their all-time totals count those, so they are summed here
-- from the facts, up to as_of. At the usual as_of (now) there are none.
after_as_of as (

    select costs.video_id
    from costs
    where
        costs.incurred_at > {{ as_of() }}
        and costs.video_id is not null

    union

    select revenue.video_id
    from revenue
    where
        revenue.revenue_date > {{ as_of_date() }}
        and revenue.video_id is not null

),

video_costs as (

    select
        totals.video_id,
        {% for category in cost_categories() %}
        totals.{{ category }}_cost_cents,
        {% endfor %}
        totals.total_cost_cents,
        totals.cost_line_items,
        totals.first_cost_incurred_at,
        totals.last_cost_incurred_at
    from totals
    where
        totals.cost_line_items > 0
        and totals.video_id not in (select after_as_of.video_id from after_as_of)

    union all

    select
        costs.video_id,
        {{ video_cost_sums('costs') }}
    from costs
    where
        costs.video_id in (select after_as_of.video_id from after_as_of)
        and costs.incurred_at <= {{ as_of() }}
    group by costs.video_id

),

video_revenue as (

    select
        totals.video_id,
        totals.total_revenue_cents,
        totals.last_revenue_date
    from totals
    where
        totals.last_revenue_date is not null
        and totals.video_id not in (select after_as_of.video_id from after_as_of)

    union all

    select
        revenue.video_id,
        {{ video_revenue_sums('revenue') }}
    from revenue
    where
        revenue.video_id in (select after_as_of.video_id from after_as_of)
        and revenue.revenue_date <= {{ as_of_date() }}
    group by revenue.video_id

),

joined as (

    select
        videos.video_key,
        videos.video_id,
        videos.channel_id,
        videos.title,
        videos.content_type,
        videos.video_category,
        videos.generation_method,
        videos.status,
        videos.published_at,
        {% for category in cost_categories() %}
        coalesce(video_costs.{{ category }}_cost_cents, 0) as {{ category }}_cost_cents,
        {% endfor %}
        coalesce(video_costs.total_cost_cents, 0) as total_cost_cents,
        coalesce(video_revenue.total_revenue_cents, 0) as total_revenue_cents,
        coalesce(video_costs.cost_line_items, 0) as cost_line_items,
        video_costs.first_cost_incurred_at,
        video_costs.last_cost_incurred_at,
        video_revenue.last_revenue_date
    from videos
    left join video_costs
        on videos.video_id = video_costs.video_id
    left join video_revenue
        on videos.video_id = video_revenue.video_id

),

final as (

    select
        video_id,
        channel_id,
        total_cost_cents,
        total_revenue_cents,
        total_revenue_cents - total_cost_cents as profit_cents,
        {{ roi_pct('total_revenue_cents', 'total_cost_cents') }} as roi_pct,
        {{ cost_bucket('total_cost_cents') }} as cost_bucket,
        {{ cost_alert_level('total_cost_cents') }} as cost_alert_level,
        {% for category in cost_categories() %}
        {{ category }}_cost_cents,
        {% endfor %}
        video_key,
        title,
        content_type,
        video_category,
        generation_method,
        status,
        published_at,
        cast(cost_line_items as integer) as cost_line_items,
        first_cost_incurred_at,
        last_cost_incurred_at,
        last_revenue_date,
        {{ as_of() }} as as_of
    from joined

)

select * from final
