{#
    One row per open alert at as_of (the warehouse contract's six alert
    types). An alert is open while its condition holds at as_of; there is no
    acknowledgement state. metric_value and threshold share the unit in
    metric_unit.

    - CriticalVideoCost (critical): a video whose cost (mart_video_economics)
      is at or above var cost_critical_cents and that incurred a cost line in
      the 7-day window of the executive overview; a video that stopped
      incurring costs stops alerting after 7 days.
    - VideoCostWarning (warning): a video whose cost is at or above var
      cost_warning_cents and below var cost_critical_cents and that incurred a
      cost line in the same 7-day window, like CriticalVideoCost.
    - HighVideoCost (warning): the executive overview's 7-day average cost per
      video above var cost_warning_cents.
    - PipelineBacklog (warning): more than 100 jobs queued at as_of.
    - HighFailureRate (critical): the 24-hour failure_rate above 10 %.
    - YouTubeQuotaExhaustion (critical): an account with fewer than 1,000
      units left on as_of's Pacific quota day.
    - StaleMetrics: the newest video_metrics poll (captured_at at or before
      as_of) older than 60 minutes (critical) or 15 minutes (warning); no poll
      at all is critical with a NULL metric_value.
#}

{% set window_start_at %}(cast({{ as_of_date() }} - 6 as timestamp) at time zone 'UTC'){% endset %}
{% set backlog_threshold = 100 %}
{% set failure_rate_threshold = 0.10 %}
{% set quota_remaining_threshold = 1000 %}
{% set stale_warning_minutes = 15 %}
{% set stale_critical_minutes = 60 %}

with

video_economics as (

    select * from {{ ref('mart_video_economics') }}

),

executive_overview as (

    select * from {{ ref('mart_executive_overview') }}

),

pipeline_status as (

    select * from {{ ref('mart_pipeline_status') }}

),

api_quota as (

    select * from {{ ref('mart_api_quota') }}

),

performance as (

    select * from {{ ref('fact_video_performance') }}

),

critical_video_cost as (

    select
        'CriticalVideoCost' as alert_type,
        'critical' as severity,
        'video' as entity_type,
        video_id as entity_id,
        'Video ' || video_id || ' cost $' || cast(round(total_cost_cents / 100.0, 2) as text)
        || ', at or above the $'
        || cast(round({{ non_negative_number_var('cost_critical_cents') }} / 100.0, 2) as text) || ' budget' as message,
        round(total_cost_cents / 100.0, 4) as metric_value,
        round({{ non_negative_number_var('cost_critical_cents') }} / 100.0, 4) as threshold,
        'usd' as metric_unit
    from video_economics
    where
        total_cost_cents >= {{ non_negative_number_var('cost_critical_cents') }}
        and last_cost_incurred_at >= {{ window_start_at }}

),

video_cost_warning as (

    select
        'VideoCostWarning' as alert_type,
        'warning' as severity,
        'video' as entity_type,
        video_id as entity_id,
        'Video ' || video_id || ' cost $' || cast(round(total_cost_cents / 100.0, 2) as text)
        || ', at or above the $'
        || cast(round({{ non_negative_number_var('cost_warning_cents') }} / 100.0, 2) as text) || ' warning' as message,
        round(total_cost_cents / 100.0, 4) as metric_value,
        round({{ non_negative_number_var('cost_warning_cents') }} / 100.0, 4) as threshold,
        'usd' as metric_unit
    from video_economics
    where
        total_cost_cents >= {{ non_negative_number_var('cost_warning_cents') }}
        and total_cost_cents < {{ non_negative_number_var('cost_critical_cents') }}
        and last_cost_incurred_at >= {{ window_start_at }}

),

high_video_cost as (

    select
        'HighVideoCost' as alert_type,
        'warning' as severity,
        'platform' as entity_type,
        'all' as entity_id,
        'Average cost per video over the last 7 days is $'
        || cast(round(avg_cost_per_video_cents / 100.0, 2) as text)
        || ', above $'
        || cast(round({{ non_negative_number_var('cost_warning_cents') }} / 100.0, 2) as text) as message,
        round(avg_cost_per_video_cents / 100.0, 4) as metric_value,
        round({{ non_negative_number_var('cost_warning_cents') }} / 100.0, 4) as threshold,
        'usd' as metric_unit
    from executive_overview
    where avg_cost_per_video_cents > {{ non_negative_number_var('cost_warning_cents') }}

),

pipeline_backlog as (

    select
        'PipelineBacklog' as alert_type,
        'warning' as severity,
        'pipeline' as entity_type,
        'generation_jobs' as entity_id,
        cast(queued as text) || ' jobs queued, more than {{ backlog_threshold }}' as message,
        cast(queued as numeric) as metric_value,
        cast({{ backlog_threshold }} as numeric) as threshold,
        'jobs' as metric_unit
    from pipeline_status
    where queued > {{ backlog_threshold }}

),

high_failure_rate as (

    select
        'HighFailureRate' as alert_type,
        'critical' as severity,
        'pipeline' as entity_type,
        'generation_jobs' as entity_id,
        cast(failed as text) || ' of ' || cast(completed + failed as text)
        || ' finished jobs failed in the last 24 h (' || cast(round(failure_rate * 100, 2) as text)
        || ' %), more than 10 %' as message,
        failure_rate as metric_value,
        cast({{ failure_rate_threshold }} as numeric) as threshold,
        'fraction' as metric_unit
    from pipeline_status
    -- exact, on the counts (failure_rate is rounded)
    where failed * 10 > completed + failed

),

quota_exhaustion as (

    select
        'YouTubeQuotaExhaustion' as alert_type,
        'critical' as severity,
        'api_account' as entity_type,
        api_account as entity_id,
        'API account ' || api_account || ' has ' || cast(units_remaining as text)
        || ' quota units left for ' || cast(quota_date as text)
        || ' (Pacific), fewer than {{ quota_remaining_threshold }}' as message,
        cast(units_remaining as numeric) as metric_value,
        cast({{ quota_remaining_threshold }} as numeric) as threshold,
        'units' as metric_unit
    from api_quota
    where
        is_current_quota_day
        and units_remaining < {{ quota_remaining_threshold }}

),

newest_poll as (

    select max(captured_at) as newest_captured_at
    from performance
    where captured_at <= {{ as_of() }}

),

stale_metrics as (

    select
        'StaleMetrics' as alert_type,
        case
            when newest_captured_at is null then 'critical'
            when {{ as_of() }} - newest_captured_at > interval '{{ stale_critical_minutes }} minutes' then 'critical'
            else 'warning'
        end as severity,
        'source' as entity_type,
        'video_metrics' as entity_id,
        case
            when newest_captured_at is null then 'No video metrics poll loaded'
            else
                'Newest video metrics poll is '
                || cast(round(extract(epoch from {{ as_of() }} - newest_captured_at) / 60.0, 1) as text)
                || ' minutes old'
        end as message,
        round(extract(epoch from {{ as_of() }} - newest_captured_at) / 60.0, 4) as metric_value,
        case
            when newest_captured_at is null then cast({{ stale_critical_minutes }} as numeric)
            when {{ as_of() }} - newest_captured_at > interval '{{ stale_critical_minutes }} minutes'
                then cast({{ stale_critical_minutes }} as numeric)
            else cast({{ stale_warning_minutes }} as numeric)
        end as threshold,
        'minutes' as metric_unit
    from newest_poll
    where
        newest_captured_at is null
        or {{ as_of() }} - newest_captured_at > interval '{{ stale_warning_minutes }} minutes'

),

unioned as (

    select * from critical_video_cost
    union all
    select * from video_cost_warning
    union all
    select * from high_video_cost
    union all
    select * from pipeline_backlog
    union all
    select * from high_failure_rate
    union all
    select * from quota_exhaustion
    union all
    select * from stale_metrics

),

final as (

    select
        alert_type,
        severity,
        entity_type,
        cast(entity_id as text) as entity_id,
        message,
        metric_value,
        threshold,
        {{ surrogate_key(['alert_type', 'entity_type', 'entity_id']) }} as alert_key,
        metric_unit,
        {{ as_of() }} as as_of
    from unioned

)

select * from final
