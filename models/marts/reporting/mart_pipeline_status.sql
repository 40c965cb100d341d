{#
    One row: the video generation pipeline over the 24 hours before as_of,
    (as_of - 24 h, as_of].

    - queued / processing: jobs in that state at as_of, whenever queued.
    - completed / failed / cancelled: jobs queued in the window that were in
      that state at as_of.
    - A job's state at as_of is its status when the row was last updated at
      or before as_of (the normal case); for a row updated after as_of it is
      rebuilt from its timestamps: finished (completed_at at or before as_of)
      keeps its final status, else started -> 'processing', else 'queued'.
      Jobs queued after as_of do not exist yet.
    - avg_completion_minutes: queued_at -> completed_at of the completed jobs.
    - failure_rate = failed / (completed + failed), a fraction; NULL when no
      job completed or failed.
    - health: 'degraded' when failed >= 5 or failure_rate > 10 %, else
      'healthy' (compared exactly, on the counts: failed * 10 > completed + failed).
#}

{% set window_start_at %}({{ as_of() }} - interval '24 hours'){% endset %}

with

jobs as (

    select * from {{ ref('fact_generation_jobs') }}

),

jobs_at_as_of as (

    select
        job_id,
        queued_at,
        completion_minutes,
        case
            when coalesce(updated_at, completed_at, started_at, queued_at) <= {{ as_of() }} then status
            when is_finished and completed_at <= {{ as_of() }} then status
            when started_at <= {{ as_of() }} then 'processing'
            else 'queued'
        end as status_at_as_of,
        queued_at > {{ window_start_at }} as is_queued_in_window
    from jobs
    where queued_at <= {{ as_of() }}

),

counted as (

    select
        count(*) filter (where status_at_as_of = 'queued') as queued,
        count(*) filter (where status_at_as_of = 'processing') as processing,
        count(*) filter (where is_queued_in_window and status_at_as_of = 'completed') as completed,
        count(*) filter (where is_queued_in_window and status_at_as_of = 'failed') as failed,
        count(*) filter (where is_queued_in_window and status_at_as_of = 'cancelled') as cancelled,
        count(*) filter (where is_queued_in_window) as jobs_queued_in_window,
        avg(completion_minutes) filter (
            where is_queued_in_window and status_at_as_of = 'completed'
        ) as avg_completion_minutes
    from jobs_at_as_of

),

final as (

    select
        {{ as_of() }} as as_of,
        cast(queued as integer) as queued,
        cast(processing as integer) as processing,
        cast(completed as integer) as completed,
        cast(failed as integer) as failed,
        round(avg_completion_minutes, 2) as avg_completion_minutes,
        case
            when completed + failed = 0 then null
            else round(cast(failed as numeric) / (completed + failed), 4)
        end as failure_rate,
        case
            when failed >= 5 or failed * 10 > completed + failed then 'degraded'
            else 'healthy'
        end as health,
        cast(cancelled as integer) as cancelled,
        cast(jobs_queued_in_window as integer) as jobs_queued_in_window,
        {{ window_start_at }} as window_start_at
    from counted

)

select * from final
