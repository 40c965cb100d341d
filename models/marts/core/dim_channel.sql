{#
    One row per version of a channel (SCD2), from channels_snapshot. The same
    logic as dim_user, line by line (keep the two in step); how snapshot rows
    become versions that tile time is described in _core__dims.yml.
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

ordered as (

    -- the order in which dbt wrote the versions: the open row last, closed rows by
    -- the later of their two bounds (robust to a restore carrying a stale
    -- updated_at), a version before the deletion marker that closed it
    select
        *,
        row_number() over (
            partition by channel_id
            order by
                dbt_valid_to is null,
                greatest(dbt_valid_from, dbt_valid_to),
                is_deleted,
                dbt_valid_from,
                dbt_scd_id
        ) as version_number
    from snapshot_rows

),

started as (

    -- the first version starts at created_at (or -infinity when unknown) so that
    -- events before the first snapshot still find it; later versions never start
    -- before an earlier one
    select
        *,
        case
            when version_number > 1
                then max(dbt_valid_from) over (
                    partition by channel_id
                    order by version_number
                    rows between unbounded preceding and current row
                )
            when created_at is null then cast('-infinity' as timestamptz)
            else least(dbt_valid_from, created_at)
        end as valid_from
    from ordered

),

bounded as (

    select
        *,
        lead(valid_from) over (partition by channel_id order by version_number) as next_valid_from
    from started

),

kept as (

    -- a version that the next one starts at the same instant lasts no time: drop it
    select *
    from bounded
    where next_valid_from is null or next_valid_from > valid_from

),

tiled as (

    select
        *,
        lead(valid_from) over (partition by channel_id order by version_number) as valid_to
    from kept

),

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
