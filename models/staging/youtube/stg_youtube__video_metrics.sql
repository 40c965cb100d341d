{#
    A table, not a view like the other staging models: deduplicating ~20 M
    polls in a view would re-sort all of them on every 5-minute refresh. New
    raw rows are found by ingested_at (indexed), and a re-delivered key
    replaces the earlier delivery (delete+insert on the natural key).

    Rows that cannot be used (base_youtube__video_metrics classifies them:
    null key, unknown video, captured in the future, negative counter) are
    left out before deduplicating, so a bad re-delivery never replaces a good
    poll; stg_youtube__video_metrics_quarantined lists them. The base model is
    a view PostgreSQL inlines here, so the ingested_at predicate reaches
    raw.video_metrics' index. Its future_capture rule compares with as_of:
    the pre-hook gives it this run's as_of (macro as_of_in_view), since a
    refresh does not recreate the view.

    The unique index leads with captured_at: a batch's polls are recent, so
    their index entries go to the few pages at its end. Led by video_id, the
    daily poll of every older video (~26 k polls at scale 1) wrote into one
    index page per video, pages no refresh had read since the day before.
    Reads of a video's polls in captured order use int_video_metrics_deltaed.
#}
{{
    config(
        materialized='incremental',
        unique_key=['video_id', 'captured_at'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        pre_hook="{{ set_view_as_of() }}",
        indexes=[
            {'columns': ['captured_at', 'video_id'], 'unique': true},
            {'columns': ['ingested_at']},
        ],
    )
}}

with

classified as (

    select * from {{ ref('base_youtube__video_metrics') }}
    {% if is_incremental() %}
    where ingested_at >= {{ incremental_watermark('ingested_at') }}
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

renamed as (

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

)

select * from renamed
