with

base as (

    select * from {{ ref('base_platform__channels') }}

),

renamed as (

    select
        cast(channel_id as varchar(50)) as channel_id,
        user_id,
        channel_name,
        channel_handle,
        niche,
        sub_niche,
        monetization_status,
        status,
        created_at,
        updated_at
    from base
    -- rows that cannot be used are listed by stg_platform__channels_quarantined instead
    where quarantine_reason is null

)

select * from renamed
