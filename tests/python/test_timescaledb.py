"""TimescaleDB macros: golden DDL for both licenses, and their effect on the real (Apache) TimescaleDB."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import psycopg2
import pytest
from conftest import AS_OF, StackHandle, clone_database, new_database, run_cli, run_dbt

from ytempire_ops.config import Settings
from ytempire_ops.refresh import project_as_of, retention_due

GOLDEN = Path(__file__).parent / "golden"
MODELS = ("fact_video_performance", "fact_costs")


def show_ddl(env: dict[str, str], model: str, license_: str) -> str:
    result = run_dbt(
        [
            "--quiet",
            "run-operation",
            "timescaledb_show_ddl",
            "--args",
            f"{{model: {model}, license: {license_}}}",
        ],
        env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def ddl_env(test_stack: StackHandle) -> dict[str, str]:
    """An empty database: every relation is reviewed as a fresh table."""
    dbname, _ = new_database(test_stack, "ddl")
    return test_stack.db_env(dbname)


@pytest.mark.parametrize("license_", ["apache", "timescale"])
@pytest.mark.parametrize("model", MODELS)
def test_golden_ddl_of_a_fresh_table(ddl_env: dict[str, str], model: str, license_: str) -> None:
    """The statements for a first build, per license, equal the reviewed golden files."""
    emitted = show_ddl(ddl_env, model, license_)
    expected = (GOLDEN / f"{model}.{license_}.ddl").read_text()
    assert emitted.strip() == expected.strip()


CHANGED = (
    "{is_hypertable: true, interval_matches: false, compression_enabled: true, segmentby: video_id, "
    "orderby: captured_at desc, has_compression_policy: true, compression_policy_matches: false, "
    "has_retention_policy: true, retention_policy_matches: false}"
)
UNCHANGED = (
    "{is_hypertable: true, interval_matches: true, compression_enabled: true, segmentby: channel_id, "
    "orderby: captured_at desc, has_compression_policy: true, compression_policy_matches: true, "
    "has_retention_policy: true, retention_policy_matches: true}"
)


@pytest.mark.parametrize(("case", "state"), [("changed", CHANGED), ("unchanged", UNCHANGED)])
def test_golden_ddl_of_an_existing_hypertable_under_timescale(
    test_stack: StackHandle, case: str, state: str
) -> None:
    """A changed interval, compression setting or policy is replaced (remove, then add); no change emits nothing."""
    dbname, _ = new_database(test_stack, "ddl")
    args = f"{{model: fact_video_performance, license: timescale, state: {state}}}"
    result = run_dbt(
        ["--quiet", "run-operation", "timescaledb_show_ddl", "--args", args], test_stack.db_env(dbname)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    expected = (GOLDEN / f"fact_video_performance.timescale.{case}.ddl").read_text()
    assert result.stdout.strip() == expected.strip()


def hypertables(conn) -> dict[str, dict[str, object]]:
    with conn.cursor() as cur:
        cur.execute(
            """
            select h.hypertable_name, d.time_interval, h.num_chunks, h.compression_enabled
            from timescaledb_information.hypertables as h
            join timescaledb_information.dimensions as d using (hypertable_schema, hypertable_name)
            where h.hypertable_schema in ('analytics', 'intermediate')
            """
        )
        return {
            name: {"interval": interval, "chunks": chunks, "compression": compression}
            for name, interval, chunks, compression in cur.fetchall()
        }


@pytest.fixture(scope="module")
def tsdb_db(test_stack: StackHandle) -> tuple[str, dict[str, str]]:
    """A database of its own (the retention test drops chunks): generated data, facts built."""
    dbname, _ = new_database(test_stack, "tsdb")
    env = test_stack.db_env(dbname)
    generated = run_cli(["generate", "--scale", "0.05", "--days", "4", "--seed", "3", "--as-of", AS_OF], env)
    assert generated.returncode == 0, generated.stderr
    facts = ["--select", "+fact_video_performance", "+fact_costs", "--indirect-selection", "cautious"]
    built = run_dbt(["build", *facts], env, as_of=AS_OF)
    assert built.returncode == 0, built.stdout[-3000:]
    assert "create_hypertable('analytics.fact_video_performance'" in built.stdout
    # The full load creates TimescaleDB's time index after the rows; the post-hook finds it there.
    assert "timescaledb: create index" not in built.stdout
    return dbname, env


def test_facts_are_hypertables_with_the_configured_interval(test_stack: StackHandle, tsdb_db) -> None:
    dbname, _ = tsdb_db
    conn = test_stack.connect(dbname)
    tables = hypertables(conn)
    conn.close()
    assert tables["fact_video_performance"]["interval"] == timedelta(days=1)
    assert tables["fact_costs"]["interval"] == timedelta(days=7)
    assert tables["fact_video_performance"]["chunks"] >= 4
    # the polls' deltas, in chunks like the performance fact's, neither compressed nor dropped
    assert tables["int_video_metrics_deltaed"]["interval"] == timedelta(days=1)
    assert tables["int_video_metrics_deltaed"]["chunks"] >= 4
    assert not tables["int_video_metrics_deltaed"]["compression"]


def time_indexes(conn) -> set[str]:
    """The names of TimescaleDB's own time-column indexes (<table>_<time column>_idx[n]) in the built schemas."""
    with conn.cursor() as cur:
        cur.execute(
            """
            select indexname from pg_indexes
            where schemaname in ('analytics', 'intermediate') and indexname ~ '_idx[0-9]*$'
            """
        )
        return {name for (name,) in cur.fetchall()}


def test_time_index_is_created_or_dropped_as_configured(test_stack: StackHandle, tsdb_db) -> None:
    """A hypertable has TimescaleDB's time index unless its config says time_index: false; a change is applied.

    The poll fact keeps it (the dashboards' and alerts' newest poll); the deltas do not (nothing reads them
    by time alone). An index on the wrong side of the config is dropped or created by the next run.
    """
    dbname, env = tsdb_db
    conn = test_stack.connect(dbname)
    conn.autocommit = True
    assert "fact_video_performance_captured_at_idx" in time_indexes(conn)
    assert "int_video_metrics_deltaed_captured_at_idx" not in time_indexes(conn)
    with conn.cursor() as cur:
        cur.execute(
            "create index int_video_metrics_deltaed_captured_at_idx"
            " on intermediate.int_video_metrics_deltaed (captured_at desc)"
        )
        cur.execute("drop index analytics.fact_video_performance_captured_at_idx")
    models = ["run", "--select", "int_video_metrics_deltaed", "fact_video_performance"]
    mended = run_dbt(models, env)
    assert mended.returncode == 0, mended.stdout[-3000:]
    assert (
        "timescaledb: drop index if exists intermediate.int_video_metrics_deltaed_captured_at_idx"
        in mended.stdout
    )
    assert "timescaledb: create index if not exists fact_video_performance_captured_at_idx" in mended.stdout
    assert "fact_video_performance_captured_at_idx" in time_indexes(conn)
    assert "int_video_metrics_deltaed_captured_at_idx" not in time_indexes(conn)
    again = run_dbt(models, env)
    assert again.returncode == 0, again.stdout[-3000:]
    assert "timescaledb: drop index" not in again.stdout and "timescaledb: create index" not in again.stdout
    # A second time index, as a full refresh left one when the name had to end in _idx, is dropped.
    with conn.cursor() as cur:
        cur.execute(
            "create index fact_video_performance__dbt_tmp_captured_at_idx1"
            " on analytics.fact_video_performance (captured_at desc)"
        )
    assert {"fact_video_performance__dbt_tmp_captured_at_idx1", "fact_video_performance_captured_at_idx"} <= (
        time_indexes(conn)
    )
    deduplicated = run_dbt(models, env)
    assert deduplicated.returncode == 0, deduplicated.stdout[-3000:]
    assert (
        "timescaledb: drop index if exists analytics.fact_video_performance__dbt_tmp_captured_at_idx1"
        in deduplicated.stdout
    )
    fact_indexes = {name for name in time_indexes(conn) if name.startswith("fact_video_performance")}
    assert fact_indexes == {"fact_video_performance_captured_at_idx"}
    conn.close()
    fresh = show_ddl(env, "int_video_metrics_deltaed", "apache")
    assert "migrate_data => true, create_default_indexes => false)" in fresh


def test_apache_license_warns_once_per_model_and_makes_no_tsl_call(tsdb_db) -> None:
    _, env = tsdb_db
    result = run_dbt(["run", "--select", "fact_video_performance", "fact_costs"], env)
    assert result.returncode == 0, result.stdout[-3000:]
    assert result.stdout.count("license 'apache' does not include") == 2
    for tsl_call in ("add_compression_policy", "add_retention_policy", "timescaledb.compress"):
        assert f"timescaledb: select {tsl_call}" not in result.stdout
    assert "timescaledb: alter table" not in result.stdout


def test_second_and_incremental_builds_create_nothing_twice(test_stack: StackHandle, tsdb_db) -> None:
    dbname, env = tsdb_db
    conn = test_stack.connect(dbname)
    before = hypertables(conn)
    again = run_dbt(["run", "--select", "fact_video_performance", "fact_costs"], env)
    assert again.returncode == 0, again.stdout[-3000:]
    assert "create_hypertable" not in again.stdout and "set_chunk_time_interval" not in again.stdout
    appended = run_cli(["generate", "--append-minutes", "30"], env)
    assert appended.returncode == 0, appended.stderr
    incremental = run_dbt(["run", "--select", "+fact_video_performance", "+fact_costs"], env)
    assert incremental.returncode == 0, incremental.stdout[-3000:]
    assert "create_hypertable" not in incremental.stdout
    after = hypertables(conn)
    assert set(after) == set(before)
    assert {k: v["interval"] for k, v in after.items()} == {k: v["interval"] for k, v in before.items()}
    with conn.cursor() as cur:
        cur.execute("select count(*) from timescaledb_information.jobs where hypertable_schema = 'analytics'")
        assert cur.fetchone()[0] == 0  # no policy on the Apache edition
    conn.close()


def test_changed_chunk_interval_takes_effect(test_stack: StackHandle, tsdb_db) -> None:
    dbname, env = tsdb_db
    result = run_dbt(
        ["run", "--select", "fact_video_performance", "--vars", "{performance_chunk_interval: 2 days}"], env
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "set_chunk_time_interval('analytics.fact_video_performance', interval '2 days')" in result.stdout
    conn = test_stack.connect(dbname)
    assert hypertables(conn)["fact_video_performance"]["interval"] == timedelta(days=2)
    conn.close()
    back = run_dbt(["run", "--select", "fact_video_performance"], env)
    assert back.returncode == 0
    conn = test_stack.connect(dbname)
    assert hypertables(conn)["fact_video_performance"]["interval"] == timedelta(days=1)
    conn.close()


def test_refresh_calls_the_retention_macro_only_when_a_chunk_is_due(tsdb_db) -> None:
    """refresh's check before `timescaledb_enforce_retention`."""
    _, env = tsdb_db
    settings = Settings(
        pg_host=env["YTEMPIRE_PG_HOST"],
        pg_port=int(env["YTEMPIRE_PG_PORT"]),
        pg_user=env["YTEMPIRE_PG_USER"],
        pg_password=env["YTEMPIRE_PG_PASSWORD"],
        pg_dbname=env["YTEMPIRE_PG_DBNAME"],
    )
    horizons = [("analytics", "fact_video_performance", "90 days")]
    # Four days of data before AS_OF: nothing is 90 days old.
    assert retention_due(settings, horizons, AS_OF) == [
        "timescaledb retention: analytics.fact_video_performance: no chunk older than 90 days"
    ]
    # 90 days after the first chunk's end, that chunk is due: the macro runs.
    conn = psycopg2.connect(**settings.pg_kwargs())
    with conn.cursor() as cur:
        cur.execute(
            "select min(range_end) from timescaledb_information.chunks "
            "where hypertable_name = 'fact_video_performance'"
        )
        first_end = cur.fetchone()[0]
    conn.close()
    assert retention_due(settings, horizons, (first_end + timedelta(days=90)).isoformat()) is None
    assert retention_due(settings, horizons, (first_end + timedelta(days=89)).isoformat()) is not None
    assert retention_due(settings, [], AS_OF) is None


@pytest.mark.parametrize(
    ("project_vars", "expected"),
    [
        ("vars:\n  as_of: ''\n", ""),
        ("vars:\n  as_of: '2026-01-01 00:00:00+00'\n", "2026-01-01 00:00:00+00"),
        ("vars:\n  demo:\n    as_of: '2026-02-01 00:00:00+00'\n", "2026-02-01 00:00:00+00"),
        ("", ""),
    ],
)
def test_an_as_of_var_in_the_project_leaves_retention_to_the_macro(
    tmp_path: Path, project_vars: str, expected: str
) -> None:
    """refresh checks chunks itself only when the macro's as_of is YTEMPIRE_AS_OF or the clock."""
    (tmp_path / "dbt_project.yml").write_text("name: demo\n" + project_vars)
    assert project_as_of(Settings(project_dir=tmp_path)) == expected


def test_drop_chunks_retention_keeps_rows_newer_than_the_horizon_chunk(
    test_stack: StackHandle, tsdb_db
) -> None:
    # A copy: the chunks it drops stay in tsdb_db for the other tests, whatever order they run in.
    dbname = clone_database(test_stack, tsdb_db[0], "retention")
    env = test_stack.db_env(dbname)
    # A horizon 1.5 days before AS_OF: as_of moved so that as_of - 90 days lands there.
    horizon = datetime.fromisoformat(AS_OF) - timedelta(days=1, hours=12)
    shifted_as_of = horizon + timedelta(days=90)
    conn = test_stack.connect(dbname)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("select count(*) from analytics.fact_video_performance")
        total = cur.fetchone()[0]
        # Chunks are aligned to the 1-day interval: the horizon's chunk starts at its bucket.
        cur.execute(
            "select count(*) from analytics.fact_video_performance "
            "where captured_at >= time_bucket(interval '1 day', %s::timestamptz)",
            (horizon,),
        )
        expected = cur.fetchone()[0]
        cur.execute(
            "select count(*) from show_chunks('analytics.fact_video_performance', older_than => %s)",
            (horizon,),
        )
        droppable = cur.fetchone()[0]
    assert 0 < expected < total and droppable > 0

    result = run_dbt(["run-operation", "timescaledb_enforce_retention"], env, as_of=shifted_as_of.isoformat())
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"dropped {droppable} chunk(s) older than 90 days" in result.stdout
    with conn.cursor() as cur:
        cur.execute("select count(*), min(captured_at) from analytics.fact_video_performance")
        remaining, oldest = cur.fetchone()
    conn.close()
    assert remaining == expected
    assert oldest >= horizon - timedelta(days=1)


def test_full_refresh_leaves_a_hypertable_again(test_stack: StackHandle, tsdb_db) -> None:
    dbname, env = tsdb_db
    result = run_dbt(["run", "--select", "fact_video_performance", "--full-refresh"], env)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "create_hypertable('analytics.fact_video_performance'" in result.stdout
    conn = test_stack.connect(dbname)
    tables = hypertables(conn)
    with conn.cursor() as cur:
        cur.execute("select count(*) from analytics.fact_video_performance")
        rows = cur.fetchone()[0]
    conn.close()
    assert tables["fact_video_performance"]["interval"] == timedelta(days=1)
    assert rows > 0


def test_doctor_lists_hypertables_and_reviews_the_ddl(tsdb_db) -> None:
    _, env = tsdb_db
    result = run_cli(["doctor", "--json"], env)
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    performance = checks["hypertable analytics.fact_video_performance"]["detail"]
    assert (
        "time column captured_at" in performance and "chunks" in performance and "jobs: none" in performance
    )
    assert "chunk interval 7 days" in checks["hypertable analytics.fact_costs"]["detail"]

    ddl = run_cli(["doctor", "--ddl"], env)
    assert ddl.returncode == 0, ddl.stderr
    for model in MODELS:
        for license_ in ("apache", "timescale"):
            golden = (GOLDEN / f"{model}.{license_}.ddl").read_text().strip()
            assert golden in ddl.stdout, (model, license_)
