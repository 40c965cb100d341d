{#
    One row per (video, UTC hour) with at least one poll: an aggregate of
    fact_video_performance. Per hour: polls, counters gained (sums of the
    per-poll deltas, so a YouTube correction never shows as negative), the
    cumulative counters at the hour's last poll (`*_at_last_poll`, as in
    fact_video_daily: a bare `views` is a gain in the aggregate facts),
    engagement rates and corrections. video_performance_hourly selects its recent window from it
    and fact_video_daily sums its hours, so refreshing that view reads ~70 k
    hour rows instead of summing ~240 k polls. A hypertable on hour_start with the polls' retention.
    Incremental: the (video, hour) pairs of polls changed since the watermark
    are summed again, each from its own polls through the fact's
    (video_id, captured_at) index; a pre-hook deletes the hours of videos
    deleted since, and the hours of a restored video are summed again
    (int_video_deletions_detected).
#}
{{
    config(
        materialized='incremental',
        unique_key=['video_id', 'hour_start'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_rows_of_deleted_videos('performance_changed_at') }}",
        meta={
            'timescaledb': {
                'time_column': 'hour_start',
                'chunk_interval': '7 days',
                'compression': {'segmentby': ['channel_id'], 'orderby': 'hour_start desc', 'after': '7 days'},
                'retention': {'drop_after': '90 days'},
            },
        },
        indexes=[
            {'columns': ['video_id', 'hour_start'], 'unique': true},
            {'columns': ['performance_changed_at']},
        ],
    )
}}

{#- What a (video, hour) gets from its polls, on both load paths. -#}
{% set hour_sums = {
    'channel_id': 'max(performance.channel_id)',
    'polls': 'count(*)',
    'views_gained': 'sum(performance.views_delta)',
    'likes_gained': 'sum(performance.likes_delta)',
    'comments_gained': 'sum(performance.comments_delta)',
    'shares_gained': 'sum(performance.shares_delta)',
    'watch_time_minutes_gained': 'sum(performance.watch_time_minutes_delta)',
    'subscribers_net': 'sum(performance.subscribers_gained_delta - performance.subscribers_lost_delta)',
    'corrections': 'count(*) filter (where performance.is_correction)',
    'views_at_last_poll': value_at_latest('performance.views', 'performance.captured_at'),
    'likes_at_last_poll': value_at_latest('performance.likes', 'performance.captured_at'),
    'comments_at_last_poll': value_at_latest('performance.comments', 'performance.captured_at'),
    'shares_at_last_poll': value_at_latest('performance.shares', 'performance.captured_at'),
    'first_captured_at': 'min(performance.captured_at)',
    'last_captured_at': 'max(performance.captured_at)',
    'performance_changed_at': 'max(performance.changed_at)',
} %}

{% set deletions = video_deletion_changes('performance_changed_at') %}

{% if is_incremental() %}
{#- The rows whose buckets are summed again; the earliest of those buckets bounds the sums below. -#}
{% set touched_where = 'changed_at >= ' ~ incremental_watermark('performance_changed_at') ~ (
    ' or ' ~ video_id_in('video_id', deletions['restored']) if deletions['restored'] else ''
) %}
{% set first_bucket = smallest_timestamp(
    "date_trunc('hour', captured_at, 'UTC')", ref('fact_video_performance'), touched_where
) %}
{% endif %}

with

performance as not materialized (

    select * from {{ ref('fact_video_performance') }}

),

{% if is_incremental() %}

touched as (

    select distinct
        video_id,
        date_trunc('hour', captured_at, 'UTC') as hour_start
    from performance
    where {{ touched_where }}

),

{% endif %}

hourly as (
    {{ rollup_by_bucket(
        source='performance',
        key='video_id',
        bucket='hour_start',
        bucket_of="date_trunc('hour', performance.captured_at, 'UTC')",
        time_column='performance.captured_at',
        bucket_starts='touched.hour_start',
        bucket_ends="touched.hour_start + interval '1 hour'",
        sums=hour_sums,
        time_floor=first_bucket if is_incremental() else none,
    ) }}
),

final as (

    select
        video_id,
        hour_start,
        cast(channel_id as varchar(50)) as channel_id,
        {{ utc_date_key('hour_start') }} as date_key,
        cast(polls as integer) as polls,
        cast(views_gained as bigint) as views_gained,
        cast(likes_gained as bigint) as likes_gained,
        cast(comments_gained as bigint) as comments_gained,
        cast(shares_gained as bigint) as shares_gained,
        cast(views_at_last_poll as bigint) as views_at_last_poll,
        cast(likes_at_last_poll as bigint) as likes_at_last_poll,
        cast(comments_at_last_poll as bigint) as comments_at_last_poll,
        cast(shares_at_last_poll as bigint) as shares_at_last_poll,
        {{ engagement_rate(
            'likes_at_last_poll', 'comments_at_last_poll', 'shares_at_last_poll', 'views_at_last_poll'
        ) }} as engagement_rate,
        {{ engagement_rate('likes_gained', 'comments_gained', 'shares_gained', 'views_gained') }}
            as engagement_rate_gained,
        cast(corrections as integer) as corrections,
        watch_time_minutes_gained,
        subscribers_net,
        first_captured_at,
        last_captured_at,
        performance_changed_at
    from hourly

)

select * from final
