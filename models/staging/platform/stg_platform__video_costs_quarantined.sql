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

final as (

    {{ quarantined_rows('base', 'video_costs', 'cost_id', 'ingested_at') }}

)

select * from final
