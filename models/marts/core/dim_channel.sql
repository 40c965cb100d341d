{#
    One row per version of a channel (SCD2), from channels_snapshot. Snapshot
    rows become versions through the macro scd2_version_ctes (rules in
    _core__models.yml).
#}

with

channels_snapshot as (

    select * from {{ ref('channels_snapshot') }}

),

snapshot_rows as (

    select
        channel_id,
        user_id,
        channel_name,
        channel_handle,
        niche,
        sub_niche,
        monetization_status,
        status,
        created_at,
        dbt_scd_id,
        dbt_valid_from,
        dbt_valid_to,
        coalesce(dbt_is_deleted = 'True', false) as is_deleted
    from channels_snapshot

),

{{ scd2_version_ctes('snapshot_rows', 'channel_id') }}

final as (

    select
        {{ surrogate_key(['channel_id', 'extract(epoch from valid_from)']) }} as channel_key,
        channel_id,
        user_id,
        channel_name,
        channel_handle,
        niche,
        sub_niche,
        monetization_status,
        status,
        created_at,
        valid_from,
        valid_to,
        valid_to is null and not is_deleted as is_current,
        is_deleted
    from tiled

)

select * from final
