{#
    Daily revenue per video that can be used, latest restatement only. Rows
    that cannot be used (base_youtube__video_revenue classifies them: a null
    key or reported_at, an unknown video) are left out before picking the
    latest report and listed by stg_youtube__video_revenue_quarantined.

    An incremental table, not a view (like int_video_metrics_deltaed): the
    latest report per key would otherwise be re-sorted over every report on
    each refresh. A batch is every report from the watermark on (reported_at,
    indexed); a later report of a key in the batch is in the batch too, so
    the batch's latest report replaces the stored one (delete+insert on the
    key).
#}
{{
    config(
        materialized='incremental',
        unique_key=['video_id', 'revenue_date'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['video_id', 'revenue_date'], 'unique': true},
            {'columns': ['reported_at']},
        ],
    )
}}

with

classified as (

    select * from {{ ref('base_youtube__video_revenue') }}
    {% if is_incremental() %}
    where reported_at >= {{ incremental_watermark('reported_at') }}
    {% endif %}

),

usable as (

    select * from classified
    where quarantine_reason is null

),

-- Revenue is restated as reports settle: for (video_id, revenue_date) the
-- latest reported_at wins.
latest_report as (

    select distinct on (video_id, revenue_date) *
    from usable
    order by video_id asc, revenue_date asc, reported_at desc

),

renamed as (

    select
        cast(video_id as varchar(50)) as video_id,
        cast(channel_id as varchar(50)) as channel_id,
        revenue_date,
        coalesce(ad_revenue_cents, 0) as ad_revenue_cents,
        coalesce(sponsorship_revenue_cents, 0) as sponsorship_revenue_cents,
        coalesce(affiliate_revenue_cents, 0) as affiliate_revenue_cents,
        coalesce(membership_revenue_cents, 0) as membership_revenue_cents,
        coalesce(super_chat_revenue_cents, 0) as super_chat_revenue_cents,
        coalesce(ad_revenue_cents, 0)
        + coalesce(sponsorship_revenue_cents, 0)
        + coalesce(affiliate_revenue_cents, 0)
        + coalesce(membership_revenue_cents, 0)
        + coalesce(super_chat_revenue_cents, 0) as total_revenue_cents,
        reported_at
    from latest_report

)

select * from renamed
