"""Operations (delivery contract, "Dashboards"): refresh 1 m, default range 24 h.

The pipeline, API quota and alerts are the marts' (their as_of); the newest poll's age is measured
against the clock, and the refresh runs come from analytics.run_history (the CLI's ops.run_history,
as a view the reporter may read).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, stat, timeseries
from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm

from ytempire_ops.dashboards.common import (
    API_QUOTA_LOW_LEFT,
    API_QUOTA_UNITS,
    BLUE,
    DATASOURCE,
    FORMAT_TIME_SERIES,
    GREEN,
    RED,
    STALE_CRITICAL_SECONDS,
    STALE_WARNING_SECONDS,
    YELLOW,
    Sql,
    grid,
    new_dashboard,
    table_panel,
    thresholds,
)

UID = "ytempire-operations"
TITLE = "YTEMPIRE Operations"
REFRESH = "1m"
TIME_FROM = "24h"

# Fewer than 1,000 units left of the 10,000 is more than 9,000 used; units are whole numbers, so the
# bar turns red at 9,001 used (the YouTubeQuotaExhaustion alert's rule).
QUOTA_RED_AT_USED = API_QUOTA_UNITS - API_QUOTA_LOW_LEFT + 1


def _stat(title: str, description: str, sql: str, pos: dm.GridPos) -> stat.Panel:
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .with_target(Sql(sql))
        .grid_pos(pos)
        .reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .color_mode(cm.BigValueColorMode.VALUE)
        .graph_mode(cm.BigValueGraphMode.NONE)
    )


def _properties(*properties: tuple[str, object]) -> list[dm.DynamicConfigValue]:
    return [dm.DynamicConfigValue(id_val=key, value=value) for key, value in properties]


def dashboard() -> db.Dashboard:
    pipeline = (
        _stat(
            "Pipeline, 24 h",
            "Generation jobs (mart_pipeline_status): queued and processing now, completed and failed in the 24 h "
            "before as_of, failure rate (failed / finished) and average completion time; degraded at 5 failures "
            "or a failure rate above 10 %.",
            """
            select
                queued,
                processing,
                completed,
                failed,
                round(failure_rate * 100, 2) as failure_rate_pct,
                avg_completion_minutes
            from analytics.mart_pipeline_status
            """,
            grid(0, 0, 16, 5),
        )
        .thresholds(thresholds(BLUE))
        .override_by_name(
            "failure_rate_pct",
            _properties(
                ("displayName", "failure rate"),
                ("unit", "percent"),
                (
                    "thresholds",
                    {
                        "mode": "absolute",
                        "steps": [{"color": GREEN, "value": None}, {"color": RED, "value": 10}],
                    },
                ),
            ),
        )
        .override_by_name("avg_completion_minutes", _properties(("unit", "m"), ("decimals", 1)))
    )
    health = (
        _stat(
            "Pipeline health",
            "healthy, or degraded when 5 or more jobs failed or the failure rate is above 10 % (24 h).",
            "select health from analytics.mart_pipeline_status",
            grid(16, 0, 4, 5),
        )
        .color_mode(cm.BigValueColorMode.BACKGROUND)
        .reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).values(False).fields("/^health$/"))
        .mappings(
            [
                dm.ValueMap(
                    options={
                        "healthy": dm.ValueMappingResult(color=GREEN, index=0),
                        "degraded": dm.ValueMappingResult(color=RED, index=1),
                    }
                )
            ]
        )
        .thresholds(thresholds(BLUE))
    )
    poll_age = (
        _stat(
            "Newest poll age",
            "Time since the newest metrics poll in the warehouse (fact_video_performance.captured_at) by the clock; "
            "warning after 15 minutes, critical after 60.",
            """
            select extract(epoch from now() - max(captured_at)) as newest_poll_age_seconds
            from analytics.fact_video_performance
            """,
            grid(20, 0, 4, 5),
        )
        .unit("s")
        .color_mode(cm.BigValueColorMode.BACKGROUND)
        .thresholds(thresholds(GREEN, (STALE_WARNING_SECONDS, YELLOW), (STALE_CRITICAL_SECONDS, RED)))
    )
    quota = (
        bargauge.Panel()
        .title("API quota used today")
        .description(
            "Units used per API account on as_of's Pacific-time quota day (mart_api_quota) against the daily "
            "10,000; red when fewer than 1,000 are left."
        )
        .datasource(DATASOURCE)
        .with_target(
            Sql(
                """
                select
                    quota.api_account,
                    quota.units_used
                from analytics.mart_api_quota as quota
                inner join analytics.mart_executive_overview as overview
                    on quota.quota_date = cast(overview.as_of at time zone 'America/Los_Angeles' as date)
                order by quota.api_account
                """
            )
        )
        .grid_pos(grid(0, 5, 8, 9))
        .reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).values(True).fields("/^units_used$/"))
        .display_mode(cm.BarGaugeDisplayMode.BASIC)
        .orientation(cm.VizOrientation.HORIZONTAL)
        .show_unfilled(True)
        .min(0)
        .max(API_QUOTA_UNITS)
        .thresholds(thresholds(GREEN, (QUOTA_RED_AT_USED, RED)))
    )
    alert_counts = _stat(
        "Alerts",
        "Open alerts (mart_alerts), the critical ones among them, and the alert episodes opened in the 24 h "
        "before as_of (alert_history).",
        """
        select
            (select count(*) from analytics.mart_alerts) as open_alerts,
            (select count(*) from analytics.mart_alerts where severity = 'critical') as critical_alerts,
            (
                select count(*)
                from analytics.alert_history as history
                inner join analytics.mart_executive_overview as overview
                    on history.opened_at > overview.as_of - interval '24 hours'
                    and history.opened_at <= overview.as_of
            ) as opened_24h
        """,
        grid(8, 5, 16, 4),
    ).thresholds(thresholds(BLUE))
    open_alerts = table_panel(
        "Open alerts",
        "Every open alert of mart_alerts, critical first.",
        """
        select
            severity,
            alert_type,
            entity_type,
            entity_id,
            message,
            metric_value,
            threshold
        from analytics.mart_alerts
        order by case severity when 'critical' then 0 else 1 end, alert_type, entity_id
        """,
        grid(8, 9, 16, 8),
        {
            "severity": "Severity",
            "alert_type": "Alert",
            "entity_type": "Entity type",
            "entity_id": "Entity",
            "message": "Message",
            "metric_value": "Value",
            "threshold": "Threshold",
        },
    )
    opened = table_panel(
        "Alerts opened in 24 h",
        "Alert episodes opened in the 24 h before as_of (alert_history), newest first; open ones have no "
        "resolved time and their duration so far.",
        """
        select
            history.opened_at,
            history.alert_type,
            history.severity,
            history.entity_id,
            history.resolved_at,
            history.duration_seconds
        from analytics.alert_history as history
        inner join analytics.mart_executive_overview as overview
            on
                history.opened_at > overview.as_of - interval '24 hours'
                and history.opened_at <= overview.as_of
        order by history.opened_at desc, history.alert_type, history.entity_id
        """,
        grid(0, 17, 12, 8),
        {
            "opened_at": "Opened",
            "alert_type": "Alert",
            "severity": "Severity",
            "entity_id": "Entity",
            "resolved_at": "Resolved",
            "duration_seconds": "Duration",
        },
        {"opened_at": "dateTimeAsIso", "resolved_at": "dateTimeAsIso", "duration_seconds": "s"},
    )
    step_seconds = (
        timeseries.Panel()
        .title("Refresh duration per step")
        .description(
            "Seconds of each step of every refresh started in the time range (analytics.run_history)."
        )
        .datasource(DATASOURCE)
        .with_target(
            Sql(
                """
                select
                    runs.started_at as time,
                    step.value ->> 'name' as metric,
                    cast(step.value ->> 'seconds' as numeric) as seconds
                from analytics.run_history as runs
                cross join lateral jsonb_array_elements(runs.steps) as step (value)
                where
                    $__timeFilter(runs.started_at)
                    and runs.command = 'refresh'
                order by time, metric
                """,
                FORMAT_TIME_SERIES,
            )
        )
        .grid_pos(grid(12, 17, 12, 8))
        .unit("s")
        .draw_style(cm.GraphDrawStyle.BARS)
        .fill_opacity(80)
        .stacking(cb.StackingConfig().mode(cm.StackingMode.NORMAL).group("A"))
        .legend(
            cb.VizLegendOptions()
            .show_legend(True)
            .display_mode(cm.LegendDisplayMode.LIST)
            .placement(cm.LegendPlacement.BOTTOM)
        )
    )
    runs = table_panel(
        "Refresh runs",
        "Every run of build, refresh, warm and alerts send started in the time range (analytics.run_history), "
        "newest first, with its status, exit code, duration and error.",
        """
        select
            started_at,
            command,
            status,
            exit_code,
            duration_seconds,
            error
        from analytics.run_history
        where $__timeFilter(started_at)
        order by started_at desc
        limit 200
        """,
        grid(0, 25, 24, 9),
        {
            "started_at": "Started",
            "command": "Command",
            "status": "Status",
            "exit_code": "Exit code",
            "duration_seconds": "Duration",
            "error": "Error",
        },
        {"started_at": "dateTimeAsIso", "duration_seconds": "s"},
    ).override_by_name(
        "status",
        [
            dm.DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-text"}),
            dm.DynamicConfigValue(
                id_val="mappings",
                value=[
                    {
                        "type": "value",
                        "options": {
                            "ok": {"color": GREEN, "index": 0},
                            "warn": {"color": YELLOW, "index": 1},
                            "skipped": {"color": BLUE, "index": 2},
                            "failed": {"color": RED, "index": 3},
                            "interrupted": {"color": RED, "index": 4},
                        },
                    }
                ],
            ),
        ],
    )
    return (
        new_dashboard(
            UID,
            TITLE,
            "The generation pipeline, API quota, alerts, data freshness and the warehouse's refresh runs.",
            REFRESH,
            TIME_FROM,
        )
        .with_panel(pipeline)
        .with_panel(health)
        .with_panel(poll_age)
        .with_panel(quota)
        .with_panel(alert_counts)
        .with_panel(open_alerts)
        .with_panel(opened)
        .with_panel(step_seconds)
        .with_panel(runs)
    )
