{#
    Raw video_revenue rows that cannot be used, each with its reason and its raw
    values: the rows base_youtube__video_revenue classifies as quarantined (the reason
    codes are in docs/data_quality.md). Named by the staging convention: the
    other half of the split whose usable half is stg_youtube__video_revenue.
    Restatements are not here: they are superseded, not unusable
    (int_raw_rows_accounted counts them).
#}

with

base as (

    select * from {{ ref('base_youtube__video_revenue') }}

),

classified as (

    select
        *,
        quarantine_reason as reason,
        to_jsonb(base) - 'quarantine_reason' as raw_values
    from base
    where quarantine_reason is not null

),

final as (

    select
        {{ quarantine_columns('video_revenue', "concat_ws(' ', video_id, revenue_date)", 'reported_at') }}
    from classified

)

select * from final
