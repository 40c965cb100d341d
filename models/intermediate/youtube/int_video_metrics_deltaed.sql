{#
    Per-poll deltas from cumulative counters. Incremental: a batch is every poll
    ingested since the watermark; for each video in it, all its polls from the
    earliest new captured_at on are recomputed (a late poll changes the delta of
    the poll after it), with the poll just before as the starting point.
    `changed_at` is the ingestion instant that last changed a row's values (the
    later of its own and its previous poll's ingested_at): the downstream fact
    loads by it, so a poll whose delta a late poll changed is reloaded too, and
    a re-run without new rows leaves every value as it was.
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

with

polls as not materialized (

    select * from {{ ref('stg_youtube__video_metrics') }}

),

{% if is_incremental() %}

affected_videos as (

    select
        video_id,
        min(captured_at) as from_captured_at
    from polls
    where ingested_at >= {{ incremental_watermark('changed_at') }}
    group by video_id

),

recomputed as (

    select polls.*
    from polls
    inner join affected_videos
        on
            polls.video_id = affected_videos.video_id
            and polls.captured_at >= affected_videos.from_captured_at

),

previous_poll as (

    select previous.*
    from affected_videos
    cross join lateral (
        select polls.*
        from polls
        where
            polls.video_id = affected_videos.video_id
            and polls.captured_at < affected_videos.from_captured_at
        order by polls.captured_at desc
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
