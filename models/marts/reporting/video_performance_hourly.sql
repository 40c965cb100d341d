{#
    One row per (video, UTC hour) with at least one poll, for the hours of the
    recent window: the hour of the newest poll in fact_video_performance and
    the `hourly_window_hours` - 1 hours before it (var, default 24). Per hour:
    counters gained (sums of the per-poll deltas of fact_video_performance, so
    a YouTube correction never shows as negative views), the cumulative
    counters at the hour's last poll, and engagement rates: the rows of
    fact_video_hourly (the same figures for every hour) in the window.

    A PostgreSQL materialized view, refreshed CONCURRENTLY by `ytempire-ops
    refresh` (the unique index on the grain allows it). PostgreSQL recomputes
    a materialized view in full on every refresh, so it holds the window the
    dashboards read, not the whole history: over 90 days at scale 1 a refresh
    took minutes. Older hours are in fact_video_hourly. The
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

hours as not materialized (

    select * from {{ ref('fact_video_hourly') }}

),

final as (

    select
        hours.video_id,
        hours.hour_start,
        hours.channel_id,
        hours.date_key,
        hours.polls,
        hours.views_gained,
        hours.likes_gained,
        hours.comments_gained,
        hours.shares_gained,
        -- the cumulative counters at the hour's last poll, under the names
        -- this view has always had
        hours.views_at_last_poll as views,
        hours.likes_at_last_poll as likes,
        hours.comments_at_last_poll as comments,
        hours.shares_at_last_poll as shares,
        hours.engagement_rate,
        hours.engagement_rate_gained,
        hours.corrections,
        hours.last_captured_at
    from hours
    where hours.hour_start >= (
        select
            max(newest.hour_start)
            - interval '{{ non_negative_number_var('hourly_window_hours', 24) }} hours'
            + interval '1 hour'
        from hours as newest
    )

)

select * from final
