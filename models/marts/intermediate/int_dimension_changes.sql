{#
    The log of every change to the versions of dim_channel, dim_user and
    dim_video, and the step that makes the facts agree with it.

    Each run compares the dimensions' versions with the state this log
    recorded last (the newest row per version_key) and appends one row per
    version that is new, that changed its valid_to, or that disappeared,
    with the time range whose events may now belong to another version
    (affected_from, affected_to):
    - a new version: its whole range, [valid_from, valid_to);
    - a version whose end moved: between the old end and the new one;
    - a version that disappeared: its whole recorded range.
    A change recorded on time (a rename snapshotted the refresh after it
    happened) affects only the events after it, usually none; a change
    recorded late (its updated_at hours or days in the past) affects the
    events loaded since it took effect.

    The post-hook re-points those events in the same transaction: the rows
    of fact_video_performance, fact_costs, fact_revenue and fact_channel_daily
    of each affected channel (a user's change affects all the channels the
    user ever owned) inside the affected range get the channel_key and
    user_key valid at their event's time, and the cost lines and revenue days
    of a video that appeared in or left dim_video (a new, deleted, restored
    or quarantined video) get its video_key, or none (macro
    repoint_dimension_keys). The
    facts run after this model (each declares the dependency), so their own
    incremental loads and everything downstream see the re-pointed keys; a
    crash before the commit loses both the log rows and the updates, and the
    next run finds the same changes again.

    A full build records every version as the baseline, with no affected
    range: the facts are built from the same dimensions.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['dimension', 'version_key', 'changed_at']},
        ],
        post_hook="{{ repoint_dimension_keys() }}",
    )
}}

with

channels as (

    select * from {{ ref('dim_channel') }}

),

users as (

    select * from {{ ref('dim_user') }}

),

videos as (

    select * from {{ ref('dim_video') }}

),

versions as (

    select
        cast('channel' as text) as dimension,
        cast(channel_id as text) as entity_id,
        channel_key as version_key,
        valid_from,
        valid_to
    from channels
    union all
    select
        cast('user' as text) as dimension,
        cast(user_id as text) as entity_id,
        user_key as version_key,
        valid_from,
        valid_to
    from users
    union all
    -- dim_video keeps no history: a video's one version lasts forever, and it
    -- disappears while the video is deleted (or its row quarantined)
    select
        cast('video' as text) as dimension,
        cast(video_id as text) as entity_id,
        video_key as version_key,
        cast('-infinity' as timestamptz) as valid_from,
        cast(null as timestamptz) as valid_to
    from videos

),

{% if is_incremental() %}

recorded as (

    select distinct on (dimension, version_key)
        dimension,
        entity_id,
        version_key,
        valid_from,
        valid_to,
        is_gone
    from {{ this }}
    order by dimension, version_key, changed_at desc

),

appeared_or_moved as (

    select
        versions.dimension,
        versions.entity_id,
        versions.version_key,
        versions.valid_from,
        versions.valid_to,
        false as is_gone,
        case
            when recorded.version_key is null or recorded.is_gone then versions.valid_from
            else least(
                coalesce(recorded.valid_to, cast('infinity' as timestamptz)),
                coalesce(versions.valid_to, cast('infinity' as timestamptz))
            )
        end as affected_from,
        case
            when recorded.version_key is null or recorded.is_gone
                then coalesce(versions.valid_to, cast('infinity' as timestamptz))
            else greatest(
                coalesce(recorded.valid_to, cast('infinity' as timestamptz)),
                coalesce(versions.valid_to, cast('infinity' as timestamptz))
            )
        end as affected_to
    from versions
    left join recorded
        on
            versions.dimension = recorded.dimension
            and versions.version_key = recorded.version_key
    where
        recorded.version_key is null
        or recorded.is_gone
        or recorded.valid_to is distinct from versions.valid_to

),

disappeared as (

    select
        recorded.dimension,
        recorded.entity_id,
        recorded.version_key,
        recorded.valid_from,
        recorded.valid_to,
        true as is_gone,
        recorded.valid_from as affected_from,
        coalesce(recorded.valid_to, cast('infinity' as timestamptz)) as affected_to
    from recorded
    left join versions
        on
            recorded.dimension = versions.dimension
            and recorded.version_key = versions.version_key
    where versions.version_key is null and not recorded.is_gone

),

changes as (

    select * from appeared_or_moved
    union all
    select * from disappeared

),

{% else %}

changes as (

    select
        dimension,
        entity_id,
        version_key,
        valid_from,
        valid_to,
        false as is_gone,
        cast(null as timestamptz) as affected_from,
        cast(null as timestamptz) as affected_to
    from versions

),

{% endif %}

final as (

    select
        dimension,
        entity_id,
        version_key,
        valid_from,
        valid_to,
        is_gone,
        affected_from,
        affected_to,
        -- the run's transaction start: the post-hook finds this run's rows by it
        now() as changed_at
    from changes

)

select * from final
