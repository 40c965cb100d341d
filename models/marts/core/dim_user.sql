{#
    One row per version of a user (SCD2), from users_snapshot. Snapshot rows
    become versions through the macro scd2_version_ctes (rules in
    _core__models.yml).
#}

with

users_snapshot as (

    select * from {{ ref('users_snapshot') }}

),

snapshot_rows as (

    select
        user_id,
        subscription_tier,
        target_monthly_revenue_usd,
        is_active,
        created_at,
        dbt_scd_id,
        dbt_valid_from,
        dbt_valid_to,
        coalesce(dbt_is_deleted = 'True', false) as is_deleted
    from users_snapshot

),

{{ scd2_version_ctes('snapshot_rows', 'user_id') }}

final as (

    select
        {{ surrogate_key(['user_id', 'extract(epoch from valid_from)']) }} as user_key,
        user_id,
        subscription_tier,
        target_monthly_revenue_usd,
        is_active,
        created_at,
        valid_from,
        valid_to,
        valid_to is null and not is_deleted as is_current,
        is_deleted
    from tiled

)

select * from final
