{#
    One row per (channel, UTC day) with any activity: views/likes/comments/shares
    gained that day (sums of per-poll deltas by captured_at's UTC date), watch
    minutes, net subscribers, videos published, revenue (by revenue_date), cost
    (by incurred_at's UTC date, including costs of the channel that belong to
    no video), profit and RPM. Keyed to the versions valid at the day's end.
    Incremental: only the (channel, day) pairs touched by fact rows newer than
    each source's high-water mark are recomputed, and so are the days of the
    channel of a video deleted or restored since (int_video_deletions_detected,
    from its first poll's day to its last's). Poll sums come from
    fact_video_daily (one row per video and day), not from the polls.
#}
{{
    config(
        materialized='incremental',
        unique_key=['channel_id', 'activity_date'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['channel_id', 'activity_date'], 'unique': true},
            {'columns': ['date_key']},
        ],
    )
}}

-- depends_on: {{ ref('int_video_deletions_detected') }}
-- Runs after int_dimension_changes, which re-points this fact's rows of late dimension changes.
-- depends_on: {{ ref('int_dimension_changes') }}

with

video_days as not materialized (

    select * from {{ ref('fact_video_daily') }}

),

costs as not materialized (

    select * from {{ ref('fact_costs') }}

),

revenue as not materialized (

    select * from {{ ref('fact_revenue') }}

),

videos as (

    select * from {{ ref('dim_video') }}

),

channels as (

    select * from {{ ref('dim_channel') }}

),

users as (

    select * from {{ ref('dim_user') }}

),

{% if is_incremental() %}

video_deletions as (

    select * from {{ ref('int_video_deletions_detected') }}

),

touched as (

    select
        channel_id,
        activity_date
    from video_days
    where performance_changed_at >= {{ incremental_watermark('performance_changed_at') }}
    union
    select
        channel_id,
        cast(incurred_at at time zone 'UTC' as date) as activity_date
    from costs
    where ingested_at >= {{ incremental_watermark('costs_ingested_at') }}
    union
    select
        channel_id,
        revenue_date as activity_date
    from revenue
    where reported_at >= {{ incremental_watermark('revenue_reported_at') }}
    union
    select
        video_deletions.channel_id,
        cast(deletion_days.activity_day as date) as activity_date
    from video_deletions
    cross join lateral generate_series(
        cast(video_deletions.first_captured_at at time zone 'UTC' as date),
        cast(video_deletions.last_captured_at at time zone 'UTC' as date),
        interval '1 day'
    ) as deletion_days (activity_day)
    where video_deletions.changed_at >= {{ incremental_watermark('performance_changed_at') }}

),

touched_range as (

    select
        min(activity_date) as first_date,
        max(activity_date) as last_date
    from touched

),

touched_days as (

    select distinct
        channel_id,
        activity_date
    from touched

),

{% else %}

touched_range as (

    select
        cast('-infinity' as date) as first_date,
        cast('infinity' as date) as last_date

),

{% endif %}

-- The poll sums of a (channel, day) are those of its videos' days; when
-- incremental, only for the touched pairs, read within the touched dates
-- (on the fact_video_daily hypertable, its chunks outside them are skipped
-- once, when the statement starts).
performance_daily as (

    select
        video_days.channel_id,
        video_days.activity_date,
        sum(video_days.views) as views,
        sum(video_days.likes) as likes,
        sum(video_days.comments) as comments,
        sum(video_days.shares) as shares,
        sum(video_days.watch_time_minutes) as watch_time_minutes,
        sum(video_days.subscribers_net) as subscribers_net,
        max(video_days.performance_changed_at) as performance_changed_at
    from video_days
    {% if is_incremental() %}
    cross join touched_range
    inner join touched_days
        on
            video_days.channel_id = touched_days.channel_id
            and video_days.activity_date = touched_days.activity_date
    where
        video_days.activity_date >= touched_range.first_date
        and video_days.activity_date <= touched_range.last_date
    {% endif %}
    group by video_days.channel_id, video_days.activity_date

),

-- Costs and revenue by (channel, day) likewise: when incremental, only the
-- touched pairs (fact_revenue through its (channel_id, revenue_date) index).
costs_daily as (

    select
        costs.channel_id,
        cast(costs.incurred_at at time zone 'UTC' as date) as activity_date,
        sum(costs.total_cost_cents) as cost_cents,
        max(costs.ingested_at) as costs_ingested_at
    from costs
    cross join touched_range
    {% if is_incremental() %}
    inner join touched_days
        on
            costs.channel_id = touched_days.channel_id
            and cast(costs.incurred_at at time zone 'UTC' as date) = touched_days.activity_date
    {% endif %}
    where
        costs.channel_id is not null
        and costs.incurred_at >= cast(touched_range.first_date as timestamp) at time zone 'UTC'
        and costs.incurred_at < cast(touched_range.last_date + 1 as timestamp) at time zone 'UTC'
    group by costs.channel_id, cast(costs.incurred_at at time zone 'UTC' as date)

),

revenue_daily as (

    select
        revenue.channel_id,
        revenue.revenue_date as activity_date,
        sum(revenue.total_revenue_cents) as revenue_cents,
        max(revenue.reported_at) as revenue_reported_at
    from revenue
    cross join touched_range
    {% if is_incremental() %}
    inner join touched_days
        on
            revenue.channel_id = touched_days.channel_id
            and revenue.revenue_date = touched_days.activity_date
    {% endif %}
    where
        revenue.channel_id is not null
        and revenue.revenue_date between touched_range.first_date and touched_range.last_date
    group by revenue.channel_id, revenue.revenue_date

),

published_daily as (

    select
        channel_id,
        cast(published_at at time zone 'UTC' as date) as activity_date,
        count(*) as videos_published
    from videos
    where published_at is not null
    group by channel_id, cast(published_at at time zone 'UTC' as date)

),

channel_days as (

    select
        channel_id,
        activity_date
    from performance_daily
    union
    select
        channel_id,
        activity_date
    from costs_daily
    union
    select
        channel_id,
        activity_date
    from revenue_daily
    union
    select
        channel_id,
        activity_date
    from published_daily

),

{% if is_incremental() %}

in_scope as (

    select channel_days.*
    from channel_days
    inner join touched
        on
            channel_days.channel_id = touched.channel_id
            and channel_days.activity_date = touched.activity_date

),

{% else %}

in_scope as (

    select * from channel_days

),

{% endif %}

combined as (

    select
        in_scope.channel_id,
        in_scope.activity_date,
        coalesce(published_daily.videos_published, 0) as videos_published,
        coalesce(performance_daily.views, 0) as views,
        coalesce(performance_daily.likes, 0) as likes,
        coalesce(performance_daily.comments, 0) as comments,
        coalesce(performance_daily.shares, 0) as shares,
        coalesce(performance_daily.watch_time_minutes, 0) as watch_time_minutes,
        coalesce(performance_daily.subscribers_net, 0) as subscribers_net,
        coalesce(revenue_daily.revenue_cents, 0) as revenue_cents,
        coalesce(costs_daily.cost_cents, 0) as cost_cents,
        performance_daily.performance_changed_at,
        costs_daily.costs_ingested_at,
        revenue_daily.revenue_reported_at
    from in_scope
    left join performance_daily
        on
            in_scope.channel_id = performance_daily.channel_id
            and in_scope.activity_date = performance_daily.activity_date
    left join costs_daily
        on
            in_scope.channel_id = costs_daily.channel_id
            and in_scope.activity_date = costs_daily.activity_date
    left join revenue_daily
        on
            in_scope.channel_id = revenue_daily.channel_id
            and in_scope.activity_date = revenue_daily.activity_date
    left join published_daily
        on
            in_scope.channel_id = published_daily.channel_id
            and in_scope.activity_date = published_daily.activity_date

),

final as (

    select
        channels.channel_key,
        users.user_key,
        {{ date_key('combined.activity_date') }} as date_key,
        combined.channel_id,
        combined.activity_date,
        combined.videos_published,
        combined.views,
        combined.likes,
        combined.comments,
        combined.shares,
        combined.watch_time_minutes,
        combined.subscribers_net,
        combined.revenue_cents,
        combined.cost_cents,
        combined.revenue_cents - combined.cost_cents as profit_cents,
        {{ rpm_usd('combined.revenue_cents', 'combined.views') }} as rpm_usd,
        combined.performance_changed_at,
        combined.costs_ingested_at,
        combined.revenue_reported_at
    from combined
    left join channels
        on
            combined.channel_id = channels.channel_id
            and {{ valid_at('channels', utc_day_end('combined.activity_date')) }}
    left join users
        on
            channels.user_id = users.user_id
            and {{ valid_at('users', utc_day_end('combined.activity_date')) }}

)

select * from final
