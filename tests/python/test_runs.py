"""The run history (ops.run_history) and the refresh's metrics in the Pushgateway.

Every recorded run is written however it ends (success, failure, Ctrl-C, SIGTERM), with its steps,
rows per model and error; records older than 90 days go when a run is recorded. The Pushgateway holds
the latest run's metrics, and the last success time only moves with a success. An unreachable
Pushgateway is exit 5 with the database and Redis work kept; an unreachable PostgreSQL keeps the run's
exit code and says the run was not recorded.
"""

from __future__ import annotations

import json
import socket
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from conftest import AS_OF, StackHandle, Warehouse, clone_database, interrupt_while_blocked, run_cli
from prometheus_client.parser import text_string_to_metric_families

from ytempire_ops import errors, runs
from ytempire_ops.config import Settings


@pytest.fixture(scope="module")
def runs_db(test_stack: StackHandle, warehouse: Warehouse) -> tuple[str, dict[str, str]]:
    """A copy of the session's built warehouse that these tests refresh."""
    assert warehouse.build.returncode == 0, warehouse.build.stdout[-3000:]
    dbname = clone_database(test_stack, warehouse.dbname, "runs")
    env = test_stack.db_env(dbname, YTEMPIRE_REDIS_PREFIX=f"{dbname}:")
    assert env.get("YTEMPIRE_PUSHGATEWAY_URL"), "the test stack runs no Pushgateway"
    return dbname, env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def records(test_stack: StackHandle, dbname: str, command: str) -> list[dict[str, Any]]:
    """The command's records, newest first (none before the first run creates the table)."""
    conn = test_stack.connect(dbname)
    try:
        with conn.cursor() as cur:
            cur.execute("select to_regclass('ops.run_history') is null")
            if cur.fetchone()[0]:
                return []
            cur.execute(
                "select run_id::text, command, argv, started_at, finished_at, status, exit_code, steps,"
                " rows_loaded, error, as_of from ops.run_history where command = %s order by started_at desc",
                (command,),
            )
            names = [column.name for column in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        conn.close()


def latest(test_stack: StackHandle, dbname: str, command: str) -> dict[str, Any]:
    found = records(test_stack, dbname, command)
    assert found, f"no {command} recorded"
    return found[0]


def pushed(env: dict[str, str], dbname: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The Pushgateway's series of this warehouse: (name, other labels) -> value."""
    with urllib.request.urlopen(f"{env['YTEMPIRE_PUSHGATEWAY_URL']}/metrics", timeout=10) as response:
        text = response.read().decode()
    series = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("warehouse") != dbname:
                continue
            labels = tuple(
                sorted((k, v) for k, v in sample.labels.items() if k not in {"warehouse", "instance"})
            )
            series[(sample.name, labels)] = sample.value
    return series


def value(series: dict, name: str, **labels: str) -> float:
    matches = [v for (n, ls), v in series.items() if n == name and set(labels.items()) <= set(ls)]
    assert len(matches) == 1, (name, labels, sorted(k for k in series if k[0] == name))
    return matches[0]


def last_success(env: dict[str, str], dbname: str) -> float:
    return value(pushed(env, dbname), "ytempire_refresh_last_success_timestamp_seconds")


def test_a_successful_refresh_is_recorded_and_pushed(
    test_stack: StackHandle, runs_db: tuple[str, dict[str, str]]
) -> None:
    dbname, env = runs_db
    done = run_cli(["refresh", "--as-of", AS_OF, "--json"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    record = latest(test_stack, dbname, "refresh")

    assert (record["status"], record["exit_code"], record["error"]) == ("ok", 0, None)
    assert record["argv"].endswith(f"refresh --as-of {AS_OF} --json"), record["argv"]
    assert record["as_of"] == datetime.fromisoformat(AS_OF)
    assert record["started_at"] <= record["finished_at"]
    elapsed = (record["finished_at"] - record["started_at"]).total_seconds()
    assert elapsed >= result["seconds"] - 0.01, (elapsed, result["seconds"])
    # Every step of the run, in order, with the seconds the command reported.
    assert [(s["name"], s["status"], s["seconds"]) for s in record["steps"]] == [
        (s["name"], s["status"], s["seconds"]) for s in result["steps"]
    ]
    names = [s["name"] for s in record["steps"]]
    assert names[:3] == ["lock", "dbt", "materialized views"] and names[-1] == "metrics", names
    assert next(s for s in record["steps"] if s["name"] == "dbt")["seconds"] > 0
    # Rows per model from dbt's adapter response: a table model's rows are its row count.
    assert record["rows_loaded"] == result["rows_loaded"] and record["rows_loaded"]
    conn = test_stack.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("select count(*) from analytics.dim_channel")
        channels = cur.fetchone()[0]
        cur.execute("select extract(epoch from max(ingested_at))::float8 from raw.video_metrics")
        newest_poll = cur.fetchone()[0]
    conn.close()
    assert channels > 0 and record["rows_loaded"]["dim_channel"] == channels
    assert next(s for s in record["steps"] if s["name"] == "dbt")["rows"] == sum(
        record["rows_loaded"].values()
    )

    series = pushed(env, dbname)
    steps = {s["name"]: s for s in result["steps"]}
    assert value(series, "ytempire_refresh_exit_code") == 0
    assert (
        abs(
            value(series, "ytempire_refresh_last_success_timestamp_seconds")
            - record["finished_at"].timestamp()
        )
        < 5
    )
    assert value(series, "ytempire_refresh_step_duration_seconds", step="dbt") == pytest.approx(
        steps["dbt"]["seconds"], abs=0.001
    )
    assert value(series, "ytempire_refresh_rows_loaded", model="dim_channel") == channels
    assert value(series, "ytempire_refresh_keys_published") == steps["warm"]["data"]["keys_written"] > 0
    assert value(series, "ytempire_refresh_newest_poll_timestamp_seconds") == pytest.approx(newest_poll)
    age = value(series, "ytempire_refresh_newest_poll_age_seconds")
    assert age == pytest.approx(
        max(0.0, value(series, "ytempire_refresh_last_run_timestamp_seconds") - newest_poll)
    )


def test_a_failed_refresh_is_recorded_and_the_last_success_stays(
    test_stack: StackHandle, runs_db: tuple[str, dict[str, str]]
) -> None:
    """A model's statement waits on a table another session locked, past its lock_timeout."""
    dbname, env = runs_db
    ok = run_cli(["refresh", "--as-of", AS_OF, "--skip-dbt"], env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    succeeded_at = last_success(env, dbname)

    holder = test_stack.connect(dbname)
    holder.autocommit = False
    try:
        with holder.cursor() as cur:
            cur.execute("lock table analytics.fact_video_performance in access exclusive mode")
        failed = run_cli(
            ["refresh", "--as-of", AS_OF, "--skip-warm"], dict(env, PGOPTIONS="-c lock_timeout=300")
        )
    finally:
        holder.rollback()
        holder.close()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    record = latest(test_stack, dbname, "refresh")
    assert (record["status"], record["exit_code"]) == ("failed", 1)
    assert "refresh step 'dbt' failed" in record["error"] and "lock timeout" in record["error"], record[
        "error"
    ]
    steps = {s["name"]: s for s in record["steps"]}
    assert steps["dbt"]["status"] == "failed" and steps["dbt"]["seconds"] > 0
    assert steps["metrics"]["status"] == "ok", steps

    series = pushed(env, dbname)
    assert value(series, "ytempire_refresh_exit_code") == 1
    assert value(series, "ytempire_refresh_last_success_timestamp_seconds") == succeeded_at
    assert value(series, "ytempire_refresh_last_run_timestamp_seconds") > succeeded_at
    assert value(series, "ytempire_refresh_step_duration_seconds", step="dbt") == pytest.approx(
        steps["dbt"]["seconds"], abs=0.001
    )


@pytest.mark.parametrize(("signal_name", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_an_interrupted_refresh_is_recorded_interrupted(
    test_stack: StackHandle, runs_db: tuple[str, dict[str, str]], signal_name: str, code: int
) -> None:
    """The views step waits on a locked table; the signal stops it; the record says so."""
    dbname, env = runs_db
    before = {r["run_id"] for r in records(test_stack, dbname, "refresh")}
    done = interrupt_while_blocked(
        test_stack, dbname, env, ["refresh", "--skip-dbt", "--skip-warm"], "fact_video_hourly", signal_name
    )
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    record = latest(test_stack, dbname, "refresh")
    assert record["run_id"] not in before
    assert (record["status"], record["exit_code"]) == ("interrupted", code)
    assert record["error"] == ("interrupted" if code == 130 else "terminated")
    steps = {s["name"]: s for s in record["steps"]}
    assert steps["lock"]["status"] == "ok"
    assert (
        steps["materialized views"]["status"] == "interrupted" and steps["materialized views"]["seconds"] > 0
    )
    assert value(pushed(env, dbname), "ytempire_refresh_exit_code") == code


def test_records_older_than_90_days_are_deleted_when_a_run_is_recorded(
    test_stack: StackHandle, runs_db: tuple[str, dict[str, str]]
) -> None:
    dbname, env = runs_db
    first = run_cli(["warm"], env)  # creates the table if no earlier test did
    assert first.returncode == 0, first.stdout + first.stderr
    conn = test_stack.connect(dbname)
    with conn.cursor() as cur:
        for days in (91, 89):
            cur.execute(
                "insert into ops.run_history (run_id, command, argv, started_at, finished_at, status, exit_code)"
                " values (gen_random_uuid(), 'old', %s, now() - make_interval(days => %s),"
                " now() - make_interval(days => %s), 'ok', 0)",
                (f"{days} days ago", days, days),
            )
    conn.close()
    warmed = run_cli(["warm", "--json"], env)
    assert warmed.returncode == 0, warmed.stdout + warmed.stderr
    assert [r["argv"] for r in records(test_stack, dbname, "old")] == ["89 days ago"]
    record = latest(test_stack, dbname, "warm")
    assert record["status"] == "ok" and record["argv"] == "ytempire-ops warm --json"
    timings = json.loads(warmed.stdout)["seconds"]
    assert [s["name"] for s in record["steps"]] == list(timings)


def test_an_unreachable_pushgateway_exits_5_and_keeps_the_work(
    test_stack: StackHandle, runs_db: tuple[str, dict[str, str]]
) -> None:
    dbname, env = runs_db
    prefix = f"{dbname}-nopush:"
    gone = dict(env, YTEMPIRE_PUSHGATEWAY_URL=f"http://127.0.0.1:{free_port()}", YTEMPIRE_REDIS_PREFIX=prefix)
    done = run_cli(["refresh", "--as-of", AS_OF, "--skip-dbt", "--json"], gone)
    assert done.returncode == errors.EXIT_PUSHGATEWAY_UNAVAILABLE == 5, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "cannot push the refresh's metrics to the Pushgateway" in lines[0]
    steps = {s["name"]: s for s in json.loads(done.stdout)["steps"]}
    assert steps["materialized views"]["status"] == "ok" and steps["warm"]["status"] == "ok"
    assert steps["metrics"]["status"] == "failed"
    client = redis.Redis.from_url(env["YTEMPIRE_REDIS_URL"], socket_timeout=10)
    try:
        assert client.get(f"{prefix}dashboard:overview"), "the warm's keys are gone"
    finally:
        client.close()
    record = latest(test_stack, dbname, "refresh")
    assert (record["status"], record["exit_code"]) == ("warn", 5)
    assert "Pushgateway" in record["error"]


def test_an_unconfigured_pushgateway_is_a_skipped_step(
    test_stack: StackHandle, runs_db: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """No YTEMPIRE_PUSHGATEWAY_URL and no local stack's state to fall back on."""
    dbname, env = runs_db
    bare = {
        k: v for k, v in env.items() if k not in {"YTEMPIRE_PUSHGATEWAY_URL", "YTEMPIRE_ALERTMANAGER_URL"}
    }
    bare["YTEMPIRE_HOME"] = str(tmp_path)
    done = run_cli(["refresh", "--as-of", AS_OF, "--skip-dbt", "--json"], bare)
    assert done.returncode == 0, done.stdout + done.stderr
    steps = {s["name"]: s for s in json.loads(done.stdout)["steps"]}
    assert steps["metrics"]["status"] == "skipped"
    assert "no Pushgateway configured" in steps["metrics"]["detail"]
    assert latest(test_stack, dbname, "refresh")["status"] == "ok"


def test_postgres_unreachable_keeps_the_exit_code_and_says_the_run_was_not_recorded(
    runs_db: tuple[str, dict[str, str]],
) -> None:
    _, env = runs_db
    port = free_port()
    done = run_cli(["warm"], dict(env, YTEMPIRE_PG_PORT=str(port)))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    errors_ = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert len(errors_) == 1 and f"cannot reach PostgreSQL at 127.0.0.1:{port}" in errors_[0], done.stderr
    assert len(warnings) == 1, done.stderr
    assert (
        f"the run was not recorded in ops.run_history: cannot reach PostgreSQL at 127.0.0.1:{port}"
        in warnings[0]
    )
    assert env["YTEMPIRE_PG_PASSWORD"] not in done.stderr


def test_a_build_is_recorded_with_its_rows(
    test_stack: StackHandle, runs_db: tuple[str, dict[str, str]]
) -> None:
    dbname, env = runs_db
    done = run_cli(["build", "--select", "dim_date", "--as-of", AS_OF], env)
    assert done.returncode == 0, done.stdout + done.stderr
    record = latest(test_stack, dbname, "build")
    conn = test_stack.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("select count(*) from analytics.dim_date")
        days = cur.fetchone()[0]
    conn.close()
    assert (record["status"], record["exit_code"]) == ("ok", 0)
    assert record["rows_loaded"] == {"dim_date": days} and days > 0
    assert [s["name"] for s in record["steps"]] == ["dbt build"] and record["steps"][0]["rows"] == days
    assert record["as_of"] == datetime.fromisoformat(AS_OF)


def test_any_function_is_recorded_by_the_recorder(
    test_stack: StackHandle, runs_db: tuple[str, dict[str, str]]
) -> None:
    """What a future command (e.g. `report`) gets: its failure recorded with its error, the
    password of its command line masked."""
    dbname, _ = runs_db
    settings = Settings.from_state(test_stack.state, test_stack.home)
    settings.pg_dbname = dbname
    secret = settings.pg_password
    argv = ["ytempire-ops", "report", "--dsn", f"postgresql://ytempire:{secret}@127.0.0.1/x"]
    unrecorded: list[str] = []
    with (
        pytest.raises(errors.UserError),
        runs.recording("report", argv, settings=lambda: settings, unrecorded=unrecorded.append),
    ):
        runs.note(steps=[{"name": "read", "status": "ok", "seconds": 0.5}])
        raise errors.UserError(f"the report found no data (password {secret}).")
    assert unrecorded == []
    record = runs.history(settings, "report")[0]
    assert (record["status"], record["exit_code"]) == ("failed", 1)
    assert record["error"] == "the report found no data (password ***)."
    assert record["steps"] == [{"name": "read", "status": "ok", "seconds": 0.5}]
    assert secret not in record["argv"] and "***" in record["argv"]
