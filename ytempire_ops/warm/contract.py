"""The contract of the Redis dashboard keys: key patterns, TTL classes, payload shapes.

Every value is an envelope (`ENVELOPE_SHAPE`) around a `data` object of its key's shape
(`PAYLOAD_SHAPES`); the columns the reader selects from the marts are derived from those shapes, so a
field is named once. The prefix and the TTLs come from the documented environment variables
(`load_config`). docs/redis_keys.md is the reference.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ytempire_ops import errors

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

CHANNEL_KEY = "channel:{channel_id}:performance"
USER_KEY = "user:{user_id}:revenue"
# Key (after the prefix) -> TTL class. The two patterns have one key per channel / user.
KEY_CLASSES: dict[str, str] = {
    "dashboard:overview": "executive",
    "dashboard:channels": "executive",
    "dashboard:costs": "operational",
    "dashboard:pipeline": "operational",
    "dashboard:alerts": "operational",
    CHANNEL_KEY: "historical",
    USER_KEY: "user",
}

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


def _fields(shape: Shape) -> tuple[str, ...]:
    return tuple(shape)


# The mart columns each payload is read from: its fields, in the shape's order.
OVERVIEW_COLUMNS = _fields(PAYLOAD_SHAPES["dashboard:overview"])
PIPELINE_COLUMNS = _fields(PAYLOAD_SHAPES["dashboard:pipeline"])
ALERT_COLUMNS = _fields(PAYLOAD_SHAPES["dashboard:alerts"]["alerts"][0])
CHANNEL_COLUMNS = _fields(PAYLOAD_SHAPES["dashboard:channels"]["channels"][0])
USER_COLUMNS = _fields(PAYLOAD_SHAPES[USER_KEY])
# fact_channel_daily column -> SQL type it is read as (counts as bigint, money as numeric).
CHANNEL_DAY_COLUMNS: dict[str, str] = {
    name: "bigint" if accepted == INT else "numeric" for name, accepted in _CHANNEL_TOTALS_SHAPE.items()
}


def key_pattern(key: str) -> str | None:
    """The PAYLOAD_SHAPES / KEY_CLASSES pattern a key (after the prefix) belongs to, or None."""
    if key in KEY_CLASSES:
        return key
    if key.startswith("channel:") and key.endswith(":performance") and len(key) > len("channel::performance"):
        return CHANNEL_KEY
    if key.startswith("user:") and key.endswith(":revenue") and len(key) > len("user::revenue"):
        return USER_KEY
    return None


def ttl_class(key: str) -> str:
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
        raise errors.BadValue(f"{name}={raw!r} is not a whole number of seconds.") from None
    if value < 1:
        raise errors.BadValue(f"{name} must be at least 1 second, got {value}.")
    return value


def env_prefix() -> str:
    """$YTEMPIRE_REDIS_PREFIX, else the default `ytempire:`."""
    return os.environ.get("YTEMPIRE_REDIS_PREFIX") or DEFAULT_PREFIX


def load_config(*, prefix: str | None = None, refresh_interval_seconds: int | None = None) -> WarmConfig:
    """The warm's prefix and TTLs: the arguments, else the documented environment variables, else defaults."""
    if prefix is None:
        prefix = env_prefix()
    if not prefix:
        raise errors.BadValue("the Redis key prefix must not be empty.")
    if "@" in prefix:
        raise errors.BadValue(f"the Redis key prefix {prefix!r} must not contain '@'.")
    if refresh_interval_seconds is None:
        refresh_interval_seconds = _env_seconds(
            "YTEMPIRE_REFRESH_INTERVAL_SECONDS", DEFAULT_REFRESH_INTERVAL_SECONDS
        )
    if refresh_interval_seconds < 1:
        raise errors.BadValue(
            f"the refresh interval must be at least 1 second, got {refresh_interval_seconds}."
        )
    ttls = {name: _env_seconds(TTL_ENV_VARS[name], default) for name, default in DEFAULT_CLASS_TTLS.items()}
    return WarmConfig(prefix=prefix, refresh_interval_seconds=refresh_interval_seconds, class_ttls=ttls)
