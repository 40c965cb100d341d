"""The warehouse on generated data: a clean build, idempotent rebuilds, incremental appends, SCD2 joins."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import (
    AS_OF,
    NO_TESTS,
    StackHandle,
    Warehouse,
    clone_database,
    duplicate_grain_rows,
    new_database,
    run_cli,
    run_dbt,
    table_digest,
)
from psycopg2 import sql

FACTS = (
    "fact_video_performance",
    "fact_video_daily",
    "fact_video_hourly",
    "fact_costs",
    "fact_revenue",
    "fact_channel_daily",
)
# Aggregates kept incrementally: after appends they must equal a rebuild from scratch.
AGGREGATES = ("fact_video_daily", "fact_video_hourly", "fact_channel_daily")
MARTS = (
    "mart_video_economics",
    "mart_channel_performance",
    "mart_user_revenue_tracking",
    "mart_executive_overview",
    "mart_pipeline_status",
    "mart_api_quota",
    "mart_alerts",
)
GRAINS = {
    "fact_video_performance": ("video_id", "captured_at"),
    "fact_video_daily": ("video_id", "activity_date"),
    "fact_video_hourly": ("video_id", "hour_start"),
    "fact_costs": ("cost_id",),
    "fact_revenue": ("video_id", "revenue_date"),
    "fact_channel_daily": ("channel_id", "activity_date"),
}


def checksums(conn, relations: tuple[str, ...]) -> dict[str, tuple[int, str]]:
    """(row count, md5 of all rows in a stable order) per analytics relation."""
    with conn.cursor() as cur:
        return {name: table_digest(cur, "analytics", name) for name in relations}


def quota_digests(conn) -> tuple[tuple[int, str], tuple[int, str]]:
    with conn.cursor() as cur:
        return (
            table_digest(cur, "intermediate", "int_api_quota_daily"),
            table_digest(cur, "analytics", "mart_api_quota"),
        )


def test_build_on_generated_data_passes(warehouse: Warehouse) -> None:
    assert warehouse.build.returncode == 0, warehouse.build.stdout[-5000:]
    assert "ERROR=0" in warehouse.build.stdout
    # the session's warehouse is built without its data tests (every worker builds one): they run here
    tested = run_dbt(["test"], warehouse.env, as_of=AS_OF)
    assert tested.returncode == 0, tested.stdout[-5000:]
    assert "ERROR=0" in tested.stdout


@pytest.fixture(scope="module")
def incremental_db(test_stack: StackHandle) -> tuple[str, dict[str, str]]:
    dbname, _ = new_database(test_stack, "inc")
    env = test_stack.db_env(dbname)
    generated = run_cli(["generate", "--scale", "0.05", "--days", "2", "--seed", "11", "--as-of", AS_OF], env)
    assert generated.returncode == 0, generated.stderr
    built = run_dbt(["build", *NO_TESTS], env, as_of=AS_OF)
    assert built.returncode == 0, built.stdout[-5000:]
    return dbname, env


def test_rebuild_without_new_raw_rows_changes_nothing(test_stack: StackHandle, incremental_db) -> None:
    """Facts keep their rows and checksums; the marts are identical for the same as_of."""
    dbname, env = incremental_db
    conn = test_stack.connect(dbname)
    before = checksums(conn, FACTS + MARTS)
    rebuilt = run_dbt(["build", *NO_TESTS], env, as_of=AS_OF)
    assert rebuilt.returncode == 0, rebuilt.stdout[-5000:]
    after = checksums(conn, FACTS + MARTS)
    conn.close()
    assert after == before
    assert all(count > 0 for count, _ in (after[name] for name in FACTS))


def test_rerun_without_new_raw_rows_rewrites_no_row(test_stack: StackHandle, incremental_db) -> None:
    """The lookback window is read again, but rows equal to the loaded ones are not deleted and inserted again."""
    dbname, env = incremental_db
    conn = test_stack.connect(dbname)
    with conn.cursor() as cur:
        cur.execute(
            "select count(*) from intermediate.int_video_metrics_deltaed"
            " where ingested_at >= (select max(ingested_at) - interval '10 minutes'"
            " from intermediate.int_video_metrics_deltaed)"
        )
        assert cur.fetchone()[0] > 0, "no poll in the lookback window: the test would prove nothing"
        cur.execute("select txid_current()")
        started = cur.fetchone()[0]
    rerun = run_dbt(["run", "--select", "config.materialized:incremental"], env, as_of=AS_OF, write_json=True)
    assert rerun.returncode == 0, rerun.stdout[-5000:]
    manifest = json.loads((Path(env["DBT_TARGET_PATH"]) / "manifest.json").read_text())
    incremental = [
        (node["schema"], node["alias"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
    ]
    with conn.cursor() as cur:
        rewritten = {}
        for schema, name in incremental:
            # xmin is the writing transaction; the test database is far from xid wraparound.
            cur.execute(
                sql.SQL("select count(*) from {}.{} where xmin::text::bigint > %s").format(
                    sql.Identifier(schema), sql.Identifier(name)
                ),
                (started,),
            )
            rewritten[name] = cur.fetchone()[0]
    conn.close()
    assert {"stg_platform__video_costs", "int_video_metrics_deltaed", "fact_video_performance"} <= set(
        rewritten
    )
    assert rewritten == dict.fromkeys(rewritten, 0)


def test_append_adds_exactly_the_new_polls(test_stack: StackHandle, incremental_db) -> None:
    # A copy: the other tests of incremental_db see it as built, whatever order they run in.
    dbname = clone_database(test_stack, incremental_db[0], "append")
    env = test_stack.db_env(dbname)
    conn = test_stack.connect(dbname)
    expected_keys_sql = """
        select count(*) from (
            select distinct m.video_id, m.captured_at
            from raw.video_metrics as m
            join raw.videos as v on v.video_id = m.video_id and v.deleted_at is null
        ) as keys
    """
    with conn.cursor() as cur:
        cur.execute("select count(*) from analytics.fact_video_performance")
        before_rows = cur.fetchone()[0]
        cur.execute(expected_keys_sql)
        assert cur.fetchone()[0] == before_rows
    appended = run_cli(["generate", "--append-minutes", "60"], env)
    assert appended.returncode == 0, appended.stderr
    later = (datetime.fromisoformat(AS_OF) + timedelta(minutes=60)).isoformat()
    built = run_dbt(["build"], env, as_of=later)
    assert built.returncode == 0, built.stdout[-5000:]
    with conn.cursor() as cur:
        cur.execute(expected_keys_sql)
        expected_rows = cur.fetchone()[0]
        cur.execute("select count(*) from analytics.fact_video_performance")
        after_rows = cur.fetchone()[0]
        for fact, grain in GRAINS.items():
            assert duplicate_grain_rows(cur, "analytics", fact, grain) == 0, f"duplicate grain rows in {fact}"
        # Deltas of the whole history equal those of a rebuild from scratch.
        cur.execute(
            "select md5(string_agg(concat_ws(',', video_id, captured_at, views_delta, likes_delta, comments_delta,"
            " shares_delta, is_correction), '|' order by video_id, captured_at))"
            " from analytics.fact_video_performance"
        )
        incremental_digest = cur.fetchone()[0]
        incremental_deltaed = table_digest(cur, "intermediate", "int_video_metrics_deltaed")
    incremental_aggregates = checksums(conn, AGGREGATES)
    incremental_quota = quota_digests(conn)
    conn.close()
    assert after_rows > before_rows
    assert after_rows == expected_rows

    refreshed = run_dbt(["build", "--full-refresh", *NO_TESTS], env, as_of=later)
    assert refreshed.returncode == 0, refreshed.stdout[-5000:]
    conn = test_stack.connect(dbname)
    with conn.cursor() as cur:
        cur.execute(
            "select md5(string_agg(concat_ws(',', video_id, captured_at, views_delta, likes_delta, comments_delta,"
            " shares_delta, is_correction), '|' order by video_id, captured_at))"
            " from analytics.fact_video_performance"
        )
        assert cur.fetchone()[0] == incremental_digest
        # Every deltaed poll (deltas, previous poll, changed_at) as a rebuild computes it.
        assert table_digest(cur, "intermediate", "int_video_metrics_deltaed") == incremental_deltaed
    assert checksums(conn, AGGREGATES) == incremental_aggregates
    # The per-day API quota totals kept incrementally, and the mart read from them.
    assert quota_digests(conn) == incremental_quota
    conn.close()


def test_refresh_hours_after_the_build_loads_every_new_poll(test_stack: StackHandle, incremental_db) -> None:
    """The views a refresh reads through were created by the build, hours earlier: their as_of-relative
    rules (a poll captured more than an hour after as_of is quarantined) must use the refresh's as_of,
    or every poll captured an hour after the build would be quarantined until the next build."""
    dbname = clone_database(test_stack, incremental_db[0], "later")
    env = test_stack.db_env(dbname, YTEMPIRE_REDIS_PREFIX=f"{dbname}:")
    appended = run_cli(["generate", "--append-minutes", "180"], env)
    assert appended.returncode == 0, appended.stderr
    later = (datetime.fromisoformat(AS_OF) + timedelta(minutes=180)).isoformat()
    refreshed = run_cli(["refresh", "--skip-warm", "--as-of", later], env)
    assert refreshed.returncode == 0, refreshed.stdout + refreshed.stderr
    conn = test_stack.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("select max(captured_at) from raw.video_metrics")
        newest_raw = cur.fetchone()[0]
        cur.execute("select max(captured_at) from analytics.fact_video_performance")
        newest_fact = cur.fetchone()[0]
        cur.execute(
            "select count(*) from staging.stg_youtube__video_metrics_quarantined where reason = 'future_capture'"
        )
        future = cur.fetchone()[0]
    conn.close()
    assert newest_raw > datetime.fromisoformat(AS_OF) + timedelta(minutes=120)
    assert newest_fact == newest_raw
    assert future == 0


PER_VIDEO = ("fact_video_performance", "fact_video_hourly", "fact_video_daily")


def test_deleted_and_restored_videos_leave_and_return_to_the_facts(
    test_stack: StackHandle, incremental_db
) -> None:
    """Soft-deleting videos whose polls are loaded drops their rows from the incremental facts and
    their channels' days are recomputed; restoring one loads it again. Both equal a rebuild."""
    dbname, env = incremental_db
    later = (datetime.fromisoformat(AS_OF) + timedelta(minutes=60)).isoformat()
    conn = test_stack.connect(dbname)
    conn.autocommit = True

    def rows_per_video(video_ids: tuple[str, ...]) -> dict[str, tuple[int, ...]]:
        counts = {}
        with conn.cursor() as cur:
            for name in PER_VIDEO:
                cur.execute(
                    f"select video_id, count(*) from analytics.{name} where video_id in %s group by video_id",
                    (video_ids,),
                )
                counts[name] = dict(cur.fetchall())
        return {
            video_id: tuple(counts[name].get(video_id, 0) for name in PER_VIDEO) for video_id in video_ids
        }

    def run_time_series(*extra: str) -> None:
        ran = run_dbt(["run", "--selector", "time_series", *extra], env, as_of=later)
        assert ran.returncode == 0, ran.stdout[-5000:]

    with conn.cursor() as cur:
        # the two live videos with the most polls, and their channels' views
        cur.execute(
            """
            select f.video_id from analytics.fact_video_performance as f
            group by f.video_id order by count(*) desc, f.video_id limit 2
            """
        )
        deleted, restored = (row[0] for row in cur.fetchall())
        cur.execute("select max(captured_at) + interval '1 minute' from raw.video_metrics")
        deleted_at = cur.fetchone()[0]
        cur.execute(
            "update raw.videos set deleted_at = %s, updated_at = %s where video_id in %s",
            (deleted_at, deleted_at, (deleted, restored)),
        )
    loaded = rows_per_video((deleted, restored))
    assert all(count > 0 for counts in loaded.values() for count in counts), loaded

    run_time_series()
    assert rows_per_video((deleted, restored)) == {deleted: (0, 0, 0), restored: (0, 0, 0)}
    with conn.cursor() as cur:
        cur.execute(
            "select video_id, is_deleted from intermediate.int_video_deletions_detected where video_id in %s"
            " order by video_id",
            ((deleted, restored),),
        )
        assert cur.fetchall() == sorted([(deleted, True), (restored, True)])

    with conn.cursor() as cur:
        cur.execute(
            "update raw.videos set deleted_at = null, updated_at = %s where video_id = %s",
            (deleted_at + timedelta(minutes=1), restored),
        )
    run_time_series()
    assert rows_per_video((deleted, restored)) == {deleted: (0, 0, 0), restored: loaded[restored]}
    incremental = checksums(conn, PER_VIDEO + AGGREGATES)

    run_time_series("--full-refresh")
    assert checksums(conn, PER_VIDEO + AGGREGATES) == incremental
    conn.close()


def test_facts_join_the_dimension_version_valid_at_the_event(test_stack: StackHandle, incremental_db) -> None:
    """A channel renamed and its owner's tier changed mid-history: earlier facts keep the old versions."""
    # A copy of the module's built warehouse (generated and built at AS_OF).
    dbname = clone_database(test_stack, incremental_db[0], "scd")
    env = test_stack.db_env(dbname)

    change_at = datetime.fromisoformat(AS_OF) + timedelta(minutes=1)
    conn = test_stack.connect(dbname)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(
            """
            select c.channel_id, c.user_id, c.channel_name, u.subscription_tier
            from raw.channels as c join raw.users as u using (user_id)
            where exists (select 1 from raw.videos as v where v.channel_id = c.channel_id
                          and v.published_at < %s and v.deleted_at is null)
            order by c.channel_id limit 1
            """,
            (datetime.fromisoformat(AS_OF) - timedelta(hours=6),),
        )
        channel_id, user_id, old_name, old_tier = cur.fetchone()
        new_tier = "enterprise" if old_tier != "enterprise" else "starter"
        cur.execute(
            "update raw.channels set channel_name = %s, updated_at = %s where channel_id = %s",
            (old_name + " (renamed)", change_at, channel_id),
        )
        cur.execute(
            "update raw.users set subscription_tier = %s, updated_at = %s where user_id = %s",
            (new_tier, change_at, user_id),
        )
    appended = run_cli(["generate", "--append-minutes", "60"], env)
    assert appended.returncode == 0, appended.stderr
    later = (datetime.fromisoformat(AS_OF) + timedelta(minutes=60)).isoformat()
    second = run_dbt(["build", *NO_TESTS], env, as_of=later)
    assert second.returncode == 0, second.stdout[-5000:]

    def joined_versions() -> list[tuple]:
        with conn.cursor() as cur:
            cur.execute(
                """
                select f.captured_at >= %s as after_change, c.channel_name, u.subscription_tier, count(*)
                from analytics.fact_video_performance as f
                join analytics.dim_channel as c on c.channel_key = f.channel_key
                join analytics.dim_user as u on u.user_key = f.user_key
                where f.channel_id = %s
                group by 1, 2, 3 order by 1, 2, 3
                """,
                (change_at, channel_id),
            )
            return cur.fetchall()

    versions = joined_versions()
    assert [row[:3] for row in versions] == [
        (False, old_name, old_tier),
        (True, old_name + " (renamed)", new_tier),
    ], versions
    with conn.cursor() as cur:
        cur.execute("select count(*) from analytics.dim_channel where channel_id = %s", (channel_id,))
        assert cur.fetchone()[0] == 2

    # A rebuild from scratch joins the same versions: the join is by validity, not by load time.
    rebuilt = run_dbt(["run", "--full-refresh"], env, as_of=later)
    assert rebuilt.returncode == 0, rebuilt.stdout[-5000:]
    assert joined_versions() == versions
    conn.close()


def test_full_loads_of_incremental_models_are_analyzed(test_stack: StackHandle, warehouse: Warehouse) -> None:
    """A first build leaves planner statistics on every incremental table (and hypertable chunk) it
    loaded: the next refresh plans against them without waiting for autovacuum."""
    conn = test_stack.connect(warehouse.dbname)
    with conn.cursor() as cur:
        cur.execute(
            """
            select n.nspname || '.' || c.relname, s.last_analyze is not null
            from pg_class as c
            join pg_namespace as n on n.oid = c.relnamespace
            left join pg_stat_user_tables as s on s.relid = c.oid
            where (n.nspname, c.relname) in (
                ('staging', 'stg_platform__video_costs'),
                ('intermediate', 'int_video_metrics_deltaed'),
                ('analytics', 'fact_video_daily'),
                ('analytics', 'fact_channel_daily')
            )
            """
        )
        tables = dict(cur.fetchall())
        cur.execute("select exists (select 1 from pg_extension where extname = 'timescaledb')")
        with_timescaledb = cur.fetchone()[0]
        cur.execute(
            """
            select ch.hypertable_name, bool_and(s.last_analyze is not null), count(*)
            from timescaledb_information.chunks as ch
            join pg_stat_user_tables as s
                on s.schemaname = ch.chunk_schema and s.relname = ch.chunk_name
            where (ch.hypertable_schema, ch.hypertable_name) in (
                ('analytics', 'fact_video_performance'),
                ('analytics', 'fact_video_hourly'),
                ('analytics', 'fact_video_daily'),
                ('intermediate', 'int_video_metrics_deltaed')
            )
            group by ch.hypertable_name
            """
            if with_timescaledb
            else "select null, null, null where false"
        )
        chunks = {name: (analyzed, count) for name, analyzed, count in cur.fetchall()}
    conn.close()
    assert len(tables) == 4 and all(tables.values()), tables
    if with_timescaledb:
        assert set(chunks) == {
            "fact_video_performance",
            "fact_video_hourly",
            "fact_video_daily",
            "int_video_metrics_deltaed",
        }, chunks
    assert all(analyzed for analyzed, _ in chunks.values()), chunks


def test_docs_generate_documents_every_model(warehouse: Warehouse, tmp_path) -> None:
    result = run_dbt(["docs", "generate", "--target-path", str(tmp_path)], warehouse.env)
    assert result.returncode == 0, result.stdout[-3000:]
    catalog = json.loads((tmp_path / "catalog.json").read_text())
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    documented = {node["metadata"]["name"] for node in catalog["nodes"].values()}
    assert {
        "fact_video_performance",
        "dim_channel",
        "mart_executive_overview",
        "video_performance_hourly",
    } <= documented
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert all(n["description"].strip() for n in models), [
        n["name"] for n in models if not n["description"].strip()
    ]
    assert all("Grain:" in n["description"] or "grain" in n["description"].lower() for n in models), [
        n["name"] for n in models if "grain" not in n["description"].lower()
    ]
    exposures = {e["name"] for e in manifest["exposures"].values()}
    assert len(exposures) >= 7
