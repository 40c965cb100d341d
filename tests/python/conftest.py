"""The test session's own throwaway stack, started by the same `stack.up()` users run.

Nothing here touches the machine's own PostgreSQL or Redis: the cluster and the
Redis server live in a temporary directory on free loopback ports and are removed
at the end of the session.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import psycopg2.errors
import pytest
from psycopg2 import sql

from ytempire_ops import stack

PROJECT_DIR = Path(__file__).resolve().parents[2]
# A fixed as-of instant keeps every test's data and windows reproducible.
AS_OF = "2026-11-20T12:00:00+00:00"


def dbt_paths() -> dict[str, str]:
    """Where this test process's dbt invocations write target/ and logs/.

    `make test` runs the modules in two processes (pytest-xdist): dbt writing the project's own
    target/ from both at once would mix their manifests and run results. Each process (an xdist
    worker, or the one plain `pytest` process) gets its own pair of directories.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    base = Path(tempfile.gettempdir()) / f"ytempire-test-dbt-{os.getpid()}-{worker}"
    return {"DBT_TARGET_PATH": str(base / "target"), "DBT_LOG_PATH": str(base / "logs")}


@dataclass
class StackHandle:
    home: Path
    state: dict

    def env(self, **overrides: str) -> dict[str, str]:
        """Environment for a CLI or dbt subprocess pointed at this stack (the caller's YTEMPIRE_* dropped)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("YTEMPIRE_", "DBT_"))}
        env.update(stack.client_env(self.state, self.home))
        env.update({"YTEMPIRE_PROJECT_DIR": str(PROJECT_DIR), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})
        env.update(dbt_paths())
        env.update(overrides)
        return env

    def db_env(self, dbname: str, **overrides: str) -> dict[str, str]:
        return self.env(YTEMPIRE_PG_DBNAME=dbname, **overrides)

    def connect(self, dbname: str | None = None) -> psycopg2.extensions.connection:
        """An autocommit connection: a test's reads never hold locks that a dbt run it starts would wait on."""
        conn = psycopg2.connect(**stack.builder_kwargs(self.state, dbname))
        conn.autocommit = True
        return conn


def _remove_abandoned_stacks() -> None:
    """Stop and remove throwaway stacks of earlier sessions that were killed before their teardown."""
    for home in Path(tempfile.gettempdir()).glob("ytempire-test-*"):
        try:
            owner = int((home / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        try:
            os.kill(owner, 0)
            continue  # its session still runs
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        try:
            stack.down(home, purge=True)
        finally:
            shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def test_stack() -> Iterator[StackHandle]:
    _remove_abandoned_stacks()
    home = Path(tempfile.mkdtemp(prefix="ytempire-test-"))
    (home / "owner.pid").write_text(str(os.getpid()))
    try:
        stack.up(home, ephemeral=True)
        yield StackHandle(home=home, state=stack.load_state(home))
    finally:
        try:
            stack.down(home, purge=True)
        finally:
            shutil.rmtree(home, ignore_errors=True)


def new_database(test_stack: StackHandle, prefix: str = "t") -> tuple[str, dict[str, object]]:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    return name, stack.create_database(test_stack.state, name)


def clone_database(test_stack: StackHandle, source: str, prefix: str = "copy") -> str:
    """A copy of a built database (CREATE DATABASE ... TEMPLATE), for a test that changes what it holds.

    A module's tests share one built database; the ones that change it (append data, drop chunks)
    work on a copy, so every test sees the same database whatever order the tests run in. Copying a
    small warehouse takes a second, building one minutes. The template must have no other session:
    those left by dbt and the CLI have ended; TimescaleDB's background worker is ended and retried.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = psycopg2.connect(**stack.superuser_kwargs(test_stack.state))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for attempt in range(50):
                cur.execute(
                    "select pg_terminate_backend(pid) from pg_stat_activity"
                    " where datname = %s and pid <> pg_backend_pid()",
                    (source,),
                )
                try:
                    cur.execute(
                        sql.SQL("create database {} template {} owner {}").format(
                            sql.Identifier(name), sql.Identifier(source), sql.Identifier(stack.BUILDER)
                        )
                    )
                    break
                except psycopg2.errors.ObjectInUse:
                    if attempt == 49:
                        raise
                    time.sleep(0.1)
    finally:
        conn.close()
    return name


# Fixtures that start PostgreSQL and Redis: the session's stack, and a spare state directory that a
# test starts a stack of its own in. A test that starts one without them is marked `stack` itself.
STACK_FIXTURES = frozenset({"test_stack", "spare_home"})


def _uses_the_stack(item: pytest.Item) -> bool:
    return not STACK_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))


# The modules that take longest, longest first: `make test` hands whole modules to its two
# processes (`--dist loadfile`) in collection order, so starting with these keeps both busy to the end.
# A module not listed runs after them, in file order.
SLOW_MODULES = (
    "test_cli",
    "test_warehouse",
    "test_quality",
    "test_incremental_equivalence",
    "test_alert_delivery",
    "test_bench",
    "test_failures",
    "test_timescaledb",
    "test_manifest_cache",
    "test_hostile_rows",
    "test_demo",
    "test_no_secrets",
    "test_crash_safety",
    "test_lint",
    "test_guarantees",
    "test_reports",
    "test_runs",
    "test_check",
    "test_late_dimension_changes",
    "test_dashboards",
    "test_snapshots",
    "test_alerts",
    "test_warm",
    "test_stack",
    "test_generate",
)


def _module_rank(item: pytest.Item) -> int:
    name = item.path.stem
    return SLOW_MODULES.index(name) if name in SLOW_MODULES else len(SLOW_MODULES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tiers: a test that needs the throwaway stack (directly or through a fixture) is marked `stack`.

    `make test-fast` runs `-m "not stack"`: everything that needs no PostgreSQL or Redis. Modules are
    ordered slowest first (a stable sort: the tests of a module keep their order).
    """
    for item in items:
        if _uses_the_stack(item):
            item.add_marker(pytest.mark.stack)
    if not config.getoption("randomly_seed", None):
        items.sort(key=_module_rank)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Remove this process's dbt target/ and logs/ (dbt_paths)."""
    shutil.rmtree(Path(dbt_paths()["DBT_TARGET_PATH"]).parent, ignore_errors=True)


@pytest.fixture
def pg_db(test_stack: StackHandle) -> dict[str, object]:
    """Connection keyword arguments of a fresh, empty database (TimescaleDB installed) on the test stack."""
    return new_database(test_stack)[1]


def run_cli(args: list[str], env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run `ytempire-ops` as cron would: a separate process, no terminal."""
    return subprocess.run(
        [sys.executable, "-m", "ytempire_ops.cli", *args],
        env=env,
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


# `dbt build` without its data and unit tests: for a test whose point is the data a build leaves, not the
# build's own tests (each build runs about 250 of them, as long again as the models at test scale).
NO_TESTS = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]


def run_dbt(
    args: list[str],
    env: dict[str, str],
    timeout: float = 900,
    as_of: str | None = None,
    write_json: bool = False,
) -> subprocess.CompletedProcess[str]:
    """`dbt ARGS` in a separate process; `as_of` through YTEMPIRE_AS_OF, as the CLI passes it.

    The as_of() macro reads the variable when the SQL runs: unlike `--vars "{as_of: ...}"`, a new
    instant keeps dbt's partial parse, so a test that moves as_of does not pay for a whole parse.
    Like the CLI, dbt writes no manifest.json or run_results.json (a second of serialising per call)
    unless `write_json` (or `docs`, which is about them).
    """
    dbt = Path(sys.executable).with_name("dbt")
    if as_of is not None:
        env = {**env, "YTEMPIRE_AS_OF": as_of}
    no_json = [] if write_json or "docs" in args else ["--no-write-json"]
    return subprocess.run(
        [
            str(dbt),
            *args,
            *no_json,
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            env["DBT_PROFILES_DIR"],
        ],
        env=env,
        cwd=str(PROJECT_DIR),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def rebuild_from_raw(env: dict[str, str], as_of: str, command: str = "run") -> None:
    """A `--full-refresh` of every model at `as_of` (`dbt run`, or `build` with its tests), snapshots kept,
    then the materialized views refreshed: what a rebuild of the same raw data holds."""
    full = run_dbt([command, "--full-refresh", "--exclude", "resource_type:snapshot"], env, as_of=as_of)
    assert full.returncode == 0, full.stdout[-3000:]
    views = run_cli(["refresh", "--as-of", as_of, "--skip-dbt", "--skip-warm", "--skip-alerts"], env)
    assert views.returncode == 0, views.stdout + views.stderr


@dataclass
class Warehouse:
    """A database of the test stack with generated raw data and a completed `dbt build`."""

    dbname: str
    env: dict[str, str]
    build: subprocess.CompletedProcess[str]


@pytest.fixture(scope="session")
def warehouse(test_stack: StackHandle) -> Warehouse:
    dbname, _ = new_database(test_stack, "wh")
    env = test_stack.db_env(dbname)
    generated = run_cli(["generate", "--scale", "0.1", "--days", "3", "--seed", "7", "--as-of", AS_OF], env)
    assert generated.returncode == 0, generated.stderr
    # Without its data tests: each worker builds this warehouse, and test_warehouse runs the tests on it once.
    built = run_dbt(["build", *NO_TESTS], env, as_of=AS_OF)
    return Warehouse(dbname=dbname, env=env, build=built)


@dataclass
class Interrupted:
    """How a CLI process interrupted while one of its queries waited on a lock ended."""

    returncode: int
    stdout: str
    stderr: str
    still_waiting: list[tuple[int]]  # the queries still waiting on the lock after the process ended


def interrupt_while_blocked(
    test_stack: StackHandle,
    dbname: str,
    env: dict[str, str],
    command: list[str],
    locked: str,
    signal_name: str,
) -> Interrupted:
    """Run `ytempire-ops COMMAND` while analytics.LOCKED is locked; once it waits on the lock, send it the signal."""
    holder = test_stack.connect(dbname)
    holder.autocommit = False
    with holder.cursor() as cur:
        cur.execute(f"lock table analytics.{locked} in access exclusive mode")
    watcher = test_stack.connect(dbname)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ytempire_ops.cli", *command],
        env=env,
        cwd=tempfile.gettempdir(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell starts background jobs with SIGINT ignored, and a process inherits that (Python then
        # never raises KeyboardInterrupt): the CLI gets the default handling, as from cron or a terminal.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    waiting = "select pid from pg_stat_activity where datname = %s and wait_event_type = 'Lock' and pid <> %s"
    try:
        deadline = time.monotonic() + 120
        blocked: list[tuple[int]] = []
        while not blocked and time.monotonic() < deadline and proc.poll() is None:
            with watcher.cursor() as cur:
                cur.execute(waiting, (dbname, holder.get_backend_pid()))
                blocked = cur.fetchall()
            time.sleep(0.2)
        assert blocked, f"`{' '.join(command)}` never waited on the lock"
        proc.send_signal(getattr(signal, signal_name))
        stdout, stderr = proc.communicate(timeout=60)
        with watcher.cursor() as cur:
            cur.execute(waiting, (dbname, holder.get_backend_pid()))
            still_waiting = cur.fetchall()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        holder.rollback()
        holder.close()
        watcher.close()
    return Interrupted(proc.returncode, stdout, stderr, still_waiting)


def execute_all(conn: psycopg2.extensions.connection, statements: list[str] | tuple[str, ...]) -> None:
    """Run each statement on `conn` in turn, then close it (whether or not one failed)."""
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        conn.close()


def table_digest(cur: psycopg2.extensions.cursor, schema: str, name: str) -> tuple[int, str]:
    """(row count, md5 of every row's text in a stable order) of a relation."""
    cur.execute(
        sql.SQL(
            "select count(*), md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from {}.{} as t"
        ).format(sql.Identifier(schema), sql.Identifier(name))
    )
    count, digest = cur.fetchone()
    return int(count), str(digest)


def duplicate_grain_rows(
    cur: psycopg2.extensions.cursor, schema: str, name: str, grain: tuple[str, ...]
) -> int:
    columns = sql.SQL(", ").join(sql.Identifier(column) for column in grain)
    cur.execute(
        sql.SQL(
            "select count(*) from (select {c} from {s}.{t} group by {c} having count(*) > 1) as d"
        ).format(c=columns, s=sql.Identifier(schema), t=sql.Identifier(name))
    )
    return int(cur.fetchone()[0])


def raw_columns_of(text: str) -> dict[str, list[tuple[str, str]]]:
    """`raw.<table>` headings of a markdown page (docs/contract/raw_tables.md) -> the (column, type) rows of the table under each."""
    tables: dict[str, list[tuple[str, str]]] = {}
    current: str | None = None
    for line in text.splitlines():
        if line.startswith("#"):
            heading = re.match(r"^#+ raw\.(\w+)", line)
            current = heading.group(1) if heading else None
            if current:
                tables[current] = []
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if current and line.startswith("|") and len(cells) >= 2 and cells[0] not in ("column", "---"):
            tables[current].append((cells[0], cells[1].replace(" ", "")))
    return tables
