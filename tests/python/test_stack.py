"""The local stack: up, idempotent up, status, env, down; TimescaleDB preloaded; roles."""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
import urllib.parse
import urllib.request
import uuid
from contextlib import closing
from pathlib import Path

import psycopg2
import pytest
import redis
from conftest import StackHandle, run_cli

from ytempire_ops import daemons, stack
from ytempire_ops.errors import UserError


def test_timescaledb_is_preloaded_and_hypertables_work(test_stack: StackHandle) -> None:
    conn = test_stack.connect()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("show shared_preload_libraries")
        assert "timescaledb" in cur.fetchone()[0]
        cur.execute("select extversion from pg_extension where extname = 'timescaledb'")
        assert cur.fetchone() is not None
        cur.execute("create table analytics.tsdb_probe (at timestamptz not null, v int)")
        cur.execute("select create_hypertable('analytics.tsdb_probe', by_range('at'))")
        cur.execute(
            "select count(*) from timescaledb_information.hypertables where hypertable_name = 'tsdb_probe'"
        )
        assert cur.fetchone()[0] == 1
        cur.execute("select current_setting('timescaledb.license')")
        assert cur.fetchone()[0] in {"apache", "timescale"}
        cur.execute("drop table analytics.tsdb_probe")
    conn.close()


def test_reporter_reads_analytics_only(test_stack: StackHandle) -> None:
    builder = test_stack.connect()
    builder.autocommit = True
    with builder.cursor() as cur:
        cur.execute("create table analytics.reporter_probe as select 1 as x")
        cur.execute("create table if not exists raw.reporter_probe as select 1 as x")
    pg = test_stack.state["postgres"]
    reporter = psycopg2.connect(
        host=pg["host"],
        port=pg["port"],
        user=pg["reporter_user"],
        password=pg["reporter_password"],
        dbname=pg["dbname"],
    )
    reporter.autocommit = True
    with reporter.cursor() as cur:
        cur.execute("select x from analytics.reporter_probe")
        assert cur.fetchone() == (1,)
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("select x from raw.reporter_probe")
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("create table analytics.reporter_write (x int)")
    reporter.close()
    with builder.cursor() as cur:
        cur.execute("drop table analytics.reporter_probe; drop table raw.reporter_probe")
    builder.close()


def test_status_reports_versions_and_license(test_stack: StackHandle) -> None:
    status = stack.status(test_stack.home)
    assert status.postgres_running and status.redis_running
    assert status.postgres_version and status.postgres_version.startswith("15")
    assert status.timescaledb_version and status.timescaledb_license in {"apache", "timescale"}
    assert status.redis_version
    result = run_cli(["local", "status"], test_stack.env())
    assert result.returncode == 0, result.stderr
    assert "TimescaleDB" in result.stdout and "license" in result.stdout


def test_second_up_changes_nothing(test_stack: StackHandle) -> None:
    before = stack.load_state(test_stack.home)
    result = run_cli(["local", "up"], test_stack.env())
    assert result.returncode == 0, result.stderr
    assert "already running; nothing changed" in result.stdout
    assert stack.load_state(test_stack.home) == before


def test_env_prints_exports_that_reach_the_stack(test_stack: StackHandle) -> None:
    result = run_cli(["local", "env"], test_stack.env())
    assert result.returncode == 0, result.stderr
    values = dict(
        line.removeprefix("export ").split("=", 1)
        for line in result.stdout.splitlines()
        if line.startswith("export ")
    )
    conn = psycopg2.connect(
        host=values["YTEMPIRE_PG_HOST"],
        port=int(values["YTEMPIRE_PG_PORT"]),
        user=values["YTEMPIRE_PG_USER"],
        password=values["YTEMPIRE_PG_PASSWORD"].strip("'"),
        dbname=values["YTEMPIRE_PG_DBNAME"],
    )
    conn.close()
    assert redis.Redis.from_url(values["YTEMPIRE_REDIS_URL"].strip("'")).ping()
    assert (Path(values["DBT_PROFILES_DIR"].strip("'")) / "profiles.yml").exists()
    for variable in ("YTEMPIRE_ALERTMANAGER_URL", "YTEMPIRE_PUSHGATEWAY_URL"):
        assert daemons.ready(values[variable].strip("'")), variable


def http(method: str, url: str, body: bytes | None = None, content_type: str = "application/json") -> bytes:
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


def test_alertmanager_and_pushgateway_run_beside_the_stack(test_stack: StackHandle) -> None:
    """Both answer on loopback ports of their own: an alert posted is listed back, a pushed metric is served."""
    status = stack.status(test_stack.home)
    alertmanager, pushgateway = status.daemons["alertmanager"], status.daemons["pushgateway"]
    assert alertmanager["running"] and pushgateway["running"], status.daemons
    assert alertmanager["version"] and pushgateway["version"]
    env = test_stack.env()
    assert env["YTEMPIRE_ALERTMANAGER_URL"] == alertmanager["url"]
    assert env["YTEMPIRE_PUSHGATEWAY_URL"] == pushgateway["url"]

    name = f"StackTest{uuid.uuid4().hex[:8]}"
    alert = [
        {"labels": {"alertname": name, "severity": "warning"}, "annotations": {"summary": "a test alert"}}
    ]
    http("POST", f"{alertmanager['url']}/api/v2/alerts", json.dumps(alert).encode())
    query = urllib.parse.quote(f'alertname="{name}"')
    listed = json.loads(http("GET", f"{alertmanager['url']}/api/v2/alerts?filter={query}"))
    assert [a["labels"]["alertname"] for a in listed] == [name]
    assert listed[0]["annotations"]["summary"] == "a test alert"

    job = f"stack_test_{uuid.uuid4().hex[:8]}"
    http("PUT", f"{pushgateway['url']}/metrics/job/{job}", b"ytempire_stack_test 42\n", "text/plain")
    served = http("GET", f"{pushgateway['url']}/metrics").decode()
    assert f'ytempire_stack_test{{instance="",job="{job}"}} 42' in served

    shown = run_cli(["local", "status", "--json"], env)
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["alertmanager"]["running"] and data["pushgateway"]["running"]
    doctor = run_cli(["doctor", "--json"], env)
    checks = {check["name"]: check for check in json.loads(doctor.stdout)["checks"]}
    assert checks["alertmanager"]["level"] == "OK" and checks["pushgateway"]["level"] == "OK", checks


@pytest.fixture
def spare_home() -> Path:
    home = Path(tempfile.mkdtemp(prefix="ytempire-spare-"))
    yield home
    stack.down(home)
    shutil.rmtree(home, ignore_errors=True)


def test_down_stops_and_up_restarts_with_data_kept(spare_home: Path) -> None:
    first = stack.up(spare_home, ephemeral=True)
    assert first.postgres_running and first.redis_running
    state = stack.load_state(spare_home)
    conn = psycopg2.connect(**stack.builder_kwargs(state))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("create table analytics.kept as select 42 as answer")
    conn.close()

    down = stack.down(spare_home)
    assert "stopped PostgreSQL" in down.actions and "stopped Redis" in down.actions
    assert "stopped Alertmanager" in down.actions and "stopped Pushgateway" in down.actions
    stopped = stack.status(spare_home)
    assert not stopped.postgres_running and not stopped.redis_running
    assert not any(daemon["running"] for daemon in stopped.daemons.values())
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(**stack.builder_kwargs(state))

    again = stack.up(spare_home, ephemeral=True)
    assert again.postgres_running and again.redis_running
    conn = psycopg2.connect(**stack.builder_kwargs(stack.load_state(spare_home)))
    with conn.cursor() as cur:
        cur.execute("select answer from analytics.kept")
        assert cur.fetchone() == (42,)
    conn.close()


def test_a_missing_alertmanager_is_a_sentence_and_the_rest_runs(
    spare_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YTEMPIRE_ALERTMANAGER_BIN", str(spare_home / "nowhere" / "alertmanager"))
    started = stack.up(spare_home, ephemeral=True)
    assert started.postgres_running and started.redis_running
    assert started.daemons["pushgateway"]["running"]
    assert not started.daemons["alertmanager"]["running"]
    assert any("apt-get install prometheus-alertmanager" in action for action in started.actions), (
        started.actions
    )
    assert "YTEMPIRE_ALERTMANAGER_URL" not in stack.client_env(stack.load_state(spare_home), spare_home)


def test_port_already_taken_is_one_sentence(spare_home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UserError, match=f"port {port} for PostgreSQL is already in use"):
            stack.up(spare_home, pg_port=port)
        result = run_cli(
            ["local", "up", "--home", str(spare_home), "--pg-port", str(port)], {"PATH": "/usr/bin:/bin"}
        )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: port {port} for PostgreSQL is already in use; choose another with --pg-port or YTEMPIRE_PG_PORT."
    )
    assert "Traceback" not in result.stderr + result.stdout


def test_missing_binaries_say_what_to_install(spare_home: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "YTEMPIRE_PG_BINDIR": str(spare_home / "nowhere")}
    result = run_cli(["local", "up", "--home", str(spare_home)], env)
    assert result.returncode == 1
    assert "apt-get install postgresql-15" in result.stderr
    assert "Traceback" not in result.stderr
    env = {"PATH": str(spare_home)}  # no redis-server on this PATH
    result = run_cli(["local", "up", "--home", str(spare_home)], env)
    assert result.returncode == 1
    assert "apt-get install redis-server" in result.stderr


def test_a_failing_bootstrap_statement_closes_its_connection(test_stack: StackHandle) -> None:
    """create_database on a name that exists fails; its superuser connection is closed all the same."""
    name = f"closed_{uuid.uuid4().hex[:8]}"
    stack.create_database(test_stack.state, name)
    with pytest.raises(psycopg2.errors.DuplicateDatabase) as failed:
        stack.create_database(test_stack.state, name)
    # The traceback (held by `failed`) still references the function's frame: only closing frees it.
    assert failed.value is not None
    with closing(test_stack.connect()) as conn, conn.cursor() as cur:
        cur.execute(
            "select count(*) from pg_stat_activity where usename = 'postgres' and pid <> pg_backend_pid()"
            " and backend_type = 'client backend'"
        )
        assert cur.fetchone()[0] == 0
