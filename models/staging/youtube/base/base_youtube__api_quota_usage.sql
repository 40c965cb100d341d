{#
    Every raw api_quota_usage call, classified: quarantine_reason is null
    when the call can be used, else the first rule it breaks (macro
    api_quota_usage_quarantine_reason). stg_youtube__api_quota_usage keeps
    the usable calls, stg_youtube__api_quota_usage_quarantined the others.
#}

with

source as (

    select * from {{ source('youtube', 'api_quota_usage') }}

),

classified as (

    select
        -- every raw column as delivered (the quarantine relations keep them as raw_values)
        source.*,
        {{ api_quota_usage_quarantine_reason('source') }} as quarantine_reason
    from source

)

select * from classified  -- noqa: AM04
