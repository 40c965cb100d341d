with

source as (

    select * from {{ source('platform', 'channels') }}

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
    from source
    -- rows that cannot be used are listed by quarantine_channels instead
    where {{ channels_quarantine_reason('source') }} is null

)

select * from renamed
