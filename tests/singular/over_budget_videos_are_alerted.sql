{#
    Error: every video at or above the critical budget (var
    cost_critical_cents) that incurred a cost line in the 7 UTC days up to
    as_of has an open CriticalVideoCost alert in mart_alerts, and no other
    video has one. The alert is how the budget rule reaches people; a missing
    or stray alert is a bug.
#}

{% set window_start_at %}(cast({{ as_of_date() }} - 6 as timestamp) at time zone 'UTC'){% endset %}

with

video_economics as (

    select * from {{ ref('mart_video_economics') }}

),

alerts as (

    select * from {{ ref('mart_alerts') }}

),

over_budget as (

    select video_id
    from video_economics
    where
        total_cost_cents >= {{ non_negative_number_var('cost_critical_cents') }}
        and last_cost_incurred_at >= {{ window_start_at }}

),

alerted as (

    select entity_id as video_id
    from alerts
    where alert_type = 'CriticalVideoCost'

),

mismatched as (

    select
        coalesce(over_budget.video_id, alerted.video_id) as video_id,
        case
            when alerted.video_id is null then 'over budget but not alerted'
            else 'alerted but not over budget'
        end as problem
    from over_budget
    full outer join alerted
        on over_budget.video_id = alerted.video_id
    where over_budget.video_id is null or alerted.video_id is null

)

select * from mismatched
