{#
    One row per (video, UTC day) with at least one poll: the hours of
    fact_video_hourly summed by UTC day, which the reporting marts and
    fact_channel_daily read instead of the polls (a week of polls is ~1.5 M
    rows at scale 1, a week of video-days ~0.2 M). Per day: polls, counters
    gained (sums of the per-poll deltas), corrections, the day's first and
    last poll, and the cumulative counters and engagement rate at its last
    poll (those of its last hour).
    Incremental: the (video, day) pairs with hours changed since the
    watermark are summed again from their hours; a pre-hook deletes the days
    of videos deleted since, and the days of a restored video are summed again
    (int_video_deletions_detected).
    With TimescaleDB a hypertable by activity_date in 7-day chunks (no
    compression, no retention: a video-day is kept like the money it
    explains). The day's poll of every older video then adds a row per video
    to the newest chunk's small (video_id, activity_date) index, not to one
    page per video of an index over every video-day.
#}
{{
    config(
        materialized='incremental',
        unique_key=['video_id', 'activity_date'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_rows_of_deleted_videos('performance_changed_at') }}",
        meta={
            'timescaledb': {
                'time_column': 'activity_date',
                'time_index': false,
                'chunk_interval': '7 days',
            },
        },
        indexes=[
            {'columns': ['video_id', 'activity_date'], 'unique': true},
            {'columns': ['activity_date']},
            {'columns': ['channel_id', 'activity_date']},
            {'columns': ['performance_changed_at']},
        ],
    )
}}

{#- What a (video, day) gets from its hours, on both load paths. -#}
{% set day_sums = {
    'channel_id': 'max(hours.channel_id)',
    'polls': 'sum(hours.polls)',
    'views': 'sum(hours.views_gained)',
    'likes': 'sum(hours.likes_gained)',
    'comments': 'sum(hours.comments_gained)',
    'shares': 'sum(hours.shares_gained)',
    'watch_time_minutes': 'sum(hours.watch_time_minutes_gained)',
    'subscribers_net': 'sum(hours.subscribers_net)',
    'corrections': 'sum(hours.corrections)',
    'first_captured_at': 'min(hours.first_captured_at)',
    'last_captured_at': 'max(hours.last_captured_at)',
    'views_at_last_poll': value_at_latest('hours.views_at_last_poll', 'hours.last_captured_at'),
    'likes_at_last_poll': value_at_latest('hours.likes_at_last_poll', 'hours.last_captured_at'),
    'comments_at_last_poll': value_at_latest('hours.comments_at_last_poll', 'hours.last_captured_at'),
    'shares_at_last_poll': value_at_latest('hours.shares_at_last_poll', 'hours.last_captured_at'),
    'engagement_rate_at_last_poll': value_at_latest('hours.engagement_rate', 'hours.last_captured_at'),
    'performance_changed_at': 'max(hours.performance_changed_at)',
} %}

{% set deletions = video_deletion_changes('performance_changed_at') %}

{% if is_incremental() %}
{#- The rows whose buckets are summed again; the earliest of those buckets bounds the sums below. -#}
{% set touched_where = 'performance_changed_at >= ' ~ incremental_watermark('performance_changed_at') ~ (
    ' or ' ~ video_id_in('video_id', deletions['restored']) if deletions['restored'] else ''
) %}
{% set first_bucket = smallest_timestamp(
    "date_trunc('day', hour_start, 'UTC')", ref('fact_video_hourly'), touched_where
) %}
{% endif %}

with

hours as not materialized (

    select * from {{ ref('fact_video_hourly') }}

),

{% if is_incremental() %}

touched as (

    select distinct
        video_id,
        cast(hour_start at time zone 'UTC' as date) as activity_date
    from hours
    where {{ touched_where }}

),

{% endif %}

daily as (
    {{ rollup_by_bucket(
        source='hours',
        key='video_id',
        bucket='activity_date',
        bucket_of="cast(hours.hour_start at time zone 'UTC' as date)",
        time_column='hours.hour_start',
        bucket_starts="cast(touched.activity_date as timestamp) at time zone 'UTC'",
        bucket_ends="cast(touched.activity_date + 1 as timestamp) at time zone 'UTC'",
        sums=day_sums,
        time_floor=first_bucket if is_incremental() else none,
    ) }}
),

final as (

    select
        video_id,
        activity_date,
        cast(channel_id as varchar(50)) as channel_id,
        {{ date_key('activity_date') }} as date_key,
        cast(polls as integer) as polls,
        cast(views as bigint) as views,
        cast(likes as bigint) as likes,
        cast(comments as bigint) as comments,
        cast(shares as bigint) as shares,
        watch_time_minutes,
        subscribers_net,
        cast(corrections as integer) as corrections,
        first_captured_at,
        last_captured_at,
        cast(views_at_last_poll as bigint) as views_at_last_poll,
        cast(likes_at_last_poll as bigint) as likes_at_last_poll,
        cast(comments_at_last_poll as bigint) as comments_at_last_poll,
        cast(shares_at_last_poll as bigint) as shares_at_last_poll,
        engagement_rate_at_last_poll,
        performance_changed_at
    from daily

)

select * from final
