"""Where the guarantees on the large time-series relations live, and that each still catches a violation.

A daily `dbt build` and CI's `dbt test` check the polls and the poll-grain facts over a window of recent
days (macros/utils/test_window.sql); the whole history is guarded by what the database enforces (the
unique index on each relation's grain, NOT NULL constraints) and checked by a full-history run
(`ytempire-ops check --full-history`, the var full_history). Each moved test is shown failing on a
violating row in its new home: inside the window; outside it only in a full-history run; or refused by
the database. The tests work on a copy of the session warehouse (scale 0.1, 3 days).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psycopg2
import psycopg2.errors
import pytest
from conftest import AS_OF, StackHandle, Warehouse, clone_database, execute_all, run_cli, run_dbt
from psycopg2 import sql

# The poll-grain relations: their grain (a unique index) and the load-time column their tests window on.
RELATIONS = {
    ("intermediate", "int_video_metrics_deltaed"): (("video_id", "captured_at"), "changed_at"),
    ("analytics", "fact_video_performance"): (("video_id", "captured_at"), "changed_at"),
    ("analytics", "fact_video_hourly"): (("video_id", "hour_start"), "performance_changed_at"),
    ("analytics", "fact_video_daily"): (("video_id", "activity_date"), "performance_changed_at"),
}
RECENT = f"timestamptz '{AS_OF}' - interval '1 hour'"
# Outside the default window of 3 days before as_of.
OLD = f"timestamptz '{AS_OF}' - interval '10 days'"
FULL_HISTORY = ["--vars", "{full_history: true}"]


@dataclass
class Copy:
    dbname: str
    env: dict[str, str]
    test_stack: StackHandle

    def execute(self, *statements: str) -> None:
        execute_all(self.test_stack.connect(self.dbname), statements)

    def rows(self, query: str | sql.Composable, *args: object) -> list[tuple]:
        conn = self.test_stack.connect(self.dbname)
        try:
            with conn.cursor() as cur:
                cur.execute(query, args or None)
                return cur.fetchall()
        finally:
            conn.close()


@pytest.fixture(scope="module")
def copy(test_stack: StackHandle, warehouse: Warehouse) -> Iterator[Copy]:
    assert warehouse.build.returncode == 0, warehouse.build.stdout[-3000:]
    dbname = clone_database(test_stack, warehouse.dbname, "guarantees")
    yield Copy(dbname, test_stack.db_env(dbname), test_stack)


def _declared_not_null(env: dict[str, str]) -> dict[tuple[str, str], list[str]]:
    """(schema, model) -> the columns whose YAML declares a not_null constraint, without an enforced contract."""
    listed = run_dbt(
        ["ls", "--resource-type", "model", "--output", "json", "--output-keys", "name schema columns config"],
        env,
    )
    assert listed.returncode == 0, listed.stdout[-3000:]
    declared: dict[tuple[str, str], list[str]] = {}
    for line in listed.stdout.splitlines():
        if not line.startswith("{"):
            continue
        node = json.loads(line)
        if node["config"].get("contract", {}).get("enforced"):
            continue
        columns = [
            name
            for name, column in node["columns"].items()
            if any(constraint["type"] == "not_null" for constraint in column.get("constraints", []))
        ]
        if columns:
            declared[(node["schema"], node["name"])] = columns
    return declared


def test_every_declared_not_null_column_is_constrained(copy: Copy) -> None:
    declared = _declared_not_null(copy.env)
    assert set(declared) == set(RELATIONS)
    for (schema, name), columns in declared.items():
        nullable = copy.rows(
            "select attname from pg_attribute where attrelid = to_regclass(%s) and attname = any(%s)"
            " and not attnotnull",
            f"{schema}.{name}",
            columns,
        )
        assert nullable == [], (schema, name)


@pytest.mark.parametrize(("schema", "name"), list(RELATIONS), ids=[name for _, name in RELATIONS])
def test_a_null_or_a_second_row_of_a_grain_is_refused(copy: Copy, schema: str, name: str) -> None:
    grain, _ = RELATIONS[(schema, name)]
    relation = f"{schema}.{name}"
    with pytest.raises(psycopg2.errors.UniqueViolation):
        copy.execute(f"insert into {relation} select * from {relation} limit 1")
    # a copy at a new grain key, with its first key column null
    with pytest.raises(psycopg2.errors.NotNullViolation):
        copy.execute(
            "begin",
            f"create temporary table violation on commit drop as select * from {relation} limit 1",
            f"update violation set {grain[0]} = null",
            f"insert into {relation} select * from violation",
        )


def test_a_constraint_missing_from_an_existing_relation_is_added_by_its_next_run(copy: Copy) -> None:
    copy.execute("alter table analytics.fact_video_daily alter column channel_id drop not null")
    ran = run_dbt(["run", "--select", "fact_video_daily"], copy.env, as_of=AS_OF)
    assert ran.returncode == 0, ran.stdout[-3000:]
    assert copy.rows(
        "select attnotnull from pg_attribute where attrelid = 'analytics.fact_video_daily'::regclass"
        " and attname = 'channel_id'"
    ) == [(True,)]


@dataclass
class Violation:
    apply: list[str]
    undo: list[str]


def _unloaded_poll(copy: Copy, at: str) -> Violation:
    """A usable raw poll delivered `at` (captured an hour before) that staging never loaded."""
    video_id = copy.rows("select video_id from raw.video_metrics order by video_id limit 1")[0][0]
    captured = f"{at} - interval '1 hour 7 milliseconds'"
    return Violation(
        [
            "insert into raw.video_metrics (video_id, captured_at, views, ingested_at)"
            f" values ('{video_id}', {captured}, 1, {at})"
        ],
        [f"delete from raw.video_metrics where video_id = '{video_id}' and captured_at = {captured}"],
    )


def _fact_poll(changes: str, nth: int) -> Callable[[Copy, str], Violation]:
    """A poll of fact_video_performance a minute after the last one of the `nth` video, changed `at`, with `changes`."""

    def make(copy: Copy, at: str) -> Violation:
        video_id, captured_at = copy.rows(
            "select video_id, max(captured_at) from analytics.fact_video_performance"
            " where views > 10 group by video_id order by video_id offset %s limit 1",
            nth,
        )[0]
        when = f"timestamptz '{captured_at.isoformat()}'"
        return Violation(
            [
                "create temporary table violation as select * from analytics.fact_video_performance"
                f" where video_id = '{video_id}' and captured_at = {when}",
                f"update violation set captured_at = captured_at + interval '1 minute', changed_at = {at}, {changes}",
                "insert into analytics.fact_video_performance select * from violation",
            ],
            [
                "delete from analytics.fact_video_performance"
                f" where video_id = '{video_id}' and captured_at = {when} + interval '1 minute'"
            ],
        )

    return make


# Each test moved to the window, with a row that breaks it (each on a video of its own).
CASES: list[tuple[str, Callable[[Copy, str], Violation]]] = [
    ("raw_rows_accounted_for", _unloaded_poll),
    ("video_performance_counters_never_decrease", _fact_poll("views = views - 10, is_correction = false", 0)),
    ("non_negative_fact_video_performance_views_delta", _fact_poll("views_delta = -1", 1)),
    (
        "relationships_fact_video_performance_channel_key__channel_key__ref_dim_channel_",
        _fact_poll("channel_key = md5('no such channel version')", 2),
    ),
]
NAMES = [name for name, _ in CASES]


def _break(copy: Copy, at: str) -> list[Violation]:
    violations = [make(copy, at) for _, make in CASES]
    for violation in violations:
        copy.execute(*violation.apply)
    return violations


def _mend(copy: Copy, violations: list[Violation]) -> None:
    for violation in reversed(violations):
        copy.execute(*violation.undo)


def test_a_violation_in_the_window_fails_its_test(copy: Copy) -> None:
    violations = _break(copy, RECENT)
    try:
        tested = run_dbt(["test", "--select", *NAMES], copy.env, as_of=AS_OF)
    finally:
        _mend(copy, violations)
    assert tested.returncode != 0
    for name in NAMES:
        assert re.search(rf"FAIL \d+ {name} ", tested.stdout), (name, tested.stdout[-3000:])


def test_an_older_violation_is_found_by_the_full_history_only(copy: Copy) -> None:
    violations = _break(copy, OLD)
    try:
        daily = run_dbt(["test", "--select", *NAMES], copy.env, as_of=AS_OF)
        checked = run_cli(["check", "--full-history", "--as-of", AS_OF, "--json"], copy.env)
        # the tests that run only over the whole history ran in that invocation
        latest = copy.rows(
            "select test_name, status from analytics.dbt_test_results"
            " where invocation_id = (select invocation_id from analytics.dbt_test_results"
            " order by finished_at desc limit 1) and test_name like '%%int_raw_rows_accounted%%'"
        )
    finally:
        _mend(copy, violations)
    assert daily.returncode == 0, daily.stdout[-3000:]
    for name in NAMES:
        assert f"PASS {name} " in daily.stdout, (name, daily.stdout[-3000:])
    assert checked.returncode == 1, checked.stdout[-3000:] + checked.stderr[-3000:]
    report = json.loads(checked.stdout)
    failing = {
        item["name"] for item in report["items"] if item["section"] == "tests" and item["level"] == "error"
    }
    assert set(NAMES) <= failing, report
    assert {name.split("_int_raw_rows_accounted")[0] for name, _ in latest} == {
        "unique",
        "not_null",
        "accepted_values",
    }
    assert {status for _, status in latest} == {"pass"}


def test_quarantine_rows_of_a_window_are_read_through_the_raw_index(copy: Copy) -> None:
    conn = copy.test_stack.connect(copy.dbname)
    try:
        with conn.cursor() as cur:
            cur.execute("set enable_seqscan = off")
            cur.execute(
                "explain select * from staging.stg_youtube__video_metrics_quarantined"
                f" where ingested_at >= {RECENT}"
            )
            plan = "\n".join(row[0] for row in cur.fetchall())
    finally:
        conn.close()
    # the window's predicate reaches raw.video_metrics (below the occurrence numbering), not a filter above it
    assert "Index Cond: (ingested_at >=" in plan, plan


def test_check_full_history_says_what_is_wrong_in_one_sentence(copy: Copy) -> None:
    alone = run_cli(["check", "--as-of", AS_OF], copy.env)
    assert alone.returncode == 2, alone.stdout + alone.stderr
    assert "--as-of sets the instant of --full-history's tests" in alone.stderr
    unreachable = run_cli(["check", "--full-history"], {**copy.env, "YTEMPIRE_PG_PORT": "1"})
    assert unreachable.returncode == 1, unreachable.stdout + unreachable.stderr
    assert "cannot reach PostgreSQL at 127.0.0.1:1" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr
