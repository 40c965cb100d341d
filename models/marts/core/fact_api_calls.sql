{#
    One row per YouTube API call, with the Pacific-time quota day Google counts
    its units against (quota_date, derived in staging) and the UTC date_key.
    Calls are written once, when they are made: incremental by called_at
    (indexed in raw), a call seen again within the lookback replaces itself
    (delete+insert on call_id).
#}
{{
    config(
        materialized='incremental',
        unique_key=['call_id'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['call_id'], 'unique': true},
            {'columns': ['called_at']},
            {'columns': ['quota_date']},
        ],
    )
}}

with

calls as (

    select * from {{ ref('stg_youtube__api_quota_usage') }}
    {% if is_incremental() %}
    where called_at >= {{ incremental_watermark('called_at') }}
    {% endif %}

),

final as (

    select
        call_id,
        api_account,
        api_name,
        endpoint,
        quota_date,
        {{ utc_date_key('called_at') }} as date_key,
        quota_units,
        status_code,
        is_error,
        called_at
    from calls

)

select * from final
