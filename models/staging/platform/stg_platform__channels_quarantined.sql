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

final as (

    {{ quarantined_rows('base', 'channels', 'channel_id', 'updated_at') }}

)

select * from final
