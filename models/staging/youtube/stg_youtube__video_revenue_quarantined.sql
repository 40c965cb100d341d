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

final as (

    {{ quarantined_rows('base', 'video_revenue', "concat_ws(' ', video_id, revenue_date)", 'reported_at') }}

)

select * from final
