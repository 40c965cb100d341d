"""Dashboard reads for benchmarks/bench.py: a Redis key, the same payload from the marts, a naive raw query.

For each dashboard key measured, three ways to get its figures:

- redis: GET of the public key `warm` published (one connection, the bytes a dashboard receives);
- marts: the SELECT `warm` runs for that key on the analytics marts, assembled and encoded by the
  warm's own functions (`ytempire_ops.warm.payloads`), so the result is the key's value byte for byte except
  `generated_at`;
- naive: the query of benchmarks/naive_reads.sql that computes the same figures from the raw tables
  on every read.

`compare()` checks that the three agree on the key's main figures; bench.py prints any disagreement.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2.extras
from psycopg2 import sql

from ytempire_ops.warm import payloads
from ytempire_ops.warm.contract import (
    CHANNEL_COLUMNS,
    CHANNEL_DAY_COLUMNS,
    CHANNEL_HISTORY_DAYS,
    CHANNEL_KEY,
    OVERVIEW_COLUMNS,
    SCHEMA_VERSION,
    USER_COLUMNS,
    USER_KEY,
)
from ytempire_ops.warm.payloads import build_channel_performance, encode_value
from ytempire_ops.warm.reader import Snapshot

NAIVE_SQL = Path(__file__).with_name("naive_reads.sql")
SCHEMA = "analytics"

OVERVIEW = "dashboard:overview"
CHANNELS = "dashboard:channels"

# Figures compared between the Redis payload and the naive query, per key pattern.
OVERVIEW_FIGURES = (
    "total_channels",
    "active_channels",
    "videos_published_today",
    "videos_published_7d",
    "revenue_7d_usd",
    "cost_7d_usd",
    "profit_7d_usd",
    "videos_produced_7d",
    "avg_cost_per_video_usd",
    "avg_roi_pct",
    "total_users",
    "users_at_goal",
)
CHANNEL_FIGURES = ("video_count", "videos_published", "views", "likes", "revenue_usd", "cost_usd")
CHANNEL_DAY_FIGURES = (
    "videos_published",
    "views",
    "likes",
    "comments",
    "shares",
    "watch_time_minutes",
    "subscribers_net",
    "revenue_cents",
    "cost_cents",
)
USER_FIGURES = (
    "channel_count",
    "current_month_revenue_usd",
    "lifetime_revenue_usd",
    "goal_progress_pct",
    "is_at_goal",
)


@dataclass(frozen=True)
class Target:
    """One dashboard key to read: its name after the prefix, its pattern, the ids it is about."""

    key: str
    pattern: str
    channel_id: str | None = None
    user_id: str | None = None


def pick_targets(cur: Any) -> list[Target]:
    """The overview, the channel list, the top-revenue channel's history and the top-earning user's revenue."""
    cur.execute(
        sql.SQL(
            "select channel_id from {}.mart_channel_performance order by revenue_rank, channel_id limit 1"
        ).format(sql.Identifier(SCHEMA))
    )
    channel = cur.fetchone()
    cur.execute(
        sql.SQL(
            "select user_id from {}.mart_user_revenue_tracking order by lifetime_revenue_usd desc, user_id limit 1"
        ).format(sql.Identifier(SCHEMA))
    )
    user = cur.fetchone()
    targets = [Target(OVERVIEW, OVERVIEW), Target(CHANNELS, CHANNELS)]
    if channel:
        channel_id = str(channel["channel_id"])
        targets.append(Target(CHANNEL_KEY.format(channel_id=channel_id), CHANNEL_KEY, channel_id=channel_id))
    if user:
        user_id = str(user["user_id"])
        targets.append(Target(USER_KEY.format(user_id=user_id), USER_KEY, user_id=user_id))
    return targets


# --------------------------------------------------------------------------- from the marts


def _select(cur: Any, table: str, columns: Iterable[str], where: sql.Composable, params: Any = None) -> list:
    query = sql.SQL("select as_of, {} from {}.{} ").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in columns), sql.Identifier(SCHEMA), sql.Identifier(table)
    )
    cur.execute(query + where, params)
    return [dict(row) for row in cur.fetchall()]


def marts_data(cur: Any, target: Target) -> tuple[datetime, dict[str, Any]]:
    """(as_of, the `data` of the key's value): the rows warm reads for this one key, assembled by warm."""
    if target.pattern == OVERVIEW:
        rows = _select(cur, "mart_executive_overview", OVERVIEW_COLUMNS, sql.SQL(""))
        return rows[0]["as_of"], payloads.plain_row(rows[0], OVERVIEW_COLUMNS)
    if target.pattern == CHANNELS:
        rows = _select(
            cur, "mart_channel_performance", CHANNEL_COLUMNS, sql.SQL("order by revenue_rank, channel_id")
        )
        return rows[0]["as_of"], payloads.build_channels(rows[0]["as_of"], rows)
    if target.pattern == CHANNEL_KEY:
        rows = _select(
            cur,
            "mart_channel_performance",
            ("channel_id", "channel_name"),
            sql.SQL("where channel_id = %s"),
            (target.channel_id,),
        )
        as_of = rows[0]["as_of"]
        as_of_date = as_of.astimezone(UTC).date()
        day_columns = sql.SQL(", ").join(
            sql.SQL("cast({} as {}) as {}").format(sql.Identifier(n), sql.SQL(t), sql.Identifier(n))
            for n, t in CHANNEL_DAY_COLUMNS.items()
        )
        cur.execute(
            sql.SQL(
                "select channel_id, activity_date, {} from {}.fact_channel_daily "
                "where channel_id = %s and activity_date between %s and %s order by activity_date"
            ).format(day_columns, sql.Identifier(SCHEMA)),
            (target.channel_id, as_of_date - timedelta(days=CHANNEL_HISTORY_DAYS - 1), as_of_date),
        )
        channel_days = [dict(row) for row in cur.fetchall()]
        snapshot = Snapshot(
            as_of=as_of,
            overview={},
            pipeline={},
            alerts=[],
            channels=[{"channel_id": target.channel_id, "channel_name": rows[0]["channel_name"]}],
            cost_rows=[],
            bucket_rows=[],
            channel_days=channel_days,
            users=[],
        )
        return as_of, build_channel_performance(snapshot)[str(target.channel_id)]
    rows = _select(
        cur, "mart_user_revenue_tracking", USER_COLUMNS, sql.SQL("where user_id = %s"), (target.user_id,)
    )
    return rows[0]["as_of"], payloads.plain_row(rows[0], USER_COLUMNS)


def marts_value(cur: Any, target: Target) -> bytes:
    """The key's value as warm would publish it (generated_at is this read's instant)."""
    as_of, data = marts_data(cur, target)
    envelope = {
        "schema_version": SCHEMA_VERSION,
        "as_of": as_of.astimezone(UTC).isoformat(),
        "generated_at": datetime.now(UTC).isoformat(),
        "data": data,
    }
    return encode_value(target.key, envelope)


# --------------------------------------------------------------------------- naive


def naive_queries(path: Path = NAIVE_SQL) -> dict[str, str]:
    """Key pattern -> query text, from the `-- name: <pattern>` blocks of naive_reads.sql."""
    queries: dict[str, str] = {}
    blocks = re.split(r"^-- name: (\S+)\s*$", path.read_text(), flags=re.MULTILINE)
    for name, body in zip(blocks[1::2], blocks[2::2], strict=True):
        queries[name] = body.strip().rstrip(";")
    return queries


def naive_rows(cur: Any, query: str, target: Target, as_of: datetime) -> list[dict[str, Any]]:
    cur.execute(query, {"as_of": as_of, "channel_id": target.channel_id, "user_id": target.user_id})
    return [dict(row) for row in cur.fetchall()]


# --------------------------------------------------------------------------- comparison


def _number(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return float(value)


def figures_of_payload(target: Target, data: dict[str, Any]) -> dict[str, Any]:
    """The compared figures of a key's `data` (from Redis or from the marts)."""
    if target.pattern == OVERVIEW:
        return {name: data[name] for name in OVERVIEW_FIGURES}
    if target.pattern == CHANNELS:
        figures: dict[str, Any] = {"count": data["count"]}
        for name in ("views", "revenue_usd", "cost_usd"):
            figures[f"sum of {name}"] = sum(c[name] for c in data["channels"])
        top = data["channels"][0] if data["channels"] else {}
        for name in CHANNEL_FIGURES:
            figures[f"{top.get('channel_id')}.{name}"] = top.get(name)
        return figures
    if target.pattern == CHANNEL_KEY:
        return {f"totals.{name}": data["totals"][name] for name in CHANNEL_DAY_FIGURES}
    return {name: data[name] for name in USER_FIGURES}


def figures_of_naive(target: Target, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The same figures from the naive query's rows."""
    if target.pattern == OVERVIEW:
        return {name: _number(rows[0][name]) for name in OVERVIEW_FIGURES}
    if target.pattern == CHANNELS:
        figures: dict[str, Any] = {"count": len(rows)}
        for name in ("views", "revenue_usd", "cost_usd"):
            figures[f"sum of {name}"] = sum(_number(r[name]) for r in rows)
        top = rows[0] if rows else {}
        for name in CHANNEL_FIGURES:
            figures[f"{top.get('channel_id')}.{name}"] = _number(top.get(name))
        return figures
    if target.pattern == CHANNEL_KEY:
        return {f"totals.{name}": sum(_number(r[name]) for r in rows) for name in CHANNEL_DAY_FIGURES}
    return {name: _number(rows[0][name]) if rows else None for name in USER_FIGURES}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        # money is rounded to cents (or 4 decimals) on both sides; sums of rounded values may differ by cents
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=0.05)
    return bool(a == b)


def compare(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Figures that differ, as 'name: expected X, got Y'."""
    return [
        f"{name}: {expected[name]!r} from Redis, {actual.get(name)!r} from the naive query"
        for name in expected
        if not _same(expected[name], actual.get(name))
    ]


# --------------------------------------------------------------------------- timing


def time_reads(
    read: Callable[[], Any], count: int, budget_seconds: float | None = None, min_reads: int = 1
) -> list[float]:
    """Milliseconds of up to `count` reads; with a budget, stop once it is spent and min_reads were made."""
    samples: list[float] = []
    started = time.monotonic()
    while len(samples) < count:
        before = time.perf_counter()
        read()
        samples.append((time.perf_counter() - before) * 1000)
        if (
            budget_seconds is not None
            and len(samples) >= min_reads
            and time.monotonic() - started >= budget_seconds
        ):
            break
    return samples


def decode(value: bytes | None) -> dict[str, Any] | None:
    return None if value is None else json.loads(value)


def dict_cursor(conn: Any) -> Any:
    return conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor)
