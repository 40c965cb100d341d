{#
    Every usable poll, once: duplicate deliveries removed (the latest
    ingested_at wins) and per-poll deltas computed from the cumulative
    counters. The polls are stored here and in fact_video_performance only;
    there is no separate staging table of them (docs/decisions.md, "The
    polls are stored twice, not four times").

    Rows that cannot be used (base_youtube__video_metrics classifies them:
    null key, unknown video, captured in the future, negative counter) are
    left out before deduplicating, so a bad re-delivery never replaces a good
    poll; stg_youtube__video_metrics_quarantined lists them. The base model is
    a view PostgreSQL inlines here, so the ingested_at predicate reaches
    raw.video_metrics' index. Its future_capture rule compares with as_of:
    the pre-hook gives it this run's as_of (macro as_of_in_view), since a
    refresh does not recreate the view.

    Incremental: a batch is every usable poll ingested since the watermark,
    deduplicated; for each video in it, all its polls from the earliest new
    captured_at on are recomputed (a late poll changes the delta of the poll
    after it), with the poll just before as the starting point. A batch's
    poll replaces the loaded poll of the same key: it is the later delivery.
    `changed_at` is the ingestion instant that last changed a row's values
    (the later of its own and its previous poll's ingested_at): the
    downstream fact loads by it, so a poll whose delta a late poll changed
    is reloaded too, and a re-run without new rows leaves every value as it
    was.

    In an incremental run only the new polls are read from raw (by
    ingested_at); the polls already loaded, and each video's poll before its
    earliest new one, are read from this model's own rows, which hold every
    usable poll's values.

    With TimescaleDB the model is a hypertable by captured_at, in chunks of
    `performance_chunk_interval` like fact_video_performance (no compression,
    no retention: every poll is some later poll's predecessor), without
    TimescaleDB's own index on captured_at (`time_index: false`: nothing
    reads the polls by time alone, docs/timescaledb.md). Its
    (video_id, captured_at) index is then one small index per chunk: the
    daily poll of every older video writes into the newest chunk's index and
    finds each video's previous poll (a day earlier) in the chunk before,
    instead of touching one page per video of an index over every poll.
    The reads of its own rows are bounded below by literals, so that the
    planner excludes the older chunks once: the loaded polls a batch
    recomputes are at or after its earliest captured_at, and each video's
    previous poll is looked for first in the `recent_days` before that; a
    video with no poll there (its first poll, or polls more than
    `recent_days` apart) looks further back.
#}
{{
    config(
        materialized='incremental',
        unique_key=['video_id', 'captured_at'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        pre_hook="{{ set_view_as_of() }}",
        meta={
            'timescaledb': {
                'time_column': 'captured_at',
                'time_index': false,
                'chunk_interval': interval_var('performance_chunk_interval', '1 day'),
            },
        },
        indexes=[
            {'columns': ['video_id', 'captured_at'], 'unique': true},
            {'columns': ['changed_at']},
        ],
    )
}}

{% set counters = ['views', 'likes', 'dislikes', 'comments', 'shares', 'watch_time_minutes',
                   'impressions', 'subscribers_gained', 'subscribers_lost', 'estimated_revenue_cents'] %}
{#- the columns of a poll, in the order of the CTE polls -#}
{% set poll_columns = ['video_id', 'captured_at', 'views', 'likes', 'dislikes', 'comments', 'shares',
                       'watch_time_minutes', 'average_view_duration_seconds', 'impressions',
                       'click_through_rate', 'subscribers_gained', 'subscribers_lost',
                       'estimated_revenue_cents', 'ingested_at'] %}

{% if is_incremental() %}
{#- Videos are polled at least daily: a video's previous poll is nearly always within recent_days of its new one. -#}
{% set recent_days = 2 %}
{% set watermark = incremental_watermark('changed_at') %}
{% set batch_where = 'ingested_at >= ' ~ watermark ~ ' and quarantine_reason is null' %}
{% set batch_from = smallest_timestamp('captured_at', ref('base_youtube__video_metrics'), batch_where) %}
{% set recent_from = smallest_timestamp(
    "captured_at - interval '" ~ recent_days ~ " days'", ref('base_youtube__video_metrics'), batch_where
) %}
{% endif %}

with

classified as (

    select * from {{ ref('base_youtube__video_metrics') }}
    {% if is_incremental() %}
    where ingested_at >= {{ watermark }}
    {% endif %}

),

usable as (

    select * from classified
    where quarantine_reason is null

),

-- A re-poll of the same (video_id, captured_at) is a duplicate delivery:
-- the row with the latest ingested_at wins.
deduplicated as (

    select distinct on (video_id, captured_at) *
    from usable
    order by video_id asc, captured_at asc, ingested_at desc

),

polls as (

    select
        cast(video_id as varchar(50)) as video_id,
        captured_at,
        views,
        likes,
        dislikes,
        comments,
        shares,
        watch_time_minutes,
        average_view_duration_seconds,
        impressions,
        click_through_rate,
        subscribers_gained,
        subscribers_lost,
        estimated_revenue_cents,
        ingested_at
    from deduplicated

),

{% if is_incremental() %}

batch as (

    select * from polls

),

loaded as not materialized (

    select
        {{ poll_columns | join(',\n        ') }}
    from {{ this }}

),

affected_videos as (

    select
        video_id,
        min(captured_at) as from_captured_at
    from batch
    group by video_id

),

-- each affected video's polls from its earliest new one on: the new ones
-- from the batch, the others as loaded (a re-delivered poll's new values
-- win: of a key both have, the batch's row comes first). A sort, not an
-- anti-join on the batch: the batch's row count is estimated through the
-- base view's quarantine rule, far below what a day's poll of every older
-- video brings, and a nested loop over the batch for every loaded poll took
-- 25 s at scale 1 where the sort takes milliseconds.
recomputed as (

    select distinct on (video_id, captured_at)
        {{ poll_columns | join(',\n        ') }}
    from (
        select
            {{ poll_columns | join(',\n            ') }},
            0 as source_rank
        from batch
        union all
        select
            loaded.*,
            1 as source_rank
        from loaded
        inner join affected_videos
            on
                loaded.video_id = affected_videos.video_id
                and loaded.captured_at >= affected_videos.from_captured_at
        where loaded.captured_at >= {{ batch_from }}
    ) as candidates
    order by video_id asc, captured_at asc, source_rank asc

),

-- each affected video's loaded poll just before its earliest new one:
-- looked for in the recent window, then (for the videos without one there)
-- before it
recent_previous_poll as (

    select previous.*
    from affected_videos
    cross join lateral (
        select loaded.*
        from loaded
        where
            loaded.video_id = affected_videos.video_id
            and loaded.captured_at < affected_videos.from_captured_at
            and loaded.captured_at >= {{ recent_from }}
        order by loaded.captured_at desc
        limit 1
    ) as previous

),

videos_without_recent_poll as (

    select affected_videos.*
    from affected_videos
    where not exists (
        select 1
        from recent_previous_poll
        where recent_previous_poll.video_id = affected_videos.video_id
    )

),

older_previous_poll as (

    select previous.*
    from videos_without_recent_poll
    cross join lateral (
        select loaded.*
        from loaded
        where
            loaded.video_id = videos_without_recent_poll.video_id
            and loaded.captured_at < {{ recent_from }}
        order by loaded.captured_at desc
        limit 1
    ) as previous

),

previous_poll as (

    select * from recent_previous_poll
    union all
    select * from older_previous_poll

),

in_scope as (

    select
        *,
        true as is_output
    from recomputed
    union all
    select
        *,
        false as is_output
    from previous_poll

),

{% else %}

in_scope as (

    select
        *,
        true as is_output
    from polls

),

{% endif %}

with_previous as (

    select
        *,
        {% for counter in counters %}
        lag({{ counter }}) over by_video as previous_{{ counter }},
        {% endfor %}
        lag(captured_at) over by_video as previous_captured_at,
        lag(ingested_at) over by_video as previous_ingested_at
    from in_scope
    window by_video as (partition by video_id order by captured_at)

),

deltaed as (

    select
        video_id,
        captured_at,
        previous_captured_at,
        {% for counter in counters %}
        {{ counter }},
        {% endfor %}
        average_view_duration_seconds,
        click_through_rate,
        {% for counter in counters %}
        {{ counter_delta(counter, 'previous_' ~ counter) }} as {{ counter }}_delta,
        {% endfor %}
        (
            views < previous_views
            or likes < previous_likes
            or comments < previous_comments
            or shares < previous_shares
        ) is true as is_correction,
        ingested_at,
        -- a poll's values depend on itself and the poll before it
        greatest(ingested_at, previous_ingested_at) as changed_at
    from with_previous
    where is_output

)

select * from deltaed
