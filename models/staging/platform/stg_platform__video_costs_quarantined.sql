{#
    Raw video_costs rows that cannot be used, each with its reason and its raw
    values: the rows base_platform__video_costs classifies as quarantined (the reason
    codes are in docs/data_quality.md). Named by the staging convention: the
    other half of the split whose usable half is stg_platform__video_costs.
    Re-deliveries of a cost_id are not here: they are superseded, not unusable.
#}

with

base as (

    select * from {{ ref('base_platform__video_costs') }}

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
        {{ quarantine_columns('video_costs', 'cost_id', 'ingested_at') }}
    from classified

)

select * from final
