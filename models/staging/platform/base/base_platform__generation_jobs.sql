{#
    Every raw generation_jobs row, classified: quarantine_reason is null when
    the row can be used, else the first rule it breaks (macro
    generation_jobs_quarantine_reason). stg_platform__generation_jobs keeps
    the usable rows, stg_platform__generation_jobs_quarantined the others.
#}

with

source as (

    select * from {{ source('platform', 'generation_jobs') }}

),

classified as (

    select
        -- every raw column as delivered (the quarantine relations keep them as raw_values)
        source.*,
        {{ generation_jobs_quarantine_reason('source') }} as quarantine_reason
    from source

)

select * from classified  -- noqa: AM04
