{#
    Views gained by UTC hour of day and ISO day of week (Monday = 1) over the
    28 days up to as_of (4 whole weeks, so every weekday counts 4 times; the
    first day from 00:00 UTC, the last up to as_of): the heatmap of when the
    audience watches. Views gained are sums of per-poll deltas, bucketed by
    captured_at. Day names come from dim_date.
#}

{% set window_start_at %}(cast({{ as_of_date() }} - 27 as timestamp) at time zone 'UTC'){% endset %}

with

performance as (

    select * from {{ ref('fact_video_performance') }}

),

dates as (

    select * from {{ ref('dim_date') }}

),

polls_in_window as (

    select
        date_key,
        cast(extract(hour from captured_at at time zone 'UTC') as integer) as hour_of_day,
        views_delta
    from performance
    where
        captured_at >= {{ window_start_at }}
        and captured_at <= {{ as_of() }}

),

grouped as (

    select
        dates.day_of_week,
        dates.day_name,
        polls_in_window.hour_of_day,
        sum(polls_in_window.views_delta) as views_gained
    from polls_in_window
    inner join dates
        on polls_in_window.date_key = dates.date_key
    group by
        dates.day_of_week,
        dates.day_name,
        polls_in_window.hour_of_day

),

final as (

    select
        day_of_week,
        day_name,
        hour_of_day,
        views_gained,
        round(100.0 * views_gained / nullif(sum(views_gained) over (), 0), 2) as share_of_views_pct
    from grouped

)

select * from final
order by
    day_of_week asc,
    hour_of_day asc
