{#
    One row per video whose soft deletion the warehouse has seen: `is_deleted`
    is the state last recorded, so a restored video stays here with false.
    A full load records every deleted video; an incremental run adds the
    videos deleted since and updates those deleted or restored since.

    The facts and aggregates of polls load by ingestion time and so never see
    a deletion on their own: the performance models read the rows whose
    `changed_at` is at or after their own watermark (macro
    video_deletion_changes) to drop a deleted video's rows or load a restored
    video's polls again, and fact_channel_daily recomputes the days between
    `first_captured_at` and `last_captured_at` of their channel.
    `changed_at` is the polls' ingestion high-water mark when the change was
    recorded: the clock those models' watermarks run on.
#}
{{
    config(
        materialized='incremental',
        unique_key=['video_id'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['video_id'], 'unique': true},
            {'columns': ['changed_at']},
        ],
    )
}}

with

videos as (

    select * from {{ ref('stg_platform__videos') }}

),

-- every usable poll, indexed by (video_id, captured_at) and by changed_at
polls as not materialized (

    select * from {{ ref('int_video_metrics_deltaed') }}

),

{% if is_incremental() %}

recorded as (

    select * from {{ this }}

),

changed as (

    select
        videos.video_id,
        videos.channel_id,
        videos.is_deleted
    from videos
    left join recorded
        on videos.video_id = recorded.video_id
    where videos.is_deleted is distinct from coalesce(recorded.is_deleted, false)

),

{% else %}

changed as (

    select
        video_id,
        channel_id,
        is_deleted
    from videos
    where is_deleted

),

{% endif %}

-- the polls' ingestion high-water mark: each poll's changed_at is its own
-- or its previous poll's ingested_at, the later of the two, so the largest
-- changed_at is the largest ingested_at (and changed_at is indexed)
high_water as (

    select coalesce(max(changed_at), cast('-infinity' as timestamptz)) as changed_at
    from polls

),

final as (

    select
        changed.video_id,
        changed.channel_id,
        changed.is_deleted,
        poll_range.first_captured_at,
        poll_range.last_captured_at,
        high_water.changed_at
    from changed
    cross join high_water
    cross join lateral (
        select
            min(polls.captured_at) as first_captured_at,
            max(polls.captured_at) as last_captured_at
        from polls
        where polls.video_id = changed.video_id
    ) as poll_range

)

select * from final
