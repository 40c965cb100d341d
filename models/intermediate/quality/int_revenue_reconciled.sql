{#
    YouTube's estimated revenue (the polls) against the attributed ad revenue
    (the revenue reports), per UTC day, for the days of the last
    `dq_revenue_reconciliation_days` up to as_of's date.

    A video-day counts when both sides have it: polls captured that day and a
    revenue row for that revenue_date (a day not reported yet, or polls of a
    video that had none that day, are left out of both sides). The estimate of
    a video-day is the sum of its polls' estimated_revenue_cents_delta, i.e.
    the cumulative estimate at the day's last poll minus the previous day's
    last poll, which is what the platform attributes as that day's ad revenue.
    Read from the layers below the marts, so the reconciliation checks the
    sources, polls of soft-deleted videos included on both sides.
#}

{% set first_date %}({{ as_of_date() }} - {{ non_negative_number_var('dq_revenue_reconciliation_days', 7) }}){% endset %}

with

polls as (

    select * from {{ ref('int_video_metrics_deltaed') }}

),

revenue as (

    select * from {{ ref('stg_youtube__video_revenue') }}

),

estimated as (

    select
        video_id,
        cast(captured_at at time zone 'UTC' as date) as revenue_date,
        sum(estimated_revenue_cents_delta) as estimated_revenue_cents
    from polls
    where
        captured_at >= cast({{ first_date }} as timestamp) at time zone 'UTC'
        and captured_at <= {{ as_of() }}
    group by video_id, cast(captured_at at time zone 'UTC' as date)

),

attributed as (

    select
        video_id,
        revenue_date,
        ad_revenue_cents
    from revenue
    where revenue_date between {{ first_date }} and {{ as_of_date() }}

),

daily as (

    select
        attributed.revenue_date,
        count(*) as video_days,
        sum(estimated.estimated_revenue_cents) as estimated_revenue_cents,
        sum(attributed.ad_revenue_cents) as ad_revenue_cents
    from attributed
    inner join estimated
        on
            attributed.video_id = estimated.video_id
            and attributed.revenue_date = estimated.revenue_date
    group by attributed.revenue_date

),

final as (

    select
        revenue_date,
        cast(video_days as integer) as video_days,
        estimated_revenue_cents,
        ad_revenue_cents,
        ad_revenue_cents - estimated_revenue_cents as difference_cents,
        case
            when estimated_revenue_cents = 0 and ad_revenue_cents = 0 then 0
            when estimated_revenue_cents = 0 then null
            else round(abs(ad_revenue_cents - estimated_revenue_cents) / estimated_revenue_cents * 100, 4)
        end as deviation_pct
    from daily

)

select * from final
