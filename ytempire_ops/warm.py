"""`ytempire-ops warm`: the Redis dashboard keys, computed from the analytics marts.

One warm reads every mart in ONE read-only REPEATABLE READ transaction (one
snapshot, so the keys agree with each other), encodes every value, then
publishes atomically:

1. stage: every value is written under a generation-specific name
   `{prefix}gen:{generation_id}:{key}` with a safety TTL (a warm that dies here
   leaves nothing public behind, and its staged keys expire by themselves);
2. publish: WATCH the pointer, the key index and the staged keys, then ONE
   MULTI/EXEC that points `{prefix}current` at the new generation, RENAMEs every
   staged key onto its public name `{prefix}{key}` and sets its TTL, deletes the
   public keys of channels and users the new generation no longer has (from the
   index set `{prefix}index` of the previous generation) and replaces that index.

Redis runs a MULTI/EXEC block without interleaving any other client's command,
so a reader that fetches several public keys with ONE MGET (or inside one
MULTI/EXEC, or one Lua script) sees them all from the same warm. Separate GETs
are each whole values but may straddle a warm; such a reader compares the
`generated_at` of the values (or reads `{prefix}current` in the same MGET) and
retries on a mismatch. docs/redis_keys.md is the reference.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

import psycopg2
import psycopg2.errors
import psycopg2.extras
import redis
from psycopg2 import sql
from psycopg2.extensions import ISOLATION_LEVEL_REPEATABLE_READ

from ytempire_ops import errors
from ytempire_ops.config import Settings

SCHEMA_VERSION = 1

DEFAULT_PREFIX = "ytempire:"
DEFAULT_REFRESH_INTERVAL_SECONDS = 300
# TTL classes of the warehouse contract ("Redis dashboard keys"), seconds.
DEFAULT_CLASS_TTLS: dict[str, int] = {"executive": 300, "operational": 60, "historical": 3600, "user": 1800}
TTL_ENV_VARS: dict[str, str] = {
    "executive": "YTEMPIRE_TTL_EXECUTIVE",
    "operational": "YTEMPIRE_TTL_OPERATIONAL",
    "historical": "YTEMPIRE_TTL_HISTORICAL",
    "user": "YTEMPIRE_TTL_USER",
}
ENV_VARS: dict[str, str] = {
    "YTEMPIRE_REDIS_PREFIX": "namespace prefix of every dashboard key (default ytempire:)",
    "YTEMPIRE_REFRESH_INTERVAL_SECONDS": "how often cron refreshes (default 300); no key lives less than twice this",
    "YTEMPIRE_TTL_EXECUTIVE": "TTL of dashboard:overview and dashboard:channels, seconds (default 300)",
    "YTEMPIRE_TTL_OPERATIONAL": "TTL of dashboard:costs, :pipeline and :alerts, seconds (default 60)",
    "YTEMPIRE_TTL_HISTORICAL": "TTL of channel:{channel_id}:performance, seconds (default 3600)",
    "YTEMPIRE_TTL_USER": "TTL of user:{user_id}:revenue, seconds (default 1800)",
}

# Key (after the prefix) -> TTL class. The two patterns have one key per channel / user.
KEY_CLASSES: dict[str, str] = {
    "dashboard:overview": "executive",
    "dashboard:channels": "executive",
    "dashboard:costs": "operational",
    "dashboard:pipeline": "operational",
    "dashboard:alerts": "operational",
    "channel:{channel_id}:performance": "historical",
    "user:{user_id}:revenue": "user",
}
CHANNEL_KEY = "channel:{channel_id}:performance"
USER_KEY = "user:{user_id}:revenue"

REDIS_TIMEOUT_SECONDS = 5.0
# Staged keys live at least this long, so they cannot expire between staging and publication.
STAGING_TTL_FLOOR_SECONDS = 300
PUBLISH_ATTEMPTS = 10
STAGE_BATCH = 500
CHANNEL_HISTORY_DAYS = 30
COST_WINDOW_DAYS = 7
KNOWN_COST_CATEGORIES = ("ai", "api", "compute", "storage", "bandwidth")
COST_BUCKETS = ("under_1", "1_to_2", "2_to_3", "over_3")

# --------------------------------------------------------------------------- payload shapes

NUMBER: tuple[type, ...] = (int, float)
NUMBER_OR_NULL: tuple[type, ...] = (int, float, type(None))
INT: tuple[type, ...] = (int,)
INT_OR_NULL: tuple[type, ...] = (int, type(None))
STR: tuple[type, ...] = (str,)
STR_OR_NULL: tuple[type, ...] = (str, type(None))
BOOL: tuple[type, ...] = (bool,)
BOOL_OR_NULL: tuple[type, ...] = (bool, type(None))

# A shape maps a field to a tuple of accepted JSON types, to [shape] (a list of objects of that
# shape) or to a shape (a nested object). bool is never accepted where int is asked for.
Shape = dict[str, Any]

_CHANNEL_DAY_SHAPE: Shape = {
    "date": STR,
    "videos_published": INT,
    "views": INT,
    "likes": INT,
    "comments": INT,
    "shares": INT,
    "watch_time_minutes": NUMBER,
    "subscribers_net": INT,
    "revenue_cents": NUMBER,
    "cost_cents": NUMBER,
    "profit_cents": NUMBER,
    "rpm_usd": NUMBER_OR_NULL,
}
_CHANNEL_TOTALS_SHAPE: Shape = {k: v for k, v in _CHANNEL_DAY_SHAPE.items() if k != "date"}

PAYLOAD_SHAPES: dict[str, Shape] = {
    "dashboard:overview": {
        "active_channels": INT,
        "videos_published_today": INT,
        "revenue_7d_usd": NUMBER,
        "cost_7d_usd": NUMBER,
        "avg_cost_per_video_usd": NUMBER_OR_NULL,
        "avg_roi_pct": NUMBER_OR_NULL,
        "users_at_goal": INT,
        "as_of_date": STR,
        "window_start_date": STR,
        "total_channels": INT,
        "videos_published_7d": INT,
        "videos_produced_7d": INT,
        "avg_cost_per_video_cents": NUMBER_OR_NULL,
        "profit_7d_usd": NUMBER,
        "roi_7d_pct": NUMBER_OR_NULL,
        "total_users": INT,
    },
    "dashboard:costs": {
        "window_start_date": STR,
        "window_end_date": STR,
        "total_cost_cents": NUMBER,
        "total_cost_usd": NUMBER,
        "line_items": INT,
        "unattributed_cost_cents": NUMBER,
        "by_day": [{"date": STR, "cost_cents": NUMBER, "line_items": INT, "videos": INT}],
        "by_category": [
            {"category": STR, "cost_cents": NUMBER, "line_items": INT, "share_pct": NUMBER_OR_NULL}
        ],
        "by_day_category": [{"date": STR, "category": STR, "cost_cents": NUMBER, "line_items": INT}],
        "by_bucket": [
            {"cost_bucket": STR, "videos": INT, "total_cost_cents": NUMBER, "avg_cost_cents": NUMBER_OR_NULL}
        ],
        "videos_produced": INT,
        "alert_levels": {"warning": INT, "critical": INT},
    },
    "dashboard:pipeline": {
        "queued": INT,
        "processing": INT,
        "completed": INT,
        "failed": INT,
        "cancelled": INT,
        "jobs_queued_in_window": INT,
        "avg_completion_minutes": NUMBER_OR_NULL,
        "failure_rate": NUMBER_OR_NULL,
        "health": STR,
        "window_start_at": STR,
    },
    "dashboard:alerts": {
        "count": INT,
        "critical": INT,
        "warning": INT,
        "alerts": [
            {
                "alert_key": STR,
                "alert_type": STR,
                "severity": STR,
                "entity_type": STR,
                "entity_id": STR,
                "message": STR_OR_NULL,
                "metric_value": NUMBER_OR_NULL,
                "threshold": NUMBER_OR_NULL,
                "metric_unit": STR_OR_NULL,
            }
        ],
    },
    "dashboard:channels": {
        "window_start_date": STR,
        "window_end_date": STR,
        "count": INT,
        "channels": [
            {
                "channel_id": STR,
                "channel_name": STR_OR_NULL,
                "niche": STR_OR_NULL,
                "sub_niche": STR_OR_NULL,
                "user_id": STR_OR_NULL,
                "status": STR_OR_NULL,
                "monetization_status": STR_OR_NULL,
                "video_count": INT,
                "videos_published": INT,
                "views": INT,
                "likes": INT,
                "comments": INT,
                "shares": INT,
                "avg_engagement_rate": NUMBER_OR_NULL,
                "revenue_usd": NUMBER,
                "cost_usd": NUMBER,
                "profit_usd": NUMBER,
                "rpm_usd": NUMBER_OR_NULL,
                "revenue_rank": INT,
                "views_rank": INT,
                "profit_rank": INT,
            }
        ],
    },
    CHANNEL_KEY: {
        "channel_id": STR,
        "channel_name": STR_OR_NULL,
        "window_start_date": STR,
        "window_end_date": STR,
        "active_days": INT,
        "days": [_CHANNEL_DAY_SHAPE],
        "totals": _CHANNEL_TOTALS_SHAPE,
    },
    USER_KEY: {
        "user_id": STR,
        "subscription_tier": STR_OR_NULL,
        "is_active": BOOL_OR_NULL,
        "channel_count": INT_OR_NULL,
        "current_month_revenue_usd": NUMBER,
        "lifetime_revenue_usd": NUMBER,
        "target_monthly_revenue_usd": NUMBER_OR_NULL,
        "goal_progress_pct": NUMBER_OR_NULL,
        "projected_days_to_goal": INT_OR_NULL,
        "is_at_goal": BOOL,
        "month_start_date": STR,
    },
}

ENVELOPE_SHAPE: Shape = {"schema_version": INT, "as_of": STR, "generated_at": STR, "data": (dict,)}


def key_pattern(key: str) -> str | None:
    """The PAYLOAD_SHAPES / KEY_CLASSES pattern a key (after the prefix) belongs to, or None."""
    if key in KEY_CLASSES:
        return key
    if key.startswith("channel:") and key.endswith(":performance") and len(key) > len("channel::performance"):
        return CHANNEL_KEY
    if key.startswith("user:") and key.endswith(":revenue") and len(key) > len("user::revenue"):
        return USER_KEY
    return None


def _ttl_class(key: str) -> str:
    pattern = key_pattern(key)
    if pattern is None:
        raise ValueError(f"{key!r} is not a dashboard key of the contract")
    return KEY_CLASSES[pattern]


def _type_ok(value: Any, accepted: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in accepted
    return isinstance(value, accepted)


def _shape_problems(value: Any, shape: Any, where: str) -> list[str]:
    if isinstance(shape, tuple):
        if _type_ok(value, shape):
            return []
        names = "/".join("null" if t is type(None) else t.__name__ for t in shape)
        return [f"{where}: expected {names}, got {type(value).__name__}"]
    if isinstance(shape, list):
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {type(value).__name__}"]
        problems: list[str] = []
        for i, item in enumerate(value):
            problems += _shape_problems(item, shape[0], f"{where}[{i}]")
        return problems
    if not isinstance(value, dict):
        return [f"{where}: expected an object, got {type(value).__name__}"]
    problems = []
    for name, sub in shape.items():
        if name not in value:
            problems.append(f"{where}.{name}: missing")
        else:
            problems += _shape_problems(value[name], sub, f"{where}.{name}")
    return problems


def validate_payload(key: str, payload: Any) -> list[str]:
    """What is wrong with a decoded value of `key` (after the prefix) against the envelope and PAYLOAD_SHAPES."""
    pattern = key_pattern(key)
    if pattern is None:
        return [f"{key}: not a dashboard key of the contract"]
    problems = _shape_problems(payload, ENVELOPE_SHAPE, key)
    if problems:
        return problems
    if payload["schema_version"] != SCHEMA_VERSION:
        problems.append(f"{key}.schema_version: expected {SCHEMA_VERSION}, got {payload['schema_version']}")
    for stamp in ("as_of", "generated_at"):
        try:
            datetime.fromisoformat(payload[stamp])
        except ValueError:
            problems.append(f"{key}.{stamp}: not ISO 8601: {payload[stamp]!r}")
    return problems + _shape_problems(payload["data"], PAYLOAD_SHAPES[pattern], f"{key}.data")


# --------------------------------------------------------------------------- errors


class RedisUnavailable(errors.UserError):
    """Redis could not be reached (or stopped answering) during a warm."""

    exit_code = errors.EXIT_REDIS_UNAVAILABLE


class PersonalDataError(errors.UserError):
    """A value about to be published looks like personal data (contains '@')."""


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class WarmConfig:
    prefix: str
    refresh_interval_seconds: int
    class_ttls: dict[str, int]

    def ttl(self, ttl_class: str) -> int:
        """Effective TTL: the class TTL, never less than twice the refresh interval."""
        return max(self.class_ttls[ttl_class], 2 * self.refresh_interval_seconds)

    @property
    def ttls(self) -> dict[str, int]:
        return {name: self.ttl(name) for name in self.class_ttls}

    @property
    def max_ttl(self) -> int:
        return max(self.ttls.values())


def _env_seconds(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise errors.UserError(f"{name}={raw!r} is not a whole number of seconds.") from None
    if value < 1:
        raise errors.UserError(f"{name} must be at least 1 second, got {value}.")
    return value


def env_prefix() -> str:
    """$YTEMPIRE_REDIS_PREFIX, else the default `ytempire:`."""
    return os.environ.get("YTEMPIRE_REDIS_PREFIX") or DEFAULT_PREFIX


def load_config(*, prefix: str | None = None, refresh_interval_seconds: int | None = None) -> WarmConfig:
    """The warm's prefix and TTLs: the arguments, else the documented environment variables, else defaults."""
    if prefix is None:
        prefix = env_prefix()
    if not prefix:
        raise errors.UserError("the Redis key prefix must not be empty.")
    if "@" in prefix:
        raise errors.UserError(f"the Redis key prefix {prefix!r} must not contain '@'.")
    if refresh_interval_seconds is None:
        refresh_interval_seconds = _env_seconds(
            "YTEMPIRE_REFRESH_INTERVAL_SECONDS", DEFAULT_REFRESH_INTERVAL_SECONDS
        )
    if refresh_interval_seconds < 1:
        raise errors.UserError(
            f"the refresh interval must be at least 1 second, got {refresh_interval_seconds}."
        )
    ttls = {name: _env_seconds(TTL_ENV_VARS[name], default) for name, default in DEFAULT_CLASS_TTLS.items()}
    return WarmConfig(prefix=prefix, refresh_interval_seconds=refresh_interval_seconds, class_ttls=ttls)


def analytics_schema(settings: Settings) -> str:
    """The schema the marts live in (the `ci` target may prefix it, as generate_schema_name does)."""
    schema_prefix = os.environ.get("YTEMPIRE_SCHEMA_PREFIX", "").strip()
    if settings.target == "ci" and schema_prefix:
        return f"{schema_prefix}_analytics"
    return "analytics"


# --------------------------------------------------------------------------- Redis connection


def redis_location(url: str) -> str:
    """host:port/db of a Redis URL, without credentials (for messages)."""
    try:
        parsed = urlparse(url)
        host = parsed.hostname or "localhost"
        port = parsed.port or 6379
    except ValueError:
        return "(an unparsable URL)"
    db = parsed.path.lstrip("/") or "0"
    return f"{host}:{port}/{db}"


def _first_line(exc: BaseException) -> str:
    return errors.first_line(exc).rstrip(".")


def _unavailable(
    settings: Settings, exc: BaseException, consequence: str = "so the dashboard keys were not updated"
) -> RedisUnavailable:
    reason = _first_line(exc).replace(". ", ": ")  # redis-py's "connecting to h:p. Connection refused"
    return RedisUnavailable(
        f"cannot reach Redis at {redis_location(settings.redis_url)} ({reason}), {consequence}."
    )


def redis_client(settings: Settings) -> redis.Redis:
    """A client with explicit timeouts, so an unreachable Redis fails in seconds rather than hanging cron."""
    try:
        return redis.Redis.from_url(
            settings.redis_url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
    except ValueError as exc:
        raise errors.UserError(f"YTEMPIRE_REDIS_URL is not a valid Redis URL ({_first_line(exc)}).") from None


# --------------------------------------------------------------------------- reading the marts

OVERVIEW_COLUMNS = (
    "active_channels",
    "videos_published_today",
    "revenue_7d_usd",
    "cost_7d_usd",
    "avg_cost_per_video_usd",
    "avg_roi_pct",
    "users_at_goal",
    "as_of_date",
    "window_start_date",
    "total_channels",
    "videos_published_7d",
    "videos_produced_7d",
    "avg_cost_per_video_cents",
    "profit_7d_usd",
    "roi_7d_pct",
    "total_users",
)
PIPELINE_COLUMNS = (
    "queued",
    "processing",
    "completed",
    "failed",
    "cancelled",
    "jobs_queued_in_window",
    "avg_completion_minutes",
    "failure_rate",
    "health",
    "window_start_at",
)
ALERT_COLUMNS = (
    "alert_key",
    "alert_type",
    "severity",
    "entity_type",
    "entity_id",
    "message",
    "metric_value",
    "threshold",
    "metric_unit",
)
CHANNEL_COLUMNS = (
    "channel_id",
    "channel_name",
    "niche",
    "sub_niche",
    "user_id",
    "status",
    "monetization_status",
    "video_count",
    "videos_published",
    "views",
    "likes",
    "comments",
    "shares",
    "avg_engagement_rate",
    "revenue_usd",
    "cost_usd",
    "profit_usd",
    "rpm_usd",
    "revenue_rank",
    "views_rank",
    "profit_rank",
)
USER_COLUMNS = (
    "user_id",
    "subscription_tier",
    "is_active",
    "channel_count",
    "current_month_revenue_usd",
    "lifetime_revenue_usd",
    "target_monthly_revenue_usd",
    "goal_progress_pct",
    "projected_days_to_goal",
    "is_at_goal",
    "month_start_date",
)
# fact_channel_daily column -> SQL type it is read as (counts as bigint, money as numeric).
CHANNEL_DAY_COLUMNS: dict[str, str] = {
    "videos_published": "bigint",
    "views": "bigint",
    "likes": "bigint",
    "comments": "bigint",
    "shares": "bigint",
    "watch_time_minutes": "numeric",
    "subscribers_net": "bigint",
    "revenue_cents": "numeric",
    "cost_cents": "numeric",
    "profit_cents": "numeric",
    "rpm_usd": "numeric",
}
# Marts whose as_of must equal mart_executive_overview.as_of.
AS_OF_MARTS = (
    "mart_pipeline_status",
    "mart_alerts",
    "mart_channel_performance",
    "mart_user_revenue_tracking",
    "mart_video_economics",
)


@dataclass
class Snapshot:
    """What one warm read from the marts, in one transaction."""

    as_of: datetime
    overview: dict[str, Any]
    pipeline: dict[str, Any]
    alerts: list[dict[str, Any]]
    channels: list[dict[str, Any]]
    cost_rows: list[dict[str, Any]]
    bucket_rows: list[dict[str, Any]]
    channel_days: list[dict[str, Any]]
    users: list[dict[str, Any]]


def _columns(names: Iterable[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(name) for name in names)


def _select(
    cur: Any, schema: str, table: str, columns: Iterable[str], order_by: sql.Composable | None = None
) -> list[dict[str, Any]]:
    query = sql.SQL("select {} from {}.{}").format(
        _columns(columns), sql.Identifier(schema), sql.Identifier(table)
    )
    if order_by is not None:
        query = query + sql.SQL(" order by ") + order_by
    cur.execute(query)
    return [dict(row) for row in cur.fetchall()]


def _one_row(cur: Any, schema: str, table: str, columns: Sequence[str]) -> dict[str, Any]:
    rows = _select(cur, schema, table, columns)
    if len(rows) != 1:
        raise errors.UserError(
            f"{schema}.{table} has {len(rows)} rows instead of exactly one; run `ytempire-ops build` before warming."
        )
    return rows[0]


def _read_marts(cur: Any, schema: str) -> Snapshot:
    overview = _one_row(cur, schema, "mart_executive_overview", ("as_of", *OVERVIEW_COLUMNS))
    as_of: datetime = overview.pop("as_of")
    if as_of is None:
        raise errors.UserError(f"{schema}.mart_executive_overview.as_of is NULL; rebuild the marts.")

    mismatched: list[str] = []
    for table in AS_OF_MARTS:
        cur.execute(
            sql.SQL("select distinct as_of from {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        )
        other = {row["as_of"] for row in cur.fetchall()}
        if other - {as_of}:
            mismatched.append(table)
    if mismatched:
        raise errors.UserError(
            f"{', '.join(mismatched)} were built for another as_of than mart_executive_overview "
            f"({as_of.isoformat()}); run a complete `ytempire-ops build` before warming."
        )

    as_of_date = as_of.astimezone(UTC).date()
    cost_start_at = datetime.combine(
        as_of_date - timedelta(days=COST_WINDOW_DAYS - 1), datetime.min.time(), UTC
    )
    history_start = as_of_date - timedelta(days=CHANNEL_HISTORY_DAYS - 1)
    params = {
        "as_of": as_of,
        "cost_start_at": cost_start_at,
        "history_start": history_start,
        "as_of_date": as_of_date,
    }
    s = sql.Identifier(schema)

    pipeline = _one_row(cur, schema, "mart_pipeline_status", PIPELINE_COLUMNS)
    alerts = _select(
        cur,
        schema,
        "mart_alerts",
        ALERT_COLUMNS,
        sql.SQL("case severity when 'critical' then 0 else 1 end, alert_type, entity_type, entity_id"),
    )
    channels = _select(
        cur, schema, "mart_channel_performance", CHANNEL_COLUMNS, sql.SQL("revenue_rank, channel_id")
    )
    users = _select(cur, schema, "mart_user_revenue_tracking", USER_COLUMNS, sql.SQL("user_id"))

    # Cost lines of the 7 UTC days up to as_of (the window of mart_executive_overview.cost_7d_usd),
    # by (day, category), by day, by category and in total in one pass.
    cur.execute(
        sql.SQL(
            """
            select
                cast(incurred_at at time zone 'UTC' as date) as cost_date,
                cost_category,
                grouping(cast(incurred_at at time zone 'UTC' as date), cost_category) as grouping_id,
                coalesce(sum(total_cost_cents), 0) as cost_cents,
                count(*) as line_items,
                count(distinct video_id) as videos,
                coalesce(sum(total_cost_cents) filter (where video_id is null), 0) as unattributed_cost_cents
            from {}.fact_costs
            where incurred_at >= %(cost_start_at)s and incurred_at <= %(as_of)s
            group by grouping sets (
                (cast(incurred_at at time zone 'UTC' as date), cost_category),
                (cast(incurred_at at time zone 'UTC' as date)),
                (cost_category),
                ()
            )
            """
        ).format(s),
        params,
    )
    cost_rows = [dict(row) for row in cur.fetchall()]

    # Budget buckets of the videos produced in the window (first cost line in it): the same videos
    # mart_executive_overview.avg_cost_per_video_usd averages over.
    cur.execute(
        sql.SQL(
            """
            select
                cost_bucket,
                count(*) as videos,
                coalesce(sum(total_cost_cents), 0) as total_cost_cents,
                avg(total_cost_cents) as avg_cost_cents,
                count(*) filter (where cost_alert_level = 'warning') as warning,
                count(*) filter (where cost_alert_level = 'critical') as critical
            from {}.mart_video_economics
            where first_cost_incurred_at >= %(cost_start_at)s and first_cost_incurred_at <= %(as_of)s
            group by cost_bucket
            """
        ).format(s),
        params,
    )
    bucket_rows = [dict(row) for row in cur.fetchall()]

    day_columns = sql.SQL(", ").join(
        sql.SQL("cast({} as {}) as {}").format(sql.Identifier(name), sql.SQL(sql_type), sql.Identifier(name))
        for name, sql_type in CHANNEL_DAY_COLUMNS.items()
    )
    cur.execute(
        sql.SQL(
            """
            select channel_id, activity_date, {}
            from {}.fact_channel_daily
            where channel_id is not null and activity_date between %(history_start)s and %(as_of_date)s
            order by channel_id, activity_date
            """
        ).format(day_columns, s),
        params,
    )
    channel_days = [dict(row) for row in cur.fetchall()]

    return Snapshot(
        as_of=as_of,
        overview=overview,
        pipeline=pipeline,
        alerts=alerts,
        channels=channels,
        cost_rows=cost_rows,
        bucket_rows=bucket_rows,
        channel_days=channel_days,
        users=users,
    )


def read_snapshot(settings: Settings) -> Snapshot:
    """Every mart the warm needs, in ONE read-only REPEATABLE READ transaction (one consistent snapshot)."""
    schema = analytics_schema(settings)
    conn = psycopg2.connect(**settings.pg_kwargs())
    try:
        conn.set_session(isolation_level=ISOLATION_LEVEL_REPEATABLE_READ, readonly=True)
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            try:
                return _read_marts(cur, schema)
            except psycopg2.errors.UndefinedTable as exc:
                raise errors.UserError(
                    f"a mart the warm reads does not exist ({_first_line(exc)}); "
                    "run `ytempire-ops build` before warming."
                ) from None
            except psycopg2.errors.UndefinedColumn as exc:
                raise errors.UserError(
                    f"a mart lacks a column the warm reads ({_first_line(exc)}); rebuild the marts."
                ) from None
            finally:
                conn.rollback()
    finally:
        conn.close()


# --------------------------------------------------------------------------- building the payloads


def _num(value: Any) -> Any:
    """A Decimal as a JSON number (int when it has no fractional digits), dates as ISO 8601."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and value.as_tuple().exponent >= 0:
            return int(value)
        return float(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def plain_row(row: Mapping[str, Any], columns: Iterable[str]) -> dict[str, Any]:
    """The named columns of a mart row as JSON-ready values (Decimal, date and datetime converted)."""
    return {name: _num(row[name]) for name in columns}


def _rpm(revenue_cents: Decimal, views: int) -> Decimal | None:
    if not views:
        return None
    return round(revenue_cents / 100 / views * 1000, 4)


def _pct(part: Decimal, whole: Decimal) -> Decimal | None:
    return round(part / whole * 100, 2) if whole else None


def build_costs(snapshot: Snapshot) -> dict[str, Any]:
    as_of_date = snapshot.as_of.astimezone(UTC).date()
    days = [as_of_date - timedelta(days=n) for n in range(COST_WINDOW_DAYS - 1, -1, -1)]
    zero = Decimal(0)
    total: dict[str, Any] = {"cost_cents": zero, "line_items": 0, "unattributed_cost_cents": zero}
    by_day: dict[date, dict[str, Any]] = {d: {"cost_cents": zero, "line_items": 0, "videos": 0} for d in days}
    by_category: dict[str, dict[str, Any]] = {
        c: {"cost_cents": zero, "line_items": 0} for c in KNOWN_COST_CATEGORIES
    }
    by_day_category: dict[tuple[date, str], dict[str, Any]] = {}
    for row in snapshot.cost_rows:
        figures = {"cost_cents": row["cost_cents"], "line_items": row["line_items"]}
        # grouping(): bit 1 = cost_date aggregated away, bit 0 = cost_category aggregated away.
        if row["grouping_id"] == 0:
            by_day_category[(row["cost_date"], row["cost_category"] or "unknown")] = figures
        elif row["grouping_id"] == 1:
            by_day[row["cost_date"]] = {**figures, "videos": row["videos"]}
        elif row["grouping_id"] == 2:
            by_category[row["cost_category"] or "unknown"] = figures
        else:
            total = {**figures, "unattributed_cost_cents": row["unattributed_cost_cents"]}
    buckets = {b: {"videos": 0, "total_cost_cents": zero, "avg_cost_cents": None} for b in COST_BUCKETS}
    levels = {"warning": 0, "critical": 0}
    for row in snapshot.bucket_rows:
        buckets[row["cost_bucket"]] = {
            "videos": row["videos"],
            "total_cost_cents": row["total_cost_cents"],
            "avg_cost_cents": round(row["avg_cost_cents"], 4) if row["avg_cost_cents"] is not None else None,
        }
        levels["warning"] += row["warning"]
        levels["critical"] += row["critical"]
    total_cents: Decimal = total["cost_cents"]
    return {
        "window_start_date": days[0].isoformat(),
        "window_end_date": days[-1].isoformat(),
        "total_cost_cents": _num(total_cents),
        "total_cost_usd": _num(round(total_cents / 100, 2)),
        "line_items": total["line_items"],
        "unattributed_cost_cents": _num(total["unattributed_cost_cents"]),
        "by_day": [{"date": d.isoformat(), **{k: _num(v) for k, v in by_day[d].items()}} for d in days],
        "by_category": [
            {
                "category": category,
                "cost_cents": _num(figures["cost_cents"]),
                "line_items": figures["line_items"],
                "share_pct": _num(_pct(figures["cost_cents"], total_cents)),
            }
            for category, figures in sorted(
                by_category.items(), key=lambda item: (-item[1]["cost_cents"], item[0])
            )
        ],
        "by_day_category": [
            {"date": d.isoformat(), "category": c, **{k: _num(v) for k, v in figures.items()}}
            for (d, c), figures in sorted(by_day_category.items())
        ],
        "by_bucket": [
            {"cost_bucket": b, **{k: _num(v) for k, v in buckets[b].items()}} for b in COST_BUCKETS
        ],
        "videos_produced": sum(b["videos"] for b in buckets.values()),
        "alert_levels": levels,
    }


def build_channel_performance(snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    """channel_id -> data of channel:{channel_id}:performance: 30 UTC days up to as_of's date, zero-filled."""
    as_of_date = snapshot.as_of.astimezone(UTC).date()
    days = [as_of_date - timedelta(days=n) for n in range(CHANNEL_HISTORY_DAYS - 1, -1, -1)]
    facts: dict[str, dict[date, dict[str, Any]]] = {}
    for row in snapshot.channel_days:
        facts.setdefault(row["channel_id"], {})[row["activity_date"]] = row
    zero_day = {name: (Decimal(0) if t == "numeric" else 0) for name, t in CHANNEL_DAY_COLUMNS.items()}
    zero_day["rpm_usd"] = None
    payloads: dict[str, dict[str, Any]] = {}
    for channel in snapshot.channels:
        channel_id = channel["channel_id"]
        known = facts.get(channel_id, {})
        series = []
        totals: dict[str, Any] = {name: zero_day[name] for name in CHANNEL_DAY_COLUMNS if name != "rpm_usd"}
        for d in days:
            row = known.get(d, zero_day)
            series.append({"date": d.isoformat(), **{name: _num(row[name]) for name in CHANNEL_DAY_COLUMNS}})
            for name in totals:
                totals[name] += row[name] or 0
        totals["rpm_usd"] = _rpm(totals["revenue_cents"], totals["views"])
        payloads[channel_id] = {
            "channel_id": channel_id,
            "channel_name": channel["channel_name"],
            "window_start_date": days[0].isoformat(),
            "window_end_date": days[-1].isoformat(),
            "active_days": len(known),
            "days": series,
            "totals": {name: _num(value) for name, value in totals.items()},
        }
    return payloads


def build_channels(as_of: datetime, rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """data of dashboard:channels: mart_channel_performance's rows and their 7-day window."""
    channels = [plain_row(row, CHANNEL_COLUMNS) for row in rows]
    as_of_date = as_of.astimezone(UTC).date()
    return {
        "window_start_date": (as_of_date - timedelta(days=6)).isoformat(),
        "window_end_date": as_of_date.isoformat(),
        "count": len(channels),
        "channels": channels,
    }


def build_values(snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    """Key (after the prefix) -> the `data` of its value."""
    values: dict[str, dict[str, Any]] = {
        "dashboard:overview": plain_row(snapshot.overview, OVERVIEW_COLUMNS),
        "dashboard:costs": build_costs(snapshot),
        "dashboard:pipeline": plain_row(snapshot.pipeline, PIPELINE_COLUMNS),
        "dashboard:alerts": {
            "count": len(snapshot.alerts),
            "critical": sum(1 for a in snapshot.alerts if a["severity"] == "critical"),
            "warning": sum(1 for a in snapshot.alerts if a["severity"] == "warning"),
            "alerts": [plain_row(row, ALERT_COLUMNS) for row in snapshot.alerts],
        },
        "dashboard:channels": build_channels(snapshot.as_of, snapshot.channels),
    }
    for channel_id, data in build_channel_performance(snapshot).items():
        values[CHANNEL_KEY.format(channel_id=channel_id)] = data
    for row in snapshot.users:
        values[USER_KEY.format(user_id=row["user_id"])] = plain_row(row, USER_COLUMNS)
    return values


def encode_value(key: str, envelope: dict[str, Any]) -> bytes:
    """The JSON of one value; refuses anything that could carry an e-mail address ('@')."""
    text = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    if "@" in key or "@" in text:
        raise PersonalDataError(
            f"refusing to publish {key}: it contains '@' (possible personal data), so no dashboard key was written."
        )
    return text.encode("utf-8")


# --------------------------------------------------------------------------- publication


@dataclass
class WarmResult:
    generation_id: str
    prefix: str
    as_of: datetime
    generated_at: datetime
    keys: dict[str, int]  # keys written per TTL class
    ttls: dict[str, int]  # effective TTL per class, seconds
    deleted_keys: int  # public keys of channels/users that no longer exist
    bytes_written: int  # bytes of the values (JSON, UTF-8)
    publish_attempts: int
    seconds: dict[str, float] = field(default_factory=dict)  # query, encode, stage, publish, total

    @property
    def keys_written(self) -> int:
        return sum(self.keys.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "generation_id": self.generation_id,
            "prefix": self.prefix,
            "as_of": self.as_of.isoformat(),
            "generated_at": self.generated_at.isoformat(),
            "keys_written": self.keys_written,
            "keys": dict(self.keys),
            "ttls": dict(self.ttls),
            "deleted_keys": self.deleted_keys,
            "bytes_written": self.bytes_written,
            "publish_attempts": self.publish_attempts,
            "seconds": {name: round(value, 4) for name, value in self.seconds.items()},
        }


def staged_name(prefix: str, generation_id: str, key: str) -> str:
    return f"{prefix}gen:{generation_id}:{key}"


def _stage(client: redis.Redis, staged: Mapping[str, bytes], ttl: int) -> None:
    items = list(staged.items())
    for start in range(0, len(items), STAGE_BATCH):
        pipe = client.pipeline(transaction=False)
        for name, value in items[start : start + STAGE_BATCH]:
            pipe.set(name, value, ex=ttl)
        pipe.execute()


def _publish(
    client: redis.Redis,
    config: WarmConfig,
    generation_id: str,
    encoded: Mapping[str, bytes],
    pointer: bytes,
) -> tuple[int, int]:
    """Switch every public key to the staged generation in one MULTI/EXEC; (deleted keys, attempts)."""
    prefix = config.prefix
    current_key, index_key = f"{prefix}current", f"{prefix}index"
    staged = {key: staged_name(prefix, generation_id, key) for key in encoded}
    with client.pipeline(transaction=True) as pipe:
        for attempt in range(1, PUBLISH_ATTEMPTS + 1):
            try:
                # A concurrent warm publishing (current/index change) or a staged key vanishing aborts EXEC.
                pipe.watch(current_key, index_key, *staged.values())
                present = pipe.exists(*staged.values())
                if present != len(staged):
                    raise errors.UserError(
                        f"{len(staged) - present} staged Redis keys of generation {generation_id} disappeared "
                        "before publication (evicted or deleted), so the dashboard keys were not updated."
                    )
                previous = {member.decode() for member in pipe.smembers(index_key)}
                stale = sorted(previous - set(encoded))
                pipe.multi()
                pipe.set(current_key, pointer, ex=config.max_ttl)
                for key, name in staged.items():
                    public = f"{prefix}{key}"
                    pipe.rename(name, public)
                    pipe.expire(public, config.ttl(_ttl_class(key)))
                if stale:
                    pipe.delete(*(f"{prefix}{key}" for key in stale))
                pipe.delete(index_key)
                pipe.sadd(index_key, *encoded)
                pipe.expire(index_key, config.max_ttl)
                pipe.execute()
                return len(stale), attempt
            except redis.WatchError:
                continue
    raise errors.UserError(
        f"another warm published to the prefix {prefix!r} {PUBLISH_ATTEMPTS} times while this one tried to, "
        "so this generation was dropped."
    )


def warm(
    settings: Settings, *, prefix: str | None = None, refresh_interval_seconds: int | None = None
) -> WarmResult:
    """Compute every dashboard key from the marts (one snapshot) and publish them atomically to Redis."""
    config = load_config(prefix=prefix, refresh_interval_seconds=refresh_interval_seconds)
    client = redis_client(settings)
    started = time.perf_counter()
    try:
        # Fail fast, before the database work, when Redis is not there.
        client.ping()
        # -- query
        snapshot = read_snapshot(settings)
        queried = time.perf_counter()
        # -- encode
        generated_at = datetime.now(UTC)
        generation_id = f"{generated_at:%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"
        as_of_text = snapshot.as_of.astimezone(UTC).isoformat()
        generated_text = generated_at.isoformat()
        encoded: dict[str, bytes] = {}
        for key, data in build_values(snapshot).items():
            envelope = {
                "schema_version": SCHEMA_VERSION,
                "as_of": as_of_text,
                "generated_at": generated_text,
                "data": data,
            }
            encoded[key] = encode_value(key, envelope)
        pointer = json.dumps(
            {
                "schema_version": SCHEMA_VERSION,
                "generation_id": generation_id,
                "as_of": as_of_text,
                "generated_at": generated_text,
                "keys": len(encoded),
            }
        ).encode()
        encoded_at = time.perf_counter()
        # -- stage, then publish
        staging_ttl = max(config.max_ttl, STAGING_TTL_FLOOR_SECONDS)
        _stage(
            client, {staged_name(config.prefix, generation_id, k): v for k, v in encoded.items()}, staging_ttl
        )
        staged_at = time.perf_counter()
        deleted, attempts = _publish(client, config, generation_id, encoded, pointer)
        published_at = time.perf_counter()
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise _unavailable(settings, exc) from None
    finally:
        client.close()

    per_class = dict.fromkeys(DEFAULT_CLASS_TTLS, 0)
    for key in encoded:
        per_class[_ttl_class(key)] += 1
    return WarmResult(
        generation_id=generation_id,
        prefix=config.prefix,
        as_of=snapshot.as_of.astimezone(UTC),
        generated_at=generated_at,
        keys=per_class,
        ttls=config.ttls,
        deleted_keys=deleted,
        bytes_written=sum(len(v) for v in encoded.values()),
        publish_attempts=attempts,
        seconds={
            "query": queried - started,
            "encode": encoded_at - queried,
            "stage": staged_at - encoded_at,
            "publish": published_at - staged_at,
            "total": published_at - started,
        },
    )


def read_overview(settings: Settings) -> dict[str, Any]:
    """The decoded value of `{prefix}dashboard:overview` (the demo prints it)."""
    client = redis_client(settings)
    key = f"{env_prefix()}dashboard:overview"
    try:
        raw = client.get(key)
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise _unavailable(settings, exc, "so the dashboard overview cannot be read") from None
    finally:
        client.close()
    if raw is None:
        raise errors.UserError(
            f"Redis has no {key} key (expired or never warmed); run `ytempire-ops warm` first."
        )
    return json.loads(raw)
