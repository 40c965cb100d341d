{#
    Every raw channels row, classified: quarantine_reason is null when the
    row can be used, else the first rule it breaks (macro
    channels_quarantine_reason). stg_platform__channels keeps the usable
    rows, stg_platform__channels_quarantined the others.
#}

with

source as (

    select * from {{ source('platform', 'channels') }}

),

classified as (

    select
        -- every raw column as delivered (the quarantine relations keep them as raw_values)
        source.*,
        {{ channels_quarantine_reason('source') }} as quarantine_reason
    from source

)

select * from classified  -- noqa: AM04
