{#
    The versions of each user in dim_user and of each channel in dim_channel
    tile time: ordered by valid_from, each version's valid_to is the next
    version's valid_from (no gap, no overlap), only the last version is open
    (valid_to null), no interval is empty or inverted, the first version starts
    no later than the entity's created_at (at -infinity when created_at is
    unknown), and is_current marks exactly the open version of an entity that
    is not deleted. Returns one row per broken version.
#}

with

dim_user as (

    select * from {{ ref('dim_user') }}

),

dim_channel as (

    select * from {{ ref('dim_channel') }}

),

versions as (

    select
        'dim_user' as dimension,
        cast(user_id as text) as entity_id,
        created_at,
        valid_from,
        valid_to,
        is_current,
        is_deleted
    from dim_user

    union all

    select
        'dim_channel' as dimension,
        channel_id as entity_id,
        created_at,
        valid_from,
        valid_to,
        is_current,
        is_deleted
    from dim_channel

),

sequenced as (

    select
        *,
        lead(valid_from) over entity_versions as next_valid_from,
        row_number() over entity_versions as version_number,
        count(*) over (partition by dimension, entity_id) as version_count
    from versions
    window entity_versions as (partition by dimension, entity_id order by valid_from)

),

checked as (

    select
        dimension,
        entity_id,
        version_number,
        valid_from,
        valid_to,
        next_valid_from,
        is_current,
        is_deleted,
        case
            when valid_from is null
                then 'valid_from is null'
            when valid_to <= valid_from
                then 'empty or inverted interval'
            when version_number < version_count and (valid_to is null or valid_to <> next_valid_from)
                then 'valid_to is not the valid_from of the next version'
            when version_number = version_count and valid_to is not null
                then 'the last version is not open-ended'
            when version_number = 1 and created_at is null and valid_from <> '-infinity'
                then 'first version without created_at does not start at -infinity'
            when version_number = 1 and valid_from > created_at
                then 'first version starts after created_at'
            when is_current is null or is_current <> (valid_to is null and not is_deleted)
                then 'is_current is not "open and not deleted"'
        end as problem
    from sequenced

),

broken as (

    select * from checked
    where problem is not null

)

select * from broken
