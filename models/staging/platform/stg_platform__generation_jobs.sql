with

base as (

    select * from {{ ref('base_platform__generation_jobs') }}

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
    from base
    -- rows that cannot be used are listed by stg_platform__generation_jobs_quarantined instead
    where quarantine_reason is null

)

select * from renamed
