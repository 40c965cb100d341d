{#
    Every raw videos row, classified: quarantine_reason is null when the row
    can be used, else the first rule it breaks (macro
    videos_quarantine_reason). stg_platform__videos keeps the usable rows,
    stg_platform__videos_quarantined the others. The base models of the
    tables that reference a video look its video_id up here (every raw
    video, usable or not: "is this video known" is a fact about the source).
#}

with

source as (

    select * from {{ source('platform', 'videos') }}

),

classified as (

    select
        -- every raw column as delivered (the quarantine relations keep them as raw_values)
        source.*,
        {{ videos_quarantine_reason('source') }} as quarantine_reason
    from source

)

select * from classified  -- noqa: AM04
