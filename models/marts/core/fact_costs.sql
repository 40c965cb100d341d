{#
    One row per cost line item (cost_id), keyed to the dimension versions valid
    at incurred_at. video_key is null for costs that belong to no single video;
    the channel comes from the cost row, else from its video. Incremental by
    ingested_at; a re-delivered cost_id replaces the earlier delivery.
#}
{{
    config(
        materialized='incremental',
        unique_key=['cost_id'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        meta={
            'timescaledb': {
                'time_column': 'incurred_at',
                'chunk_interval': '7 days',
                'compression': {'segmentby': ['channel_id'], 'orderby': 'incurred_at desc', 'after': '7 days'},
            },
        },
        indexes=[
            {'columns': ['cost_id', 'incurred_at'], 'unique': true},
            {'columns': ['ingested_at']},
            {'columns': ['video_id']},
        ],
    )
}}

-- Runs after int_dimension_changes, which re-points this fact's rows of late dimension changes.
-- depends_on: {{ ref('int_dimension_changes') }}

with

costs as (

    select * from {{ ref('stg_platform__video_costs') }}
    {% if is_incremental() %}
    where ingested_at >= {{ incremental_watermark('ingested_at') }}
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
        {{ utc_date_key('costs.incurred_at') }} as date_key,
        costs.cost_id,
        costs.video_id,
        coalesce(costs.channel_id, video_channels.channel_id) as channel_id,
        costs.cost_category,
        costs.cost_subcategory,
        costs.quantity,
        costs.unit,
        costs.total_cost_cents,
        costs.incurred_at,
        costs.ingested_at
    from costs
    left join videos
        on costs.video_id = videos.video_id
    left join video_channels
        on costs.video_id = video_channels.video_id
    left join channels
        on
            coalesce(costs.channel_id, video_channels.channel_id) = channels.channel_id
            and {{ valid_at('channels', 'costs.incurred_at') }}
    left join users
        on
            channels.user_id = users.user_id
            and {{ valid_at('users', 'costs.incurred_at') }}

)

select * from joined
