{#
    Raw users rows that cannot be used, each with its reason and its raw
    values less the e-mail: the rows base_platform__users classifies as
    quarantined (the reason codes are in docs/data_quality.md). Named by the
    staging convention: the other half of the split whose usable half is
    stg_platform__users.
#}

with

base as (

    select * from {{ ref('base_platform__users') }}

),

final as (

    {{ quarantined_rows('base', 'users', 'user_id', 'updated_at', personal=['email']) }}

)

select * from final
