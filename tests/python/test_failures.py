"""Failures a user can cause or meet: every one is a sentence that names its cause, with the right code.

Bad values are refused before anything runs (exit 2); a failed refresh prints its step table with the
failed step's real duration and the database's own sentence; build and refresh never run together;
`check` says when the latest test results are partial.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import AS_OF, StackHandle, Warehouse, clone_database, run_cli, run_dbt

from ytempire_ops.refresh import LOCK_KEY


@pytest.fixture(scope="module")
def copy(test_stack: StackHandle, warehouse: Warehouse) -> tuple[str, dict[str, str]]:
    """A copy of the session's built warehouse, for tests that run build and refresh on it."""
    assert warehouse.build.returncode == 0, warehouse.build.stdout[-3000:]
    dbname = clone_database(test_stack, warehouse.dbname, "fail")
    return dbname, test_stack.db_env(dbname, YTEMPIRE_REDIS_PREFIX=f"{dbname}:")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def one_line_error(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, stderr
    return lines[0]


# ----------------------------------------------------------------------------- bad values: exit 2


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["refresh", "--statement-timeout", "-5"], {}, "--statement-timeout"),
        (["refresh", "--statement-timeout", "1e12"], {}, "--statement-timeout"),
        (["refresh", "--statement-timeout", "nan"], {}, "--statement-timeout"),
        (["refresh", "--statement-timeout", "0.0004"], {}, "--statement-timeout"),
        (["refresh"], {"YTEMPIRE_PG_PORT": "abc"}, "YTEMPIRE_PG_PORT"),
        (["refresh"], {"YTEMPIRE_PG_PORT": "70000"}, "YTEMPIRE_PG_PORT"),
        (["build"], {"YTEMPIRE_PG_PORT": "abc"}, "YTEMPIRE_PG_PORT"),
        (["build", "--target", "nonexistent"], {}, "'nonexistent'"),
        (["build"], {"YTEMPIRE_TARGET": "nonexistent"}, "'nonexistent'"),
        (["build", "--select", "nonexistent_model"], {}, "--select nonexistent_model"),
    ],
    ids=[
        "timeout-negative",
        "timeout-huge",
        "timeout-nan",
        "timeout-below-a-millisecond",
        "port-not-a-number",
        "port-out-of-range",
        "build-port",
        "target-option",
        "target-variable",
        "select-matches-nothing",
    ],
)
def test_a_bad_value_is_one_sentence_and_exit_2(
    copy: tuple[str, dict[str, str]], args: list[str], env: dict[str, str], named: str
) -> None:
    _, base = copy
    done = run_cli(args, dict(base, **env))
    assert done.returncode == 2, done.stdout + done.stderr
    assert named in one_line_error(done.stderr)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        (
            "{cost_warning_cents: '250; drop table analytics.fact_costs'}",
            "var cost_warning_cents must be a number",
        ),
        ("{ingest_lookback_minutes: -10}", "var ingest_lookback_minutes must not be negative"),
        ("{raw_schema: 'raw; drop schema analytics'}", "var raw_schema must be a plain schema name"),
        ("{dq_platform_epoch: 'yesterday'}", "var dq_platform_epoch must be a date"),
    ],
    ids=["cost-threshold", "lookback", "raw-schema", "epoch"],
)
def test_a_var_that_reaches_sql_is_checked_first(
    test_stack: StackHandle, copy: tuple[str, dict[str, str]], overrides: str, named: str
) -> None:
    dbname, env = copy
    done = run_dbt(["compile", "--vars", overrides], env)
    assert done.returncode != 0
    assert named in done.stdout, done.stdout[-3000:]
    conn = test_stack.connect(dbname)
    with conn.cursor() as cur:
        cur.execute(
            "select to_regclass('analytics.fact_costs') is not null, to_regclass('analytics.dim_date')"
        )
        assert cur.fetchone()[0]
    conn.close()


# ----------------------------------------------------------------------------- exclusivity


def test_build_and_refresh_never_run_together(
    test_stack: StackHandle, copy: tuple[str, dict[str, str]]
) -> None:
    dbname, env = copy
    holder = test_stack.connect(dbname)
    try:
        with holder.cursor() as cur:
            cur.execute("select pg_advisory_lock(%s)", (LOCK_KEY,))
        # Someone holds the warehouse's lock (a refresh, a build): a refresh is skipped at once ...
        refresh = run_cli(["refresh", "--skip-warm"], env)
        assert refresh.returncode == 75, refresh.stdout + refresh.stderr
        assert "a build holds the warehouse's lock" in one_line_error(refresh.stderr)
        # ... and a build waits, then gives up with the same code, having built nothing.
        started = time.monotonic()
        build = run_cli(["build", "--select", "dim_date", "--wait", "2"], env)
        assert build.returncode == 75, build.stdout + build.stderr
        assert time.monotonic() - started >= 2
        assert "waiting up to 2 s" in build.stderr
        assert "nothing was built" in one_line_error(build.stderr)
    finally:
        holder.close()

    # A real build holds it: it is parked on a lock of dim_date while a refresh starts.
    blocker = test_stack.connect(dbname)
    blocker.autocommit = False
    with blocker.cursor() as cur:
        cur.execute("lock table analytics.dim_date in access exclusive mode")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ytempire_ops.cli", "build", "--select", "dim_date"],
        env=env,
        cwd=tempfile.gettempdir(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        watcher = test_stack.connect(dbname)
        deadline = time.monotonic() + 120
        held = False
        while not held and time.monotonic() < deadline and proc.poll() is None:
            with watcher.cursor() as cur:
                cur.execute("select count(*) from pg_locks where locktype = 'advisory' and granted")
                held = cur.fetchone()[0] > 0
            time.sleep(0.2)
        watcher.close()
        assert held, "the build never took the lock"
        refresh = run_cli(["refresh", "--skip-warm"], env)
        assert refresh.returncode == 75, refresh.stdout + refresh.stderr
    finally:
        blocker.rollback()
        blocker.close()
        stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stdout + stderr


# ----------------------------------------------------------------------------- failures name their cause


def steps_of(stdout: str) -> dict[str, dict[str, Any]]:
    return {step["name"]: step for step in json.loads(stdout)["steps"]}


def test_a_failed_dbt_step_shows_the_database_sentence_and_its_duration(
    test_stack: StackHandle, copy: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """A model's statement fails in PostgreSQL (here: it waits on a table another session locked, past
    the session's lock_timeout): the CLI says so in PostgreSQL's words."""
    dbname, env = copy
    log_dir = tmp_path / "logs"
    env = dict(env, PGOPTIONS="-c lock_timeout=300", DBT_LOG_PATH=str(log_dir))
    holder = test_stack.connect(dbname)
    holder.autocommit = False
    try:
        with holder.cursor() as cur:
            cur.execute("lock table analytics.fact_video_performance in access exclusive mode")
        done = run_cli(["refresh", "--as-of", AS_OF, "--skip-warm"], env)
        as_json = run_cli(["refresh", "--as-of", AS_OF, "--skip-warm", "--json"], env)
    finally:
        holder.rollback()
        holder.close()
    assert done.returncode == 1, done.stdout + done.stderr
    # The step table is printed: the failed step with the time it ran.
    failed = [line for line in done.stdout.splitlines() if " failed " in line]
    assert len(failed) == 1 and failed[0].startswith("dbt "), done.stdout + done.stderr
    assert float(failed[0].split()[2]) > 0.0, failed[0]
    error = one_line_error(done.stderr)
    assert "refresh step 'dbt' failed" in error and "fact_video_performance" in error, error
    assert "canceling statement due to lock timeout" in error, error  # PostgreSQL's own words
    # dbt's own log is kept where the README says.
    assert "canceling statement due to lock timeout" in (log_dir / "dbt.log").read_text()

    assert as_json.returncode == 1
    step = steps_of(as_json.stdout)["dbt"]
    assert step["status"] == "failed" and step["seconds"] > 0, step
    assert "lock timeout" in step["detail"], step


def test_postgres_unreachable_still_prints_the_step_table(copy: tuple[str, dict[str, str]]) -> None:
    _, env = copy
    gone = dict(env, YTEMPIRE_PG_PORT=str(free_port()))
    done = run_cli(["refresh", "--json"], gone)
    assert done.returncode == 1, done.stdout + done.stderr
    step = steps_of(done.stdout)["lock"]
    assert step["status"] == "failed" and "cannot reach PostgreSQL" in step["detail"]
    plain = run_cli(["refresh"], gone)
    assert plain.stdout.startswith("lock ") and " failed " in plain.stdout, plain.stdout


def test_a_connection_lost_mid_step_names_the_step(
    test_stack: StackHandle, copy: tuple[str, dict[str, str]]
) -> None:
    """The views step's session is terminated (as by a PostgreSQL restart) while it waits."""
    dbname, env = copy
    holder = test_stack.connect(dbname)
    holder.autocommit = False
    with holder.cursor() as cur:
        cur.execute("lock table analytics.fact_video_hourly in access exclusive mode")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ytempire_ops.cli", "refresh", "--skip-dbt", "--skip-warm", "--json"],
        env=env,
        cwd=tempfile.gettempdir(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watcher = test_stack.connect(dbname)
    try:
        deadline = time.monotonic() + 120
        blocked: list[tuple[int]] = []
        while not blocked and time.monotonic() < deadline and proc.poll() is None:
            with watcher.cursor() as cur:
                cur.execute(
                    "select pid from pg_stat_activity where datname = %s and wait_event_type = 'Lock'"
                    " and pid <> %s",
                    (dbname, holder.get_backend_pid()),
                )
                blocked = cur.fetchall()
            time.sleep(0.2)
        assert blocked, "the views step never waited"
        with watcher.cursor() as cur:
            cur.execute("select pg_terminate_backend(%s)", blocked[0])
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        holder.rollback()
        holder.close()
        watcher.close()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1, stdout + stderr
    assert stdout.strip(), stderr
    step = steps_of(stdout)["materialized views"]
    assert step["status"] == "failed" and step["seconds"] > 0, step
    assert "lost the connection to PostgreSQL" in step["detail"], step
    assert "refresh step 'materialized views' failed" in one_line_error(stderr)


def test_check_says_when_the_latest_test_results_are_partial(
    test_stack: StackHandle, copy: tuple[str, dict[str, str]]
) -> None:
    _, env = copy
    tested = run_dbt(["test", "--select", "dim_date"], env, as_of=AS_OF)
    assert tested.returncode == 0, tested.stdout[-3000:]
    done = run_cli(["check", "--json"], env)
    items = json.loads(done.stdout)["items"]
    partial = [item for item in items if item["section"] == "tests" and item["name"] == "partial results"]
    assert len(partial) == 1, items
    assert partial[0]["level"] == "warn" and "not run" in partial[0]["detail"]


@pytest.fixture(autouse=True)
def _no_leftover_lock(test_stack: StackHandle, copy: tuple[str, dict[str, str]]) -> Iterator[None]:
    yield
    conn = test_stack.connect(copy[0])
    with conn.cursor() as cur:
        cur.execute("select count(*) from pg_locks where locktype = 'advisory'")
        assert cur.fetchone()[0] == 0, "a test left the warehouse's lock held"
    conn.close()
