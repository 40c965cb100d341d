"""The morning checklist's figures: overnight runs, yesterday's costs, API quota today, the database's
size and connections, and the morning summary.

On a copy of the session's warehouse, one API account is pushed past the quota alert's threshold, a
refresh records a successful run and a second one a failed run, then `check --json` runs once. Every
figure is compared with its own SQL on the marts, the facts and ops.run_history.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psycopg2
import pytest
from conftest import AS_OF, StackHandle, Warehouse, clone_database, run_cli

from ytempire_ops import runs
from ytempire_ops.check import (
    COSTS_SECTION,
    DATABASE_SECTION,
    QUOTA_SECTION,
    RUNS_SECTION,
    SUMMARY_SECTION,
    CheckReport,
    check_morning,
    check_runs,
)

MORNING_SECTIONS = (RUNS_SECTION, COSTS_SECTION, QUOTA_SECTION, DATABASE_SECTION, SUMMARY_SECTION)
# docs/contract/business_rules.md: YouTubeQuotaExhaustion fires below 1,000 units left; the units of
# one videos.insert call (the generator's endpoints).
QUOTA_ALERT_REMAINING = 1000
VIDEOS_INSERT_UNITS = 1600


@dataclass
class Morning:
    dbname: str
    env: dict[str, str]
    check: subprocess.CompletedProcess[str]
    report: dict[str, Any]
    pushed_account: str
    conn: psycopg2.extensions.connection

    def items(self, section: str) -> list[dict[str, Any]]:
        return [item for item in self.report["items"] if item["section"] == section]

    def query(self, statement: str, params: Any = None) -> list[dict[str, Any]]:
        with self.conn.cursor() as cur:
            cur.execute(statement, params)
            names = [column.name for column in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def push_an_account_past_the_quota_alert(conn: psycopg2.extensions.connection) -> str:
    """Raw videos.insert calls, in the minutes before AS_OF, that leave the least-used account of as_of's
    quota day fewer units than the alert's threshold; the account."""
    with conn.cursor() as cur:
        cur.execute(
            "select api_account, units_used, daily_quota_units from analytics.mart_api_quota"
            " where is_current_quota_day order by units_used, api_account limit 1"
        )
        account, used, daily = cur.fetchone()
        calls = (daily - QUOTA_ALERT_REMAINING - used) // VIDEOS_INSERT_UNITS + 1
        assert used + calls * VIDEOS_INSERT_UNITS <= daily, (account, used, calls)
        cur.execute(
            "insert into raw.api_quota_usage"
            " (call_id, api_account, api_name, endpoint, quota_units, status_code, called_at)"
            " select gen_random_uuid(), %(account)s, 'youtube_data_v3', 'videos.insert', %(units)s, 200,"
            " cast(%(as_of)s as timestamptz) - make_interval(mins => n)"
            " from generate_series(1, %(calls)s) as n",
            {"account": account, "units": VIDEOS_INSERT_UNITS, "as_of": AS_OF, "calls": calls},
        )
    return account


def forget_the_run_history(conn: psycopg2.extensions.connection) -> None:
    """Drop the run history a copy of the session's warehouse inherits from the tests that ran on it."""
    with conn.cursor() as cur:
        cur.execute("drop schema if exists ops cascade")
    conn.commit()


@pytest.fixture(scope="module")
def morning(test_stack: StackHandle, warehouse: Warehouse) -> Iterator[Morning]:
    assert warehouse.build.returncode == 0, warehouse.build.stdout[-3000:]
    dbname = clone_database(test_stack, warehouse.dbname, "check")
    env = test_stack.db_env(dbname, YTEMPIRE_REDIS_PREFIX=f"{dbname}:")
    conn = test_stack.connect(dbname)
    forget_the_run_history(conn)
    account = push_an_account_past_the_quota_alert(conn)
    done = run_cli(["refresh", "--as-of", AS_OF, "--skip-alerts"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    failed = run_cli(["refresh", "--as-of", AS_OF, "--statement-timeout", "0.001"], env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    checked = run_cli(["check", "--json"], env)
    assert "Traceback" not in checked.stderr, checked.stderr
    try:
        yield Morning(dbname, env, checked, json.loads(checked.stdout), account, conn)
    finally:
        conn.close()


def usd(cents: Decimal) -> float:
    """Cents as dollars rounded to the cent, half away from zero (PostgreSQL's round)."""
    return float((cents / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def test_every_morning_section_is_in_the_json_and_the_table(morning: Morning) -> None:
    for section in MORNING_SECTIONS:
        items = morning.items(section)
        assert items, (section, morning.report)
        assert all("data" in item for item in items), items
    # The failed run is an error: the checklist says so and exits 1.
    assert morning.report["level"] == "error" and morning.check.returncode == 1
    table = run_cli(["check"], dict(morning.env, COLUMNS="400"))
    assert "Traceback" not in table.stderr, table.stderr
    for section in MORNING_SECTIONS:
        assert section in table.stdout, (section, table.stdout)
    (summary,) = morning.items(SUMMARY_SECTION)
    assert summary["detail"] in table.stdout


def test_overnight_runs_are_counted_and_the_failed_run_is_listed(morning: Morning) -> None:
    items = morning.items(RUNS_SECTION)
    counts = {item["name"]: item for item in items if "by_status" in item["data"]}
    window = next(iter(counts.values()))["data"]
    recorded = morning.query(
        "select command, status, count(*) as runs from ops.run_history"
        " where started_at > %(start)s and started_at <= %(end)s group by command, status",
        {"start": window["window_start"], "end": window["window_end"]},
    )
    expected: dict[str, dict[str, int]] = {}
    for row in recorded:
        expected.setdefault(row["command"], {})[row["status"]] = row["runs"]
    assert {name: item["data"]["by_status"] for name, item in counts.items()} == expected
    assert expected["refresh"] == {"ok": 1, "failed": 1}, expected
    assert {name: item["data"]["runs"] for name, item in counts.items()} == {
        command: sum(statuses.values()) for command, statuses in expected.items()
    }
    assert counts["refresh"]["level"] == "warn"

    (failed,) = morning.query(
        "select run_id::text as run_id, started_at, exit_code, error from ops.run_history"
        " where status = 'failed'"
    )
    listed = [item for item in items if item["data"].get("run_id") == failed["run_id"]]
    assert len(listed) == 1, items
    shown = listed[0]
    assert shown["level"] == "error" and shown["data"]["recovered"] is False
    assert datetime.fromisoformat(shown["data"]["started_at"]) == failed["started_at"]
    assert shown["data"]["exit_code"] == failed["exit_code"] == 1
    assert shown["data"]["error"] == failed["error"].splitlines()[0]
    assert "statement timeout" in shown["data"]["error"]
    assert shown["detail"].startswith(f"exit 1: {shown['data']['error']}")


def test_yesterdays_costs_equal_fact_costs(morning: Morning) -> None:
    (day,) = morning.query("select as_of_date - 1 as cost_date from analytics.mart_executive_overview")
    # Per (category, video): the day's lines of fact_costs by their UTC date.
    lines = morning.query(
        "select cost_category, video_id, sum(total_cost_cents) as cents from analytics.fact_costs"
        " where (incurred_at at time zone 'UTC')::date = %s group by cost_category, video_id",
        (day["cost_date"],),
    )
    assert lines, "no cost line on the day before as_of"

    def figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
        videos = {row["video_id"] for row in rows if row["video_id"] is not None}
        video_cents = sum((row["cents"] for row in rows if row["video_id"] is not None), Decimal(0))
        return {
            "videos": len(videos),
            "total_cost_usd": usd(sum((row["cents"] for row in rows), Decimal(0))),
            "video_cost_usd": usd(video_cents),
            "avg_cost_per_video_usd": usd(video_cents / len(videos)) if videos else None,
        }

    expected = {
        category: figures([row for row in lines if row["cost_category"] == category])
        for category in {row["cost_category"] for row in lines}
    }
    expected["total"] = figures(lines)
    items = morning.items(COSTS_SECTION)
    shown = {
        item["name"]: {name: item["data"][name] for name in expected["total"]}
        | {"cost_date": item["data"]["cost_date"]}
        for item in items
    }
    assert shown == {
        name: values | {"cost_date": day["cost_date"].isoformat()} for name, values in expected.items()
    }
    # The total row counts each video once, however many categories it had lines in.
    assert shown["total"]["videos"] < sum(v["videos"] for k, v in shown.items() if k != "total")
    assert [item["name"] for item in items][-1] == "total"


def test_quota_today_equals_mart_api_quota_with_the_alerts_levels(morning: Morning) -> None:
    quota = morning.query(
        "select api_account, quota_date, units_used, units_remaining, daily_quota_units"
        " from analytics.mart_api_quota"
        " where quota_date = (select (as_of at time zone 'America/Los_Angeles')::date"
        "                     from analytics.mart_executive_overview)"
    )
    alerted = {
        row["entity_id"]: row["severity"]
        for row in morning.query(
            "select entity_id, severity from analytics.mart_alerts where alert_type = 'YouTubeQuotaExhaustion'"
        )
    }
    items = {item["name"]: item for item in morning.items(QUOTA_SECTION)}
    assert set(items) == {row["api_account"] for row in quota}
    for row in quota:
        item = items[row["api_account"]]
        data = item["data"]
        assert data["quota_date"] == row["quota_date"].isoformat()
        assert (data["units_used"], data["units_remaining"], data["daily_quota_units"]) == (
            row["units_used"],
            row["units_remaining"],
            row["daily_quota_units"],
        )
        pct = (Decimal(100) * row["units_used"] / row["daily_quota_units"]).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
        assert data["pct_used"] == float(pct)
        assert f"{row['units_used']:,} of {row['daily_quota_units']:,} units ({pct} %)" in item["detail"]
        expected_level = {"critical": "error", "warning": "warn"}.get(
            alerted.get(row["api_account"], ""), "ok"
        )
        assert item["level"] == expected_level, (row, item)
    # The account pushed past the threshold is alerted, and an error in the checklist; the others are not.
    pushed = items[morning.pushed_account]
    assert pushed["data"]["units_remaining"] < QUOTA_ALERT_REMAINING
    assert pushed["level"] == "error" and alerted == {morning.pushed_account: "critical"}
    assert [alert["alert_type"] for alert in pushed["data"]["alerts"]] == ["YouTubeQuotaExhaustion"]
    assert sum(item["level"] == "ok" for item in items.values()) == len(items) - 1


def test_database_size_and_connections(morning: Morning) -> None:
    items = {item["name"]: item["data"] for item in morning.items(DATABASE_SECTION)}
    size, connections = items["size"], items["connections"]
    (now,) = morning.query(
        "select pg_database_size(current_database()) as size_bytes, pg_size_pretty(%s::bigint) as pretty,"
        " current_setting('max_connections')::integer as max_connections, current_database() as database",
        (size["size_bytes"],),
    )
    assert size["database"] == connections["database"] == now["database"] == morning.dbname
    assert size["size"] == now["pretty"]
    # Nothing writes between the check and this query but PostgreSQL's own housekeeping.
    assert abs(size["size_bytes"] - now["size_bytes"]) <= now["size_bytes"] * 0.02, (size, now)
    assert connections["max_connections"] == now["max_connections"]
    # At least the checklist's own connection, to this database and so to the server.
    assert 1 <= connections["database_connections"] <= connections["server_connections"]
    assert connections["server_connections"] < connections["max_connections"]


def test_morning_summary_equals_the_marts(morning: Morning) -> None:
    (overview,) = morning.query(
        "select as_of, as_of_date, active_channels, videos_published_today from analytics.mart_executive_overview"
    )
    (revenue,) = morning.query(
        "select coalesce(sum(total_revenue_cents), 0) as cents from analytics.fact_revenue where revenue_date = %s",
        (overview["as_of_date"] - timedelta(days=1),),
    )
    (users,) = morning.query(
        "select count(*) as active from analytics.mart_user_revenue_tracking where is_active"
    )
    (summary,) = morning.items(SUMMARY_SECTION)
    data = summary["data"]
    assert datetime.fromisoformat(data["as_of"]) == overview["as_of"] == datetime.fromisoformat(AS_OF)
    assert data["active_channels"] == overview["active_channels"] > 0
    assert data["videos_published_today"] == overview["videos_published_today"]
    assert data["revenue_yesterday_usd"] == usd(revenue["cents"]) > 0
    assert data["active_users"] == users["active"] > 0
    sentence = summary["detail"]
    assert f"{overview['active_channels']:,} channel" in sentence
    assert f"{overview['videos_published_today']:,} video" in sentence
    assert f"${usd(revenue['cents']):,.2f} of revenue" in sentence
    assert f"{users['active']:,} user" in sentence
    assert "\n" not in sentence and sentence.endswith(".")


def test_a_warehouse_without_run_history_says_so_in_one_line(
    test_stack: StackHandle, warehouse: Warehouse
) -> None:
    dbname = clone_database(test_stack, warehouse.dbname, "noruns")
    conn = test_stack.connect(dbname)
    forget_the_run_history(conn)
    conn.close()
    done = run_cli(["check", "--json"], test_stack.db_env(dbname))
    assert "Traceback" not in done.stderr, done.stderr
    (item,) = [item for item in json.loads(done.stdout)["items"] if item["section"] == RUNS_SECTION]
    assert item["level"] == "warn" and item["name"] == "ops.run_history"
    assert item["detail"].startswith("no run recorded yet") and "\n" not in item["detail"]


def test_a_section_the_role_cannot_read_is_one_error_row(test_stack: StackHandle, morning: Morning) -> None:
    """The reporter role reads analytics only: the runs are one error row, the other sections still show."""
    pg = test_stack.state["postgres"]
    conn = psycopg2.connect(
        host=pg["host"],
        port=pg["port"],
        user=pg["reporter_user"],
        password=pg["reporter_password"],
        dbname=morning.dbname,
    )
    conn.set_session(readonly=True, autocommit=True)
    report = CheckReport()
    try:
        with conn.cursor() as cur:
            check_morning(cur, report)
    finally:
        conn.close()
    (runs_item,) = [item for item in report.items if item.section == RUNS_SECTION]
    assert (
        runs_item.level.word == "error"
        and runs_item.detail == "could not be read: permission denied for schema ops"
    )
    for section in (COSTS_SECTION, QUOTA_SECTION, DATABASE_SECTION, SUMMARY_SECTION):
        shown = [item for item in report.items if item.section == section]
        assert shown and all(item.data for item in shown), (section, shown)


def test_runs_of_the_window_with_failures_behind_us_and_standing(pg_db: dict[str, object]) -> None:
    """check_runs on a history written by hand: the window, recovered and standing failures, first lines."""
    conn = psycopg2.connect(**pg_db)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            report = CheckReport()
            check_runs(cur, report)
            assert [(i.name, i.level.word) for i in report.items] == [("ops.run_history", "warn")]

            runs.ensure_table(cur)

            def record(
                command: str, status: str, hours_ago: float, exit_code: int, error: str | None
            ) -> None:
                cur.execute(
                    "insert into ops.run_history (run_id, command, argv, started_at, finished_at, status,"
                    " exit_code, error) select gen_random_uuid(), %(command)s, %(command)s, t, t + interval '1 s',"
                    " %(status)s, %(code)s, %(error)s from (select now() - make_interval(secs => %(secs)s)) as w(t)",
                    {
                        "command": command,
                        "status": status,
                        "code": exit_code,
                        "error": error,
                        "secs": hours_ago * 3600,
                    },
                )

            record("refresh", "failed", 30, 1, "too old to show")
            report = CheckReport()
            check_runs(cur, report)
            assert [(i.name, i.level.word, i.data["runs"]) for i in report.items] == [
                ("runs in the last 24 h", "warn", 0)
            ]

            record("refresh", "failed", 5, 1, "refresh step 'dbt' failed: lock timeout")
            record("refresh", "ok", 4, 0, None)
            record("build", "failed", 2, 1, "dbt failed\nsecond line")
            record("refresh", "ok", 1.5, 0, None)
            record("warm", "interrupted", 1, 130, "interrupted")
            record("warm", "skipped", 0.5, 75, None)
            record("alerts send", "ok", 0.1, 0, None)
            report = CheckReport()
            check_runs(cur, report)
    finally:
        conn.close()
    counts = {i.name: (i.level.word, i.data["by_status"]) for i in report.items if "by_status" in i.data}
    assert counts == {
        "alerts send": ("ok", {"ok": 1}),
        "build": ("warn", {"failed": 1}),
        "refresh": ("warn", {"failed": 1, "ok": 2}),
        "warm": ("warn", {"interrupted": 1, "skipped": 1}),
    }
    listed = [
        (i.data["command"], i.level.word, i.data["error"], i.data["recovered"])
        for i in report.items
        if "run_id" in i.data
    ]
    # Newest first; a failure followed by a successful run of the same command is a warning.
    assert listed == [
        ("warm", "error", "interrupted", False),
        ("build", "error", "dbt failed", False),
        ("refresh", "warn", "refresh step 'dbt' failed: lock timeout", True),
    ]
    assert report.level.word == "error"
