{#
    One row per video of dim_video: what it cost (per category and in total),
    what it earned, its profit, ROI, cost bucket and budget alert level, as of
    as_of: cost line items incurred at or before as_of, revenue of the days up
    to as_of's UTC date. A video without cost or revenue has 0 there.
#}

{% set cost_categories = ['ai', 'api', 'compute', 'storage', 'bandwidth'] %}

with

videos as (

    select * from {{ ref('dim_video') }}

),

costs as (

    select * from {{ ref('fact_costs') }}

),

revenue as (

    select * from {{ ref('fact_revenue') }}

),

video_costs as (

    select
        video_id,
        {% for category in cost_categories %}
        sum(total_cost_cents) filter (where cost_category = '{{ category }}') as {{ category }}_cost_cents,
        {% endfor %}
        sum(total_cost_cents) as total_cost_cents,
        count(*) as cost_line_items,
        min(incurred_at) as first_cost_incurred_at,
        max(incurred_at) as last_cost_incurred_at
    from costs
    where
        video_id is not null
        and incurred_at <= {{ as_of() }}
    group by video_id

),

video_revenue as (

    select
        video_id,
        sum(total_revenue_cents) as total_revenue_cents,
        max(revenue_date) as last_revenue_date
    from revenue
    where
        video_id is not null
        and revenue_date <= {{ as_of_date() }}
    group by video_id

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
        {% for category in cost_categories %}
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
        {% for category in cost_categories %}
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
