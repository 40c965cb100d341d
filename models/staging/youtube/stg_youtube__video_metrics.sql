{#
    A table, not a view like the other staging models: deduplicating ~20 M
    polls in a view would re-sort all of them on every 5-minute refresh. New
    raw rows are found by ingested_at (indexed), and a re-delivered key
    replaces the earlier delivery (delete+insert on the natural key).
#}
{{
    config(
        materialized='incremental',
        unique_key=['video_id', 'captured_at'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['video_id', 'captured_at'], 'unique': true},
            {'columns': ['ingested_at']},
        ],
    )
}}

with

source as (

    select * from {{ source('youtube', 'video_metrics') }}
    {% if is_incremental() %}
    where ingested_at >= {{ incremental_watermark('ingested_at') }}
    {% endif %}

),

-- A re-poll of the same (video_id, captured_at) is a duplicate delivery:
-- the row with the latest ingested_at wins.
deduplicated as (

    select distinct on (video_id, captured_at) *
    from source
    where video_id is not null and captured_at is not null
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
