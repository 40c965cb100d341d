{#
    One row per user (the dim_user version valid at as_of, deletion markers
    excluded; no email exists in the dimension): revenue of the current calendar month of as_of (UTC, from
    the month's first day through as_of's date), lifetime revenue (revenue
    dates up to as_of's date) and progress toward the monthly goal.

    Revenue is credited to the owner of the channel version the revenue row is
    keyed to (the owner on the revenue date); a row without a channel version
    goes to the channel's owner at as_of.

    projected_days_to_goal: days still needed at this month's average daily
    pace, ceil((target - month revenue) / (month revenue / days elapsed in the
    month, as_of's date included)); 0 when the goal is reached; NULL when the
    month has no revenue yet (no pace) or the user has no positive target.
#}

{% set month_start_date %}cast(date_trunc('month', {{ as_of_date() }}) as date){% endset %}

with

users as (

    select * from {{ ref('dim_user') }}

),

channels as (

    select * from {{ ref('dim_channel') }}

),

-- Revenue per (channel, day), keyed like fact_revenue to the channel version
-- valid at the day's end: the same sums as fact_revenue's rows, a few
-- thousand rows instead of one per video and day.
channel_days as (

    select * from {{ ref('fact_channel_daily') }}

),

users_at_as_of as (

    select
        user_key,
        user_id,
        subscription_tier,
        target_monthly_revenue_usd,
        is_active
    from users
    where
        {{ valid_at('users', as_of()) }}
        and not users.is_deleted

),

channels_at_as_of as (

    select
        channel_id,
        user_id
    from channels
    where
        {{ valid_at('channels', as_of()) }}
        and not channels.is_deleted

),

revenue_to_date as (

    select
        channel_days.channel_key,
        channel_days.channel_id,
        channel_days.activity_date as revenue_date,
        channel_days.revenue_cents as total_revenue_cents
    from channel_days
    where channel_days.activity_date <= {{ as_of_date() }}

),

credited_revenue as (

    select
        coalesce(channel_then.user_id, channel_now.user_id) as user_id,
        revenue_to_date.revenue_date,
        revenue_to_date.total_revenue_cents
    from revenue_to_date
    left join channels as channel_then
        on revenue_to_date.channel_key = channel_then.channel_key
    left join channels_at_as_of as channel_now
        on revenue_to_date.channel_id = channel_now.channel_id

),

user_revenue as (

    select
        user_id,
        sum(total_revenue_cents) filter (
            where revenue_date >= {{ month_start_date }}
        ) as current_month_revenue_cents,
        sum(total_revenue_cents) as lifetime_revenue_cents
    from credited_revenue
    where user_id is not null
    group by user_id

),

user_channels as (

    select
        user_id,
        count(*) as channel_count
    from channels_at_as_of
    group by user_id

),

joined as (

    select
        users_at_as_of.user_id,
        users_at_as_of.user_key,
        users_at_as_of.subscription_tier,
        users_at_as_of.is_active,
        users_at_as_of.target_monthly_revenue_usd,
        coalesce(user_channels.channel_count, 0) as channel_count,
        coalesce(user_revenue.current_month_revenue_cents, 0) / 100.0 as current_month_revenue_usd,
        coalesce(user_revenue.lifetime_revenue_cents, 0) / 100.0 as lifetime_revenue_usd,
        {{ as_of_date() }} - {{ month_start_date }} + 1 as days_elapsed_in_month
    from users_at_as_of
    left join user_revenue
        on users_at_as_of.user_id = user_revenue.user_id
    left join user_channels
        on users_at_as_of.user_id = user_channels.user_id

),

final as (

    select
        user_id,
        round(current_month_revenue_usd, 2) as current_month_revenue_usd,
        round(lifetime_revenue_usd, 2) as lifetime_revenue_usd,
        target_monthly_revenue_usd,
        case
            when coalesce(target_monthly_revenue_usd, 0) <= 0 then null
            else round(current_month_revenue_usd / target_monthly_revenue_usd * 100, 2)
        end as goal_progress_pct,
        case
            when coalesce(target_monthly_revenue_usd, 0) <= 0 then null
            when current_month_revenue_usd >= target_monthly_revenue_usd then 0
            when current_month_revenue_usd <= 0 then null
            else cast(ceil(
                (target_monthly_revenue_usd - current_month_revenue_usd)
                / (current_month_revenue_usd / days_elapsed_in_month)
            ) as integer)
        end as projected_days_to_goal,
        coalesce(
            target_monthly_revenue_usd > 0 and current_month_revenue_usd >= target_monthly_revenue_usd,
            false
        ) as is_at_goal,
        user_key,
        subscription_tier,
        is_active,
        cast(channel_count as integer) as channel_count,
        {{ month_start_date }} as month_start_date,
        {{ as_of() }} as as_of
    from joined

)

select * from final
