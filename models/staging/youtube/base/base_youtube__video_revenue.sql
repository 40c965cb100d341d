{#
    Every raw video_revenue row, classified: quarantine_reason is null when
    the row can be used, else the first rule it breaks (macro
    video_revenue_quarantine_reason: a null key or reported_at, an unknown
    video). stg_youtube__video_revenue keeps the usable rows (the latest
    restatement of each key), stg_youtube__video_revenue_quarantined the
    others.

    A view: PostgreSQL inlines it, so the incremental staging model's
    reported_at predicate still reaches raw.video_revenue's index.
#}

with

source as (

    select * from {{ source('youtube', 'video_revenue') }}

),

videos as (

    select video_id from {{ ref('base_platform__videos') }}

),

classified as (

    select
        -- every raw column as delivered (the quarantine relations keep them as raw_values)
        source.*,
        {{ video_revenue_quarantine_reason('source', 'videos') }} as quarantine_reason
    from source
    left join videos
        on source.video_id = videos.video_id

)

select * from classified  -- noqa: AM04
