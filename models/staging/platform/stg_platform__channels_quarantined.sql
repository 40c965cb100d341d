{#
    Raw channels rows that cannot be used, each with its reason and its raw
    values: the rows base_platform__channels classifies as quarantined (the reason
    codes are in docs/data_quality.md). Named by the staging convention: the
    other half of the split whose usable half is stg_platform__channels.
#}

with

base as (

    select * from {{ ref('base_platform__channels') }}

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
        {{ quarantine_columns('channels', 'channel_id', 'updated_at') }}
    from classified

)

select * from final
