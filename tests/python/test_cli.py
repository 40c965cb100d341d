"""ytempire-ops as cron and analysts run it: exit codes, one-sentence errors, refresh's guarantees."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import psycopg2
import pytest
import redis
from conftest import AS_OF, StackHandle, interrupt_while_blocked, new_database, run_cli, run_dbt, table_digest

from ytempire_ops.config import Settings
from ytempire_ops.dbt_ops import dbt_environment, env_as_of
from ytempire_ops.refresh import LOCK_KEY, SELECTOR, SELECTOR_ENTITIES_UNCHANGED, materialized_views


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one_sentence(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.startswith("error:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_unknown_option_is_a_usage_error() -> None:
    result = run_cli(["refresh", "--no-such-option"], {"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    assert "No such option" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["generate", "--days", "1"], ["refresh"], ["check"], ["warm"]])
def test_unreachable_postgres_is_one_sentence_and_exit_1(test_stack: StackHandle, command: list[str]) -> None:
    port = free_port()
    result = run_cli(command, test_stack.env(YTEMPIRE_PG_PORT=str(port)))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"cannot reach PostgreSQL at 127.0.0.1:{port}" in one_sentence(result.stderr)


def test_debug_shows_the_traceback(test_stack: StackHandle) -> None:
    result = run_cli(["--debug", "refresh"], test_stack.env(YTEMPIRE_PG_PORT=str(free_port())))
    assert result.returncode == 1
    assert "Traceback" in result.stderr


def test_bad_as_of_is_one_sentence(test_stack: StackHandle) -> None:
    result = run_cli(["generate", "--as-of", "yesterday"], test_stack.env())
    assert result.returncode == 2
    assert "is not an ISO 8601 timestamp" in one_sentence(result.stderr)


def test_doctor_reports_every_service(test_stack: StackHandle) -> None:
    result = run_cli(["doctor", "--json"], test_stack.env())
    assert result.returncode == 0, result.stdout + result.stderr
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert {"postgres", "timescaledb", "redis", "profile", "dbt project"} <= set(checks)
    assert checks["postgres"]["level"] == "OK" and checks["redis"]["level"] == "OK"
    assert "license apache" in checks["timescaledb"]["detail"] or checks["timescaledb"]["level"] == "OK"

    down = run_cli(
        ["doctor", "--json"], test_stack.env(YTEMPIRE_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    )
    assert down.returncode == 1
    redis_check = next(c for c in json.loads(down.stdout)["checks"] if c["name"] == "redis")
    assert redis_check["level"] == "FAIL" and redis_check["fix"]


@pytest.fixture(scope="module")
def ops_db(test_stack: StackHandle) -> tuple[str, dict[str, str]]:
    """A built warehouse of its own: these tests append data and refresh it."""
    dbname, _ = new_database(test_stack, "ops")
    env = test_stack.db_env(dbname, YTEMPIRE_REDIS_PREFIX=f"{dbname}:")
    generated = run_cli(["generate", "--scale", "0.05", "--days", "2", "--seed", "9", "--as-of", AS_OF], env)
    assert generated.returncode == 0, generated.stderr
    built = run_cli(["build", "--as-of", AS_OF], env)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return dbname, env


def snapshot_state(test_stack: StackHandle, dbname: str, prefix: str) -> dict[str, object]:
    """Row counts and contents' digests of every analytics relation, and every Redis key with its value."""
    conn = test_stack.connect(dbname)
    state: dict[str, object] = {}
    with conn.cursor() as cur:
        cur.execute(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'analytics' and c.relkind in ('r', 'm', 'p') and c.relname <> 'dbt_test_results'"
        )
        for (name,) in cur.fetchall():
            state[name] = table_digest(cur, "analytics", name)
    conn.close()
    client = redis.Redis.from_url(test_stack.state["redis"]["url"])
    state["redis"] = {key: client.dump(key) for key in sorted(client.scan_iter(f"{prefix}*"))}
    return state


def test_refresh_happy_path_prints_each_step_timed(test_stack: StackHandle, ops_db) -> None:
    dbname, env = ops_db
    appended = run_cli(["generate", "--append-minutes", "5"], env)
    assert appended.returncode == 0, appended.stderr
    later = datetime.fromisoformat(AS_OF) + timedelta(minutes=5)
    result = run_cli(["refresh", "--json", "--as-of", later.isoformat()], env)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert [s["name"] for s in report["steps"]] == [
        "lock",
        "dbt",
        "materialized views",
        "retention",
        "warm",
        "alerts",
        "metrics",
    ]
    assert all(s["status"] == "ok" for s in report["steps"]), report
    assert all(s["seconds"] >= 0 for s in report["steps"])
    dbt = report["steps"][1]["data"]
    assert set(dbt["timing"]) == {"before_first_node", "nodes", "after_last_node"}
    # The parsed project is kept in target/ between refreshes (tests/python/test_manifest_cache.py).
    assert dbt["manifest"] in {"parsed", "kept"}
    skipped = dbt["selector"] == SELECTOR_ENTITIES_UNCHANGED
    assert skipped or dbt["selector"] == SELECTOR
    assert ("users_snapshot" in dbt["nodes"]) is not skipped and (
        "channels_snapshot" in dbt["nodes"]
    ) is not skipped
    # No chunk is 90 days old: retention is checked without a dbt invocation.
    retention = report["steps"][3]
    assert retention["data"]["dbt"] is False
    assert "analytics.fact_video_performance: no chunk older than 90 days" in retention["detail"]
    assert "fact_video_performance" in dbt["nodes"] and "int_video_metrics_deltaed" in dbt["nodes"]
    # Views and the static dim_date are left to `build`.
    assert "stg_platform__users" not in dbt["nodes"] and "dim_date" not in dbt["nodes"]
    conn = test_stack.connect(dbname)
    with conn.cursor() as cur:
        # --as-of reached the marts' windows.
        cur.execute("select as_of from analytics.mart_executive_overview")
        assert cur.fetchone()[0] == later
    conn.close()
    views = report["steps"][2]["data"]
    assert set(views) == {"video_performance_hourly", "channel_performance_daily"}
    assert all("concurrently" in v["statement"] for v in views.values())
    # Each view is refreshed once the models it reads are built, while dbt's later nodes (the
    # marts) still run; its rows must still be exactly what its query returns after the refresh.
    assert all(isinstance(v["during_dbt"], bool) for v in views.values())
    assert "started while dbt ran" in report["steps"][2]["detail"]
    conn = test_stack.connect(dbname)
    with conn.cursor() as cur:
        for name in views:
            cur.execute("select pg_get_viewdef(%s::regclass)", (f"analytics.{name}",))
            definition = cur.fetchone()[0].rstrip().rstrip(";")
            cur.execute(f"select count(*) from analytics.{name}")
            assert cur.fetchone()[0] > 0, name
            for first, second in (
                (f"analytics.{name}", f"({definition})"),
                (f"({definition})", f"analytics.{name}"),
            ):
                cur.execute(
                    f"select count(*) from (select * from {first} as a except all select * from {second} as b) as d"
                )
                assert cur.fetchone()[0] == 0, f"{name} differs from its query after the refresh"
    conn.close()
    client = redis.Redis.from_url(test_stack.state["redis"]["url"])
    assert client.exists(f"{dbname}:dashboard:overview")


def test_refresh_leaves_out_entity_snapshots_whose_sources_did_not_change(
    test_stack: StackHandle, ops_db
) -> None:
    dbname, env = ops_db
    later = (datetime.fromisoformat(AS_OF) + timedelta(minutes=5)).isoformat()

    def refresh() -> dict:
        result = run_cli(["refresh", "--json", "--skip-warm", "--as-of", later], env)
        assert result.returncode == 0, result.stdout + result.stderr
        return json.loads(result.stdout)["steps"][1]["data"]

    refresh()  # whatever changed before is snapshotted now
    quiet = refresh()
    assert quiet["selector"] == SELECTOR_ENTITIES_UNCHANGED
    assert "users_snapshot" not in quiet["nodes"] and "channels_snapshot" not in quiet["nodes"]
    assert "videos_snapshot" in quiet["nodes"] and "dim_user" in quiet["nodes"]

    conn = test_stack.connect(dbname)
    with conn.cursor() as cur:
        cur.execute(
            "update raw.users set updated_at = updated_at + interval '1 second'"
            " where user_id = (select user_id from raw.users order by user_id limit 1)"
        )
    conn.close()
    changed = refresh()
    assert changed["selector"] == SELECTOR
    assert "users_snapshot" in changed["nodes"] and "channels_snapshot" in changed["nodes"]
    assert refresh()["selector"] == SELECTOR_ENTITIES_UNCHANGED


def test_an_exported_ytempire_as_of_is_honoured_when_no_as_of_is_given(
    test_stack: StackHandle, ops_db
) -> None:
    dbname, env = ops_db
    later = datetime.fromisoformat(AS_OF) + timedelta(minutes=7)
    result = run_cli(["refresh", "--json", "--skip-warm"], {**env, "YTEMPIRE_AS_OF": later.isoformat()})
    assert result.returncode == 0, result.stdout + result.stderr
    conn = test_stack.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("select as_of from analytics.mart_executive_overview")
        assert cur.fetchone()[0] == later
    conn.close()


def test_statement_timeout_bounds_the_refresh_own_sessions(test_stack: StackHandle, ops_db) -> None:
    """--statement-timeout reaches the views step's connections: a refresh parked on a lock is cancelled."""
    dbname, env = ops_db
    holder = test_stack.connect(dbname)
    holder.autocommit = False
    with holder.cursor() as cur:
        cur.execute("lock table analytics.fact_video_hourly in access exclusive mode")
    try:
        result = run_cli(
            ["refresh", "--skip-dbt", "--skip-warm", "--statement-timeout", "1"], env, timeout=120
        )
    finally:
        holder.rollback()
        holder.close()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "canceling statement due to statement timeout" in one_sentence(result.stderr)


def test_dbt_environment_sets_what_dbt_reads_for_its_duration_only(monkeypatch: pytest.MonkeyPatch) -> None:
    exported = "2026-01-01T00:00:00+00:00"
    monkeypatch.setenv("YTEMPIRE_AS_OF", exported)
    monkeypatch.setenv("PGOPTIONS", "-c jit=off")
    monkeypatch.delenv("YTEMPIRE_PG_HOST", raising=False)
    before = dict(os.environ)
    settings = Settings(pg_host="db.invalid", pg_password="pw")
    given = datetime(2026, 2, 1, tzinfo=UTC)
    with pytest.raises(RuntimeError), dbt_environment(settings, as_of=given, statement_timeout=1.5):
        assert os.environ["YTEMPIRE_AS_OF"] == given.isoformat() == env_as_of(given)
        assert os.environ["PGOPTIONS"] == "-c jit=off -c statement_timeout=1500"
        assert os.environ["YTEMPIRE_PG_HOST"] == "db.invalid"
        raise RuntimeError("dbt failed")
    assert dict(os.environ) == before
    # Without an instant, the one the caller exported is what the as_of() macro reads.
    with dbt_environment(settings):
        assert os.environ["YTEMPIRE_AS_OF"] == exported == env_as_of()
        assert os.environ["PGOPTIONS"] == "-c jit=off"
    assert dict(os.environ) == before


def test_views_are_ordered_by_dependency_level() -> None:
    """Views without a view among their ancestors are level 0 (refreshed side by side); a view on
    views comes after all of them, one level deeper than its deepest parent view. Each waits for
    the built models it reads, through views and ephemeral models, and for the views it reads."""

    def node(name: str, materialized: str, parents: list[str], kind: str = "model") -> SimpleNamespace:
        return SimpleNamespace(
            name=name,
            schema="analytics",
            alias=name,
            resource_type=kind,
            config=SimpleNamespace(materialized=materialized),
            depends_on=SimpleNamespace(nodes=[f"model.p.{parent}" for parent in parents]),
        )

    nodes = {
        "model.p.seed": node("seed", "seed", [], kind="seed"),
        "model.p.snap": node("snap", "snapshot", [], kind="snapshot"),
        "model.p.fact": node("fact", "incremental", ["snap"]),
        "model.p.dim": node("dim", "table", ["snap"]),
        "model.p.stg": node("stg", "view", ["dim", "seed"]),
        "model.p.eph": node("eph", "ephemeral", ["stg"]),
        "model.p.top": node("top", "materialized_view", ["mid", "a"]),
        "model.p.mid": node("mid", "materialized_view", ["b", "eph"]),
        "model.p.b": node("b", "materialized_view", ["fact"]),
        "model.p.a": node("a", "materialized_view", ["fact"]),
    }
    views = materialized_views(SimpleNamespace(nodes=nodes))
    assert [(v["name"], v["level"]) for v in views] == [("a", 0), ("b", 0), ("mid", 1), ("top", 2)]
    waits = {v["name"]: (v["after_nodes"], v["after_views"]) for v in views}
    assert waits == {
        "a": (["model.p.fact"], []),
        "b": (["model.p.fact"], []),
        "mid": (["model.p.dim"], ["model.p.b"]),
        "top": ([], ["model.p.a", "model.p.mid"]),
    }


def test_dry_run_changes_nothing(test_stack: StackHandle, ops_db) -> None:
    dbname, env = ops_db
    appended = run_cli(["generate", "--append-minutes", "5"], env)
    assert appended.returncode == 0, appended.stderr
    before = snapshot_state(test_stack, dbname, f"{dbname}:")
    result = run_cli(["refresh", "--dry-run"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "would run: dbt build --selector time_series" in result.stdout
    assert "would run: refresh materialized view concurrently" in result.stdout
    assert snapshot_state(test_stack, dbname, f"{dbname}:") == before


def test_refresh_while_another_holds_the_lock_is_skipped(test_stack: StackHandle, ops_db) -> None:
    dbname, env = ops_db
    holder = test_stack.connect(dbname)
    holder.autocommit = True
    with holder.cursor() as cur:
        cur.execute("select pg_advisory_lock(%s)", (LOCK_KEY,))
    try:
        result = run_cli(["refresh"], env)
    finally:
        holder.close()
    assert result.returncode == 75, result.stdout + result.stderr
    assert "another refresh or a build holds the warehouse's lock" in one_sentence(result.stderr)


def test_two_refreshes_started_together_run_once(ops_db) -> None:
    _, env = ops_db
    command = [sys.executable, "-m", "ytempire_ops.cli", "refresh", "--skip-warm"]
    procs = [
        subprocess.Popen(
            command,
            env=env,
            cwd=tempfile.gettempdir(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    codes = sorted(proc.wait(timeout=600) for proc in procs)
    for proc in procs:
        proc.stdout.close()
        proc.stderr.close()
    assert codes == [0, 75]


def test_redis_down_keeps_the_database_work(test_stack: StackHandle, ops_db) -> None:
    dbname, env = ops_db
    appended = run_cli(["generate", "--append-minutes", "60"], env)
    assert appended.returncode == 0, appended.stderr
    later = (datetime.fromisoformat(AS_OF) + timedelta(minutes=75)).isoformat()
    down_env = dict(env, YTEMPIRE_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    result = run_cli(["refresh", "--vars", f"{{as_of: '{later}'}}"], down_env)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Redis" in one_sentence(result.stderr)
    conn = test_stack.connect(dbname)
    with conn.cursor() as cur:
        # The facts took the new polls and the materialized view was refreshed from them.
        cur.execute("select max(captured_at) from analytics.fact_video_performance")
        newest_poll = cur.fetchone()[0]
        cur.execute("select max(captured_at) from raw.video_metrics")
        assert newest_poll == cur.fetchone()[0]
        # The view holds the newest poll's hour and the 23 before it (hourly_window_hours: 24).
        cur.execute(
            "select count(*) from (select video_id, date_trunc('hour', captured_at) "
            "from analytics.fact_video_performance where captured_at >= "
            "(select date_trunc('hour', max(captured_at)) - interval '23 hours' "
            "from analytics.fact_video_performance) group by 1, 2) as hours"
        )
        expected_hours = cur.fetchone()[0]
        cur.execute("select count(*) from analytics.video_performance_hourly")
        assert cur.fetchone()[0] == expected_hours
    conn.close()


def test_build_json_summary_and_failure_exit(ops_db) -> None:
    _, env = ops_db
    result = run_cli(["build", "--select", "stg_platform__users", "--json"], env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["success"] is True and summary["counts"]["model"] == {"success": 1}
    assert summary["counts"]["test"]["pass"] >= 2
    failed = run_cli(
        ["build", "--select", "stg_platform__users", "--json"], dict(env, YTEMPIRE_PG_PASSWORD="wrong")
    )
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["success"] is False


def test_check_reports_freshness_tests_and_alerts(ops_db) -> None:
    _, env = ops_db
    result = run_cli(["check", "--json"], env)
    report = json.loads(result.stdout)
    sections = {item["section"] for item in report["items"]}
    assert {"freshness", "tests", "alerts"} <= sections
    # The generated history ends at a fixed instant in the past: video_metrics is stale, an error.
    freshness = {i["name"]: i["level"] for i in report["items"] if i["section"] == "freshness"}
    assert freshness["youtube.video_metrics"] == "error"
    assert report["level"] == "error" and result.returncode == 1


def test_check_passes_freshness_on_current_data(test_stack: StackHandle) -> None:
    dbname, _ = new_database(test_stack, "fresh")
    env = test_stack.db_env(dbname)
    now = datetime.now().astimezone().replace(second=0, microsecond=0).isoformat()
    generated = run_cli(["generate", "--scale", "0.02", "--days", "1", "--as-of", now], env)
    assert generated.returncode == 0, generated.stderr
    result = run_cli(["check", "--json"], env)
    freshness = {
        i["name"]: i["level"] for i in json.loads(result.stdout)["items"] if i["section"] == "freshness"
    }
    assert freshness["youtube.video_metrics"] == "ok", result.stdout


def test_reporter_cannot_be_used_to_build(test_stack: StackHandle, ops_db) -> None:
    dbname, env = ops_db
    pg = test_stack.state["postgres"]
    conn = psycopg2.connect(
        host=pg["host"],
        port=pg["port"],
        user=pg["reporter_user"],
        password=pg["reporter_password"],
        dbname=dbname,
    )
    with conn.cursor() as cur:
        cur.execute("select count(*) from analytics.mart_executive_overview")
        assert cur.fetchone()[0] == 1
    conn.close()
    as_reporter = dict(
        env, YTEMPIRE_PG_USER=pg["reporter_user"], YTEMPIRE_PG_PASSWORD=pg["reporter_password"]
    )
    result = run_dbt(["run", "--select", "stg_platform__users"], as_reporter)
    assert result.returncode != 0
    assert "permission denied" in result.stdout


@pytest.mark.parametrize(
    ("command", "locked", "signal_name"),
    [
        # dbt's table swap of dim_date must wait for the lock: the build is parked on a query
        (["build", "--select", "dim_date"], "dim_date", "SIGINT"),
        # the views step: video_performance_hourly's refresh waits on its table, the other view's
        # refresh runs beside it
        (["refresh", "--skip-dbt", "--skip-warm"], "fact_video_hourly", "SIGINT"),
        # SIGTERM (cron's `timeout`, systemd) is handled the same way, with its own exit code
        (["build", "--select", "dim_date"], "dim_date", "SIGTERM"),
        (["refresh", "--skip-dbt", "--skip-warm"], "fact_video_hourly", "SIGTERM"),
    ],
    ids=["build", "refresh-views", "build-sigterm", "refresh-views-sigterm"],
)
def test_ctrl_c_cancels_the_running_query_and_exits_130(
    test_stack: StackHandle, ops_db, command: list[str], locked: str, signal_name: str
) -> None:
    """SIGINT while a query waits: the query is cancelled, the exit code is 130, no traceback.
    SIGTERM: the same, exit code 143."""
    dbname, env = ops_db
    done = interrupt_while_blocked(test_stack, dbname, env, command, locked, signal_name)
    code, word = (130, "interrupted") if signal_name == "SIGINT" else (143, "terminated (SIGTERM)")
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and word in done.stderr
    assert done.still_waiting == [], "the blocked query still runs after the interrupt"
