{#
    One row per channel (its dim_channel version valid at as_of; a channel
    deleted at the source or created after as_of has none), over the
    trailing 7 days to as_of: the 7 UTC calendar days ending on as_of's UTC
    date, timestamped events (polls, costs, publications) also no later than
    as_of, revenue by revenue_date. Ranks use rank(): rank 1 is the highest,
    ties share a rank and the next rank is skipped (1, 1, 3).

    views_7d_earlier is the same window 7 days (168 hours) earlier: the 7 UTC
    days ending on as_of's date - 7, polls no later than as_of - 168 h, so a
    partial as_of day is compared with the same part of its day a week before.
#}

{% set window_start_date %}({{ as_of_date() }} - 6){% endset %}
{% set window_start_at %}(cast({{ as_of_date() }} - 6 as timestamp) at time zone 'UTC'){% endset %}
{% set earlier_as_of %}({{ as_of() }} - interval '168 hours'){% endset %}
{% set earlier_end_date %}({{ as_of_date() }} - 7){% endset %}
{% set earlier_hour_start %}date_trunc('hour', {{ earlier_as_of }}, 'UTC'){% endset %}

with

channels as (

    select * from {{ ref('dim_channel') }}

),

videos as (

    select * from {{ ref('dim_video') }}

),

video_days as not materialized (

    select * from {{ ref('fact_video_daily') }}

),

-- Read twice (as_of's day and the hour a week earlier): not materialized, so each read keeps its
-- own time bounds (materialized, it would copy every poll of the fact).
performance as not materialized (

    select * from {{ ref('fact_video_performance') }}

),

channel_days as (

    select * from {{ ref('fact_channel_daily') }}

),

video_hours as (

    select * from {{ ref('fact_video_hourly') }}

),

costs as (

    select * from {{ ref('fact_costs') }}

),

revenue as (

    select * from {{ ref('fact_revenue') }}

),

channels_at_as_of as (

    select
        channel_id,
        channel_name,
        user_id,
        niche,
        sub_niche,
        monetization_status,
        status
    from channels
    where
        {{ valid_at('channels', as_of()) }}
        and not channels.is_deleted

),

-- The window's video-days from fact_video_daily: every day before as_of's
-- date, and as_of's date where the video's last poll of it is at or before
-- as_of (always, unless an earlier instant is replayed).
window_days as (

    select
        channel_id,
        video_id,
        views,
        likes,
        comments,
        shares,
        last_captured_at,
        engagement_rate_at_last_poll as engagement_rate
    from video_days
    where
        activity_date between {{ window_start_date }} and {{ as_of_date() }}
        and last_captured_at <= {{ as_of() }}

),

-- as_of's date of the videos that also have polls after as_of: their polls
-- of that date up to as_of, summed like a day of fact_video_daily.
days_after_as_of as (

    select video_id
    from video_days
    where
        activity_date = {{ as_of_date() }}
        and last_captured_at > {{ as_of() }}

),

partial_days as (

    select
        performance.channel_id,
        performance.video_id,
        sum(performance.views_delta) as views,
        sum(performance.likes_delta) as likes,
        sum(performance.comments_delta) as comments,
        sum(performance.shares_delta) as shares,
        max(performance.captured_at) as last_captured_at,
        {{ value_at_latest('performance.engagement_rate', 'performance.captured_at') }} as engagement_rate
    from performance
    inner join days_after_as_of
        on performance.video_id = days_after_as_of.video_id
    where
        performance.captured_at >= cast({{ as_of_date() }} as timestamp) at time zone 'UTC'
        and performance.captured_at <= {{ as_of() }}
    group by performance.channel_id, performance.video_id

),

video_window as (

    select
        channel_id,
        video_id,
        sum(views) as views,
        sum(likes) as likes,
        sum(comments) as comments,
        sum(shares) as shares,
        -- the video's engagement rate at its latest poll in the window
        {{ value_at_latest('engagement_rate', 'last_captured_at') }} as engagement_rate
    from (
        select * from window_days
        union all
        select * from partial_days
    ) as video_window_days
    group by channel_id, video_id

),

channel_polls as (

    select
        channel_id,
        sum(views) as views,
        sum(likes) as likes,
        sum(comments) as comments,
        sum(shares) as shares,
        count(*) as video_count
    from video_window
    group by channel_id

),

-- The same window 7 days earlier, views only: its 6 whole days from fact_channel_daily, its last
-- day's whole hours up to as_of - 168 h from fact_video_hourly, and the polls of the hour as_of -
-- 168 h falls in, up to that instant (a few rows each, where the video-days and polls of the
-- window would be ~1 M at scale 1).
earlier_days as (

    select
        channel_id,
        views
    from channel_days
    where activity_date between {{ earlier_end_date }} - 6 and {{ earlier_end_date }} - 1

),

earlier_hours as (

    select
        channel_id,
        views_gained as views
    from video_hours
    where
        hour_start >= cast({{ earlier_end_date }} as timestamp) at time zone 'UTC'
        and hour_start < {{ earlier_hour_start }}

),

earlier_polls as (

    select
        channel_id,
        views_delta as views
    from performance
    where
        captured_at >= {{ earlier_hour_start }}
        and captured_at <= {{ earlier_as_of }}

),

channel_views_earlier as (

    select
        channel_id,
        sum(views) as views
    from (
        select * from earlier_days
        union all
        select * from earlier_hours
        union all
        select * from earlier_polls
    ) as earlier_rows
    group by channel_id

),

channel_engagement as (

    select
        channel_id,
        avg(engagement_rate) as avg_engagement_rate
    from video_window
    group by channel_id

),

channel_costs as (

    select
        channel_id,
        sum(total_cost_cents) as cost_cents
    from costs
    where
        channel_id is not null
        and incurred_at >= {{ window_start_at }}
        and incurred_at <= {{ as_of() }}
    group by channel_id

),

channel_revenue as (

    select
        channel_id,
        sum(total_revenue_cents) as revenue_cents
    from revenue
    where
        channel_id is not null
        and revenue_date between {{ window_start_date }} and {{ as_of_date() }}
    group by channel_id

),

channel_publications as (

    select
        channel_id,
        count(*) as videos_published
    from videos
    where
        published_at >= {{ window_start_at }}
        and published_at <= {{ as_of() }}
    group by channel_id

),

joined as (

    select
        channels_at_as_of.channel_id,
        channels_at_as_of.channel_name,
        channels_at_as_of.niche,
        channels_at_as_of.sub_niche,
        channels_at_as_of.user_id,
        channels_at_as_of.monetization_status,
        channels_at_as_of.status,
        coalesce(channel_polls.video_count, 0) as video_count,
        coalesce(channel_publications.videos_published, 0) as videos_published,
        coalesce(channel_polls.views, 0) as views,
        coalesce(channel_polls.likes, 0) as likes,
        coalesce(channel_polls.comments, 0) as comments,
        coalesce(channel_polls.shares, 0) as shares,
        channel_engagement.avg_engagement_rate,
        coalesce(channel_revenue.revenue_cents, 0) as revenue_cents,
        coalesce(channel_costs.cost_cents, 0) as cost_cents,
        coalesce(channel_views_earlier.views, 0) as views_7d_earlier
    from channels_at_as_of
    left join channel_polls
        on channels_at_as_of.channel_id = channel_polls.channel_id
    left join channel_engagement
        on channels_at_as_of.channel_id = channel_engagement.channel_id
    left join channel_costs
        on channels_at_as_of.channel_id = channel_costs.channel_id
    left join channel_revenue
        on channels_at_as_of.channel_id = channel_revenue.channel_id
    left join channel_publications
        on channels_at_as_of.channel_id = channel_publications.channel_id
    left join channel_views_earlier
        on channels_at_as_of.channel_id = channel_views_earlier.channel_id

),

final as (

    select
        channel_id,
        channel_name,
        niche,
        cast(video_count as integer) as video_count,
        cast(views as bigint) as views,
        round(avg_engagement_rate, 6) as avg_engagement_rate,
        round(revenue_cents / 100.0, 2) as revenue_usd,
        round(cost_cents / 100.0, 2) as cost_usd,
        round((revenue_cents - cost_cents) / 100.0, 2) as profit_usd,
        cast(rank() over (order by revenue_cents desc) as integer) as revenue_rank,
        cast(rank() over (order by views desc) as integer) as views_rank,
        cast(rank() over (order by revenue_cents - cost_cents desc) as integer) as profit_rank,
        sub_niche,
        user_id,
        monetization_status,
        status,
        cast(videos_published as integer) as videos_published,
        cast(likes as bigint) as likes,
        cast(comments as bigint) as comments,
        cast(shares as bigint) as shares,
        revenue_cents,
        cost_cents,
        revenue_cents - cost_cents as profit_cents,
        {{ rpm_usd('revenue_cents', 'views') }} as rpm_usd,
        {{ window_start_date }} as window_start_date,
        {{ as_of_date() }} as window_end_date,
        {{ as_of() }} as as_of,
        {{ rpm_tier(rpm_usd('revenue_cents', 'views')) }} as rpm_tier,
        cast(views_7d_earlier as bigint) as views_7d_earlier,
        case
            when views_7d_earlier = 0 then null
            else round(cast(views - views_7d_earlier as numeric) / views_7d_earlier * 100, 2)
        end as views_change_pct
    from joined

)

select * from final
