{#
    Raw api_quota_usage calls that cannot be used, each with its reason and
    its raw values: the rows base_youtube__api_quota_usage classifies as
    quarantined (the reason codes are in docs/data_quality.md). Named by the
    staging convention: the other half of the split whose usable half is
    stg_youtube__api_quota_usage.
#}

with

base as (

    select * from {{ ref('base_youtube__api_quota_usage') }}

),

final as (

    {{ quarantined_rows('base', 'api_quota_usage', 'call_id', 'called_at') }}

)

select * from final
