{#
    One row: the platform at as_of. "Today" is as_of's UTC date up to as_of;
    the 7-day window is the 7 UTC calendar days ending on as_of's UTC date
    (timestamped events no later than as_of, revenue by revenue_date).

    - active_channels: channels whose dim_channel version valid at as_of has
      status 'active' (a deleted channel's version is a deletion marker and
      does not count).
    - avg_cost_per_video: the average cost per video (sum of its cost line
      items up to as_of, mart_video_economics) over the videos produced in the
      window, i.e. whose first cost line item was incurred in it.
    - avg_roi_pct: the average of the per-video roi_pct of mart_video_economics
      over all videos with a defined ROI (cost > 0); NULL ROIs are left out,
      not counted as 0.
    - users_at_goal: users whose current-month revenue reached their monthly
      target (mart_user_revenue_tracking.is_at_goal).
#}

{% set window_start_date %}({{ as_of_date() }} - 6){% endset %}
{% set window_start_at %}(cast({{ as_of_date() }} - 6 as timestamp) at time zone 'UTC'){% endset %}
{% set today_start_at %}(cast({{ as_of_date() }} as timestamp) at time zone 'UTC'){% endset %}

with

channels as (

    select * from {{ ref('dim_channel') }}

),

videos as (

    select * from {{ ref('dim_video') }}

),

costs as (

    select * from {{ ref('fact_costs') }}

),

revenue as (

    select * from {{ ref('fact_revenue') }}

),

video_economics as (

    select * from {{ ref('mart_video_economics') }}

),

user_revenue_tracking as (

    select * from {{ ref('mart_user_revenue_tracking') }}

),

channel_counts as (

    select
        count(*) filter (where status = 'active') as active_channels,
        count(*) as total_channels
    from channels
    where
        {{ valid_at('channels', as_of()) }}
        and not channels.is_deleted

),

publications as (

    select
        count(*) filter (where published_at >= {{ today_start_at }}) as videos_published_today,
        count(*) as videos_published_7d
    from videos
    where
        published_at >= {{ window_start_at }}
        and published_at <= {{ as_of() }}

),

revenue_7d as (

    select coalesce(sum(total_revenue_cents), 0) as revenue_7d_cents
    from revenue
    where revenue_date between {{ window_start_date }} and {{ as_of_date() }}

),

costs_7d as (

    select coalesce(sum(total_cost_cents), 0) as cost_7d_cents
    from costs
    where
        incurred_at >= {{ window_start_at }}
        and incurred_at <= {{ as_of() }}

),

video_cost_7d as (

    select
        count(*) as videos_produced_7d,
        avg(total_cost_cents) as avg_cost_per_video_cents
    from video_economics
    where
        first_cost_incurred_at >= {{ window_start_at }}
        and first_cost_incurred_at <= {{ as_of() }}

),

video_roi as (

    select avg(roi_pct) as avg_roi_pct
    from video_economics
    where roi_pct is not null

),

goals as (

    select
        count(*) filter (where is_at_goal) as users_at_goal,
        count(*) as total_users
    from user_revenue_tracking

),

final as (

    select
        {{ as_of() }} as as_of,
        cast(channel_counts.active_channels as integer) as active_channels,
        cast(publications.videos_published_today as integer) as videos_published_today,
        round(revenue_7d.revenue_7d_cents / 100.0, 2) as revenue_7d_usd,
        round(costs_7d.cost_7d_cents / 100.0, 2) as cost_7d_usd,
        round(video_cost_7d.avg_cost_per_video_cents / 100.0, 2) as avg_cost_per_video_usd,
        round(video_roi.avg_roi_pct, 2) as avg_roi_pct,
        cast(goals.users_at_goal as integer) as users_at_goal,
        {{ as_of_date() }} as as_of_date,
        {{ window_start_date }} as window_start_date,
        cast(channel_counts.total_channels as integer) as total_channels,
        cast(publications.videos_published_7d as integer) as videos_published_7d,
        cast(video_cost_7d.videos_produced_7d as integer) as videos_produced_7d,
        round(video_cost_7d.avg_cost_per_video_cents, 4) as avg_cost_per_video_cents,
        round((revenue_7d.revenue_7d_cents - costs_7d.cost_7d_cents) / 100.0, 2) as profit_7d_usd,
        {{ roi_pct('revenue_7d.revenue_7d_cents', 'costs_7d.cost_7d_cents') }} as roi_7d_pct,
        cast(goals.total_users as integer) as total_users
    from channel_counts
    cross join publications
    cross join revenue_7d
    cross join costs_7d
    cross join video_cost_7d
    cross join video_roi
    cross join goals

)

select * from final
