"""Channel performance (delivery contract, "Dashboards"): refresh 10 m, default range 24 h.

The `channel` variable (multi-select, with All) filters every panel; the time picker offers the
contract's ranges (1 h, 6 h, 12 h, 24 h, 7 d, 30 d). The league table is mart_channel_performance's
7 days up to as_of whatever the range; the other panels follow the range.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import timeseries
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm

from ytempire_ops.dashboards.common import (
    DATASOURCE,
    FORMAT_TIME_SERIES,
    Sql,
    grid,
    new_dashboard,
    quick_ranges,
    table_panel,
)

UID = "ytempire-channels"
TITLE = "YTEMPIRE Channel performance"
REFRESH = "10m"
TIME_FROM = "24h"
TIME_RANGES = ("1h", "6h", "12h", "24h", "7d", "30d")
CHANNEL_VARIABLE = "channel"
# "All" is this literal, not the list of every channel_id (Grafana inserts a custom all value as written):
# the panels' `('__all' in ($channel) or channel_id in ($channel))` is then true before any row is read,
# and PostgreSQL drops the filter instead of testing each row against every id.
ALL_CHANNELS = "'__all'"

HOURS = range(24)


def channel_variable() -> db.QueryVariable:
    return (
        db.QueryVariable(CHANNEL_VARIABLE)
        .label("Channel")
        .description("Channels to show (their names at as_of).")
        .datasource(DATASOURCE)
        .query(
            "select channel_id as __value, channel_name as __text"
            " from analytics.mart_channel_performance order by channel_name, channel_id"
        )
        .multi(True)
        .include_all(True)
        .all_value(ALL_CHANNELS)
        .current(dm.VariableOption(selected=True, text=["All"], value=["$__all"]))
        .refresh(dm.VariableRefresh.ON_DASHBOARD_LOAD)
        .sort(dm.VariableSort.DISABLED)
    )


def _heatmap_sql() -> str:
    hours = ",\n".join(
        f"    coalesce(sum(views_gained) filter (where hour_of_day = {hour}), 0) as h{hour:02d}"
        for hour in HOURS
    )
    return f"""
with

-- the range's hours first (one row per hour: the hour-of-week arithmetic runs on few rows)
hourly as (
    select
        hour_start,
        sum(views_gained) as views_gained
    from analytics.fact_video_hourly
    where
        $__timeFilter(hour_start)
        and channel_id in ($channel)
    group by hour_start
),

hours as (
    select
        cast(extract(isodow from hour_start at time zone 'UTC') as integer) as iso_weekday,
        cast(extract(hour from hour_start at time zone 'UTC') as integer) as hour_of_day,
        views_gained
    from hourly
),

weekdays as (
    select
        iso_weekday,
        to_char(date '2024-01-01' + iso_weekday - 1, 'Dy') as weekday
    from generate_series(1, 7) as weekday_numbers (iso_weekday)
)

select
    weekdays.weekday,
{hours}
from weekdays
left join hours
    on weekdays.iso_weekday = hours.iso_weekday
group by weekdays.iso_weekday, weekdays.weekday
order by weekdays.iso_weekday
"""


def dashboard() -> db.Dashboard:
    league = table_panel(
        "Channel league, 7 days to as_of",
        "mart_channel_performance: the 7 UTC days up to the warehouse's as_of; ranks among all channels "
        "(1 = highest); views against the same window 7 days earlier; RPM tier above $5 high, above $2 average.",
        """
        select
            channel_name,
            niche,
            views,
            views_change_pct,
            round(avg_engagement_rate * 100, 2) as engagement_pct,
            revenue_usd,
            cost_usd,
            profit_usd,
            revenue_rank,
            views_rank,
            profit_rank,
            rpm_usd,
            rpm_tier
        from analytics.mart_channel_performance
        where ('__all' in ($channel) or channel_id in ($channel))
        order by revenue_rank, channel_name
        """,
        grid(0, 0, 24, 10),
        {
            "channel_name": "Channel",
            "niche": "Niche",
            "views": "Views, 7 d",
            "views_change_pct": "Views vs 7 d earlier",
            "engagement_pct": "Engagement",
            "revenue_usd": "Revenue",
            "cost_usd": "Cost",
            "profit_usd": "Profit",
            "revenue_rank": "Revenue rank",
            "views_rank": "Views rank",
            "profit_rank": "Profit rank",
            "rpm_usd": "RPM",
            "rpm_tier": "RPM tier",
        },
        {
            "views": "short",
            "views_change_pct": "percent",
            "engagement_pct": "percent",
            "revenue_usd": "currencyUSD",
            "cost_usd": "currencyUSD",
            "profit_usd": "currencyUSD",
            "rpm_usd": "currencyUSD",
        },
    )
    heatmap = table_panel(
        "Views by hour and weekday (UTC)",
        "Views gained per hour of the day (columns) and weekday (rows) in the time range "
        "(fact_video_hourly), coloured from few to many.",
        _heatmap_sql(),
        grid(0, 10, 24, 9),
        {"weekday": "Weekday"},
    ).override_by_regexp(
        "h\\d\\d",
        [
            dm.DynamicConfigValue(id_val="color", value={"mode": "continuous-GrYlRd"}),
            dm.DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-background"}),
        ],
    )
    top_videos = table_panel(
        "Top 10 videos by revenue",
        "Revenue of the revenue dates the time range touches (fact_revenue), highest first.",
        """
        with

        video_revenue as (
            select
                video_id,
                sum(total_revenue_cents) as revenue_cents
            from analytics.fact_revenue
            where
                revenue_date between cast($__timeFrom() as date) and cast($__timeTo() as date)
                and ('__all' in ($channel) or channel_id in ($channel))
            group by video_id
        )

        select
            videos.title,
            channels.channel_name,
            round(video_revenue.revenue_cents / 100.0, 2) as revenue_usd
        from video_revenue
        inner join analytics.dim_video as videos
            on video_revenue.video_id = videos.video_id
        left join analytics.mart_channel_performance as channels
            on videos.channel_id = channels.channel_id
        order by video_revenue.revenue_cents desc, videos.title
        limit 10
        """,
        grid(0, 19, 10, 10),
        {"title": "Video", "channel_name": "Channel", "revenue_usd": "Revenue"},
        {"revenue_usd": "currencyUSD"},
    )
    daily = (
        timeseries.Panel()
        .title("Daily views and revenue")
        .description(
            "Views gained and revenue per UTC day of the selected channels (channel_performance_daily), "
            "the days the time range touches."
        )
        .datasource(DATASOURCE)
        .with_target(
            Sql(
                """
                select
                    cast(activity_date as timestamp) at time zone 'UTC' as time,
                    sum(views) as views,
                    round(sum(revenue_cents) / 100.0, 2) as revenue_usd
                from analytics.channel_performance_daily
                where
                    $__timeFilter(activity_date)
                    and ('__all' in ($channel) or channel_id in ($channel))
                group by activity_date
                order by time
                """,
                FORMAT_TIME_SERIES,
            )
        )
        .grid_pos(grid(10, 19, 14, 10))
        .draw_style(cm.GraphDrawStyle.LINE)
        .show_points(cm.VisibilityMode.ALWAYS)
        .legend(
            cb.VizLegendOptions()
            .show_legend(True)
            .display_mode(cm.LegendDisplayMode.LIST)
            .placement(cm.LegendPlacement.BOTTOM)
        )
        .override_by_name(
            "revenue_usd",
            [
                dm.DynamicConfigValue(id_val="unit", value="currencyUSD"),
                dm.DynamicConfigValue(id_val="custom.axisPlacement", value="right"),
                dm.DynamicConfigValue(id_val="displayName", value="Revenue"),
            ],
        )
        .override_by_name("views", [dm.DynamicConfigValue(id_val="displayName", value="Views")])
    )
    return (
        new_dashboard(
            UID,
            TITLE,
            "Channels' league, views by hour and weekday, top videos and daily views and revenue.",
            REFRESH,
            TIME_FROM,
        )
        .timepicker(quick_ranges(TIME_RANGES))
        .with_variable(channel_variable())
        .with_panel(league)
        .with_panel(heatmap)
        .with_panel(top_videos)
        .with_panel(daily)
    )
