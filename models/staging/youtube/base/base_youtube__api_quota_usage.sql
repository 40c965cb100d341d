{#
    Every raw api_quota_usage row, classified: quarantine_reason is null when
    the row can be used, else 'null_key' (no call_id). api_quota_usage has
    no quarantine relation: its primary key forbids the null key, so the
    rule never fires on data the contract allows.
#}

with

source as (

    select * from {{ source('youtube', 'api_quota_usage') }}

),

classified as (

    select
        -- every raw column as delivered (the quarantine relations keep them as raw_values)
        source.*,
        case when source.call_id is null then 'null_key' end as quarantine_reason
    from source

)

select * from classified  -- noqa: AM04
