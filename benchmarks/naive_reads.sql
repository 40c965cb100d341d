-- The "naive" dashboard reads of benchmarks/bench.py: each computes, on every
-- read, the figures of one Redis key straight from the raw tables, the way a
-- dashboard without a warehouse would (deduplicating by the raw contract's
-- rules on the fly). They are not part of the dbt project.
--
-- One query per `-- name: <key pattern>` block; psycopg2 parameters:
-- %(as_of)s (the marts' as-of instant), %(channel_id)s, %(user_id)s.

-- name: dashboard:overview
with

channels as (

    select * from raw.channels

),

videos as (

    select * from raw.videos

),

users as (

    select * from raw.users

),

revenue_reports as (

    select * from raw.video_revenue

),

cost_deliveries as (

    select * from raw.video_costs

),

given as (

    select cast(%(as_of)s as timestamptz) as as_of

),

bounds as (

    select
        as_of,
        cast(as_of at time zone 'UTC' as date) as as_of_date,
        cast(as_of at time zone 'UTC' as date) - 6 as window_start_date,
        cast(cast(as_of at time zone 'UTC' as date) - 6 as timestamp) at time zone 'UTC' as window_start_at,
        cast(cast(as_of at time zone 'UTC' as date) as timestamp) at time zone 'UTC' as today_start_at,
        cast(date_trunc('month', as_of at time zone 'UTC') as date) as month_start_date
    from given

),

live_videos as (

    select
        video_id,
        channel_id,
        published_at
    from videos
    where deleted_at is null

),

-- a later report of the same (video, day) replaces the earlier ones
revenue as (

    select distinct on (video_id, revenue_date)
        video_id,
        channel_id,
        revenue_date,
        coalesce(ad_revenue_cents, 0)
        + coalesce(sponsorship_revenue_cents, 0)
        + coalesce(affiliate_revenue_cents, 0)
        + coalesce(membership_revenue_cents, 0)
        + coalesce(super_chat_revenue_cents, 0) as revenue_cents
    from revenue_reports
    order by video_id asc, revenue_date asc, reported_at desc

),

-- at-least-once delivery: the latest delivery of a cost_id wins
costs as (

    select distinct on (cost_id)
        cost_id,
        video_id,
        total_cost_cents,
        incurred_at
    from cost_deliveries
    order by cost_id asc, ingested_at desc

),

channel_counts as (

    select
        count(*) filter (where status = 'active') as active_channels,
        count(*) as total_channels
    from channels

),

publications as (

    select
        count(*) filter (
            where live_videos.published_at >= bounds.today_start_at
        ) as videos_published_today,
        count(*) as videos_published_7d
    from live_videos
    cross join bounds
    where
        live_videos.published_at >= bounds.window_start_at
        and live_videos.published_at <= bounds.as_of

),

revenue_7d as (

    select coalesce(sum(revenue.revenue_cents), 0) as revenue_cents
    from revenue
    cross join bounds
    where revenue.revenue_date between bounds.window_start_date and bounds.as_of_date

),

costs_7d as (

    select coalesce(sum(costs.total_cost_cents), 0) as cost_cents
    from costs
    cross join bounds
    where
        costs.incurred_at >= bounds.window_start_at
        and costs.incurred_at <= bounds.as_of

),

video_costs as (

    select
        costs.video_id,
        sum(costs.total_cost_cents) as cost_cents,
        min(costs.incurred_at) as first_cost_incurred_at
    from costs
    cross join bounds
    where
        costs.video_id is not null
        and costs.incurred_at <= bounds.as_of
    group by costs.video_id

),

video_revenue as (

    select
        revenue.video_id,
        sum(revenue.revenue_cents) as revenue_cents
    from revenue
    cross join bounds
    where revenue.revenue_date <= bounds.as_of_date
    group by revenue.video_id

),

video_economics as (

    select
        live_videos.video_id,
        video_costs.cost_cents,
        video_costs.first_cost_incurred_at,
        case
            when coalesce(video_costs.cost_cents, 0) = 0 then null
            else round(
                (coalesce(video_revenue.revenue_cents, 0) - video_costs.cost_cents)
                / video_costs.cost_cents * 100,
                2
            )
        end as roi_pct
    from live_videos
    left join video_costs
        on live_videos.video_id = video_costs.video_id
    left join video_revenue
        on live_videos.video_id = video_revenue.video_id

),

produced_7d as (

    select
        count(*) as videos_produced_7d,
        avg(video_economics.cost_cents) as avg_cost_cents
    from video_economics
    cross join bounds
    where
        video_economics.first_cost_incurred_at >= bounds.window_start_at
        and video_economics.first_cost_incurred_at <= bounds.as_of

),

roi as (

    select avg(roi_pct) as avg_roi_pct
    from video_economics

),

user_month_revenue as (

    select
        channels.user_id,
        sum(revenue.revenue_cents) as revenue_cents
    from revenue
    inner join channels
        on revenue.channel_id = channels.channel_id
    cross join bounds
    where revenue.revenue_date between bounds.month_start_date and bounds.as_of_date
    group by channels.user_id

),

goals as (

    select
        count(*) filter (
            where
                users.target_monthly_revenue_usd > 0
                and coalesce(user_month_revenue.revenue_cents, 0) / 100.0 >= users.target_monthly_revenue_usd
        ) as users_at_goal,
        count(*) as total_users
    from users
    left join user_month_revenue
        on users.user_id = user_month_revenue.user_id

)

select
    channel_counts.active_channels,
    publications.videos_published_today,
    round(revenue_7d.revenue_cents / 100.0, 2) as revenue_7d_usd,
    round(costs_7d.cost_cents / 100.0, 2) as cost_7d_usd,
    round(produced_7d.avg_cost_cents / 100.0, 2) as avg_cost_per_video_usd,
    round(roi.avg_roi_pct, 2) as avg_roi_pct,
    goals.users_at_goal,
    channel_counts.total_channels,
    publications.videos_published_7d,
    produced_7d.videos_produced_7d,
    round((revenue_7d.revenue_cents - costs_7d.cost_cents) / 100.0, 2) as profit_7d_usd,
    goals.total_users
from channel_counts
cross join publications
cross join revenue_7d
cross join costs_7d
cross join produced_7d
cross join roi
cross join goals;

-- name: dashboard:channels
with

channels as (

    select * from raw.channels

),

videos as (

    select * from raw.videos

),

polls as (

    select * from raw.video_metrics

),

revenue_reports as (

    select * from raw.video_revenue

),

cost_deliveries as (

    select * from raw.video_costs

),

given as (

    select cast(%(as_of)s as timestamptz) as as_of

),

bounds as (

    select
        as_of,
        cast(as_of at time zone 'UTC' as date) as as_of_date,
        cast(as_of at time zone 'UTC' as date) - 6 as window_start_date,
        cast(cast(as_of at time zone 'UTC' as date) - 6 as timestamp) at time zone 'UTC' as window_start_at
    from given

),

live_videos as (

    select
        video_id,
        channel_id,
        published_at
    from videos
    where deleted_at is null

),

-- a re-delivered poll of the same (video, captured_at): the latest ingested_at wins
latest_polls as (

    select distinct on (video_id, captured_at)
        video_id,
        captured_at,
        views,
        likes,
        comments,
        shares
    from polls
    order by video_id asc, captured_at asc, ingested_at desc

),

-- counters are cumulative: what each poll added, corrections clamped to 0
poll_deltas as (

    select
        video_id,
        captured_at,
        case
            when lag(views) over by_video is null then coalesce(views, 0)
            else greatest(coalesce(views, 0) - lag(views) over by_video, 0)
        end as views_delta,
        case
            when lag(likes) over by_video is null then coalesce(likes, 0)
            else greatest(coalesce(likes, 0) - lag(likes) over by_video, 0)
        end as likes_delta,
        case
            when lag(comments) over by_video is null then coalesce(comments, 0)
            else greatest(coalesce(comments, 0) - lag(comments) over by_video, 0)
        end as comments_delta,
        case
            when lag(shares) over by_video is null then coalesce(shares, 0)
            else greatest(coalesce(shares, 0) - lag(shares) over by_video, 0)
        end as shares_delta,
        case
            when coalesce(views, 0) = 0 then 0
            else round(
                cast(coalesce(likes, 0) + coalesce(comments, 0) + coalesce(shares, 0) as numeric) / views,
                6
            )
        end as engagement_rate
    from latest_polls
    window by_video as (partition by video_id order by captured_at)

),

video_window as (

    select
        live_videos.channel_id,
        poll_deltas.video_id,
        sum(poll_deltas.views_delta) as views,
        sum(poll_deltas.likes_delta) as likes,
        sum(poll_deltas.comments_delta) as comments,
        sum(poll_deltas.shares_delta) as shares,
        (array_agg(poll_deltas.engagement_rate order by poll_deltas.captured_at desc))[1] as engagement_rate
    from poll_deltas
    inner join live_videos
        on poll_deltas.video_id = live_videos.video_id
    cross join bounds
    where
        poll_deltas.captured_at >= bounds.window_start_at
        and poll_deltas.captured_at <= bounds.as_of
    group by live_videos.channel_id, poll_deltas.video_id

),

channel_polls as (

    select
        channel_id,
        sum(views) as views,
        sum(likes) as likes,
        sum(comments) as comments,
        sum(shares) as shares,
        count(*) as video_count,
        avg(engagement_rate) as avg_engagement_rate
    from video_window
    group by channel_id

),

costs as (

    select distinct on (cost_id)
        cost_id,
        video_id,
        channel_id,
        total_cost_cents,
        incurred_at
    from cost_deliveries
    order by cost_id asc, ingested_at desc

),

channel_costs as (

    select
        coalesce(costs.channel_id, live_videos.channel_id) as channel_id,
        sum(costs.total_cost_cents) as cost_cents
    from costs
    left join live_videos
        on costs.video_id = live_videos.video_id
    cross join bounds
    where
        costs.incurred_at >= bounds.window_start_at
        and costs.incurred_at <= bounds.as_of
    group by coalesce(costs.channel_id, live_videos.channel_id)

),

revenue as (

    select distinct on (video_id, revenue_date)
        video_id,
        channel_id,
        revenue_date,
        coalesce(ad_revenue_cents, 0)
        + coalesce(sponsorship_revenue_cents, 0)
        + coalesce(affiliate_revenue_cents, 0)
        + coalesce(membership_revenue_cents, 0)
        + coalesce(super_chat_revenue_cents, 0) as revenue_cents
    from revenue_reports
    order by video_id asc, revenue_date asc, reported_at desc

),

channel_revenue as (

    select
        revenue.channel_id,
        sum(revenue.revenue_cents) as revenue_cents
    from revenue
    cross join bounds
    where revenue.revenue_date between bounds.window_start_date and bounds.as_of_date
    group by revenue.channel_id

),

channel_publications as (

    select
        live_videos.channel_id,
        count(*) as videos_published
    from live_videos
    cross join bounds
    where
        live_videos.published_at >= bounds.window_start_at
        and live_videos.published_at <= bounds.as_of
    group by live_videos.channel_id

),

joined as (

    select
        channels.channel_id,
        channels.channel_name,
        channels.niche,
        channels.sub_niche,
        channels.user_id,
        channels.status,
        channels.monetization_status,
        coalesce(channel_polls.video_count, 0) as video_count,
        coalesce(channel_publications.videos_published, 0) as videos_published,
        coalesce(channel_polls.views, 0) as views,
        coalesce(channel_polls.likes, 0) as likes,
        coalesce(channel_polls.comments, 0) as comments,
        coalesce(channel_polls.shares, 0) as shares,
        channel_polls.avg_engagement_rate,
        coalesce(channel_revenue.revenue_cents, 0) as revenue_cents,
        coalesce(channel_costs.cost_cents, 0) as cost_cents
    from channels
    left join channel_polls
        on channels.channel_id = channel_polls.channel_id
    left join channel_costs
        on channels.channel_id = channel_costs.channel_id
    left join channel_revenue
        on channels.channel_id = channel_revenue.channel_id
    left join channel_publications
        on channels.channel_id = channel_publications.channel_id

),

final as (

    select
        channel_id,
        channel_name,
        niche,
        sub_niche,
        user_id,
        status,
        monetization_status,
        video_count,
        videos_published,
        views,
        likes,
        comments,
        shares,
        round(avg_engagement_rate, 6) as avg_engagement_rate,
        round(revenue_cents / 100.0, 2) as revenue_usd,
        round(cost_cents / 100.0, 2) as cost_usd,
        round((revenue_cents - cost_cents) / 100.0, 2) as profit_usd,
        case
            when views = 0 then null
            else round(revenue_cents / 100.0 / views * 1000, 4)
        end as rpm_usd,
        rank() over (order by revenue_cents desc) as revenue_rank,
        rank() over (order by views desc) as views_rank,
        rank() over (order by revenue_cents - cost_cents desc) as profit_rank
    from joined

)

select * from final
order by revenue_rank asc, channel_id asc;

-- name: channel:{channel_id}:performance
with

videos as (

    select * from raw.videos

),

polls as (

    select * from raw.video_metrics

),

revenue_reports as (

    select * from raw.video_revenue

),

cost_deliveries as (

    select * from raw.video_costs

),

given as (

    select cast(%(as_of)s as timestamptz) as as_of

),

bounds as (

    select
        as_of,
        cast(as_of at time zone 'UTC' as date) as as_of_date,
        cast(as_of at time zone 'UTC' as date) - 29 as history_start_date
    from given

),

days as (

    select cast(day as date) as activity_date
    from bounds
    cross join
        generate_series(
            cast(bounds.history_start_date as timestamp),
            cast(bounds.as_of_date as timestamp),
            interval '1 day'
        ) as day

),

live_videos as (

    select
        video_id,
        channel_id,
        published_at
    from videos
    where deleted_at is null

),

channel_videos as (

    select
        video_id,
        published_at
    from live_videos
    where channel_id = %(channel_id)s

),

latest_polls as (

    select distinct on (polls.video_id, polls.captured_at)
        polls.video_id,
        polls.captured_at,
        polls.views,
        polls.likes,
        polls.comments,
        polls.shares,
        polls.watch_time_minutes,
        polls.subscribers_gained,
        polls.subscribers_lost
    from polls
    inner join channel_videos
        on polls.video_id = channel_videos.video_id
    order by polls.video_id asc, polls.captured_at asc, polls.ingested_at desc

),

poll_deltas as (

    select
        captured_at,
        case
            when lag(views) over by_video is null then coalesce(views, 0)
            else greatest(coalesce(views, 0) - lag(views) over by_video, 0)
        end as views_delta,
        case
            when lag(likes) over by_video is null then coalesce(likes, 0)
            else greatest(coalesce(likes, 0) - lag(likes) over by_video, 0)
        end as likes_delta,
        case
            when lag(comments) over by_video is null then coalesce(comments, 0)
            else greatest(coalesce(comments, 0) - lag(comments) over by_video, 0)
        end as comments_delta,
        case
            when lag(shares) over by_video is null then coalesce(shares, 0)
            else greatest(coalesce(shares, 0) - lag(shares) over by_video, 0)
        end as shares_delta,
        case
            when lag(watch_time_minutes) over by_video is null then coalesce(watch_time_minutes, 0)
            else greatest(coalesce(watch_time_minutes, 0) - lag(watch_time_minutes) over by_video, 0)
        end as watch_time_minutes_delta,
        case
            when lag(subscribers_gained) over by_video is null then coalesce(subscribers_gained, 0)
            else greatest(coalesce(subscribers_gained, 0) - lag(subscribers_gained) over by_video, 0)
        end as subscribers_gained_delta,
        case
            when lag(subscribers_lost) over by_video is null then coalesce(subscribers_lost, 0)
            else greatest(coalesce(subscribers_lost, 0) - lag(subscribers_lost) over by_video, 0)
        end as subscribers_lost_delta
    from latest_polls
    window by_video as (partition by video_id order by captured_at)

),

daily_polls as (

    select
        cast(captured_at at time zone 'UTC' as date) as activity_date,
        sum(views_delta) as views,
        sum(likes_delta) as likes,
        sum(comments_delta) as comments,
        sum(shares_delta) as shares,
        sum(watch_time_minutes_delta) as watch_time_minutes,
        sum(subscribers_gained_delta - subscribers_lost_delta) as subscribers_net
    from poll_deltas
    group by cast(captured_at at time zone 'UTC' as date)

),

daily_publications as (

    select
        cast(published_at at time zone 'UTC' as date) as activity_date,
        count(*) as videos_published
    from channel_videos
    where published_at is not null
    group by cast(published_at at time zone 'UTC' as date)

),

revenue as (

    select distinct on (video_id, revenue_date)
        revenue_date,
        coalesce(ad_revenue_cents, 0)
        + coalesce(sponsorship_revenue_cents, 0)
        + coalesce(affiliate_revenue_cents, 0)
        + coalesce(membership_revenue_cents, 0)
        + coalesce(super_chat_revenue_cents, 0) as revenue_cents
    from revenue_reports
    where channel_id = %(channel_id)s
    order by video_id asc, revenue_date asc, reported_at desc

),

daily_revenue as (

    select
        revenue_date as activity_date,
        sum(revenue_cents) as revenue_cents
    from revenue
    group by revenue_date

),

costs as (

    select distinct on (cost_id)
        cost_id,
        video_id,
        channel_id,
        total_cost_cents,
        incurred_at
    from cost_deliveries
    order by cost_id asc, ingested_at desc

),

daily_costs as (

    select
        cast(costs.incurred_at at time zone 'UTC' as date) as activity_date,
        sum(costs.total_cost_cents) as cost_cents
    from costs
    left join live_videos
        on costs.video_id = live_videos.video_id
    where coalesce(costs.channel_id, live_videos.channel_id) = %(channel_id)s
    group by cast(costs.incurred_at at time zone 'UTC' as date)

),

final as (

    select
        days.activity_date,
        coalesce(daily_publications.videos_published, 0) as videos_published,
        coalesce(daily_polls.views, 0) as views,
        coalesce(daily_polls.likes, 0) as likes,
        coalesce(daily_polls.comments, 0) as comments,
        coalesce(daily_polls.shares, 0) as shares,
        coalesce(daily_polls.watch_time_minutes, 0) as watch_time_minutes,
        coalesce(daily_polls.subscribers_net, 0) as subscribers_net,
        coalesce(daily_revenue.revenue_cents, 0) as revenue_cents,
        coalesce(daily_costs.cost_cents, 0) as cost_cents,
        coalesce(daily_revenue.revenue_cents, 0) - coalesce(daily_costs.cost_cents, 0) as profit_cents
    from days
    left join daily_polls
        on days.activity_date = daily_polls.activity_date
    left join daily_publications
        on days.activity_date = daily_publications.activity_date
    left join daily_revenue
        on days.activity_date = daily_revenue.activity_date
    left join daily_costs
        on days.activity_date = daily_costs.activity_date

)

select * from final
order by activity_date asc;

-- name: user:{user_id}:revenue
with

users as (

    select * from raw.users

),

channels as (

    select * from raw.channels

),

revenue_reports as (

    select * from raw.video_revenue

),

given as (

    select cast(%(as_of)s as timestamptz) as as_of

),

bounds as (

    select
        cast(as_of at time zone 'UTC' as date) as as_of_date,
        cast(date_trunc('month', as_of at time zone 'UTC') as date) as month_start_date
    from given

),

user_channels as (

    select channel_id
    from channels
    where user_id = %(user_id)s

),

revenue as (

    select distinct on (revenue_reports.video_id, revenue_reports.revenue_date)
        revenue_reports.revenue_date,
        coalesce(revenue_reports.ad_revenue_cents, 0)
        + coalesce(revenue_reports.sponsorship_revenue_cents, 0)
        + coalesce(revenue_reports.affiliate_revenue_cents, 0)
        + coalesce(revenue_reports.membership_revenue_cents, 0)
        + coalesce(revenue_reports.super_chat_revenue_cents, 0) as revenue_cents
    from revenue_reports
    inner join user_channels
        on revenue_reports.channel_id = user_channels.channel_id
    order by
        revenue_reports.video_id asc,
        revenue_reports.revenue_date asc,
        revenue_reports.reported_at desc

),

user_revenue as (

    select
        coalesce(sum(revenue.revenue_cents) filter (
            where revenue.revenue_date >= bounds.month_start_date
        ), 0) / 100.0 as current_month_revenue_usd,
        coalesce(sum(revenue.revenue_cents), 0) / 100.0 as lifetime_revenue_usd
    from revenue
    cross join bounds
    where revenue.revenue_date <= bounds.as_of_date

),

joined as (

    select
        users.user_id,
        users.subscription_tier,
        users.is_active,
        users.target_monthly_revenue_usd,
        (select count(*) from user_channels) as channel_count,
        user_revenue.current_month_revenue_usd,
        user_revenue.lifetime_revenue_usd,
        bounds.month_start_date,
        bounds.as_of_date - bounds.month_start_date + 1 as days_elapsed_in_month
    from users
    cross join user_revenue
    cross join bounds
    where users.user_id = %(user_id)s

)

select
    user_id,
    subscription_tier,
    is_active,
    channel_count,
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
    month_start_date
from joined;
