{#
    SCD2 versions from a dbt snapshot, tiling time without gaps or overlaps.
    Emits the CTEs `ordered`, `started`, `bounded`, `kept` and `tiled` (each
    followed by a comma) over `rows_cte`, which must have `id_column`,
    created_at, dbt_scd_id, dbt_valid_from, dbt_valid_to and is_deleted; `tiled`
    adds valid_from and valid_to (null for the last version). dim_user and
    dim_channel use it; _core__models.yml describes the rules.
#}
{% macro scd2_version_ctes(rows_cte, id_column) %}
ordered as (

    -- the order in which dbt wrote the versions: the open row last, closed rows by
    -- the later of their two bounds (robust to a restore carrying a stale
    -- updated_at), a version before the deletion marker that closed it
    select
        *,
        row_number() over (
            partition by {{ id_column }}
            order by
                dbt_valid_to is null,
                greatest(dbt_valid_from, dbt_valid_to),
                is_deleted,
                dbt_valid_from,
                dbt_scd_id
        ) as version_number
    from {{ rows_cte }}

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
                    partition by {{ id_column }}
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
        lead(valid_from) over (partition by {{ id_column }} order by version_number) as next_valid_from
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
        lead(valid_from) over (partition by {{ id_column }} order by version_number) as valid_to
    from kept

),
{% endmacro %}
