with

users as (

    select * from {{ ref('stg_platform__users') }}

),

depersonalised as (

    -- every column of stg_platform__users except email: personal data stops at staging
    select
        user_id,
        subscription_tier,
        target_monthly_revenue_usd,
        is_active,
        created_at,
        updated_at
    from users

)

select * from depersonalised
