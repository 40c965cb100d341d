with

base as (

    select * from {{ ref('base_platform__users') }}

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
    from base
    where quarantine_reason is null

)

select * from renamed
