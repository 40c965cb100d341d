{#
    One row per (video, UTC day) with at least one poll: an aggregate of
    fact_video_performance that the reporting marts and fact_channel_daily
    read instead of the polls (a week of polls is ~1.5 M rows at scale 1, a
    week of video-days ~0.2 M). Per day: polls, counters gained (sums of the
    per-poll deltas), corrections, the day's first and last poll, and the
    cumulative counters and engagement rate at its last poll.
    Incremental: the (video, day) pairs of polls changed since the watermark
    are summed again, each from its own polls through the fact's
    (video_id, captured_at) index.
#}
{{
    config(
        materialized='incremental',
        unique_key=['video_id', 'activity_date'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['video_id', 'activity_date'], 'unique': true},
            {'columns': ['activity_date']},
            {'columns': ['channel_id', 'activity_date']},
            {'columns': ['performance_changed_at']},
        ],
    )
}}

{#- What a (video, day) gets from its polls; the same expressions on both load paths
    (then performance_changed_at, the watermark, on both). -#}
{% set day_sums = {
    'channel_id': 'max(performance.channel_id)',
    'polls': 'count(*)',
    'views': 'sum(performance.views_delta)',
    'likes': 'sum(performance.likes_delta)',
    'comments': 'sum(performance.comments_delta)',
    'shares': 'sum(performance.shares_delta)',
    'watch_time_minutes': 'sum(performance.watch_time_minutes_delta)',
    'subscribers_net': 'sum(performance.subscribers_gained_delta - performance.subscribers_lost_delta)',
    'corrections': 'count(*) filter (where performance.is_correction)',
    'first_captured_at': 'min(performance.captured_at)',
    'last_captured_at': 'max(performance.captured_at)',
    'views_at_last_poll': value_at_latest('performance.views', 'performance.captured_at'),
    'likes_at_last_poll': value_at_latest('performance.likes', 'performance.captured_at'),
    'comments_at_last_poll': value_at_latest('performance.comments', 'performance.captured_at'),
    'shares_at_last_poll': value_at_latest('performance.shares', 'performance.captured_at'),
    'engagement_rate_at_last_poll': value_at_latest('performance.engagement_rate', 'performance.captured_at'),
} %}

with

performance as not materialized (

    select * from {{ ref('fact_video_performance') }}

),

{% if is_incremental() %}

touched as (

    select distinct
        video_id,
        cast(captured_at at time zone 'UTC' as date) as activity_date
    from performance
    where changed_at >= {{ incremental_watermark('performance_changed_at') }}

),

-- lateral, so each pair reads only its own polls through the index
daily as (

    select
        touched.video_id,
        touched.activity_date,
        {% for name in day_sums %}
        sums.{{ name }},
        {% endfor %}
        sums.performance_changed_at
    from touched
    cross join
        lateral (
            select
                {% for name, expression in day_sums.items() %}
                {{ expression }} as {{ name }},
                {% endfor %}
                max(performance.changed_at) as performance_changed_at
            from performance
            where
                performance.video_id = touched.video_id
                and performance.captured_at >= cast(touched.activity_date as timestamp) at time zone 'UTC'
                and performance.captured_at < cast(touched.activity_date + 1 as timestamp) at time zone 'UTC'
        ) as sums
    where sums.polls > 0

),

{% else %}

daily as (

    select
        performance.video_id,
        cast(performance.captured_at at time zone 'UTC' as date) as activity_date,
        {% for name, expression in day_sums.items() %}
        {{ expression }} as {{ name }},
        {% endfor %}
        max(performance.changed_at) as performance_changed_at
    from performance
    group by performance.video_id, cast(performance.captured_at at time zone 'UTC' as date)

),

{% endif %}

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
