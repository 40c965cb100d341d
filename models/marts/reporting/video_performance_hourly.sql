{#
    One row per (video, UTC hour) with at least one poll: counters gained in
    the hour (sums of the per-poll deltas of fact_video_performance, so a
    YouTube correction never shows as negative views), the cumulative
    counters at the hour's last poll, and engagement rates. A PostgreSQL
    materialized view over the whole fact (no as_of window: it is refreshed in
    place by `ytempire-ops refresh`); the unique index on the grain lets it be
    refreshed CONCURRENTLY.
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

    select * from {{ ref('fact_video_performance') }}

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
        (array_agg(views order by captured_at desc))[1] as views,
        (array_agg(likes order by captured_at desc))[1] as likes,
        (array_agg(comments order by captured_at desc))[1] as comments,
        (array_agg(shares order by captured_at desc))[1] as shares,
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
        views,
        likes,
        comments,
        shares,
        {{ engagement_rate('likes', 'comments', 'shares', 'views') }} as engagement_rate,
        {{ engagement_rate('likes_gained', 'comments_gained', 'shares_gained', 'views_gained') }}
            as engagement_rate_gained,
        cast(corrections as integer) as corrections,
        last_captured_at
    from hourly

)

select * from final
