{#
    One row per (video, UTC hour) with at least one poll, for the hours of the
    recent window: the hour of the newest poll in fact_video_performance and
    the `hourly_window_hours` - 1 hours before it (var, default 24). Per hour:
    counters gained (sums of the per-poll deltas of fact_video_performance, so
    a YouTube correction never shows as negative views), the cumulative
    counters at the hour's last poll, and engagement rates.

    A PostgreSQL materialized view, refreshed CONCURRENTLY by `ytempire-ops
    refresh` (the unique index on the grain allows it). PostgreSQL recomputes
    a materialized view in full on every refresh, so it holds the window the
    dashboards read, not the whole history: over 90 days at scale 1 a refresh
    took minutes. Older hours are a time_bucket query on the fact away. The
    window ends at the newest poll, not at the clock, so a replay of old data
    has a full window too.
#}

{{
    config(
        materialized='materialized_view',
        on_configuration_change='apply',
        indexes=[
            {'columns': ['video_id', 'hour_start'], 'unique': true},
            {'columns': ['channel_id', 'hour_start']},
            {'columns': ['hour_start']},
        ],
    )
}}

with

performance as (

    select polls.*
    from {{ ref('fact_video_performance') }} as polls
    where polls.captured_at >= (
        select
            date_trunc('hour', max(newest.captured_at), 'UTC')
            - interval '{{ var("hourly_window_hours", 24) }} hours'
            + interval '1 hour'
        from {{ ref('fact_video_performance') }} as newest
    )

),

hourly as (

    select
        video_id,
        channel_id,
        date_trunc('hour', captured_at, 'UTC') as hour_start,
        count(*) as polls,
        sum(views_delta) as views_gained,
        sum(likes_delta) as likes_gained,
        sum(comments_delta) as comments_gained,
        sum(shares_delta) as shares_gained,
        count(*) filter (where is_correction) as corrections,
        {{ value_at_latest('views', 'captured_at') }} as views,
        {{ value_at_latest('likes', 'captured_at') }} as likes,
        {{ value_at_latest('comments', 'captured_at') }} as comments,
        {{ value_at_latest('shares', 'captured_at') }} as shares,
        max(captured_at) as last_captured_at
    from performance
    group by
        video_id,
        channel_id,
        date_trunc('hour', captured_at, 'UTC')

),

final as (

    select
        video_id,
        hour_start,
        channel_id,
        {{ utc_date_key('hour_start') }} as date_key,
        cast(polls as integer) as polls,
        cast(views_gained as bigint) as views_gained,
        cast(likes_gained as bigint) as likes_gained,
        cast(comments_gained as bigint) as comments_gained,
        cast(shares_gained as bigint) as shares_gained,
        cast(views as bigint) as views,
        cast(likes as bigint) as likes,
        cast(comments as bigint) as comments,
        cast(shares as bigint) as shares,
        {{ engagement_rate('likes', 'comments', 'shares', 'views') }} as engagement_rate,
        {{ engagement_rate('likes_gained', 'comments_gained', 'shares_gained', 'views_gained') }}
            as engagement_rate_gained,
        cast(corrections as integer) as corrections,
        last_captured_at
    from hourly

)

select * from final
