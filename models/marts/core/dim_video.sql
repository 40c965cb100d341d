{#
    One row per live video, in its current state. Read from staging, not from
    videos_snapshot: the current state is what the platform holds now, and
    dim_video keeps no history (facts join it on video_id alone).
#}

with

videos as (

    select * from {{ ref('stg_platform__videos') }}

),

final as (

    select
        {{ surrogate_key(['video_id']) }} as video_key,
        video_id,
        channel_id,
        youtube_video_id,
        title,
        duration_seconds,
        content_type,
        video_category,
        generation_method,
        status,
        published_at,
        created_at
    from videos
    where not is_deleted

)

select * from final
