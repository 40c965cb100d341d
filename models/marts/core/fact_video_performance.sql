{#
    One row per (video, captured_at) poll, keyed to the dimension versions valid
    at captured_at. Incremental: loads every deltaed poll whose values changed
    since the watermark (changed_at) and replaces those keys (delete+insert,
    which stays correct on a TimescaleDB hypertable). Polls of soft-deleted
    videos are left out: a pre-hook deletes the rows of videos deleted since
    the watermark, and all polls of a restored video are loaded again
    (int_video_deletions_detected). Its (channel_id, captured_at) index of
    earlier versions, which nothing read, is dropped by a pre-hook.
#}
{{
    config(
        materialized='incremental',
        unique_key=['video_id', 'captured_at'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        pre_hook=[
            "{{ delete_rows_of_deleted_videos('changed_at') }}",
            "{{ drop_index_on(this, ['channel_id', 'captured_at']) }}",
        ],
        meta={
            'timescaledb': {
                'time_column': 'captured_at',
                'chunk_interval': interval_var('performance_chunk_interval', '1 day'),
                'compression': {'segmentby': ['channel_id'], 'orderby': 'captured_at desc', 'after': '7 days'},
                'retention': {'drop_after': '90 days'},
            },
        },
        indexes=[
            {'columns': ['video_id', 'captured_at'], 'unique': true},
            {'columns': ['changed_at']},
        ],
    )
}}

-- Runs after int_dimension_changes, which re-points this fact's rows of late dimension changes.
-- depends_on: {{ ref('int_dimension_changes') }}

{% set deletions = video_deletion_changes('changed_at') %}

with

deltaed as (

    select * from {{ ref('int_video_metrics_deltaed') }}
    {% if is_incremental() %}
    where
        changed_at >= {{ incremental_watermark('changed_at') }}
        {% if deletions['restored'] %}
        or {{ video_id_in('video_id', deletions['restored']) }}
        {% endif %}
    {% endif %}

),

videos as (

    select * from {{ ref('dim_video') }}

),

channels as (

    select * from {{ ref('dim_channel') }}

),

users as (

    select * from {{ ref('dim_user') }}

),

joined as (

    select
        videos.video_key,
        channels.channel_key,
        users.user_key,
        {{ utc_date_key('deltaed.captured_at') }} as date_key,
        deltaed.video_id,
        videos.channel_id,
        deltaed.captured_at,
        deltaed.views,
        deltaed.likes,
        deltaed.dislikes,
        deltaed.comments,
        deltaed.shares,
        deltaed.watch_time_minutes,
        deltaed.impressions,
        deltaed.subscribers_gained,
        deltaed.subscribers_lost,
        deltaed.estimated_revenue_cents,
        deltaed.average_view_duration_seconds,
        deltaed.click_through_rate,
        deltaed.views_delta,
        deltaed.likes_delta,
        deltaed.dislikes_delta,
        deltaed.comments_delta,
        deltaed.shares_delta,
        deltaed.watch_time_minutes_delta,
        deltaed.impressions_delta,
        deltaed.subscribers_gained_delta,
        deltaed.subscribers_lost_delta,
        deltaed.estimated_revenue_cents_delta,
        {{ engagement_rate('deltaed.likes', 'deltaed.comments', 'deltaed.shares', 'deltaed.views') }}
            as engagement_rate,
        deltaed.is_correction,
        deltaed.ingested_at,
        deltaed.changed_at
    from deltaed
    inner join videos
        on deltaed.video_id = videos.video_id
    left join channels
        on
            videos.channel_id = channels.channel_id
            and {{ valid_at('channels', 'deltaed.captured_at') }}
    left join users
        on
            channels.user_id = users.user_id
            and {{ valid_at('users', 'deltaed.captured_at') }}

)

select * from joined
