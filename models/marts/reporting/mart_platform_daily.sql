{#
    One row per UTC day of the 90 days ending on as_of's UTC date (as_of's
    date - 89 .. as_of's date), every day present (zeros when nothing
    happened). Timestamped events count on their UTC date and no later than
    as_of, revenue by revenue_date: the 7 rows ending on as_of's date add up
    to mart_executive_overview's 7-day revenue and cost.

    - cost: every cost line item incurred that day (channel-level lines
      included), in total and per cost category;
    - active_channels: channels whose dim_channel version valid at the end of
      the day (as_of for as_of's date) has status 'active', deletion markers
      left out (mart_executive_overview's rule at each day's end);
    - videos_published: dim_video rows published that day;
    - views_gained: views gained that day (fact_channel_daily before as_of's
      date; on as_of's date fact_video_daily, a video with polls after as_of
      summed from its polls up to as_of).
#}

{% set window_start_date %}({{ as_of_date() }} - 89){% endset %}
{% set window_start_at %}(cast({{ as_of_date() }} - 89 as timestamp) at time zone 'UTC'){% endset %}

with

channels as (

    select * from {{ ref('dim_channel') }}

),

videos as (

    select * from {{ ref('dim_video') }}

),

channel_days as (

    select * from {{ ref('fact_channel_daily') }}

),

video_days as (

    select * from {{ ref('fact_video_daily') }}

),

performance as (

    select * from {{ ref('fact_video_performance') }}

),

costs as (

    select * from {{ ref('fact_costs') }}

),

revenue as (

    select * from {{ ref('fact_revenue') }}

),

days as (

    select
        cast(day_series.date_day as date) as date_day,
        least(
            {{ utc_day_end('cast(day_series.date_day as date)') }},
            {{ as_of() }}
        ) as day_end_at
    from generate_series(
        cast({{ window_start_date }} as timestamp),
        cast({{ as_of_date() }} as timestamp),
        interval '1 day'
    ) as day_series (date_day)

),

daily_revenue as (

    select
        revenue_date as date_day,
        sum(total_revenue_cents) as revenue_cents
    from revenue
    where revenue_date between {{ window_start_date }} and {{ as_of_date() }}
    group by revenue_date

),

daily_costs as (

    select
        cast((incurred_at at time zone 'UTC') as date) as date_day,
        {% for category in cost_categories() %}
        sum(total_cost_cents) filter (where cost_category = '{{ category }}') as {{ category }}_cost_cents,
        {% endfor %}
        sum(total_cost_cents) as cost_cents
    from costs
    where
        incurred_at >= {{ window_start_at }}
        and incurred_at <= {{ as_of() }}
    group by cast((incurred_at at time zone 'UTC') as date)

),

daily_channels as (

    select
        days.date_day,
        count(*) filter (where channels.status = 'active') as active_channels
    from days
    inner join channels
        on
            {{ valid_at('channels', 'days.day_end_at') }}
            and not channels.is_deleted
    group by days.date_day

),

daily_publications as (

    select
        cast((published_at at time zone 'UTC') as date) as date_day,
        count(*) as videos_published
    from videos
    where
        published_at >= {{ window_start_at }}
        and published_at <= {{ as_of() }}
    group by cast((published_at at time zone 'UTC') as date)

),

-- Views gained on the days before as_of's date: fact_channel_daily's channel-days (the sums of
-- fact_video_daily's video-days, a few hundred rows a day instead of one per video).
days_before_as_of as (

    select
        activity_date as date_day,
        sum(views) as views_gained
    from channel_days
    where activity_date between {{ window_start_date }} and {{ as_of_date() }} - 1
    group by activity_date

),

-- as_of's date: the video-days whose last poll is at or before as_of, and the polls up to as_of of
-- the videos that also have later ones (always none, unless an earlier instant is replayed).
as_of_video_days as (

    select
        video_id,
        views,
        last_captured_at
    from video_days
    where activity_date = {{ as_of_date() }}

),

as_of_day as (

    select
        {{ as_of_date() }} as date_day,
        sum(views) as views_gained
    from as_of_video_days
    where last_captured_at <= {{ as_of() }}

),

partial_day as (

    select
        {{ as_of_date() }} as date_day,
        sum(performance.views_delta) as views_gained
    from performance
    inner join as_of_video_days
        on performance.video_id = as_of_video_days.video_id
    where
        as_of_video_days.last_captured_at > {{ as_of() }}
        and performance.captured_at >= cast({{ as_of_date() }} as timestamp) at time zone 'UTC'
        and performance.captured_at <= {{ as_of() }}

),

daily_views as (

    select
        date_day,
        sum(views_gained) as views_gained
    from (
        select * from days_before_as_of
        union all
        select * from as_of_day
        union all
        select * from partial_day
    ) as view_days
    group by date_day

),

joined as (

    select
        days.date_day,
        coalesce(daily_revenue.revenue_cents, 0) as revenue_cents,
        coalesce(daily_costs.cost_cents, 0) as cost_cents,
        {% for category in cost_categories() %}
        coalesce(daily_costs.{{ category }}_cost_cents, 0) as {{ category }}_cost_cents,
        {% endfor %}
        coalesce(daily_channels.active_channels, 0) as active_channels,
        coalesce(daily_publications.videos_published, 0) as videos_published,
        coalesce(daily_views.views_gained, 0) as views_gained
    from days
    left join daily_revenue
        on days.date_day = daily_revenue.date_day
    left join daily_costs
        on days.date_day = daily_costs.date_day
    left join daily_channels
        on days.date_day = daily_channels.date_day
    left join daily_publications
        on days.date_day = daily_publications.date_day
    left join daily_views
        on days.date_day = daily_views.date_day

),

final as (

    select
        date_day,
        round(revenue_cents / 100.0, 2) as revenue_usd,
        round(cost_cents / 100.0, 2) as cost_usd,
        round((revenue_cents - cost_cents) / 100.0, 2) as profit_usd,
        {{ roi_pct('revenue_cents', 'cost_cents') }} as roi_pct,
        cast(active_channels as integer) as active_channels,
        cast(videos_published as integer) as videos_published,
        cast(views_gained as bigint) as views_gained,
        {% for category in cost_categories() %}
        round({{ category }}_cost_cents / 100.0, 2) as {{ category }}_cost_usd,
        {% endfor %}
        cast(revenue_cents as numeric(18, 4)) as revenue_cents,
        cast(cost_cents as numeric(18, 4)) as cost_cents,
        {{ date_key('date_day') }} as date_key,
        {{ as_of() }} as as_of
    from joined

)

select * from final
