{#
    ROI by video type (content_type: shorts / standard / long_form) and
    video_category, over every video of mart_video_economics (lifetime cost
    and revenue as of as_of). Average and median ROI are over the videos with
    a defined ROI (cost > 0): a NULL ROI is left out, not counted as 0. Groups
    with fewer than `min_videos` videos are left out as too small a sample.
#}

{% set min_videos = 5 %}

with

video_economics as (

    select * from {{ ref('mart_video_economics') }}

),

grouped as (

    select
        content_type,
        video_category,
        count(*) as video_count,
        count(roi_pct) as videos_with_roi,
        avg(roi_pct) as avg_roi_pct,
        percentile_cont(0.5) within group (order by roi_pct) as median_roi_pct,
        sum(total_revenue_cents) as total_revenue_cents,
        sum(total_cost_cents) as total_cost_cents,
        sum(profit_cents) as total_profit_cents
    from video_economics
    group by
        content_type,
        video_category
    having count(*) >= {{ min_videos }}

),

final as (

    select
        content_type,
        video_category,
        video_count,
        videos_with_roi,
        round(avg_roi_pct, 2) as avg_roi_pct,
        round(cast(median_roi_pct as numeric), 2) as median_roi_pct,
        round(total_revenue_cents / 100.0, 2) as total_revenue_usd,
        round(total_cost_cents / 100.0, 2) as total_cost_usd,
        round(total_profit_cents / 100.0, 2) as total_profit_usd,
        round(total_profit_cents / 100.0 / video_count, 2) as profit_per_video_usd,
        {{ roi_pct('total_revenue_cents', 'total_cost_cents') }} as pooled_roi_pct
    from grouped

)

select * from final
order by
    median_roi_pct desc nulls last,
    content_type asc,
    video_category asc
