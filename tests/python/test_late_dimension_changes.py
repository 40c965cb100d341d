"""Late dimension changes re-point the facts.

A channel renamed with an updated_at three hours in the past, and a user whose tier changed two days
ago, reach the warehouse after the polls, cost lines, revenue days and channel-days of that time
were loaded against the old versions. The next refresh gives those rows the new versions' keys, and
the warehouse equals a `--full-refresh` build of the same raw data at the same as_of (that the
comparison fails without the re-pointing is shown by test_incremental_equivalence). A refresh
without any dimension change updates no fact row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from conftest import AS_OF, StackHandle, Warehouse, clone_database, rebuild_from_raw, run_cli, table_digest

AS_OF_INSTANT = datetime.fromisoformat(AS_OF)
RENAMED_AT = AS_OF_INSTANT - timedelta(hours=3)
TIER_CHANGED_AT = AS_OF_INSTANT - timedelta(days=2)

# Each fact carrying the keys, with its event time (the instant its keys are valid at).
FACTS = {
    "fact_video_performance": "captured_at",
    "fact_costs": "incurred_at",
    "fact_revenue": "(revenue_date + 1)::timestamp at time zone 'UTC' - interval '1 microsecond'",
    "fact_channel_daily": "(activity_date + 1)::timestamp at time zone 'UTC' - interval '1 microsecond'",
}


@dataclass
class Late:
    """A refreshed copy of the session's warehouse and the entities the late changes touch."""

    dbname: str
    env: dict[str, str]
    conn: Any
    channel_id: str  # renamed 3 h late
    user_id: str  # tier changed 2 days late (owns other channels than channel_id)


def refresh(env: dict[str, str]) -> None:
    done = run_cli(["refresh", "--as-of", AS_OF], env)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def digests(conn: Any) -> dict[str, tuple[int, str]]:
    with conn.cursor() as cur:
        cur.execute(
            """
            select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
            where n.nspname = 'analytics' and c.relkind in ('r', 'p', 'm') and c.relname <> 'dbt_test_results'
            order by 1
            """
        )
        return {name: table_digest(cur, "analytics", name) for (name,) in cur.fetchall()}


def rebuilt(test_stack: StackHandle, env: dict[str, str], dbname: str) -> dict[str, tuple[int, str]]:
    """The digests of a --full-refresh build of the same raw data at the same as_of (snapshots kept)."""
    rebuild_from_raw(env, AS_OF)
    conn = test_stack.connect(dbname)
    try:
        return digests(conn)
    finally:
        conn.close()


def fact_updates(conn: Any) -> int:
    """Rows ever updated in the four facts and their TimescaleDB chunks (the statistics' counter)."""
    with conn.cursor() as cur:
        cur.execute("select pg_stat_force_next_flush()")
        cur.execute(
            """
            select coalesce(sum(n_tup_upd), 0) from pg_stat_user_tables as t
            where (t.schemaname = 'analytics' and t.relname = any(%(facts)s))
               or (t.schemaname, t.relname) in (
                   select chunk_schema, chunk_name from timescaledb_information.chunks
                   where hypertable_schema = 'analytics' and hypertable_name = any(%(facts)s))
            """,
            {"facts": list(FACTS)},
        )
        return int(cur.fetchone()[0])


def make_late_changes(conn: Any, late: Late) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "update raw.channels set channel_name = channel_name || ' (renamed)', updated_at = %s"
            " where channel_id = %s",
            (RENAMED_AT, late.channel_id),
        )
        cur.execute(
            "update raw.users set subscription_tier = case subscription_tier when 'enterprise' then 'pro'"
            " else 'enterprise' end, updated_at = %s where user_id = %s",
            (TIER_CHANGED_AT, late.user_id),
        )


@pytest.fixture
def late(test_stack: StackHandle, warehouse: Warehouse) -> Iterator[Late]:
    assert warehouse.build.returncode == 0, warehouse.build.stdout[-3000:]
    dbname = clone_database(test_stack, warehouse.dbname, "late")
    env = test_stack.db_env(dbname, YTEMPIRE_REDIS_PREFIX=f"{dbname}:")
    refresh(env)
    conn = test_stack.connect(dbname)
    conn.autocommit = True
    with conn.cursor() as cur:
        # The channel with the most polls and cost lines in the last three hours.
        cur.execute(
            """
            select channel_id from analytics.fact_video_performance
            where captured_at >= %(renamed)s
              and channel_id in (select channel_id from analytics.fact_costs where incurred_at >= %(renamed)s)
              -- a change is late only if the row's recorded updated_at is earlier still
              and channel_id in (select channel_id from raw.channels where updated_at < %(renamed)s)
            group by channel_id order by count(*) desc, channel_id limit 1
            """,
            {"renamed": RENAMED_AT},
        )
        (channel_id,) = cur.fetchone()
        # The owner of another channel with revenue days after the tier change.
        cur.execute(
            """
            select channels.user_id from analytics.dim_channel as channels
            join analytics.fact_revenue as revenue on revenue.channel_id = channels.channel_id
            where channels.is_current and channels.channel_id <> %(channel)s
              and channels.user_id <> (select user_id from analytics.dim_channel
                                       where channel_id = %(channel)s and is_current)
              and revenue.revenue_date >= %(changed)s::date
              and channels.user_id in (select user_id from raw.users where updated_at < %(changed)s)
            group by channels.user_id order by count(*) desc, channels.user_id limit 1
            """,
            {"channel": channel_id, "changed": TIER_CHANGED_AT},
        )
        (user_id,) = cur.fetchone()
    try:
        yield Late(dbname, env, conn, channel_id, str(user_id))
    finally:
        conn.close()


def keys_by_side(conn: Any, fact: str, where: str, key: str, changed_at: datetime, params: dict) -> dict:
    """{before/after the change: the set of keys} of the fact rows matching `where`."""
    with conn.cursor() as cur:
        cur.execute(
            f"select ({FACTS[fact]}) >= %(changed_at)s, array_agg(distinct {key}) from analytics.{fact} as f"
            f" where {where} group by 1",
            {**params, "changed_at": changed_at},
        )
        return {("after" if after else "before"): set(keys) for after, keys in cur.fetchall()}


def test_late_changes_repoint_the_facts_and_equal_a_rebuild(test_stack: StackHandle, late: Late) -> None:
    # A refresh without any dimension change updates no fact row.
    with late.conn.cursor() as cur:
        cur.execute("select count(*) from intermediate.int_dimension_changes")
        (logged,) = cur.fetchone()
    updates = fact_updates(late.conn)
    refresh(late.env)
    assert fact_updates(late.conn) == updates
    with late.conn.cursor() as cur:
        cur.execute("select count(*) from intermediate.int_dimension_changes")
        assert cur.fetchone()[0] == logged

    make_late_changes(late.conn, late)
    refresh(late.env)
    assert fact_updates(late.conn) > updates

    with late.conn.cursor() as cur:
        cur.execute(
            "select channel_key from analytics.dim_channel where channel_id = %s and valid_from = %s",
            (late.channel_id, RENAMED_AT),
        )
        (renamed_key,) = cur.fetchone()
        cur.execute(
            "select user_key from analytics.dim_user where user_id = %s and valid_from = %s",
            (late.user_id, TIER_CHANGED_AT),
        )
        (tier_key,) = cur.fetchone()

    # The rename: the channel's rows since 3 h ago carry the new version, the earlier ones the old.
    for fact in FACTS:
        sides = keys_by_side(
            late.conn,
            fact,
            "f.channel_id = %(channel)s",
            "channel_key",
            RENAMED_AT,
            {"channel": late.channel_id},
        )
        if fact != "fact_revenue":  # no revenue day of the channel ends in the last 3 h
            assert sides["after"] == {renamed_key}, (fact, sides)
        assert renamed_key not in sides.get("before", set()), (fact, sides)
    # The tier change: the rows of the user's channels since 2 days ago carry the new user version.
    owned = "f.channel_id in (select channel_id from analytics.dim_channel where user_id = %(user)s)"
    for fact in FACTS:
        sides = keys_by_side(late.conn, fact, owned, "user_key", TIER_CHANGED_AT, {"user": late.user_id})
        assert sides["after"] == {tier_key}, (fact, sides)
        assert tier_key not in sides["before"], (fact, sides)

    refreshed = digests(late.conn)
    assert refreshed == rebuilt(test_stack, late.env, late.dbname)
