"""`ytempire-ops check`: the analyst's morning checklist in one command.

Source freshness (dbt source freshness), the latest dbt test results (kept in
analytics.dbt_test_results by an on-run-end hook), the open alerts of
mart_alerts, the alerts opened in the 24 hours before the warehouse's as_of with their durations
(analytics.alert_history), and quarantine counts when the warehouse has a quarantine relation
(*_quarantined). Then the morning's figures: the runs of the last 24 hours (ops.run_history),
yesterday's costs by category (fact_costs), each API account's quota today (mart_api_quota, with
the levels of mart_alerts' quota alerts), the database's size and connections, and a one-sentence
summary (mart_executive_overview, fact_revenue, mart_user_revenue_tracking).

"Yesterday" and "today" are those of the warehouse's as_of (mart_executive_overview's, the instant
the marts were built at), not the clock's; the runs are the clock's last 24 hours.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg2
from psycopg2 import sql

from ytempire_ops import errors, runs
from ytempire_ops.config import Settings
from ytempire_ops.dbt_ops import QUIET, invoke
from ytempire_ops.findings import Finding, Level, Report

OK, WARN, ERROR = Level.OK, Level.WARN, Level.ERROR


class CheckReport(Report):
    """The checklist: its rows are findings with a section; JSON {"level", "items": [...]}."""

    @property
    def items(self) -> list[Finding]:
        return self.findings

    def item(self, section: str, name: str, level: Level, detail: str) -> Finding:
        """Add one row of the checklist."""
        return self.add(name, level, detail, section=section)

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level.word,
            "items": [
                {
                    "section": f.section,
                    "name": f.name,
                    "level": f.level.word,
                    "detail": f.detail,
                    **({"data": f.data} if f.data else {}),
                }
                for f in self.items
            ],
        }


def check_freshness(settings: Settings, report: CheckReport) -> None:
    from ytempire_ops.dbt_ops import kept_manifest

    # the parse refresh keeps (manifest_cache)
    summary = invoke(
        ["source", "freshness"], settings, list(QUIET), manifest=kept_manifest(settings, list(QUIET))
    )
    summary.nodes = [node for node in summary.nodes if node.resource_type == "source"]
    if not summary.nodes:
        report.item("freshness", "dbt source freshness", ERROR, summary.error or "no result")
        return
    for node in summary.nodes:
        status = node.status
        level = OK if status == "pass" else WARN if status == "warn" else ERROR
        detail = status if status in {"pass", "warn", "error"} else f"{status}: {node.message or ''}".strip()
        report.item("freshness", node.unique_id.removeprefix("source.ytempire_analytics."), level, detail)


def _relation_exists(cur: Any, schema: str, name: str) -> bool:
    cur.execute("select to_regclass(%s) is not null", (f"{schema}.{name}",))
    return bool(cur.fetchone()[0])


def project_test_ids(settings: Settings) -> set[str] | None:
    """The unique ids of every data and unit test of the project (from the kept parse), None if unknown."""
    from ytempire_ops.dbt_ops import kept_manifest

    manifest = kept_manifest(settings, list(QUIET))
    if manifest is None:
        return None
    ids = {uid for uid, node in manifest.nodes.items() if str(node.resource_type) == "test"}
    return ids | set(getattr(manifest, "unit_tests", {}) or {})


def check_tests(cur: Any, report: CheckReport, project_tests: set[str] | None = None) -> None:
    if not _relation_exists(cur, "analytics", "dbt_test_results"):
        report.item("tests", "latest dbt test results", WARN, "no test results yet; run `dbt build`")
        return
    cur.execute(
        """
        with latest as (
            select invocation_id, max(finished_at) as finished_at
            from analytics.dbt_test_results
            group by invocation_id
            order by finished_at desc
            limit 1
        )
        select r.status, r.test_name, l.finished_at, r.unique_id
        from analytics.dbt_test_results as r
        join latest as l using (invocation_id)
        order by r.test_name
        """
    )
    rows = cur.fetchall()
    counts: dict[str, int] = {}
    for status, *_ in rows:
        counts[status] = counts.get(status, 0) + 1
    finished = rows[0][2].isoformat() if rows else "-"
    failing = [name for status, name, *_ in rows if status in {"fail", "error"}]
    warning = [name for status, name, *_ in rows if status == "warn"]
    level = ERROR if failing else WARN if warning else OK
    summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("pass", "warn", "fail", "error", "skipped"))
    report.item("tests", f"latest run at {finished}", level, summary)
    # Partial results: tests the latest invocation skipped (a model they read failed), or did not
    # select at all (`dbt build --select ...`), are not known to pass.
    recorded = {unique_id for *_, unique_id in rows}
    skipped = counts.get("skipped", 0)
    missing = len(project_tests - recorded) if project_tests else 0
    if skipped or missing:
        parts = [f"{skipped} skipped"] if skipped else []
        parts += [f"{missing} not run"] if missing else []
        total = len(project_tests) if project_tests else len(rows)
        report.item(
            "tests",
            "partial results",
            WARN,
            f"{' and '.join(parts)} of {total} tests in the latest run; `dbt test` runs them all",
        )
    for name in failing:
        report.item("tests", name, ERROR, "failing")
    for name in warning:
        report.item("tests", name, WARN, "warning")


def check_alerts(cur: Any, report: CheckReport) -> None:
    if not _relation_exists(cur, "analytics", "mart_alerts"):
        report.item("alerts", "mart_alerts", WARN, "not built yet; run `dbt build`")
        return
    cur.execute(
        """
        select alert_type, severity, entity_type, entity_id, message
        from analytics.mart_alerts
        order by case severity when 'critical' then 0 else 1 end, alert_type, entity_id
        """
    )
    rows = cur.fetchall()
    if not rows:
        report.item("alerts", "open alerts", OK, "none")
    for alert_type, severity, entity_type, entity_id, message in rows:
        level = ERROR if severity == "critical" else WARN
        report.item("alerts", f"{alert_type} {entity_type}:{entity_id}", level, message)


# The episodes of analytics.alert_history opened in the 24 hours up to the warehouse's as_of (that of
# mart_executive_overview, else the latest instant the history holds), newest first.
OPENED_IN_24H = """
with warehouse as (
    select coalesce(
        {overview_as_of},
        (select max(coalesce(resolved_at, last_seen_at)) from analytics.alert_history)
    ) as as_of
)
select h.alert_type, h.severity, h.entity_type, h.entity_id, h.opened_at, h.resolved_at,
       h.duration_seconds, h.metric_value, h.threshold, h.metric_unit, w.as_of
from analytics.alert_history as h
cross join warehouse as w
where h.opened_at > w.as_of - make_interval(hours => {hours}) and h.opened_at <= w.as_of
order by h.opened_at desc, h.alert_type, h.entity_type, h.entity_id
"""
HISTORY_WINDOW_HOURS = 24


def duration_text(seconds: int) -> str:
    """A duration in words: 45 s, 12 min, 3 h 05 min, 2 d 4 h."""
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def check_alert_history(cur: Any, report: CheckReport) -> None:
    """The alerts opened in the last 24 h (alert_history), each with how long it lasted or has lasted."""
    section = "alerts opened in 24 h"
    if not _relation_exists(cur, "analytics", "alert_history"):
        report.item(section, "alert_history", WARN, "not built yet; run `ytempire-ops build`")
        return
    overview = _relation_exists(cur, "analytics", "mart_executive_overview")
    cur.execute(
        sql.SQL(OPENED_IN_24H).format(
            overview_as_of=sql.SQL(
                "(select max(as_of) from analytics.mart_executive_overview)" if overview else "null"
            ),
            hours=sql.Literal(HISTORY_WINDOW_HOURS),
        )
    )
    columns = [column.name for column in cur.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
    if not rows:
        report.item(section, f"opened in the {HISTORY_WINDOW_HOURS} h before as_of", OK, "none")
    for row in rows:
        opened_at, resolved_at, seconds = row["opened_at"], row["resolved_at"], row["duration_seconds"]
        state = (
            f"resolved at {resolved_at.isoformat()} after {duration_text(seconds)}"
            if resolved_at is not None
            else f"open for {duration_text(seconds)}"
        )
        finding = report.item(
            section,
            f"{row['alert_type']} {row['entity_type']}:{row['entity_id']}",
            OK,
            f"{row['severity']}, opened at {opened_at.isoformat()}, {state}",
        )
        finding.data = {
            **{name: row[name] for name in ("alert_type", "severity", "entity_type", "entity_id")},
            "opened_at": opened_at.isoformat(),
            "resolved_at": resolved_at.isoformat() if resolved_at is not None else None,
            "duration_seconds": seconds,
            "last_value": _text(row["metric_value"]),
            "threshold": _text(row["threshold"]),
            "metric_unit": row["metric_unit"],
            "as_of": row["as_of"].isoformat(),
        }


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def check_quarantine(cur: Any, report: CheckReport) -> None:
    cur.execute(
        """
        select table_schema, table_name from information_schema.tables
        where table_schema in ('analytics', 'intermediate', 'staging') and table_name like '%%quarantined'
        order by 1, 2
        """
    )
    for schema, name in cur.fetchall():
        cur.execute(
            sql.SQL("select source_table, reason, count(*) from {}.{} group by 1, 2 order by 1, 2").format(
                sql.Identifier(schema), sql.Identifier(name)
            )
        )
        rows = cur.fetchall()
        if not rows:
            report.item("quarantine", f"{schema}.{name}", OK, "empty")
        for source_table, reason, count in rows:
            report.item("quarantine", f"{source_table}: {reason}", WARN, f"{count:,} rows")


# --------------------------------------------------------------------------- the morning's figures

RUNS_SECTION = "overnight runs"
COSTS_SECTION = "yesterday's costs"
QUOTA_SECTION = "api quota today"
DATABASE_SECTION = "database"
SUMMARY_SECTION = "morning summary"
RUNS_WINDOW_HOURS = 24
# Statuses of ops.run_history that mean the run did not do its work, and those that mean it did.
UNSUCCESSFUL = ("failed", "interrupted")
SUCCESSFUL = ("ok", "warn")
# mart_alerts' severities as check's levels (as in the "alerts" section).
SEVERITY_LEVELS = {"critical": ERROR, "warning": WARN}


def _json_value(value: Any) -> Any:
    """A figure as JSON has it: numerics (already rounded by the SQL) as numbers, instants and dates in ISO 8601."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _usd(value: Any) -> str:
    return "-" if value is None else f"${value:,.2f}"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _rows(cur: Any) -> list[dict[str, Any]]:
    columns = [column.name for column in cur.description]
    return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]


def _missing(cur: Any, report: CheckReport, section: str, relations: tuple[str, ...]) -> bool:
    """True (and one warn row) when one of the analytics relations a section reads is not built."""
    for name in relations:
        if not _relation_exists(cur, "analytics", name):
            report.item(section, name, WARN, "not built yet; run `ytempire-ops build`")
            return True
    return False


OVERVIEW_AS_OF = (
    "select max(as_of) as as_of, max(as_of_date) as as_of_date from analytics.mart_executive_overview"
)


# The runs started in (start, end], by command and status.
RUN_COUNTS = """
select command, status, count(*) as runs
from {table}
where started_at > %(start)s and started_at <= %(end)s
group by command, status
order by command, status
"""

# Each unsuccessful run of the window, newest first, and whether a later run of the same command did
# its work: then the failure is behind us (warn), else it stands (error).
UNSUCCESSFUL_RUNS = """
select r.run_id::text as run_id, r.command, r.status, r.started_at, r.finished_at, r.exit_code, r.error,
       exists (
           select 1 from {table} as later
           where later.command = r.command and later.started_at > r.started_at
             and later.status in ({successful})
       ) as recovered
from {table} as r
where r.started_at > %(start)s and r.started_at <= %(end)s and r.status in ({unsuccessful})
order by r.started_at desc, r.command
"""


def check_runs(cur: Any, report: CheckReport, hours: int = RUNS_WINDOW_HOURS) -> None:
    """The recorded runs of the last `hours` (the clock's, not as_of's): counts by command and status,
    and every failed or interrupted run with its time, exit code and error's first line."""
    if not _relation_exists(cur, runs.SCHEMA, runs.TABLE):
        report.item(
            RUNS_SECTION,
            f"{runs.SCHEMA}.{runs.TABLE}",
            WARN,
            "no run recorded yet: build, refresh, warm and alerts send record theirs",
        )
        return
    cur.execute("select now() - make_interval(hours => %s), now()", (hours,))
    start, end = cur.fetchone()
    window = {"start": start, "end": end}
    parts = {
        "table": sql.SQL("{}.{}").format(sql.Identifier(runs.SCHEMA), sql.Identifier(runs.TABLE)),
        "successful": sql.SQL(", ").join(sql.Literal(status) for status in SUCCESSFUL),
        "unsuccessful": sql.SQL(", ").join(sql.Literal(status) for status in UNSUCCESSFUL),
    }
    cur.execute(sql.SQL(RUN_COUNTS).format(**parts), window)
    counts = _rows(cur)
    cur.execute(sql.SQL(UNSUCCESSFUL_RUNS).format(**parts), window)
    failures = _rows(cur)
    window_data = {"window_start": start.isoformat(), "window_end": end.isoformat()}
    if not counts:
        finding = report.item(RUNS_SECTION, f"runs in the last {hours} h", WARN, "none recorded")
        finding.data = {"runs": 0, **window_data}
        return
    by_command: dict[str, dict[str, int]] = {}
    for row in counts:
        by_command.setdefault(row["command"], {})[row["status"]] = int(row["runs"])
    for command, statuses in by_command.items():
        total = sum(statuses.values())
        finding = report.item(
            RUNS_SECTION,
            command,
            WARN if any(statuses.get(status) for status in UNSUCCESSFUL) else OK,
            f"{_plural(total, 'run')} in the last {hours} h: "
            + ", ".join(f"{statuses[status]} {status}" for status in runs.STATUSES if status in statuses),
        )
        finding.data = {"command": command, "runs": total, "by_status": statuses, **window_data}
    for run in failures:
        error = (run["error"].strip().splitlines() or [None])[0] if run["error"] else None
        after = "; a later run succeeded" if run["recovered"] else ""
        finding = report.item(
            RUNS_SECTION,
            f"{run['command']} {run['status']} at {run['started_at'].isoformat()}",
            WARN if run["recovered"] else ERROR,
            f"exit {run['exit_code']}: {error or 'no error recorded'}{after}",
        )
        finding.data = {
            **{name: run[name] for name in ("run_id", "command", "status", "exit_code", "recovered")},
            "started_at": run["started_at"].isoformat(),
            "finished_at": run["finished_at"].isoformat(),
            "error": error,
        }


# Yesterday: the UTC day before as_of's (mart_executive_overview.as_of_date). Per cost_category and
# in total (grouping sets; the total row comes even over no line): cost lines, videos with a line,
# the total of every line (channel-level lines, which belong to no video, included) and the average
# per video over the lines of a video (what a video's cost is made of, as in mart_video_economics).
COSTS_OF_DAY = """
with lines as (
    select cost_category, video_id, total_cost_cents
    from analytics.fact_costs
    where incurred_at >= cast(%(day)s as timestamp) at time zone 'UTC'
      and incurred_at < cast(%(day)s + 1 as timestamp) at time zone 'UTC'
)
select
    grouping(cost_category) = 1 as is_total,
    cost_category,
    count(*) as cost_lines,
    count(distinct video_id) as videos,
    round(coalesce(sum(total_cost_cents), 0) / 100.0, 2) as total_cost_usd,
    round(coalesce(sum(total_cost_cents) filter (where video_id is not null), 0) / 100.0, 2) as video_cost_usd,
    round(
        sum(total_cost_cents) filter (where video_id is not null) / nullif(count(distinct video_id), 0) / 100.0, 2
    ) as avg_cost_per_video_usd
from lines
group by grouping sets ((cost_category), ())
order by is_total, cost_category
"""
COST_FIGURES = ("cost_lines", "videos", "total_cost_usd", "video_cost_usd", "avg_cost_per_video_usd")


def check_costs_yesterday(cur: Any, report: CheckReport) -> None:
    """Yesterday's cost lines (fact_costs) per cost_category and in total."""
    if _missing(cur, report, COSTS_SECTION, ("mart_executive_overview", "fact_costs")):
        return
    cur.execute(OVERVIEW_AS_OF)
    as_of, as_of_date = cur.fetchone()
    if as_of_date is None:
        report.item(COSTS_SECTION, "mart_executive_overview", WARN, "empty; run `ytempire-ops build`")
        return
    cost_date = as_of_date - timedelta(days=1)
    cur.execute(COSTS_OF_DAY, {"day": cost_date})
    for row in _rows(cur):
        total = row["is_total"]
        detail = (
            f"{_plural(row['videos'], 'video')}, {_usd(row['total_cost_usd'])} total, "
            f"{_usd(row['avg_cost_per_video_usd'])} per video"
            if row["cost_lines"]
            else "no cost line"
        )
        finding = report.item(
            COSTS_SECTION,
            "total" if total else row["cost_category"],
            OK,
            f"{cost_date.isoformat()} (UTC): {detail}" if total else detail,
        )
        finding.data = {
            "cost_date": cost_date.isoformat(),
            "cost_category": None if total else row["cost_category"],
            **{name: _json_value(row[name]) for name in COST_FIGURES},
            "as_of": as_of.isoformat(),
        }


# The accounts with calls on as_of's Pacific quota day (mart_api_quota.is_current_quota_day).
QUOTA_TODAY = """
select api_account, quota_date, units_used, units_remaining, daily_quota_units, calls, error_calls,
       round(100.0 * units_used / nullif(daily_quota_units, 0), 1) as pct_used
from analytics.mart_api_quota
where is_current_quota_day
order by api_account
"""

# The warehouse's own alerts about an API account (YouTubeQuotaExhaustion): their severity is the level.
ACCOUNT_ALERTS = """
select entity_id, alert_type, severity, message, metric_value, threshold, metric_unit
from analytics.mart_alerts
where entity_type = 'api_account'
order by entity_id, alert_type
"""


def check_quota(cur: Any, report: CheckReport) -> None:
    """Each API account's units used today against its daily quota; the level is that of the
    warehouse's open quota alerts for the account (mart_alerts), so the thresholds are the alerts'."""
    if _missing(cur, report, QUOTA_SECTION, ("mart_api_quota", "mart_alerts")):
        return
    cur.execute(QUOTA_TODAY)
    accounts = _rows(cur)
    cur.execute(ACCOUNT_ALERTS)
    alerts: dict[str, list[dict[str, Any]]] = {}
    for alert in _rows(cur):
        alerts.setdefault(alert["entity_id"], []).append(alert)
    if not accounts:
        report.item(QUOTA_SECTION, "api accounts", OK, "no call on as_of's Pacific quota day")
    for row in accounts:
        own = alerts.get(row["api_account"], [])
        level = Level.worst(SEVERITY_LEVELS.get(alert["severity"], WARN) for alert in own)
        detail = (
            f"{row['units_used']:,} of {row['daily_quota_units']:,} units ({row['pct_used']} %), "
            f"{row['units_remaining']:,} left on {row['quota_date'].isoformat()} (Pacific)"
        )
        finding = report.item(
            QUOTA_SECTION,
            row["api_account"],
            level,
            "; ".join([detail, *(f"{alert['alert_type']}: {alert['message']}" for alert in own)]),
        )
        finding.data = {
            "api_account": row["api_account"],
            "quota_date": row["quota_date"].isoformat(),
            **{
                name: _json_value(row[name])
                for name in (
                    "units_used",
                    "units_remaining",
                    "daily_quota_units",
                    "pct_used",
                    "calls",
                    "error_calls",
                )
            },
            "alerts": [
                {
                    "alert_type": alert["alert_type"],
                    "severity": alert["severity"],
                    "metric_value": _json_value(alert["metric_value"]),
                    "threshold": _json_value(alert["threshold"]),
                    "metric_unit": alert["metric_unit"],
                }
                for alert in own
            ],
        }


DATABASE_FIGURES = """
select
    current_database() as database,
    pg_database_size(current_database()) as size_bytes,
    pg_size_pretty(pg_database_size(current_database())) as size,
    (
        select count(*) from pg_stat_activity
        where backend_type = 'client backend' and datname = current_database()
    ) as database_connections,
    (select count(*) from pg_stat_activity where backend_type = 'client backend') as server_connections,
    current_setting('max_connections')::integer as max_connections,
    current_setting('superuser_reserved_connections')::integer as superuser_reserved_connections
"""


def check_database(cur: Any, report: CheckReport) -> None:
    """The warehouse database's size, and its connections against max_connections: an error once the
    server's client connections leave none but the superusers' reserved ones (PostgreSQL refuses
    any other)."""
    cur.execute(DATABASE_FIGURES)
    (row,) = _rows(cur)
    finding = report.item(DATABASE_SECTION, "size", OK, f"{row['database']}: {row['size']}")
    finding.data = {name: row[name] for name in ("database", "size_bytes", "size")}
    usable = row["max_connections"] - row["superuser_reserved_connections"]
    finding = report.item(
        DATABASE_SECTION,
        "connections",
        ERROR if row["server_connections"] >= usable else OK,
        f"{row['database_connections']} to {row['database']}, {row['server_connections']} on the server, "
        f"of max_connections {row['max_connections']} ({row['superuser_reserved_connections']} reserved)",
    )
    finding.data = {
        name: row[name]
        for name in (
            "database",
            "database_connections",
            "server_connections",
            "max_connections",
            "superuser_reserved_connections",
        )
    }


# The summary's figures: the overview's active channels and videos published today (as_of's UTC
# day), revenue of the UTC day before as_of's (fact_revenue by revenue_date, as the overview sums its
# 7 days), and the active users at as_of (mart_user_revenue_tracking: one row per user, deletion
# markers left out).
SUMMARY = """
select
    overview.as_of,
    overview.as_of_date - 1 as revenue_date,
    overview.active_channels,
    overview.videos_published_today,
    (
        select round(coalesce(sum(total_revenue_cents), 0) / 100.0, 2)
        from analytics.fact_revenue
        where revenue_date = overview.as_of_date - 1
    ) as revenue_yesterday_usd,
    (select count(*) filter (where is_active) from analytics.mart_user_revenue_tracking) as active_users
from analytics.mart_executive_overview as overview
"""


def check_summary(cur: Any, report: CheckReport) -> None:
    """The morning in one sentence, from the marts."""
    relations = ("mart_executive_overview", "fact_revenue", "mart_user_revenue_tracking")
    if _missing(cur, report, SUMMARY_SECTION, relations):
        return
    cur.execute(SUMMARY)
    rows = _rows(cur)
    if not rows:
        report.item(SUMMARY_SECTION, "mart_executive_overview", WARN, "empty; run `ytempire-ops build`")
        return
    row = rows[0]
    channels, videos, users = row["active_channels"], row["videos_published_today"], row["active_users"]
    sentence = (
        f"At {row['as_of'].isoformat()}, {channels:,} channel{'s are' if channels != 1 else ' is'} active, "
        f"{videos:,} video{'s were' if videos != 1 else ' was'} published today, "
        f"yesterday ({row['revenue_date'].isoformat()}) brought {_usd(row['revenue_yesterday_usd'])} of revenue, "
        f"and {users:,} user{'s are' if users != 1 else ' is'} active."
    )
    finding = report.item(SUMMARY_SECTION, "summary", OK, sentence)
    finding.data = {name: _json_value(value) for name, value in row.items()}


MORNING_SECTIONS: tuple[tuple[str, Callable[[Any, CheckReport], None]], ...] = (
    (RUNS_SECTION, check_runs),
    (COSTS_SECTION, check_costs_yesterday),
    (QUOTA_SECTION, check_quota),
    (DATABASE_SECTION, check_database),
    (SUMMARY_SECTION, check_summary),
)


def check_morning(cur: Any, report: CheckReport) -> None:
    """Every section of the morning's figures; one that cannot be read is one error row, the others still run."""
    for section, check_section in MORNING_SECTIONS:
        try:
            check_section(cur, report)
        except psycopg2.Error as exc:
            report.item(section, "read", ERROR, f"could not be read: {errors.first_line(exc)}")


def run_check(settings: Settings | None = None) -> CheckReport:
    settings = settings or Settings.load()
    report = CheckReport()
    with closing(settings.connect()) as conn:
        conn.set_session(readonly=True, autocommit=True)
        check_freshness(settings, report)
        with conn.cursor() as cur:
            check_tests(cur, report, project_test_ids(settings))
            check_alerts(cur, report)
            check_alert_history(cur, report)
            check_quarantine(cur, report)
            check_morning(cur, report)
    return report
