{#
    Per-poll deltas from cumulative counters. Incremental: a batch is every poll
    ingested since the watermark; for each video in it, all its polls from the
    earliest new captured_at on are recomputed (a late poll changes the delta of
    the poll after it), with the poll just before as the starting point.
    `changed_at` is the ingestion instant that last changed a row's values (the
    later of its own and its previous poll's ingested_at): the downstream fact
    loads by it, so a poll whose delta a late poll changed is reloaded too, and
    a re-run without new rows leaves every value as it was.

    In an incremental run only the new polls are read from staging (by
    ingested_at); the polls already loaded, and each video's poll before its
    earliest new one, are read from this model's own rows, which hold every
    staged poll's values through its (video_id, captured_at) index.
#}
{{
    config(
        materialized='incremental',
        unique_key=['video_id', 'captured_at'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['video_id', 'captured_at'], 'unique': true},
            {'columns': ['changed_at']},
        ],
    )
}}

{% set counters = ['views', 'likes', 'dislikes', 'comments', 'shares', 'watch_time_minutes',
                   'impressions', 'subscribers_gained', 'subscribers_lost', 'estimated_revenue_cents'] %}
{#- the columns of a staged poll, in staging's order -#}
{% set poll_columns = ['video_id', 'captured_at', 'views', 'likes', 'dislikes', 'comments', 'shares',
                       'watch_time_minutes', 'average_view_duration_seconds', 'impressions',
                       'click_through_rate', 'subscribers_gained', 'subscribers_lost',
                       'estimated_revenue_cents', 'ingested_at'] %}

with

polls as not materialized (

    select * from {{ ref('stg_youtube__video_metrics') }}

),

{% if is_incremental() %}

batch as (

    select *
    from polls
    where ingested_at >= {{ incremental_watermark('changed_at') }}

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
-- from staging, the others as loaded (a re-delivered poll's new values win)
recomputed as (

    select
        {{ poll_columns | join(',\n        ') }}
    from batch
    union all
    select loaded.*
    from loaded
    inner join affected_videos
        on
            loaded.video_id = affected_videos.video_id
            and loaded.captured_at >= affected_videos.from_captured_at
    where not exists (
        select 1
        from batch
        where
            batch.video_id = loaded.video_id
            and batch.captured_at = loaded.captured_at
    )

),

previous_poll as (

    select previous.*
    from affected_videos
    cross join lateral (
        select loaded.*
        from loaded
        where
            loaded.video_id = affected_videos.video_id
            and loaded.captured_at < affected_videos.from_captured_at
        order by loaded.captured_at desc
        limit 1
    ) as previous

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
