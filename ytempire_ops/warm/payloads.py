"""The `data` of every dashboard key, built from what the reader took from the marts, and its encoding."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ytempire_ops import errors
from ytempire_ops.warm.contract import (
    ALERT_COLUMNS,
    CHANNEL_COLUMNS,
    CHANNEL_DAY_COLUMNS,
    CHANNEL_HISTORY_DAYS,
    CHANNEL_KEY,
    COST_BUCKETS,
    COST_WINDOW_DAYS,
    KNOWN_COST_CATEGORIES,
    OVERVIEW_COLUMNS,
    PIPELINE_COLUMNS,
    SCHEMA_VERSION,
    USER_COLUMNS,
    USER_KEY,
)
from ytempire_ops.warm.reader import Snapshot


class PersonalDataError(errors.UserError):
    """A value about to be published holds an e-mail address."""


# An e-mail address: a local part, '@', and a domain with at least one dot. A display name with an
# '@' ("Tech @ Home") or a YouTube handle ("@techhome") is not one.
EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+"
)


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
    """The JSON of one value; refuses a key or value holding an e-mail address (personal data)."""
    text = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    if EMAIL.search(key) or EMAIL.search(text):
        raise PersonalDataError(
            f"refusing to publish {key}: it holds an e-mail address (personal data), so no dashboard key was written."
        )
    return text.encode("utf-8")


def encode_values(snapshot: Snapshot, generated_at: datetime) -> dict[str, bytes]:
    """Key (after the prefix) -> its value: the envelope around build_values' data, encoded."""
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
    return encoded


def encode_pointer(snapshot: Snapshot, generated_at: datetime, generation_id: str, keys: int) -> bytes:
    """The value of `{prefix}current`: which generation is public, and of how many keys."""
    return json.dumps(
        {
            "schema_version": SCHEMA_VERSION,
            "generation_id": generation_id,
            "as_of": snapshot.as_of.astimezone(UTC).isoformat(),
            "generated_at": generated_at.isoformat(),
            "keys": keys,
        }
    ).encode()
