{#
    One row per video generation job, its current state as the platform last
    wrote it (jobs are updated in place, so this is a plain table rebuilt on
    every run, not an incremental load). The reporting marts read the pipeline
    through this model, never through staging.
#}

with

jobs as (

    select * from {{ ref('stg_platform__generation_jobs') }}

),

final as (

    select
        job_id,
        video_id,
        channel_id,
        {{ utc_date_key('queued_at') }} as date_key,
        status,
        status in ('completed', 'failed', 'cancelled') as is_finished,
        queued_at,
        started_at,
        completed_at,
        updated_at,
        retry_count,
        error_message,
        completion_minutes
    from jobs

)

select * from final
