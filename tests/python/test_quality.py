"""Data quality: bad raw rows on demand, quarantine and the accounting invariant, the documents' checks.

Three warehouses are generated from the same seed and built once for the module:

- `clean`: the generator's clean rows;
- `used`: the clean rows plus the anomaly classes that are real data the warehouse must use (late
  polls, counter corrections: `anomalies.USED_CLASSES`);
- `all`: `ytempire-ops generate --anomalies`, every class.

`all` against `used` proves that the bad rows (quarantined or superseded) leave no trace in any
relation built from staging; `all`/`used` against `clean` find each class at exactly the count the
generator reported. The violation tests then break each new dbt test's rule on the clean warehouse
(restoring it afterwards) and show the test fail, then pass. Small scale: 0.05, 2 days.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg2
import pytest
from conftest import AS_OF, PROJECT_DIR, StackHandle, execute_all, new_database, run_cli, run_dbt
from psycopg2 import sql

from ytempire_ops.check import CheckReport, check_quarantine
from ytempire_ops.generator import RAW_TABLES, anomalies, generate

SCALE, DAYS = "0.05", "2"
# A seed whose clean data breaks no rule, not even a warning (no video over $3.00 in the 7-day
# window, no channel-hour without polls), so every new test can be shown passing on clean data.
SEED = "1"
AS_OF_VARS = ["--vars", f"{{as_of: '{AS_OF}'}}"]
DBT = Path(sys.executable).with_name("dbt")
# Relations that describe the raw rows themselves rather than the data built from them, and the log
# of dimension changes (stamped with the time of the run that recorded them).
AUDIT_RELATIONS = ("int_raw_rows_accounted", "dbt_test_results", "int_dimension_changes")


@dataclass
class Built:
    dbname: str
    env: dict[str, str]
    build: subprocess.CompletedProcess[str]
    injected: dict[str, int]

    def connect(self, test_stack: StackHandle) -> psycopg2.extensions.connection:
        return test_stack.connect(self.dbname)


def _generate_used_classes(test_stack: StackHandle, dbname: str) -> dict[str, int]:
    """The clean rows, then the classes the warehouse uses, injected as `generate --anomalies` would."""
    conn = test_stack.connect(dbname)
    conn.autocommit = False
    try:
        as_of = datetime.fromisoformat(AS_OF)
        generate(conn, scale=float(SCALE), days=int(DAYS), seed=int(SEED), as_of=as_of)
        with conn.cursor() as cur:
            injected = anomalies.inject(
                cur, "raw", as_of=as_of, seed=int(SEED), classes=anomalies.USED_CLASSES
            )
        conn.commit()
    finally:
        conn.close()
    return injected


def _start_build(env: dict[str, str], work: Path) -> subprocess.Popen[str]:
    """`dbt build` in the background, with its own target and log paths so builds can run side by side."""
    return subprocess.Popen(
        [
            str(DBT), "build", *AS_OF_VARS, "--project-dir", str(PROJECT_DIR),
            "--profiles-dir", env["DBT_PROFILES_DIR"], "--target-path", str(work / "target"),
            "--log-path", str(work / "logs"),
        ],
        env=env, cwd=str(PROJECT_DIR), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture(scope="module")
def warehouses(test_stack: StackHandle) -> Iterator[dict[str, Built]]:
    generated: dict[str, tuple[str, dict[str, str], dict[str, int]]] = {}
    for name in ("clean", "used", "all"):
        dbname, _ = new_database(test_stack, f"dq{name}")
        env = test_stack.db_env(dbname)
        injected: dict[str, int] = {}
        if name == "used":
            injected = _generate_used_classes(test_stack, dbname)
        else:
            args = ["generate", "--scale", SCALE, "--days", DAYS, "--seed", SEED, "--as-of", AS_OF, "--json"]
            result = run_cli([*args, "--anomalies"] if name == "all" else args, env)
            assert result.returncode == 0, result.stderr
            injected = json.loads(result.stdout)["anomalies"]
        generated[name] = (dbname, env, injected)
    with tempfile.TemporaryDirectory(prefix="dq-builds-") as work:
        running = {
            name: (_start_build(env, Path(work) / name), dbname, env, injected)
            for name, (dbname, env, injected) in generated.items()
        }
        built = {}
        for name, (process, dbname, env, injected) in running.items():
            stdout, _ = process.communicate(timeout=1200)
            completed = subprocess.CompletedProcess(process.args, process.returncode, stdout, "")
            built[name] = Built(dbname, env, completed, injected)
    yield built


def _rows(conn: psycopg2.extensions.connection, query: str | sql.Composable, *args: object) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(query, args or None)
        return cur.fetchall()


def _accounting(test_stack: StackHandle, built: Built) -> dict[str, dict[str, int | None]]:
    conn = built.connect(test_stack)
    try:
        with conn.cursor() as cur:
            cur.execute("select * from intermediate.int_raw_rows_accounted")
            names = [column.name for column in cur.description]
            return {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}
    finally:
        conn.close()


def _quarantined(test_stack: StackHandle, built: Built) -> Counter[tuple[str, str]]:
    conn = built.connect(test_stack)
    try:
        relations = _rows(
            conn,
            "select table_name from information_schema.tables"
            " where table_schema = 'staging' and table_name like '%%quarantined' order by 1",
        )
        counts: Counter[tuple[str, str]] = Counter()
        for (relation,) in relations:
            query = sql.SQL("select source_table, reason, count(*) from staging.{} group by 1, 2").format(
                sql.Identifier(relation)
            )
            for table, reason, count in _rows(conn, query):
                counts[(table, reason)] += count
        return counts
    finally:
        conn.close()


# ----------------------------------------------------------------------------- anomalies on demand


def test_generate_reports_every_class_at_its_count(
    test_stack: StackHandle, warehouses: dict[str, Built]
) -> None:
    injected = warehouses["all"].injected
    assert injected == dict.fromkeys(anomalies.CLASSES, anomalies.PER_CLASS)
    assert warehouses["used"].injected == dict.fromkeys(sorted(anomalies.USED_CLASSES), anomalies.PER_CLASS)


def test_anomalies_are_added_on_top_of_the_same_clean_rows(
    test_stack: StackHandle, warehouses: dict[str, Built]
) -> None:
    """Every clean raw row is still there, unchanged; the extra rows are exactly the injected ones."""
    expected = anomalies.rows_per_table(warehouses["all"].injected)

    def raw_rows(built: Built, table: str) -> Counter[str]:
        conn = built.connect(test_stack)
        try:
            query = sql.SQL("select t::text from raw.{} as t").format(sql.Identifier(table))
            return Counter(text for (text,) in _rows(conn, query))
        finally:
            conn.close()

    for table in RAW_TABLES:
        clean, dirty = raw_rows(warehouses["clean"], table), raw_rows(warehouses["all"], table)
        assert not clean - dirty, f"clean rows of {table} changed or missing"
        assert sum((dirty - clean).values()) == expected.get(table, 0), table


def test_anomalies_need_a_fresh_generation(test_stack: StackHandle, warehouses: dict[str, Built]) -> None:
    result = run_cli(["generate", "--append-minutes", "5", "--anomalies"], warehouses["used"].env)
    assert result.returncode != 0
    assert "fresh generation" in result.stderr and "Traceback" not in result.stderr


# ----------------------------------------------------------------------------- builds


def test_build_with_anomalies_succeeds(warehouses: dict[str, Built]) -> None:
    build = warehouses["all"].build
    assert build.returncode == 0, build.stdout[-5000:]
    assert "ERROR=0" in build.stdout


def test_clean_build_passes_every_test_without_a_warning(warehouses: dict[str, Built]) -> None:
    for name in ("clean", "used"):
        build = warehouses[name].build
        assert build.returncode == 0, build.stdout[-5000:]
        assert " WARN=0 ERROR=0 " in build.stdout, (name, build.stdout[-3000:])
    for test in NEW_TESTS:
        assert f"PASS {test} " in warehouses["clean"].build.stdout, test


# ----------------------------------------------------------------------------- quarantine and accounting


def test_each_class_is_found_at_exactly_the_injected_count(
    test_stack: StackHandle, warehouses: dict[str, Built]
) -> None:
    injected = warehouses["all"].injected
    expected_quarantine: Counter[tuple[str, str]] = Counter()
    expected_superseded: Counter[str] = Counter()
    expected_used: Counter[tuple[str, str]] = Counter()
    for name, count in injected.items():
        anomaly = anomalies.CLASSES[name]
        if anomaly.outcome == "quarantined":
            expected_quarantine[(anomaly.table, anomaly.reason)] += count
        elif anomaly.outcome == "superseded":
            expected_superseded[anomaly.table] += count
        else:
            expected_used[(anomaly.table, anomaly.reason)] += count

    # Quarantine: empty on clean data (and with late polls and corrections), the injected rows otherwise.
    assert _quarantined(test_stack, warehouses["clean"]) == Counter()
    assert _quarantined(test_stack, warehouses["used"]) == Counter()
    assert _quarantined(test_stack, warehouses["all"]) == expected_quarantine

    clean, used, dirty = (_accounting(test_stack, warehouses[n]) for n in ("clean", "used", "all"))
    for table in RAW_TABLES:
        # Superseded: the injected earlier deliveries and preliminary reports, on top of the natural ones.
        assert dirty[table]["superseded_rows"] - used[table]["superseded_rows"] == expected_superseded[table]
        assert used[table]["superseded_rows"] == clean[table]["superseded_rows"], table
        # Bad rows are never used.
        assert dirty[table]["used_rows"] == used[table]["used_rows"], table
    # Late polls and corrections are used, and counted as such (on top of the natural ones).
    late = expected_used[("video_metrics", "late_arrival")]
    corrections = expected_used[("video_metrics", "counter_correction")]
    assert used["video_metrics"]["used_rows"] - clean["video_metrics"]["used_rows"] == late + corrections
    assert used["video_metrics"]["late_arrival_rows"] - clean["video_metrics"]["late_arrival_rows"] == late
    assert (
        used["video_metrics"]["counter_correction_rows"] - clean["video_metrics"]["counter_correction_rows"]
        == corrections
    )
    assert dirty["video_metrics"]["late_arrival_rows"] == used["video_metrics"]["late_arrival_rows"]
    assert (
        dirty["video_metrics"]["counter_correction_rows"] == used["video_metrics"]["counter_correction_rows"]
    )


def test_accounting_invariant_holds_for_every_source(
    test_stack: StackHandle, warehouses: dict[str, Built]
) -> None:
    for name, built in warehouses.items():
        accounting = _accounting(test_stack, built)
        assert set(accounting) == set(RAW_TABLES), name
        for table, row in accounting.items():
            assert row["raw_rows"] > 0, (name, table)
            assert row["raw_rows"] == row["used_rows"] + row["superseded_rows"] + row["quarantined_rows"], (
                name,
                row,
            )
            assert row["unaccounted_rows"] == 0, (name, row)
        assert "PASS raw_rows_accounted_for " in built.build.stdout, name


def _relation_digests(test_stack: StackHandle, built: Built) -> dict[str, tuple[int, str]]:
    """(rows, md5 of the rows in a stable order) of every relation dbt built from staging on."""
    conn = built.connect(test_stack)
    try:
        relations = _rows(
            conn,
            """
            select n.nspname, c.relname
            from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
            where n.nspname in ('staging', 'intermediate', 'analytics', 'snapshots')
              and c.relkind in ('r', 'v', 'm', 'p')
              and c.relname not like '%%quarantined'
              and c.relname not like 'base\\_%%'
              and c.relname <> all(%s)
            order by 1, 2
            """,
            list(AUDIT_RELATIONS),
        )
        out = {}
        for schema, name in relations:
            query = sql.SQL(
                "select count(*), md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from {}.{} as t"
            ).format(sql.Identifier(schema), sql.Identifier(name))
            count, digest = _rows(conn, query)[0]
            out[f"{schema}.{name}"] = (int(count), str(digest))
        return out
    finally:
        conn.close()


def test_bad_rows_leave_no_trace_in_any_relation(
    test_stack: StackHandle, warehouses: dict[str, Built]
) -> None:
    """With every class injected, staging, intermediate, snapshots, facts, marts and materialized views
    are byte-identical to the build of the same data without the bad rows (the clean rows plus the late
    polls and corrections, which are real data and change the numbers by design)."""
    dirty = _relation_digests(test_stack, warehouses["all"])
    reference = _relation_digests(test_stack, warehouses["used"])
    assert set(dirty) == set(reference)
    for name in (
        "analytics.mart_video_economics",
        "analytics.video_performance_hourly",
        "analytics.mart_alerts",
    ):
        assert name in dirty
    assert all(dirty[name][0] > 0 for name in dirty if "fact_" in name or "mart_video" in name)
    assert {name: d for name, d in dirty.items() if d != reference[name]} == {}
    # The used classes do change the numbers (otherwise the comparison above would prove nothing).
    clean = _relation_digests(test_stack, warehouses["clean"])
    assert clean["analytics.fact_video_performance"] != reference["analytics.fact_video_performance"]


def test_check_lists_quarantine_counts_by_source_and_reason(
    test_stack: StackHandle, warehouses: dict[str, Built]
) -> None:
    conn = warehouses["all"].connect(test_stack)
    try:
        report = CheckReport()
        with conn.cursor() as cur:
            check_quarantine(cur, report)
    finally:
        conn.close()
    shown = {item.name: item.detail for item in report.items if item.level == "warn"}
    expected = _quarantined(test_stack, warehouses["all"])
    assert shown == {f"{table}: {reason}": f"{count:,} rows" for (table, reason), count in expected.items()}


# ----------------------------------------------------------------------------- each new test bites

# The new dbt tests (documented in docs/data_quality.md) and their severities.
NEW_TESTS = {
    "raw_rows_accounted_for": "error",
    "revenue_reconciliation_warn": "warn",
    "revenue_reconciliation_error": "error",
    "video_cost_under_budget": "warn",
    "average_video_cost_under_budget": "error",
    "over_budget_videos_are_alerted": "error",
    "published_videos_have_costs": "error",
    "active_channels_hourly_data": "warn",
    "video_performance_counters_never_decrease": "error",
}


def test_new_tests_have_their_severities(warehouses: dict[str, Built]) -> None:
    result = run_dbt(
        ["ls", "--resource-type", "test", "--output", "json", "--output-keys", "name config", "--quiet"],
        warehouses["clean"].env,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    severities = {}
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            node = json.loads(line)
            severities[node["name"]] = node["config"]["severity"].lower()
    assert {name: severities.get(name) for name in NEW_TESTS} == NEW_TESTS


@dataclass
class Violation:
    """SQL that breaks a test's rule on the clean warehouse, and SQL that puts the warehouse back."""

    apply: list[str]
    undo: list[str]


def _scalar(conn: psycopg2.extensions.connection, query: str, *args: object) -> object:
    return _rows(conn, query, *args)[0][0]


def _unloaded_poll(conn: psycopg2.extensions.connection) -> Violation:
    """A usable raw poll that staging never loaded: counted in raw, neither used, superseded nor quarantined."""
    return Violation(
        [
            "insert into raw.video_metrics (video_id, captured_at, views, ingested_at)"
            " select video_id, captured_at + interval '1 millisecond', views, ingested_at"
            " from raw.video_metrics order by video_id, captured_at limit 1"
        ],
        [
            "delete from raw.video_metrics where (video_id, captured_at) in (select video_id,"
            " captured_at + interval '1 millisecond' from raw.video_metrics order by video_id, captured_at limit 1)"
        ],
    )


def _restated_revenue(pct: float) -> Callable[[psycopg2.extensions.connection], Violation]:
    """A restatement that lifts the ad revenue of the biggest reconciled day by `pct` % of its estimate."""

    def make(conn: psycopg2.extensions.connection) -> Violation:
        day, estimate = _rows(
            conn,
            "select revenue_date, estimated_revenue_cents from intermediate.int_revenue_reconciled"
            " order by estimated_revenue_cents desc limit 1",
        )[0]
        video_id = _scalar(
            conn,
            "select video_id from staging.stg_youtube__video_revenue where revenue_date = %s"
            " order by ad_revenue_cents desc limit 1",
            day,
        )
        lift = round(float(estimate) * pct / 100, 4)
        # A restatement as staging (an incremental table) holds it after the next load; changing the
        # staged row itself keeps the test independent of a rebuild, and the undo exact.
        where = f" where video_id = '{video_id}' and revenue_date = '{day}'"
        return Violation(
            [
                f"update staging.stg_youtube__video_revenue set ad_revenue_cents = ad_revenue_cents + {lift},"
                f" total_revenue_cents = total_revenue_cents + {lift}" + where
            ],
            [
                f"update staging.stg_youtube__video_revenue set ad_revenue_cents = ad_revenue_cents - {lift},"
                f" total_revenue_cents = total_revenue_cents - {lift}" + where
            ],
        )

    return make


def _expensive_video(conn: psycopg2.extensions.connection) -> Violation:
    """A video at $3.50 that incurred a cost an hour before as_of (and has no alert)."""
    channel_id = _scalar(conn, "select channel_id from analytics.mart_video_economics limit 1")
    return Violation(
        [
            "insert into analytics.mart_video_economics (video_id, channel_id, total_cost_cents,"
            " last_cost_incurred_at, first_cost_incurred_at)"
            f" values ('vid_violation', '{channel_id}', 350, timestamptz '2026-11-20 11:00:00+00',"
            " timestamptz '2026-11-20 10:00:00+00')"
        ],
        ["delete from analytics.mart_video_economics where video_id = 'vid_violation'"],
    )


def _expensive_week(conn: psycopg2.extensions.connection) -> Violation:
    before = _scalar(conn, "select avg_cost_per_video_cents from analytics.mart_executive_overview")
    return Violation(
        ["update analytics.mart_executive_overview set avg_cost_per_video_cents = 300"],
        [f"update analytics.mart_executive_overview set avg_cost_per_video_cents = {before}"],
    )


def _published_without_costs(conn: psycopg2.extensions.connection) -> Violation:
    channel_id = _scalar(conn, "select channel_id from analytics.dim_video limit 1")
    return Violation(
        [
            "insert into analytics.dim_video (video_key, video_id, channel_id, status, published_at)"
            f" values (md5('vid_violation'), 'vid_violation', '{channel_id}', 'published',"
            " timestamptz '2026-11-19 12:00:00+00')"
        ],
        ["delete from analytics.dim_video where video_id = 'vid_violation'"],
    )


def _silent_active_channel(conn: psycopg2.extensions.connection) -> Violation:
    """An active channel with a video published a day before as_of and not a single poll."""
    user_id = _scalar(conn, "select user_id from analytics.dim_user limit 1")
    return Violation(
        [
            "insert into analytics.dim_channel (channel_key, channel_id, user_id, channel_name, status,"
            " valid_from, valid_to, is_current, is_deleted)"
            f" values (md5('UCviolation'), 'UCviolation', '{user_id}', 'Violation', 'active',"
            " '-infinity', null, true, false)",
            "insert into analytics.dim_video (video_key, video_id, channel_id, status, published_at)"
            " values (md5('vid_violation'), 'vid_violation', 'UCviolation', 'published',"
            " timestamptz '2026-11-19 11:00:00+00')",
        ],
        [
            "delete from analytics.dim_video where video_id = 'vid_violation'",
            "delete from analytics.dim_channel where channel_id = 'UCviolation'",
        ],
    )


def _unflagged_decrease(conn: psycopg2.extensions.connection) -> Violation:
    """A poll a minute after a video's last one, with fewer views and is_correction false."""
    video_id, captured_at = _rows(
        conn,
        "select video_id, max(captured_at) from analytics.fact_video_performance"
        " where views > 10 group by video_id order by video_id limit 1",
    )[0]
    key = f"video_id = '{video_id}' and captured_at = timestamptz '{captured_at.isoformat()}'"
    return Violation(
        [
            f"create temporary table violation as select * from analytics.fact_video_performance where {key}",
            "update violation set captured_at = captured_at + interval '1 minute', views = views - 10,"
            " views_delta = 0, is_correction = false",
            "insert into analytics.fact_video_performance select * from violation",
        ],
        [
            "delete from analytics.fact_video_performance"
            f" where video_id = '{video_id}' and captured_at = timestamptz '{captured_at.isoformat()}'"
            " + interval '1 minute'"
        ],
    )


CASES: list[tuple[str, Callable[[psycopg2.extensions.connection], Violation]]] = [
    ("raw_rows_accounted_for", _unloaded_poll),
    ("revenue_reconciliation_warn", _restated_revenue(3.5)),
    ("revenue_reconciliation_error", _restated_revenue(10)),
    ("video_cost_under_budget", _expensive_video),
    ("over_budget_videos_are_alerted", _expensive_video),
    ("average_video_cost_under_budget", _expensive_week),
    ("published_videos_have_costs", _published_without_costs),
    ("active_channels_hourly_data", _silent_active_channel),
    ("video_performance_counters_never_decrease", _unflagged_decrease),
]


def _dbt_test(built: Built, test: str) -> subprocess.CompletedProcess[str]:
    """`dbt test --select <test>`; a warn-severity test runs with --warn-error so that a warning fails."""
    flags = ["--warn-error"] if NEW_TESTS[test] == "warn" else []
    return run_dbt([*flags, "test", "--select", test, *AS_OF_VARS], built.env)


def _execute(built: Built, test_stack: StackHandle, statements: list[str]) -> None:
    execute_all(built.connect(test_stack), statements)


@pytest.mark.parametrize(
    ("test", "violation"), CASES, ids=[f"{name}-{i}" for i, (name, _) in enumerate(CASES)]
)
def test_each_new_test_fails_on_a_violating_row(
    test_stack: StackHandle,
    warehouses: dict[str, Built],
    test: str,
    violation: Callable[[psycopg2.extensions.connection], Violation],
) -> None:
    built = warehouses["clean"]
    conn = built.connect(test_stack)
    try:
        broken = violation(conn)
    finally:
        conn.close()
    _execute(built, test_stack, broken.apply)
    try:
        failed = _dbt_test(built, test)
    finally:
        _execute(built, test_stack, broken.undo)
    assert failed.returncode != 0, failed.stdout[-3000:]
    assert test in failed.stdout


def test_every_new_test_passes_on_clean_data(warehouses: dict[str, Built]) -> None:
    """The same tests on the clean warehouse (each violation above is undone when its test ends): every
    one passes, and with --warn-error no warn-severity test as much as warns."""
    names = sorted({test for test, _ in CASES})
    passed = run_dbt(
        ["--warn-error", "test", "--select", " ".join(names), *AS_OF_VARS], warehouses["clean"].env
    )
    assert passed.returncode == 0, passed.stdout[-3000:]
    for name in names:
        assert f"PASS {name} " in passed.stdout, name


def test_revenue_thresholds_are_graded(test_stack: StackHandle, warehouses: dict[str, Built]) -> None:
    """A 3.5 % deviation warns but is no error; the error test needs more than 5 %."""
    built = warehouses["clean"]
    conn = built.connect(test_stack)
    try:
        broken = _restated_revenue(3.5)(conn)
    finally:
        conn.close()
    _execute(built, test_stack, broken.apply)
    try:
        graded = run_dbt(
            ["test", "--select", "revenue_reconciliation_warn revenue_reconciliation_error", *AS_OF_VARS],
            built.env,
        )
    finally:
        _execute(built, test_stack, broken.undo)
    assert graded.returncode == 0, graded.stdout[-3000:]
    assert "WARN 1 revenue_reconciliation_warn " in graded.stdout
    assert "PASS revenue_reconciliation_error " in graded.stdout
