"""Snapshots and the SCD2 dimensions built on them, against a real database.

One module-scoped scenario drives four `dbt build`s over hand-written raw rows:

1. initial load: two users (one without created_at), three channels, three
   videos (one soft-deleted);
2. a channel renamed and a user's tier changed (later updated_at);
3. two channels hard-deleted at the source;
4. both restored: CB with a fresh updated_at, CC re-inserted verbatim (its old
   updated_at), the case where dbt 1.11's snapshot rows overlap.

After every build the dimensions' state is captured; the tests assert on those
captures, so the scenario costs four dbt invocations in total.
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import psycopg2.extensions
import pytest
from conftest import PROJECT_DIR, StackHandle, new_database, run_dbt

from ytempire_ops.config import Settings
from ytempire_ops.refresh import SnapshotSource, unchanged_snapshots

RAW_SCHEMA_SQL = PROJECT_DIR / "ytempire_ops" / "sql" / "raw_schema.sql"
SELECT = ["+dim_user", "+dim_channel", "+dim_video", "videos_snapshot"]

U1 = "00000000-0000-0000-0000-0000000000a1"
U2 = "00000000-0000-0000-0000-0000000000a2"

# psycopg2 reads -infinity as datetime.min; is_finite_start tells it apart
DIM_COLUMNS = "valid_from, valid_to, is_current, is_deleted, isfinite(valid_from) as is_finite_start"
NEG_INF = datetime.min.replace(tzinfo=UTC)


@dataclass
class Step:
    """What one build left behind."""

    build: subprocess.CompletedProcess[str]
    started_at: datetime
    finished_at: datetime
    users: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    channels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    videos: dict[str, dict[str, Any]] = field(default_factory=dict)
    channel_snapshot: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # refresh's check (unchanged_snapshots) of users_snapshot and channels_snapshot, before and after
    unchanged_before: list[str] = field(default_factory=list)
    unchanged_after: list[str] = field(default_factory=list)


@dataclass
class Scenario:
    dbname: str
    base: datetime
    steps: list[Step]


def _rows(conn: psycopg2.extensions.connection, query: str) -> list[dict[str, Any]]:
    with conn.cursor() as cur:
        cur.execute(query)
        names = [d.name for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _by(rows: Iterable[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    grouped: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[str(row[key])].append(row)
    return dict(grouped)


def _unchanged(test_stack: StackHandle, dbname: str) -> list[str]:
    """What refresh would find: the entity snapshots whose source has not changed since taken."""
    pg = test_stack.state["postgres"]
    settings = Settings(
        pg_host=pg["host"],
        pg_port=int(pg["port"]),
        pg_user=pg["user"],
        pg_password=pg["password"],
        pg_dbname=dbname,
    )
    sources = [
        SnapshotSource(
            name=f"{entity}s_snapshot",
            snapshot=f'"{dbname}"."snapshots"."{entity}s_snapshot"',
            source=f'"{dbname}".{source}',
            unique_key=(f"{entity}_id",),
            updated_at="updated_at",
            deletion_markers=True,
        )
        for entity, source in (
            ("user", '"intermediate"."int_users_depersonalised"'),
            ("channel", '"staging"."stg_platform__channels"'),
        )
    ]
    return unchanged_snapshots(settings, sources)


def _build(test_stack: StackHandle, dbname: str, env: dict[str, str]) -> Step:
    unchanged_before = _unchanged(test_stack, dbname)
    started = datetime.now(UTC)
    built = run_dbt(["build", "--select", *SELECT, "--indirect-selection", "cautious"], env)
    finished = datetime.now(UTC)
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-2000:]
    step = Step(
        build=built,
        started_at=started,
        finished_at=finished,
        unchanged_before=unchanged_before,
        unchanged_after=_unchanged(test_stack, dbname),
    )
    conn = test_stack.connect(dbname)
    try:
        step.users = _by(
            _rows(
                conn, f"select user_key, user_id, subscription_tier, {DIM_COLUMNS} from analytics.dim_user"
            ),
            "user_id",
        )
        step.channels = _by(
            _rows(
                conn,
                f"select channel_key, channel_id, user_id, channel_name, {DIM_COLUMNS} from analytics.dim_channel",
            ),
            "channel_id",
        )
        step.videos = {r["video_id"]: r for r in _rows(conn, "select * from analytics.dim_video")}
        step.channel_snapshot = _by(
            _rows(
                conn,
                "select channel_id, channel_name, dbt_valid_from, dbt_valid_to, dbt_is_deleted"
                " from snapshots.channels_snapshot",
            ),
            "channel_id",
        )
    finally:
        conn.close()
    for versions in (*step.users.values(), *step.channels.values()):
        versions.sort(key=lambda v: v["valid_from"])
    return step


def _execute(test_stack: StackHandle, dbname: str, statement: str, params: Iterable[object] = ()) -> None:
    conn = test_stack.connect(dbname)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement, tuple(params))
    finally:
        conn.close()


CHANNEL_INSERT = (
    "insert into raw.channels values (%s, %s, %s, null, 'tech', null, 'monetized', 'active', %s, %s)"
)


@pytest.fixture(scope="module")
def scenario(test_stack: StackHandle, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    dbname, _ = new_database(test_stack, "snap")
    work = tmp_path_factory.mktemp("dbt-snapshots")
    pg = test_stack.state["postgres"]
    env = test_stack.db_env(
        dbname,
        # db_env() leaves the connection to the profile's env_var() defaults: name this stack explicitly
        YTEMPIRE_PG_HOST=str(pg["host"]),
        YTEMPIRE_PG_PORT=str(pg["port"]),
        YTEMPIRE_PG_USER=str(pg["user"]),
        YTEMPIRE_PG_PASSWORD=str(pg["password"]),
        # own target and log dirs: other dbt runs in the project directory don't collide with these
        DBT_TARGET_PATH=str(work / "target"),
        DBT_LOG_PATH=str(work / "logs"),
    )
    _execute(test_stack, dbname, RAW_SCHEMA_SQL.read_text(encoding="utf-8").replace("{schema}", "raw"))

    # every source timestamp lies in the past of the wall clock the snapshots use
    base = (datetime.now(UTC) - timedelta(days=30)).replace(microsecond=0)
    created, updated = base, base + timedelta(days=1)
    _execute(
        test_stack,
        dbname,
        "insert into raw.users values"
        " (%s, 'u1@example.com', 'starter', 10000.00, true, %s, %s),"
        " (%s, 'u2@example.com', 'growth', 20000.00, true, null, %s)",
        [U1, created, updated, U2, updated],
    )
    for channel_id, user_id, name in (("CA", U1, "Alpha"), ("CB", U1, "Bravo"), ("CC", U2, "Charlie")):
        _execute(test_stack, dbname, CHANNEL_INSERT, [channel_id, user_id, name, created, updated])
    _execute(
        test_stack,
        dbname,
        "insert into raw.videos (video_id, channel_id, title, duration_seconds, video_category,"
        " generation_method, status, created_at, updated_at, deleted_at) values"
        " ('V1', 'CA', 'Short one', 45, 'news', 'ai_generated', 'published', %s, %s, null),"
        " ('V2', 'CB', 'Removed', 300, 'other', 'hybrid', 'archived', %s, %s, %s),"
        " ('V3', 'CC', 'Long one', 900, 'educational', 'manual', 'draft', %s, %s, null)",
        [created, updated, created, updated, updated, created, updated],
    )
    steps = [_build(test_stack, dbname, env)]

    # 2. rename a channel, change a user's tier
    changed = datetime.now(UTC)
    _execute(
        test_stack,
        dbname,
        "update raw.channels set channel_name = 'Alpha Prime', updated_at = %s where channel_id = 'CA'",
        [changed],
    )
    _execute(
        test_stack,
        dbname,
        "update raw.users set subscription_tier = 'pro', updated_at = %s where user_id = %s",
        [changed, U1],
    )
    steps.append(_build(test_stack, dbname, env))

    # 3. hard-delete two channels
    _execute(test_stack, dbname, "delete from raw.channels where channel_id in ('CB', 'CC')")
    steps.append(_build(test_stack, dbname, env))

    # 4. restore them: CB with a fresh updated_at, CC verbatim (its old updated_at)
    _execute(test_stack, dbname, CHANNEL_INSERT, ["CB", U1, "Bravo", created, datetime.now(UTC)])
    _execute(test_stack, dbname, CHANNEL_INSERT, ["CC", U2, "Charlie", created, updated])
    steps.append(_build(test_stack, dbname, env))
    return Scenario(dbname=dbname, base=base, steps=steps)


def _assert_tiles(entity: str, versions: list[dict[str, Any]]) -> None:
    """Sorted by valid_from: each valid_to is the next valid_from, only the last is open."""
    for version, following in pairwise(versions):
        assert version["valid_to"] == following["valid_from"], (entity, versions)
        assert version["valid_from"] < version["valid_to"], (entity, versions)
    assert versions[-1]["valid_to"] is None, (entity, versions)
    current = [v for v in versions if v["is_current"]]
    assert len(current) <= 1, (entity, versions)
    assert all(v["is_current"] == (v["valid_to"] is None and not v["is_deleted"]) for v in versions)


def _overlaps(intervals: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Pairs of [from, to) intervals (to None = open) that share an instant, or inverted ones."""
    far = datetime.max.replace(tzinfo=UTC)
    spans = sorted((start, end or far) for start, end in intervals)
    broken = [span for span in spans if span[1] < span[0]]
    latest_end = None
    for start, end in spans:
        if latest_end is not None and start < latest_end:
            broken.append((start, end))
        latest_end = end if latest_end is None else max(latest_end, end)
    return broken


def test_every_build_passes_and_dimensions_tile_time(scenario: Scenario) -> None:
    for number, step in enumerate(scenario.steps, start=1):
        assert "ERROR=0" in step.build.stdout, number
        for entity, versions in (*step.users.items(), *step.channels.items()):
            _assert_tiles(f"step {number} {entity}", versions)
            assert _overlaps([(v["valid_from"], v["valid_to"]) for v in versions]) == [], (number, entity)


def test_refresh_runs_an_entity_snapshot_only_when_its_source_changed(scenario: Scenario) -> None:
    """refresh's check: a snapshot is skipped only when dbt would find nothing to write."""
    both = ["users_snapshot", "channels_snapshot"]
    # Nothing snapshotted yet; then a renamed channel and a user's new tier; then two channels
    # hard-deleted; then both restored (one with a fresh updated_at, one verbatim).
    assert [step.unchanged_before for step in scenario.steps] == [
        [],
        [],
        ["users_snapshot"],
        ["users_snapshot"],
    ]
    # Right after every build, both snapshots hold their sources' state.
    assert [step.unchanged_after for step in scenario.steps] == [both] * 4


def test_first_version_starts_at_created_at_or_minus_infinity(scenario: Scenario) -> None:
    first = scenario.steps[0]
    (u1,) = first.users[U1]
    (u2,) = first.users[U2]
    # created_at is a day before the first snapshot's dbt_valid_from (updated_at)
    assert u1["valid_from"] == scenario.base and u1["is_finite_start"]
    assert u1["is_current"] and u1["valid_to"] is None
    assert u2["valid_from"] == NEG_INF and not u2["is_finite_start"]  # no created_at
    for channel_id in ("CA", "CB", "CC"):
        (version,) = first.channels[channel_id]
        assert version["valid_from"] == scenario.base
        assert version["is_current"]


def test_dim_video_is_current_and_excludes_soft_deleted(scenario: Scenario) -> None:
    videos = scenario.steps[0].videos
    assert set(videos) == {"V1", "V3"}
    assert videos["V1"]["content_type"] == "shorts"
    assert videos["V3"]["content_type"] == "long_form"
    assert len({v["video_key"] for v in videos.values()}) == 2


def test_rename_and_tier_change_make_new_versions(scenario: Scenario) -> None:
    step = scenario.steps[1]
    old, new = step.channels["CA"]
    assert (old["channel_name"], new["channel_name"]) == ("Alpha", "Alpha Prime")
    assert old["valid_from"] == scenario.base
    assert old["valid_to"] == new["valid_from"] < step.started_at
    assert (old["is_current"], new["is_current"]) == (False, True)
    assert [v["subscription_tier"] for v in step.users[U1]] == ["starter", "pro"]
    assert [v["is_current"] for v in step.users[U1]] == [False, True]
    assert len(step.users[U2]) == 1
    assert len(step.channels["CB"]) == 1


def test_hard_delete_ends_validity_and_leaves_no_current_version(scenario: Scenario) -> None:
    step = scenario.steps[2]
    for channel_id in ("CB", "CC"):
        live, deleted = step.channels[channel_id]
        assert not live["is_deleted"] and deleted["is_deleted"]
        # validity ends when the snapshot saw the row gone (its wall clock, during this build)
        assert step.started_at <= live["valid_to"] <= step.finished_at
        assert deleted["valid_from"] == live["valid_to"] and deleted["valid_to"] is None
        assert not live["is_current"] and not deleted["is_current"]
        assert deleted["channel_name"] == live["channel_name"]  # the last known values
    assert [v["is_current"] for v in step.channels["CA"]] == [False, True]


def test_restore_with_fresh_updated_at(scenario: Scenario) -> None:
    deleted_step, step = scenario.steps[2], scenario.steps[3]
    live, deleted, restored = step.channels["CB"]
    assert [v["is_deleted"] for v in (live, deleted, restored)] == [False, True, False]
    assert deleted["valid_from"] == deleted_step.channels["CB"][1]["valid_from"]
    assert deleted_step.finished_at < deleted["valid_to"] == restored["valid_from"] < step.started_at
    assert restored["is_current"] and restored["valid_to"] is None
    # dbt's own rows tile here too
    snapshot = step.channel_snapshot["CB"]
    assert len(snapshot) == 3
    assert _overlaps([(r["dbt_valid_from"], r["dbt_valid_to"]) for r in snapshot]) == []


def test_restore_with_stale_updated_at_is_repaired_in_the_dimension(scenario: Scenario) -> None:
    deleted_step, step = scenario.steps[2], scenario.steps[3]
    detected = deleted_step.channels["CC"][1]["valid_from"]
    # what dbt 1.11 writes: the restored row restarts at its old updated_at, overlapping the
    # pre-delete version, and the deletion marker is closed before it starts
    snapshot = step.channel_snapshot["CC"]
    assert len(snapshot) == 3
    assert _overlaps([(r["dbt_valid_from"], r["dbt_valid_to"]) for r in snapshot]) != []
    assert "Warning in test no_overlapping_validity_channels_snapshot_channel_id" in step.build.stdout
    # the dimension: the zero-length marker is dropped, the restored version starts at the detection
    live, restored = step.channels["CC"]
    assert live["valid_from"] == scenario.base and live["valid_to"] == detected
    assert restored["valid_from"] == detected and restored["valid_to"] is None
    assert restored["is_current"] and not restored["is_deleted"]


def test_surrogate_keys_never_change_once_written(scenario: Scenario) -> None:
    """A key an incremental fact stored on an earlier build still names a version later."""
    final = scenario.steps[-1]
    final_keys = {v["channel_key"] for vs in final.channels.values() for v in vs} | {
        v["user_key"] for vs in final.users.values() for v in vs
    }
    for step in scenario.steps[:-1]:
        for versions in step.channels.values():
            assert {v["channel_key"] for v in versions} <= final_keys
        for versions in step.users.values():
            assert {v["user_key"] for v in versions} <= final_keys
    # CC's deletion marker key now belongs to the restored version (same valid_from)
    marker_key = scenario.steps[2].channels["CC"][1]["channel_key"]
    assert final.channels["CC"][1]["channel_key"] == marker_key
    keys = [v["channel_key"] for vs in final.channels.values() for v in vs]
    assert len(keys) == len(set(keys))


def test_no_email_outside_staging(test_stack: StackHandle, scenario: Scenario) -> None:
    conn = test_stack.connect(scenario.dbname)
    try:
        rows = _rows(
            conn,
            "select table_schema, table_name, column_name from information_schema.columns"
            " where table_schema in ('intermediate', 'snapshots', 'analytics') and column_name ilike '%email%'",
        )
        snapshot_columns = _rows(
            conn,
            "select column_name from information_schema.columns"
            " where table_schema = 'snapshots' and table_name = 'users_snapshot'",
        )
    finally:
        conn.close()
    assert rows == []
    assert {"user_id", "subscription_tier", "dbt_is_deleted"} <= {r["column_name"] for r in snapshot_columns}


def test_relations_are_where_the_contract_says(test_stack: StackHandle, scenario: Scenario) -> None:
    conn = test_stack.connect(scenario.dbname)
    try:
        rows = _rows(
            conn,
            "select table_schema, table_name from information_schema.tables"
            " where table_name in ('users_snapshot', 'channels_snapshot', 'videos_snapshot',"
            " 'dim_user', 'dim_channel', 'dim_video', 'int_users_depersonalised')",
        )
    finally:
        conn.close()
    assert {(r["table_schema"], r["table_name"]) for r in rows} == {
        ("snapshots", "users_snapshot"),
        ("snapshots", "channels_snapshot"),
        ("snapshots", "videos_snapshot"),
        ("analytics", "dim_user"),
        ("analytics", "dim_channel"),
        ("analytics", "dim_video"),
        ("intermediate", "int_users_depersonalised"),
    }
