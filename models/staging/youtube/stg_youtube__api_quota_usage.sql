with

base as (

    select * from {{ ref('base_youtube__api_quota_usage') }}

),

renamed as (

    select
        call_id,
        api_account,
        api_name,
        endpoint,
        quota_units,
        status_code,
        status_code >= 400 as is_error,
        called_at,
        -- Google counts quota per Pacific-time day.
        cast((called_at at time zone 'America/Los_Angeles') as date) as quota_date
    from base
    where quarantine_reason is null

)

select * from renamed
