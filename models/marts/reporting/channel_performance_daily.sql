{#
    One row per (channel, UTC day) of fact_channel_daily, with that day's
    figures, its engagement rate and ROI, and rolling 7-day figures: the day
    and the 6 calendar days before it (a day without a fact row counts as 0).
    A PostgreSQL materialized view over the whole fact (no as_of window: it is
    refreshed in place by `ytempire-ops refresh`); the unique index on the
    grain lets it be refreshed CONCURRENTLY.
#}

{{
    config(
        materialized='materialized_view',
        on_configuration_change='apply',
        indexes=[
            {'columns': ['channel_id', 'activity_date'], 'unique': true},
            {'columns': ['activity_date']},
        ],
    )
}}

with

channel_daily as (

    select * from {{ ref('fact_channel_daily') }}

),

rolling as (

    select
        channel_id,
        activity_date,
        date_key,
        videos_published,
        views,
        likes,
        comments,
        shares,
        watch_time_minutes,
        subscribers_net,
        revenue_cents,
        cost_cents,
        profit_cents,
        rpm_usd,
        sum(videos_published) over last_7_days as videos_published_7d,
        sum(views) over last_7_days as views_7d,
        sum(likes) over last_7_days as likes_7d,
        sum(comments) over last_7_days as comments_7d,
        sum(shares) over last_7_days as shares_7d,
        sum(revenue_cents) over last_7_days as revenue_7d_cents,
        sum(cost_cents) over last_7_days as cost_7d_cents,
        sum(profit_cents) over last_7_days as profit_7d_cents
    from channel_daily
    where channel_id is not null
    window last_7_days as (
        partition by channel_id
        order by activity_date
        range between interval '6 days' preceding and current row
    )

),

final as (

    select
        channel_id,
        activity_date,
        date_key,
        videos_published,
        views,
        likes,
        comments,
        shares,
        watch_time_minutes,
        subscribers_net,
        revenue_cents,
        cost_cents,
        profit_cents,
        rpm_usd,
        {{ engagement_rate('likes', 'comments', 'shares', 'views') }} as engagement_rate,
        {{ roi_pct('revenue_cents', 'cost_cents') }} as roi_pct,
        cast(videos_published_7d as integer) as videos_published_7d,
        views_7d,
        likes_7d,
        comments_7d,
        shares_7d,
        revenue_7d_cents,
        cost_7d_cents,
        profit_7d_cents,
        {{ rpm_usd('revenue_7d_cents', 'views_7d') }} as rpm_7d_usd,
        {{ engagement_rate('likes_7d', 'comments_7d', 'shares_7d', 'views_7d') }} as engagement_rate_7d,
        {{ roi_pct('revenue_7d_cents', 'cost_7d_cents') }} as roi_7d_pct
    from rolling

)

select * from final
