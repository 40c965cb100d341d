with

source as (

    select * from {{ source('platform', 'generation_jobs') }}

),

renamed as (

    select
        job_id,
        cast(video_id as varchar(50)) as video_id,
        cast(channel_id as varchar(50)) as channel_id,
        status,
        queued_at,
        started_at,
        completed_at,
        retry_count,
        error_message,
        updated_at,
        extract(epoch from completed_at - queued_at) / 60.0 as completion_minutes
    from source
    where job_id is not null

)

select * from renamed
