"""`ytempire-ops check`: the analyst's morning checklist in one command.

Source freshness (dbt source freshness), the latest dbt test results (kept in
analytics.dbt_test_results by an on-run-end hook), the open alerts of
mart_alerts, and quarantine counts when the warehouse has a quarantine relation (*_quarantined).
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
                {"section": f.section, "name": f.name, "level": f.level.word, "detail": f.detail}
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
            check_quarantine(cur, report)
    return report
