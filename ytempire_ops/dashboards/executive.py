"""Executive: the platform at a glance (delivery contract, "Dashboards"): refresh 5 m, default range 7 d."""

from __future__ import annotations

from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import gauge, stat, timeseries
from grafana_foundation_sdk.models import common as cm

from ytempire_ops.dashboards.common import (
    BLUE,
    COST_CRITICAL_USD,
    COST_WARNING_USD,
    DATASOURCE,
    FORMAT_TIME_SERIES,
    GREEN,
    RED,
    REVENUE_7D_GREEN_USD,
    REVENUE_7D_YELLOW_USD,
    ROI_GAUGE_MAX_PCT,
    ROI_GREEN_PCT,
    ROI_YELLOW_PCT,
    YELLOW,
    Sql,
    grid,
    new_dashboard,
    table_panel,
    thresholds,
)

UID = "ytempire-executive"
TITLE = "YTEMPIRE Executive"
REFRESH = "5m"
TIME_FROM = "7d"


def _stat(title: str, sql: str, x: int, w: int = 4) -> stat.Panel:
    return (
        stat.Panel()
        .title(title)
        .datasource(DATASOURCE)
        .with_target(Sql(sql))
        .grid_pos(grid(x, 0, w, 5))
        .reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .color_mode(cm.BigValueColorMode.BACKGROUND)
        .graph_mode(cm.BigValueGraphMode.NONE)
    )


def dashboard() -> db.Dashboard:
    revenue = (
        _stat(
            "Revenue, 7 days",
            "select revenue_7d_usd from analytics.mart_executive_overview",
            0,
        )
        .description("Revenue of the 7 UTC days up to as_of (mart_executive_overview.revenue_7d_usd).")
        .unit("currencyUSD")
        .decimals(0)
        .thresholds(thresholds(RED, (REVENUE_7D_YELLOW_USD, YELLOW), (REVENUE_7D_GREEN_USD, GREEN)))
    )
    cost = (
        _stat(
            "Avg cost per video, 7 days",
            "select avg_cost_per_video_usd from analytics.mart_executive_overview",
            4,
        )
        .description(
            "Average cost per video produced in the 7 days (first cost line in the window); "
            "warning at $2.50, critical at $3.00."
        )
        .unit("currencyUSD")
        .decimals(2)
        .thresholds(thresholds(GREEN, (COST_WARNING_USD, YELLOW), (COST_CRITICAL_USD, RED)))
    )
    roi = (
        gauge.Panel()
        .title("ROI, 7 days")
        .description(
            "(revenue - cost) / cost x 100 over the 7 days' totals (mart_executive_overview.roi_7d_pct)."
        )
        .datasource(DATASOURCE)
        .with_target(Sql("select roi_7d_pct from analytics.mart_executive_overview"))
        .grid_pos(grid(8, 0, 4, 5))
        .reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .unit("percent")
        .decimals(0)
        .min(0)
        .max(ROI_GAUGE_MAX_PCT)
        .show_threshold_markers(True)
        .thresholds(thresholds(RED, (ROI_YELLOW_PCT, YELLOW), (ROI_GREEN_PCT, GREEN)))
    )
    active = (
        _stat("Active channels", "select active_channels from analytics.mart_executive_overview", 12)
        .description("Channels whose status is 'active' at as_of.")
        .thresholds(thresholds(BLUE))
    )
    published = (
        _stat(
            "Videos published today",
            "select videos_published_today from analytics.mart_executive_overview",
            16,
        )
        .description("Videos published on as_of's UTC date.")
        .thresholds(thresholds(BLUE))
    )
    at_goal = (
        _stat("Users at goal", "select users_at_goal from analytics.mart_executive_overview", 20)
        .description("Users whose revenue this month reached their monthly target.")
        .thresholds(thresholds(BLUE))
    )
    revenue_vs_cost = (
        timeseries.Panel()
        .title("Revenue vs cost, daily, 30 days")
        .description(
            "Revenue (by revenue date) and cost (by the day it was incurred) per UTC day (mart_platform_daily)."
        )
        .datasource(DATASOURCE)
        .time_from("30d")
        .with_target(
            Sql(
                """
                select
                    cast(date_day as timestamp) at time zone 'UTC' as time,
                    revenue_usd as revenue,
                    cost_usd as cost
                from analytics.mart_platform_daily
                where $__timeFilter(date_day)
                order by time
                """,
                FORMAT_TIME_SERIES,
            )
        )
        .grid_pos(grid(0, 5, 14, 10))
        .unit("currencyUSD")
        .draw_style(cm.GraphDrawStyle.BARS)
        .fill_opacity(60)
        .legend(
            cb.VizLegendOptions()
            .show_legend(True)
            .display_mode(cm.LegendDisplayMode.LIST)
            .placement(cm.LegendPlacement.BOTTOM)
        )
    )
    top_videos = table_panel(
        "Top 10 videos by revenue, 7 days",
        "Revenue of the 7 UTC days up to as_of (fact_revenue), highest first.",
        """
        with

        overview as (
            select window_start_date, as_of_date from analytics.mart_executive_overview
        ),

        video_revenue as (
            select
                revenue.video_id,
                sum(revenue.total_revenue_cents) as revenue_cents
            from analytics.fact_revenue as revenue
            inner join overview
                on revenue.revenue_date between overview.window_start_date and overview.as_of_date
            group by revenue.video_id
        )

        select
            videos.title,
            channels.channel_name,
            videos.published_at,
            round(video_revenue.revenue_cents / 100.0, 2) as revenue_usd
        from video_revenue
        inner join analytics.dim_video as videos
            on video_revenue.video_id = videos.video_id
        left join analytics.mart_channel_performance as channels
            on videos.channel_id = channels.channel_id
        order by video_revenue.revenue_cents desc, videos.title
        limit 10
        """,
        grid(14, 5, 10, 10),
        {
            "title": "Video",
            "channel_name": "Channel",
            "published_at": "Published",
            "revenue_usd": "Revenue, 7 days",
        },
        {"revenue_usd": "currencyUSD", "published_at": "dateTimeAsIso"},
    )
    return (
        new_dashboard(
            UID,
            TITLE,
            "The platform at a glance: revenue, cost per video and ROI of the 7 days up to the warehouse's as_of.",
            REFRESH,
            TIME_FROM,
        )
        .with_panel(revenue)
        .with_panel(cost)
        .with_panel(roi)
        .with_panel(active)
        .with_panel(published)
        .with_panel(at_goal)
        .with_panel(revenue_vs_cost)
        .with_panel(top_videos)
    )
