{#
    Cost line items that can be used, one per cost_id. Rows that cannot be
    used (base_platform__video_costs classifies them: null cost_id, a missing
    amount or timestamp, an unknown video, an unknown cost_category) are left
    out before deduplicating and listed by stg_platform__video_costs_quarantined.

    An incremental table, not a view (like int_video_metrics_deltaed): a
    view would re-sort every cost line item on each refresh. A batch is every
    delivery from the watermark on (ingested_at, indexed); a later delivery of
    a cost_id in the batch is in the batch too, so the batch's latest delivery
    replaces the stored one (delete+insert on cost_id).
#}
{{
    config(
        materialized='incremental',
        unique_key=['cost_id'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['cost_id'], 'unique': true},
            {'columns': ['ingested_at']},
        ],
    )
}}

with

classified as (

    select * from {{ ref('base_platform__video_costs') }}
    {% if is_incremental() %}
    where ingested_at >= {{ incremental_watermark('ingested_at') }}
    {% endif %}

),

usable as (

    select * from classified
    where quarantine_reason is null

),

-- At-least-once delivery: one row per cost_id, the latest ingested_at wins.
deduplicated as (

    select distinct on (cost_id) *
    from usable
    order by cost_id asc, ingested_at desc

),

renamed as (

    select
        cost_id,
        cast(video_id as varchar(50)) as video_id,
        cast(channel_id as varchar(50)) as channel_id,
        cost_category,
        cost_subcategory,
        quantity,
        unit,
        total_cost_cents,
        incurred_at,
        ingested_at
    from deduplicated

)

select * from renamed
