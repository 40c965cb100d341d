{#
    RPM trend by channel: weekly RPM (revenue in dollars per 1,000 views
    gained) of every channel over the 12 ISO weeks up to as_of (the current
    week runs to as_of's date), its 4-week moving average, and the channel's
    RPM over the whole period with its tier: > 5 'high', > 2 'average', else
    'needs_optimization'. RPM is NULL in a week or period without views, and
    then so is its tier (undefined, not "needs optimization"). Channel names
    are those of the version valid at as_of.
#}

{% set first_week_start %}(cast(date_trunc('week', {{ as_of_date() }}) as date) - 77){% endset %}

with

channel_daily as (

    select * from {{ ref('fact_channel_daily') }}

),

channels as (

    select * from {{ ref('dim_channel') }}

),

channels_at_as_of as (

    select
        channel_id,
        channel_name,
        niche
    from channels
    where
        {{ valid_at('channels', as_of()) }}
        and not channels.is_deleted

),

weekly as (

    select
        channel_id,
        cast(date_trunc('week', activity_date) as date) as week_start_date,
        sum(views) as views,
        sum(revenue_cents) as revenue_cents
    from channel_daily
    where activity_date between {{ first_week_start }} and {{ as_of_date() }}
    group by
        channel_id,
        cast(date_trunc('week', activity_date) as date)

),

weekly_rpm as (

    select
        channel_id,
        week_start_date,
        views,
        revenue_cents,
        {{ rpm_usd('revenue_cents', 'views') }} as rpm_usd
    from weekly

),

trended as (

    select
        channel_id,
        week_start_date,
        views,
        revenue_cents,
        rpm_usd,
        avg(rpm_usd) over (
            partition by channel_id
            order by week_start_date
            range between interval '21 days' preceding and current row
        ) as moving_avg_4w_rpm_usd,
        sum(views) over (partition by channel_id) as period_views,
        sum(revenue_cents) over (partition by channel_id) as period_revenue_cents,
        stddev_samp(rpm_usd) over (partition by channel_id) as rpm_volatility_usd
    from weekly_rpm

),

final as (

    select
        trended.channel_id,
        channels_at_as_of.channel_name,
        channels_at_as_of.niche,
        trended.week_start_date,
        trended.views,
        round(trended.revenue_cents / 100.0, 2) as revenue_usd,
        trended.rpm_usd,
        case
            when trended.rpm_usd > 5 then 'high'
            when trended.rpm_usd > 2 then 'average'
            when trended.rpm_usd is not null then 'needs_optimization'
        end as rpm_tier,
        round(trended.moving_avg_4w_rpm_usd, 4) as moving_avg_4w_rpm_usd,
        {{ rpm_usd('trended.period_revenue_cents', 'trended.period_views') }} as period_rpm_usd,
        case
            when {{ rpm_usd('trended.period_revenue_cents', 'trended.period_views') }} > 5 then 'high'
            when {{ rpm_usd('trended.period_revenue_cents', 'trended.period_views') }} > 2 then 'average'
            when trended.period_views > 0 then 'needs_optimization'
        end as period_rpm_tier,
        round(trended.rpm_volatility_usd, 4) as rpm_volatility_usd
    from trended
    left join channels_at_as_of
        on trended.channel_id = channels_at_as_of.channel_id

)

select * from final
order by
    period_rpm_usd desc nulls last,
    channel_id asc,
    week_start_date asc
