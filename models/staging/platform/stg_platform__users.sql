with

source as (

    select * from {{ source('platform', 'users') }}

),

renamed as (

    select
        user_id,
        email,
        subscription_tier,
        cast(target_monthly_revenue_usd as numeric(12, 2)) as target_monthly_revenue_usd,
        is_active,
        created_at,
        updated_at
    from source
    where user_id is not null

)

select * from renamed
