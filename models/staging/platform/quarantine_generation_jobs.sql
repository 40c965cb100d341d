{#
    Raw generation_jobs rows that cannot be used, each with its reason (macro
    generation_jobs_quarantine_reason) and its raw values.
#}

with

source as (

    select * from {{ source('platform', 'generation_jobs') }}

),

classified as (

    select
        *,
        {{ generation_jobs_quarantine_reason('source') }} as reason,
        to_jsonb(source) as raw_values
    from source

),

final as (

    select
        {{ quarantine_columns('generation_jobs', 'job_id', 'updated_at') }}
    from classified
    where reason is not null

)

select * from final
