{#
    Every raw users row, classified: quarantine_reason is null when the row
    can be used, else the first rule it breaks (macro
    users_quarantine_reason). stg_platform__users keeps the usable rows,
    stg_platform__users_quarantined the others (without the e-mail).
#}

with

source as (

    select * from {{ source('platform', 'users') }}

),

classified as (

    select
        -- every raw column as delivered (the quarantine relations keep them as raw_values)
        source.*,
        {{ users_quarantine_reason('source') }} as quarantine_reason
    from source

)

select * from classified  -- noqa: AM04
