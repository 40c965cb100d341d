{#
    Cost per video by generation method over the videos produced in the 7
    days up to as_of (first cost line item in the 7 UTC days ending on
    as_of's date, no later than as_of: mart_executive_overview's
    videos_produced_7d), each with its whole cost up to as_of
    (mart_video_economics.total_cost_cents). Percentiles are continuous
    (percentile_cont). Only methods with videos have a row.
#}

{% set window_start_at %}(cast({{ as_of_date() }} - 6 as timestamp) at time zone 'UTC'){% endset %}

with

video_economics as (

    select * from {{ ref('mart_video_economics') }}

),

produced as (

    select
        coalesce(generation_method, 'unknown') as generation_method,
        total_cost_cents,
        cost_alert_level
    from video_economics
    where
        first_cost_incurred_at >= {{ window_start_at }}
        and first_cost_incurred_at <= {{ as_of() }}

),

grouped as (

    select
        generation_method,
        count(*) as videos,
        sum(total_cost_cents) as total_cost_cents,
        avg(total_cost_cents) as avg_cost_cents,
        percentile_cont(0.5) within group (order by total_cost_cents) as median_cost_cents,
        percentile_cont(0.9) within group (order by total_cost_cents) as p90_cost_cents,
        min(total_cost_cents) as min_cost_cents,
        max(total_cost_cents) as max_cost_cents,
        count(*) filter (where cost_alert_level is not null) as videos_at_or_above_warning
    from produced
    group by generation_method

),

final as (

    select
        generation_method,
        cast(videos as integer) as videos,
        round(avg_cost_cents / 100.0, 2) as avg_cost_usd,
        round(cast(median_cost_cents as numeric) / 100.0, 2) as median_cost_usd,
        round(cast(p90_cost_cents as numeric) / 100.0, 2) as p90_cost_usd,
        round(min_cost_cents / 100.0, 2) as min_cost_usd,
        round(max_cost_cents / 100.0, 2) as max_cost_usd,
        round(total_cost_cents / 100.0, 2) as total_cost_usd,
        cast(videos_at_or_above_warning as integer) as videos_at_or_above_warning,
        {{ as_of() }} as as_of
    from grouped

)

select * from final
