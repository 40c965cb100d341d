{#
    mart_platform_daily's 7 days ending on as_of's date add up to
    mart_executive_overview's 7-day revenue and cost, and its as_of day has
    the overview's active channels and videos published today; the cost
    breakdown's videos of those 7 days are the overview's videos produced,
    at its average cost per video. A row here names the figure that differs.
#}

with

daily as (

    select * from {{ ref('mart_platform_daily') }}

),

breakdown as (

    select * from {{ ref('mart_cost_breakdown_daily') }}

),

overview as (

    select * from {{ ref('mart_executive_overview') }}

),

window_sums as (

    select
        round(sum(daily.revenue_cents) / 100.0, 2) as revenue_7d_usd,
        round(sum(daily.cost_cents) / 100.0, 2) as cost_7d_usd
    from daily
    inner join overview
        on daily.date_day between overview.window_start_date and overview.as_of_date

),

as_of_day as (

    select
        daily.active_channels,
        daily.videos_published
    from daily
    inner join overview
        on daily.date_day = overview.as_of_date

),

produced as (

    select
        coalesce(sum(breakdown.videos), 0) as videos,
        round(sum(breakdown.total_cost_cents) / nullif(sum(breakdown.videos), 0) / 100.0, 2) as avg_cost_usd
    from breakdown
    inner join overview
        on breakdown.cost_date between overview.window_start_date and overview.as_of_date

),

differences as (

    select 'revenue_7d_usd' as figure
    from overview cross join window_sums
    where overview.revenue_7d_usd <> window_sums.revenue_7d_usd

    union all

    select 'cost_7d_usd' as figure
    from overview cross join window_sums
    where overview.cost_7d_usd <> window_sums.cost_7d_usd

    union all

    select 'active_channels' as figure
    from overview cross join as_of_day
    where overview.active_channels <> as_of_day.active_channels

    union all

    select 'videos_published_today' as figure
    from overview cross join as_of_day
    where overview.videos_published_today <> as_of_day.videos_published

    union all

    select 'videos_produced_7d' as figure
    from overview cross join produced
    where overview.videos_produced_7d <> produced.videos

    union all

    select 'avg_cost_per_video_usd' as figure
    from overview cross join produced
    where overview.avg_cost_per_video_usd is distinct from produced.avg_cost_usd

)

select * from differences
