{#
    One row per (video, revenue_date), the latest restatement only, keyed to
    the dimension versions valid at the end of revenue_date (UTC).
    Incremental by reported_at; a restatement replaces the earlier report.
#}
{{
    config(
        materialized='incremental',
        unique_key=['video_id', 'revenue_date'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['video_id', 'revenue_date'], 'unique': true},
            {'columns': ['reported_at']},
            {'columns': ['channel_id', 'revenue_date']},
            {'columns': ['revenue_date']},
        ],
    )
}}

-- Runs after int_dimension_changes, which re-points this fact's rows of late dimension changes.
-- depends_on: {{ ref('int_dimension_changes') }}

with

revenue as (

    select
        *,
        {{ utc_day_end('revenue_date') }} as revenue_day_ends_at
    from {{ ref('stg_youtube__video_revenue') }}
    {% if is_incremental() %}
    where reported_at >= {{ incremental_watermark('reported_at') }}
    {% endif %}

),

videos as (

    select * from {{ ref('dim_video') }}

),

-- the channel of every staged video, soft-deleted ones included: a deletion
-- takes the video out of dim_video (video_key null) but not the money out of
-- its channel
video_channels as (

    select
        video_id,
        channel_id
    from {{ ref('stg_platform__videos') }}

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
        {{ date_key('revenue.revenue_date') }} as date_key,
        revenue.video_id,
        coalesce(revenue.channel_id, video_channels.channel_id) as channel_id,
        revenue.revenue_date,
        revenue.ad_revenue_cents,
        revenue.sponsorship_revenue_cents,
        revenue.affiliate_revenue_cents,
        revenue.membership_revenue_cents,
        revenue.super_chat_revenue_cents,
        revenue.total_revenue_cents,
        revenue.reported_at
    from revenue
    left join videos
        on revenue.video_id = videos.video_id
    left join video_channels
        on revenue.video_id = video_channels.video_id
    left join channels
        on
            coalesce(revenue.channel_id, video_channels.channel_id) = channels.channel_id
            and {{ valid_at('channels', 'revenue.revenue_day_ends_at') }}
    left join users
        on
            channels.user_id = users.user_id
            and {{ valid_at('users', 'revenue.revenue_day_ends_at') }}

)

select * from joined
