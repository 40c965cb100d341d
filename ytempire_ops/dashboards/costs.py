"""Cost optimization (delivery contract, "Dashboards"): refresh 5 m, default range 30 d.

Cost per video against the budget: $2.50 warning, $3.00 critical (the contract's, not the seeds'
$0.40-0.50 colours). A video's cost belongs to the day it was produced (its first cost line,
docs/decisions.md); cost per day by category is what was incurred that day.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import barchart, bargauge, timeseries
from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm

from ytempire_ops.dashboards.common import (
    COST_CRITICAL_USD,
    COST_WARNING_USD,
    DATASOURCE,
    FORMAT_TIME_SERIES,
    GREEN,
    RED,
    YELLOW,
    Sql,
    grid,
    new_dashboard,
    table_panel,
    thresholds,
)

UID = "ytempire-costs"
TITLE = "YTEMPIRE Cost optimization"
REFRESH = "5m"
TIME_FROM = "30d"

CATEGORIES = ("ai", "api", "compute", "storage", "bandwidth")
# column -> (label, colour): within budget green, $2.00-3.00 (the warning starts at $2.50) yellow, over $3.00 red
BUCKETS = {
    "videos_under_1": ("under $1", GREEN),
    "videos_1_to_2": ("$1-2", GREEN),
    "videos_2_to_3": ("$2-3", YELLOW),
    "videos_over_3": ("over $3", RED),
}


def _legend() -> cb.VizLegendOptions:
    return (
        cb.VizLegendOptions()
        .show_legend(True)
        .display_mode(cm.LegendDisplayMode.LIST)
        .placement(cm.LegendPlacement.BOTTOM)
    )


def _distribution(title: str, description: str, sql: str, x_field: str, pos: dm.GridPos) -> barchart.Panel:
    return (
        barchart.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .with_target(Sql(sql))
        .grid_pos(pos)
        .x_field(x_field)
        .unit("currencyUSD")
        .decimals(2)
        .show_value(cm.VisibilityMode.AUTO)
        .legend(_legend())
        .thresholds(thresholds(GREEN, (COST_WARNING_USD, YELLOW), (COST_CRITICAL_USD, RED)))
        .thresholds_style(cb.GraphThresholdsStyleConfig().mode(cm.GraphThresholdsStyleMode.DASHED))
    )


def dashboard() -> db.Dashboard:
    avg_per_day = (
        timeseries.Panel()
        .title("Avg cost per video per day")
        .description(
            "Average cost per video of the videos produced each UTC day (mart_cost_breakdown_daily), "
            "with the $2.50 warning and $3.00 critical lines."
        )
        .datasource(DATASOURCE)
        .with_target(
            Sql(
                """
                select
                    cast(cost_date as timestamp) at time zone 'UTC' as time,
                    round(sum(total_cost_cents) / sum(videos) / 100.0, 2) as avg_cost_per_video_usd
                from analytics.mart_cost_breakdown_daily
                where $__timeFilter(cost_date)
                group by cost_date
                order by time
                """,
                FORMAT_TIME_SERIES,
            )
        )
        .grid_pos(grid(0, 0, 12, 9))
        .unit("currencyUSD")
        .decimals(2)
        .min(0)
        .show_points(cm.VisibilityMode.ALWAYS)
        .legend(_legend())
        .thresholds(thresholds(GREEN, (COST_WARNING_USD, YELLOW), (COST_CRITICAL_USD, RED)))
        .thresholds_style(cb.GraphThresholdsStyleConfig().mode(cm.GraphThresholdsStyleMode.LINE))
    )
    by_category = (
        timeseries.Panel()
        .title("Cost per day by category")
        .description("Cost line items incurred each UTC day, per category, stacked (mart_platform_daily).")
        .datasource(DATASOURCE)
        .with_target(
            Sql(
                "select\n    cast(date_day as timestamp) at time zone 'UTC' as time,\n"
                + ",\n".join(f"    {category}_cost_usd as {category}" for category in CATEGORIES)
                + "\nfrom analytics.mart_platform_daily\nwhere $__timeFilter(date_day)\norder by time",
                FORMAT_TIME_SERIES,
            )
        )
        .grid_pos(grid(12, 0, 12, 9))
        .unit("currencyUSD")
        .draw_style(cm.GraphDrawStyle.BARS)
        .fill_opacity(80)
        .stacking(cb.StackingConfig().mode(cm.StackingMode.NORMAL).group("A"))
        .legend(_legend())
    )
    by_method = _distribution(
        "Cost per video by generation method, 7 days",
        "Average, median and 90th percentile cost per video of the videos produced in the 7 days up to as_of "
        "(mart_cost_by_method_7d).",
        """
        select
            generation_method,
            avg_cost_usd,
            median_cost_usd,
            p90_cost_usd
        from analytics.mart_cost_by_method_7d
        order by generation_method
        """,
        "generation_method",
        grid(0, 9, 12, 9),
    )
    by_provider = _distribution(
        "Cost per video by provider, 7 days",
        "Per provider (cost subcategory), over the videos produced in the 7 days up to as_of with a line of it: "
        "average, median and 90th percentile of what each was charged (mart_cost_by_provider_7d).",
        """
        select
            provider,
            avg_cost_usd,
            median_cost_usd,
            p90_cost_usd
        from analytics.mart_cost_by_provider_7d
        order by avg_cost_usd desc, provider
        """,
        "provider",
        grid(12, 9, 12, 9),
    )
    buckets = (
        bargauge.Panel()
        .title("Videos per cost bucket")
        .description("Videos produced in the time range by what each cost (mart_cost_breakdown_daily).")
        .datasource(DATASOURCE)
        .with_target(
            Sql(
                "select\n"
                + ",\n".join(f"    coalesce(sum({column}), 0) as {column}" for column in BUCKETS)
                + "\nfrom analytics.mart_cost_breakdown_daily\nwhere $__timeFilter(cost_date)"
            )
        )
        .grid_pos(grid(0, 18, 8, 9))
        .reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .display_mode(cm.BarGaugeDisplayMode.BASIC)
        .orientation(cm.VizOrientation.HORIZONTAL)
        .min(0)
        .thresholds(thresholds("blue"))
        .overrides([_bucket_override(column, label, colour) for column, (label, colour) in BUCKETS.items()])
    )
    over_budget = table_panel(
        "Videos at or above $2.50, 7 days",
        "Videos produced in the 7 days up to as_of whose cost reached the $2.50 warning, most expensive first "
        "(mart_video_economics).",
        """
        with

        overview as (
            select
                cast(window_start_date as timestamp) at time zone 'UTC' as window_start_at,
                as_of
            from analytics.mart_executive_overview
        )

        select
            videos.video_id,
            videos.title,
            videos.channel_id,
            videos.content_type,
            videos.generation_method,
            round(videos.total_cost_cents / 100.0, 2) as total_cost_usd,
            videos.cost_alert_level,
            videos.first_cost_incurred_at
        from analytics.mart_video_economics as videos
        inner join overview
            on
                videos.first_cost_incurred_at >= overview.window_start_at
                and videos.first_cost_incurred_at <= overview.as_of
        where videos.cost_alert_level is not null
        order by videos.total_cost_cents desc, videos.video_id
        """,
        grid(8, 18, 16, 9),
        {
            "video_id": "Video id",
            "title": "Title",
            "channel_id": "Channel id",
            "content_type": "Content type",
            "generation_method": "Method",
            "total_cost_usd": "Cost",
            "cost_alert_level": "Level",
            "first_cost_incurred_at": "Produced",
        },
        {"total_cost_usd": "currencyUSD", "first_cost_incurred_at": "dateTimeAsIso"},
    )
    return (
        new_dashboard(
            UID,
            TITLE,
            "Cost per video against the $3.00 budget ($2.50 warning): by day, category, method, provider and bucket.",
            REFRESH,
            TIME_FROM,
        )
        .with_panel(avg_per_day)
        .with_panel(by_category)
        .with_panel(by_method)
        .with_panel(by_provider)
        .with_panel(buckets)
        .with_panel(over_budget)
    )


def _bucket_override(column: str, label: str, colour: str) -> db.DashboardFieldConfigSourceOverrides:
    """A bucket's bar: its label and a fixed colour."""
    return (
        db.DashboardFieldConfigSourceOverrides()
        .matcher(dm.MatcherConfig(id_val="byName", options=column))
        .properties(
            [
                dm.DynamicConfigValue(id_val="displayName", value=label),
                dm.DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": colour}),
            ]
        )
    )
