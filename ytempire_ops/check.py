"""`ytempire-ops check`: the analyst's morning checklist in one command.

Source freshness (dbt source freshness), the latest dbt test results (kept in
analytics.dbt_test_results by an on-run-end hook), the open alerts of
mart_alerts, the alerts opened in the 24 hours before the warehouse's as_of with their durations
(analytics.alert_history), and quarantine counts when the warehouse has a quarantine relation
(*_quarantined).
"""

from __future__ import annotations

from contextlib import closing
from typing import Any

from psycopg2 import sql

from ytempire_ops import errors
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
    summary = invoke(["source", "freshness"], settings, list(QUIET))
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
    from ytempire_ops.dbt_ops import load_manifest

    try:
        manifest = load_manifest(settings, list(QUIET)).manifest
    except errors.UserError:
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
    return report
