{#
    Every raw video_metrics row, classified: quarantine_reason is null when
    the row can be used, else the first rule it breaks (macro
    video_metrics_quarantine_reason: null key, unknown video, captured in the
    future, negative counter). int_video_metrics_deltaed keeps the usable
    rows (and deduplicates them), stg_youtube__video_metrics_quarantined the
    others, and int_raw_rows_accounted counts both against it.

    A view, not ephemeral or a table: PostgreSQL inlines it into the query
    that reads it, so the incremental deltaed model's ingested_at predicate
    reaches raw.video_metrics' index and a refresh reads only the new polls
    (the video lookup is by primary key), as when staging read the source
    itself; a table would copy every poll on each refresh.
#}

with

source as (

    select * from {{ source('youtube', 'video_metrics') }}

),

videos as (

    select video_id from {{ ref('base_platform__videos') }}

),

classified as (

    select
        -- every raw column as delivered (the quarantine relations keep them as raw_values)
        source.*,
        {{ video_metrics_quarantine_reason('source', 'videos') }} as quarantine_reason
    from source
    left join videos
        on source.video_id = videos.video_id

)

select * from classified  -- noqa: AM04
