{#
    One row per YouTube API call, with the Pacific-time quota day Google counts
    its units against (quota_date, derived in staging) and the UTC date_key.
    Calls are never updated; this stays a plain table until its size asks for
    an incremental load.
#}

with

calls as (

    select * from {{ ref('stg_youtube__api_quota_usage') }}

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
