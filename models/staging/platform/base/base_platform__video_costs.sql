{#
    Every raw video_costs row, classified: quarantine_reason is null when the
    row can be used, else the first rule it breaks (macro
    video_costs_quarantine_reason: null cost_id, a missing amount or
    timestamp, an unknown video, an unknown cost_category).
    stg_platform__video_costs keeps the usable rows (and deduplicates them),
    stg_platform__video_costs_quarantined the others.

    A view: PostgreSQL inlines it, so the incremental staging model's
    ingested_at predicate still reaches raw.video_costs' index and a refresh
    reads only the new deliveries.
#}

with

source as (

    select * from {{ source('platform', 'video_costs') }}

),

videos as (

    select video_id from {{ ref('base_platform__videos') }}

),

classified as (

    select
        -- every raw column as delivered (the quarantine relations keep them as raw_values)
        source.*,
        {{ video_costs_quarantine_reason('source', 'videos') }} as quarantine_reason
    from source
    left join videos
        on source.video_id = videos.video_id

)

select * from classified  -- noqa: AM04
