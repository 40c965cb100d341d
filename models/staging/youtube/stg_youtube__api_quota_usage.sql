with

source as (

    select * from {{ source('youtube', 'api_quota_usage') }}

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
    from source
    where call_id is not null

)

select * from renamed
