with

base as (

    select * from {{ ref('base_platform__videos') }}

),

renamed as (

    select
        cast(video_id as varchar(50)) as video_id,
        youtube_video_id,
        cast(channel_id as varchar(50)) as channel_id,
        title,
        description,
        tags,
        duration_seconds,
        {{ content_type('duration_seconds') }} as content_type,
        video_category,
        generation_method,
        status,
        published_at,
        created_at,
        updated_at,
        deleted_at,
        deleted_at is not null as is_deleted
    from base
    -- rows that cannot be used are listed by stg_platform__videos_quarantined instead
    where quarantine_reason is null

)

select * from renamed
