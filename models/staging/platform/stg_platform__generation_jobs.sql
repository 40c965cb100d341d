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
    -- rows that cannot be used are listed by quarantine_generation_jobs instead
    where {{ generation_jobs_quarantine_reason('source') }} is null

)

select * from renamed
