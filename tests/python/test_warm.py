"""The Redis warm against the test stack: every contract key, TTLs, no personal data, atomic publication.

Every test warms under its own key prefix (`test-<uuid>:`) in the test stack's Redis and removes its keys.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extras
import pytest
import redis
from conftest import StackHandle, Warehouse
from psycopg2 import sql

from ytempire_ops import errors
from ytempire_ops import warm as warm_module
from ytempire_ops.config import Settings
from ytempire_ops.warm import (
    KEY_CLASSES,
    PAYLOAD_SHAPES,
    RedisUnavailable,
    payloads,
    publisher,
    read_overview,
    validate_payload,
    warm,
)

DASHBOARD_KEYS = (
    "dashboard:overview",
    "dashboard:costs",
    "dashboard:pipeline",
    "dashboard:alerts",
    "dashboard:channels",
)
WARM_ENV_VARS = (
    "YTEMPIRE_REDIS_PREFIX",
    "YTEMPIRE_REFRESH_INTERVAL_SECONDS",
    "YTEMPIRE_TTL_EXECUTIVE",
    "YTEMPIRE_TTL_OPERATIONAL",
    "YTEMPIRE_TTL_HISTORICAL",
    "YTEMPIRE_TTL_USER",
    "YTEMPIRE_SCHEMA_PREFIX",
)


def settings_for(env: dict[str, str], **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "pg_host": env["YTEMPIRE_PG_HOST"],
        "pg_port": int(env["YTEMPIRE_PG_PORT"]),
        "pg_user": env["YTEMPIRE_PG_USER"],
        "pg_password": env["YTEMPIRE_PG_PASSWORD"],
        "pg_dbname": env["YTEMPIRE_PG_DBNAME"],
        "redis_url": env["YTEMPIRE_REDIS_URL"],
        "target": "local",
        "project_dir": Path(env["YTEMPIRE_PROJECT_DIR"]),
        "profiles_dir": Path(env["DBT_PROFILES_DIR"]),
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(autouse=True)
def clean_warm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own YTEMPIRE_TTL_* & co. must not change what these tests see."""
    for name in WARM_ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def built(warehouse: Warehouse) -> Warehouse:
    assert warehouse.build.returncode == 0, warehouse.build.stdout[-3000:]
    return warehouse


@pytest.fixture
def settings(built: Warehouse) -> Settings:
    return settings_for(built.env)


@pytest.fixture
def rclient(built: Warehouse) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(built.env["YTEMPIRE_REDIS_URL"], socket_timeout=5)
    yield client
    client.close()


@pytest.fixture
def prefix(rclient: redis.Redis) -> Iterator[str]:
    value = f"test-{uuid.uuid4().hex[:12]}:"
    yield value
    names = list(rclient.scan_iter(match=f"{value}*", count=1000))
    if names:
        rclient.delete(*names)


@pytest.fixture
def db(built: Warehouse, test_stack: StackHandle) -> Iterator[Any]:
    conn = test_stack.connect(built.dbname)
    conn.autocommit = True
    yield conn
    conn.close()


def query(conn: Any, text: str, *params: Any) -> list[dict[str, Any]]:
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute(text, params)
        return [dict(row) for row in cur.fetchall()]


def public_keys(client: redis.Redis, prefix: str) -> set[str]:
    """Every key under the prefix, prefix removed."""
    return {name.decode()[len(prefix) :] for name in client.scan_iter(match=f"{prefix}*", count=1000)}


def value(client: redis.Redis, prefix: str, key: str) -> dict[str, Any]:
    raw = client.get(f"{prefix}{key}")
    assert raw is not None, f"{prefix}{key} is missing"
    return json.loads(raw)


def num(x: Any) -> Any:
    return float(x) if isinstance(x, Decimal) else x


# --------------------------------------------------------------------------- keys and shapes


def test_every_contract_key_is_published_and_matches_its_shape(
    settings: Settings, rclient: redis.Redis, prefix: str, db: Any
) -> None:
    result = warm(settings, prefix=prefix)

    channels = {
        r["channel_id"] for r in query(db, "select channel_id from analytics.mart_channel_performance")
    }
    users = {str(r["user_id"]) for r in query(db, "select user_id from analytics.mart_user_revenue_tracking")}
    assert channels and users
    expected = (
        set(DASHBOARD_KEYS)
        | {f"channel:{c}:performance" for c in channels}
        | {f"user:{u}:revenue" for u in users}
    )
    found = public_keys(rclient, prefix)
    assert found == expected | {"current", "index"}, found ^ (expected | {"current", "index"})
    # Nothing left under generation-specific names after a successful publication.
    assert not [k for k in found if k.startswith("gen:")]

    # Every channel with fact_channel_daily rows in the 30 days up to as_of has its key.
    with_rows = query(
        db,
        "select distinct f.channel_id from analytics.fact_channel_daily f "
        "join analytics.mart_channel_performance c using (channel_id) "
        "where f.activity_date between (select as_of_date - 29 from analytics.mart_executive_overview) "
        "and (select as_of_date from analytics.mart_executive_overview)",
    )
    assert with_rows
    assert {f"channel:{r['channel_id']}:performance" for r in with_rows} <= found

    for key in expected:
        payload = value(rclient, prefix, key)
        assert validate_payload(key, payload) == [], key
        assert set(payload) == {"schema_version", "as_of", "generated_at", "data"}
        assert payload["generated_at"] == result.generated_at.isoformat()
        assert payload["as_of"] == result.as_of.isoformat()

    assert result.keys == {"executive": 2, "operational": 3, "historical": len(channels), "user": len(users)}
    assert result.keys_written == len(expected)
    assert result.bytes_written == sum(len(rclient.get(f"{prefix}{k}")) for k in expected)
    assert {m.decode() for m in rclient.smembers(f"{prefix}index")} == expected
    pointer = json.loads(rclient.get(f"{prefix}current"))
    assert pointer["generation_id"] == result.generation_id
    assert pointer["generated_at"] == result.generated_at.isoformat()
    as_dict = result.as_dict()
    assert as_dict["keys_written"] == len(expected)
    assert set(as_dict["seconds"]) == {"query", "encode", "stage", "publish", "total"}
    json.dumps(as_dict)


def test_payload_shapes_cover_every_key_pattern_and_catch_bad_values() -> None:
    assert set(PAYLOAD_SHAPES) == set(KEY_CLASSES)
    good = {
        "schema_version": 1,
        "as_of": "2026-11-20T12:00:00+00:00",
        "generated_at": "2026-11-20T12:00:01+00:00",
    }
    data = {name: 0 for name in PAYLOAD_SHAPES["dashboard:pipeline"]}
    data.update(health="healthy", window_start_at="2026-11-19T12:00:00+00:00", avg_completion_minutes=None)
    assert validate_payload("dashboard:pipeline", {**good, "data": data}) == []
    assert validate_payload("dashboard:pipeline", {**good, "data": {**data, "queued": "3"}})
    assert validate_payload("dashboard:pipeline", {**good, "data": {**data, "queued": True}})
    assert validate_payload(
        "dashboard:pipeline", {**good, "data": {k: v for k, v in data.items() if k != "health"}}
    )
    assert validate_payload("dashboard:pipeline", {**good, "as_of": "yesterday", "data": data})
    assert validate_payload("dashboard:nope", {**good, "data": data})
    assert validate_payload("channel:UCx:performance", {**good, "data": {"days": [{"date": 1}]}})


# --------------------------------------------------------------------------- values


def test_values_equal_what_the_marts_hold(
    settings: Settings, rclient: redis.Redis, prefix: str, db: Any
) -> None:
    result = warm(settings, prefix=prefix)

    overview_row = query(db, "select * from analytics.mart_executive_overview")[0]
    overview = value(rclient, prefix, "dashboard:overview")
    assert overview["as_of"] == overview_row["as_of"].isoformat() == result.as_of.isoformat()
    for name in (
        "active_channels",
        "videos_published_today",
        "revenue_7d_usd",
        "cost_7d_usd",
        "avg_cost_per_video_usd",
        "avg_roi_pct",
        "users_at_goal",
        "videos_produced_7d",
        "total_users",
    ):
        assert overview["data"][name] == num(overview_row[name]), name
    assert overview["data"]["as_of_date"] == overview_row["as_of_date"].isoformat()

    pipeline_row = query(db, "select * from analytics.mart_pipeline_status")[0]
    pipeline = value(rclient, prefix, "dashboard:pipeline")["data"]
    for name in (
        "queued",
        "processing",
        "completed",
        "failed",
        "avg_completion_minutes",
        "failure_rate",
        "health",
    ):
        assert pipeline[name] == num(pipeline_row[name]), name

    alert_rows = query(db, "select alert_key, severity from analytics.mart_alerts")
    alerts = value(rclient, prefix, "dashboard:alerts")["data"]
    assert alerts["count"] == len(alert_rows) == len(alerts["alerts"])
    assert {a["alert_key"] for a in alerts["alerts"]} == {r["alert_key"] for r in alert_rows}
    assert alerts["critical"] == sum(r["severity"] == "critical" for r in alert_rows)

    channel_rows = query(
        db, "select * from analytics.mart_channel_performance order by revenue_rank, channel_id"
    )
    channels = value(rclient, prefix, "dashboard:channels")["data"]
    assert [c["channel_id"] for c in channels["channels"]] == [r["channel_id"] for r in channel_rows]
    for got, row in zip(channels["channels"], channel_rows, strict=True):
        for name in ("views", "revenue_usd", "cost_usd", "profit_usd", "revenue_rank", "avg_engagement_rate"):
            assert got[name] == num(row[name]), name

    # The 7-day cost breakdown adds up to the overview's cost_7d_usd and covers its produced videos.
    costs = value(rclient, prefix, "dashboard:costs")["data"]
    assert round(costs["total_cost_cents"] / 100, 2) == num(overview_row["cost_7d_usd"])
    assert len(costs["by_day"]) == 7
    assert costs["by_day"][-1]["date"] == overview_row["as_of_date"].isoformat()
    assert sum(d["cost_cents"] for d in costs["by_day"]) == pytest.approx(costs["total_cost_cents"])
    assert sum(c["cost_cents"] for c in costs["by_category"]) == pytest.approx(costs["total_cost_cents"])
    assert sum(c["cost_cents"] for c in costs["by_day_category"]) == pytest.approx(costs["total_cost_cents"])
    assert sum(b["videos"] for b in costs["by_bucket"]) == overview_row["videos_produced_7d"]
    assert costs["total_cost_cents"] > 0

    # One channel's 30 days equal fact_channel_daily's rows in that window.
    busiest = query(
        db,
        "select channel_id, sum(views) as views, sum(revenue_cents) as revenue_cents, "
        "sum(cost_cents) as cost_cents, count(*) as days from analytics.fact_channel_daily "
        "where activity_date between %s::date - 29 and %s::date "
        "and channel_id in (select channel_id from analytics.mart_channel_performance) "
        "group by channel_id order by sum(views) desc, channel_id limit 1",
        overview_row["as_of_date"],
        overview_row["as_of_date"],
    )[0]
    history = value(rclient, prefix, f"channel:{busiest['channel_id']}:performance")["data"]
    assert len(history["days"]) == 30
    assert history["active_days"] == busiest["days"]
    assert history["totals"]["views"] == int(busiest["views"]) > 0
    assert history["totals"]["revenue_cents"] == pytest.approx(float(busiest["revenue_cents"]))
    assert history["totals"]["cost_cents"] == pytest.approx(float(busiest["cost_cents"]))
    assert sum(d["views"] for d in history["days"]) == history["totals"]["views"]

    for row in query(db, "select * from analytics.mart_user_revenue_tracking"):
        user = value(rclient, prefix, f"user:{row['user_id']}:revenue")["data"]
        for name in (
            "current_month_revenue_usd",
            "lifetime_revenue_usd",
            "target_monthly_revenue_usd",
            "goal_progress_pct",
            "projected_days_to_goal",
            "is_at_goal",
            "channel_count",
        ):
            assert user[name] == num(row[name]), name


# --------------------------------------------------------------------------- TTLs


def test_ttls_are_never_shorter_than_twice_the_refresh_interval(
    settings: Settings, rclient: redis.Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YTEMPIRE_REFRESH_INTERVAL_SECONDS", "400")
    result = warm(settings, prefix=prefix)
    assert result.ttls == {"executive": 800, "operational": 800, "historical": 3600, "user": 1800}
    keys = public_keys(rclient, prefix)
    for key in (
        "dashboard:costs",
        "dashboard:pipeline",
        "dashboard:alerts",
        "dashboard:overview",
        "dashboard:channels",
    ):
        assert 790 <= rclient.ttl(f"{prefix}{key}") <= 800, key
    channel = next(k for k in keys if k.startswith("channel:"))
    user = next(k for k in keys if k.startswith("user:"))
    assert 3590 <= rclient.ttl(f"{prefix}{channel}") <= 3600
    assert 1790 <= rclient.ttl(f"{prefix}{user}") <= 1800
    # The pointer and the index outlive every key they describe.
    assert rclient.ttl(f"{prefix}current") >= 3590
    assert rclient.ttl(f"{prefix}index") >= 3590


def test_ttl_classes_come_from_the_environment(
    settings: Settings, rclient: redis.Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YTEMPIRE_REFRESH_INTERVAL_SECONDS", "10")
    monkeypatch.setenv("YTEMPIRE_TTL_OPERATIONAL", "70")
    monkeypatch.setenv("YTEMPIRE_TTL_HISTORICAL", "5000")
    monkeypatch.setenv("YTEMPIRE_REDIS_PREFIX", prefix)
    result = warm(settings)  # prefix and TTLs from the environment
    assert result.prefix == prefix
    assert result.ttls == {"executive": 300, "operational": 70, "historical": 5000, "user": 1800}
    assert 60 <= rclient.ttl(f"{prefix}dashboard:pipeline") <= 70
    assert 290 <= rclient.ttl(f"{prefix}dashboard:overview") <= 300
    channel = next(k for k in public_keys(rclient, prefix) if k.startswith("channel:"))
    assert 4990 <= rclient.ttl(f"{prefix}{channel}") <= 5000
    # The refresh-interval argument wins over the environment.
    again = warm(settings, refresh_interval_seconds=200)
    assert again.ttls["operational"] == 400
    assert 390 <= rclient.ttl(f"{prefix}dashboard:pipeline") <= 400

    monkeypatch.setenv("YTEMPIRE_TTL_USER", "soon")
    with pytest.raises(errors.UserError, match="YTEMPIRE_TTL_USER"):
        warm(settings)


# --------------------------------------------------------------------------- personal data


def test_no_email_address_in_any_key_or_value(
    settings: Settings, rclient: redis.Redis, prefix: str, db: Any
) -> None:
    warm(settings, prefix=prefix)
    names = list(rclient.scan_iter(match=f"{prefix}*", count=1000))
    assert len(names) > len(DASHBOARD_KEYS)
    emails = [
        row["email"].encode() for row in query(db, "select email from raw.users where email is not null")
    ]
    assert emails
    published = b"\n".join(
        [*names, *(rclient.get(n) or b"" for n in names if n != f"{prefix}index".encode())]
    )
    assert not payloads.EMAIL.search(published.decode())
    assert not [e for e in emails if e in published]


@pytest.mark.parametrize(
    ("text", "is_email"),
    [
        ("owner@example.com", True),
        ("contact: first.last+yt@mail.example.co.uk today", True),
        ("Tech @ Home", False),
        ("@techhome", False),
        ("Tech@Home", False),
        ("50% @ 3pm", False),
    ],
)
def test_the_guard_knows_an_email_address_from_an_at_sign(text: str, is_email: bool) -> None:
    assert bool(payloads.EMAIL.search(text)) is is_email
    envelope = {"data": {"channel_name": text}}
    if is_email:
        with pytest.raises(warm_module.PersonalDataError, match="e-mail address"):
            payloads.encode_value("channel:x", envelope)
    else:
        assert text in payloads.encode_value("channel:x", envelope).decode()


def test_a_value_with_an_email_address_is_refused_before_anything_is_published(
    settings: Settings, rclient: redis.Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = warm(settings, prefix=prefix)
    real_build = payloads.build_values

    def leaky(snapshot: Any) -> dict[str, dict[str, Any]]:
        values = real_build(snapshot)
        values["dashboard:channels"]["channels"][0]["channel_name"] = "owner@example.com"
        return values

    monkeypatch.setattr(payloads, "build_values", leaky)
    with pytest.raises(warm_module.PersonalDataError) as caught:
        warm(settings, prefix=prefix)
    assert "dashboard:channels" in str(caught.value)
    # The previous generation is still the public one, and nothing was staged.
    assert value(rclient, prefix, "dashboard:overview")["generated_at"] == first.generated_at.isoformat()
    assert not [k for k in public_keys(rclient, prefix) if k.startswith("gen:")]
    assert b"example.com" not in b"".join(rclient.get(f"{prefix}{k}") or b"" for k in DASHBOARD_KEYS)


# --------------------------------------------------------------------------- atomic publication

READ_KEYS = ("current", *DASHBOARD_KEYS)


def watch_reads(
    client: redis.Redis, names: list[str], work: Callable[[], None], max_seconds: float = 60
) -> tuple[int, list[set[str]], set[str]]:
    """MGET `names` in a loop while `work` runs; (reads, the mixed observations, generated_at values seen)."""
    stop = threading.Event()
    mixed: list[set[str]] = []
    seen: set[str] = set()
    reads = 0

    def reader() -> None:
        nonlocal reads
        deadline = time.monotonic() + max_seconds
        while not stop.is_set() and time.monotonic() < deadline:
            values = client.mget(names)
            stamps = {json.loads(v)["generated_at"] for v in values if v is not None}
            if any(v is None for v in values) or len(stamps) != 1:
                mixed.append(stamps | ({"<missing>"} if any(v is None for v in values) else set()))
            seen.update(stamps)
            reads += 1

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        work()
    finally:
        stop.set()
        thread.join(timeout=max_seconds + 5)
    assert not thread.is_alive()
    return reads, mixed, seen


def test_a_reader_never_sees_two_warms_at_once(settings: Settings, rclient: redis.Redis, prefix: str) -> None:
    first = warm(settings, prefix=prefix)
    keys = public_keys(rclient, prefix)
    names = [f"{prefix}{k}" for k in READ_KEYS]
    names += [f"{prefix}{next(k for k in sorted(keys) if k.startswith(p))}" for p in ("channel:", "user:")]
    results = []

    def twenty_warms() -> None:
        for _ in range(20):
            results.append(warm(settings, prefix=prefix))

    reads, mixed, seen = watch_reads(rclient, names, twenty_warms)
    assert len(results) == 20
    assert mixed == [], mixed[:5]
    assert reads > 20
    # The reader did see the generations change under it (otherwise the check proves nothing).
    assert len(seen - {first.generated_at.isoformat()}) >= 2


def test_the_reader_check_catches_a_key_by_key_publication(
    settings: Settings, rclient: redis.Redis, prefix: str
) -> None:
    """Control: the same reader does detect mixing when keys are replaced one by one (no MULTI)."""
    warm(settings, prefix=prefix)
    names = [f"{prefix}{k}" for k in DASHBOARD_KEYS]
    originals = {name: json.loads(rclient.get(name)) for name in names}

    def naive_publications() -> None:
        for i in range(20):
            for name in names:
                rclient.set(name, json.dumps({**originals[name], "generated_at": f"naive-{i}"}))
                time.sleep(0.002)

    _, mixed, _ = watch_reads(rclient, names, naive_publications)
    assert mixed


def test_concurrent_warms_of_one_prefix_both_publish_whole_generations(
    settings: Settings, rclient: redis.Redis, prefix: str
) -> None:
    outcomes: list[Any] = []

    def run() -> None:
        try:
            for _ in range(5):
                outcomes.append(warm(settings, prefix=prefix))
        except Exception as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert len(outcomes) == 15
    index = {m.decode() for m in rclient.smembers(f"{prefix}index")}
    stamps = {value(rclient, prefix, key)["generated_at"] for key in index}
    assert len(stamps) == 1
    assert json.loads(rclient.get(f"{prefix}current"))["generated_at"] in stamps
    assert not [k for k in public_keys(rclient, prefix) if k.startswith("gen:")]


def test_keys_of_channels_and_users_that_no_longer_exist_are_deleted(
    settings: Settings, rclient: redis.Redis, prefix: str
) -> None:
    warm(settings, prefix=prefix)
    ghosts = [
        "channel:UCghost0000000000000000:performance",
        "user:00000000-0000-0000-0000-000000000000:revenue",
    ]
    for ghost in ghosts:  # as a previous generation would have left them
        rclient.set(f"{prefix}{ghost}", b"{}", ex=3600)
        rclient.sadd(f"{prefix}index", ghost)
    result = warm(settings, prefix=prefix)
    assert result.deleted_keys == 2
    for ghost in ghosts:
        assert rclient.exists(f"{prefix}{ghost}") == 0
        assert not rclient.sismember(f"{prefix}index", ghost)


def test_a_warm_that_dies_before_publishing_changes_nothing_public_and_its_keys_expire(
    settings: Settings, rclient: redis.Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = warm(settings, prefix=prefix)

    def crash(*args: Any, **kwargs: Any) -> tuple[int, int]:
        raise RuntimeError("killed between staging and publication")

    monkeypatch.setattr(publisher, "publish", crash)
    with pytest.raises(RuntimeError):
        warm(settings, prefix=prefix)
    for key in DASHBOARD_KEYS:
        assert value(rclient, prefix, key)["generated_at"] == first.generated_at.isoformat()
    staged = [k for k in public_keys(rclient, prefix) if k.startswith("gen:")]
    assert len(staged) == first.keys_written
    for key in staged:
        assert 0 < rclient.ttl(f"{prefix}{key}") <= max(3600, warm_module.STAGING_TTL_FLOOR_SECONDS)


# --------------------------------------------------------------------------- marts that do not agree


@pytest.fixture
def copied_marts(
    built: Warehouse, db: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Settings]]:
    """A private copy of the tables the warm reads, in `<p>_analytics`, read through the ci target's schema prefix."""
    schema_prefix = f"w{uuid.uuid4().hex[:8]}"
    schema = f"{schema_prefix}_analytics"
    tables = (
        "mart_executive_overview",
        "mart_pipeline_status",
        "mart_alerts",
        "mart_channel_performance",
        "mart_user_revenue_tracking",
        "mart_video_economics",
        "fact_costs",
        "fact_channel_daily",
    )
    with db.cursor() as cur:
        cur.execute(sql.SQL("create schema {}").format(sql.Identifier(schema)))
        for table in tables:
            cur.execute(
                sql.SQL("create table {}.{} as select * from analytics.{}").format(
                    sql.Identifier(schema), sql.Identifier(table), sql.Identifier(table)
                )
            )
    monkeypatch.setenv("YTEMPIRE_SCHEMA_PREFIX", schema_prefix)
    yield schema, settings_for(built.env, target="ci")
    with db.cursor() as cur:
        cur.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(schema)))


def test_a_channel_gone_from_the_marts_loses_its_key(
    copied_marts: tuple[str, Settings], db: Any, rclient: redis.Redis, prefix: str
) -> None:
    schema, ci_settings = copied_marts
    first = warm(ci_settings, prefix=prefix)
    gone = query(
        db,
        sql.SQL("select channel_id from {}.mart_channel_performance limit 1").format(sql.Identifier(schema)),
    )
    channel_id = gone[0]["channel_id"]
    assert rclient.exists(f"{prefix}channel:{channel_id}:performance")
    with db.cursor() as cur:
        cur.execute(
            sql.SQL("delete from {}.mart_channel_performance where channel_id = %s").format(
                sql.Identifier(schema)
            ),
            (channel_id,),
        )
    second = warm(ci_settings, prefix=prefix)
    assert second.deleted_keys == 1
    assert second.keys["historical"] == first.keys["historical"] - 1
    assert not rclient.exists(f"{prefix}channel:{channel_id}:performance")


def test_marts_built_for_different_as_of_are_refused(
    copied_marts: tuple[str, Settings], db: Any, rclient: redis.Redis, prefix: str
) -> None:
    schema, ci_settings = copied_marts
    with db.cursor() as cur:
        cur.execute(
            sql.SQL("update {}.mart_pipeline_status set as_of = as_of - interval '1 day'").format(
                sql.Identifier(schema)
            )
        )
    with pytest.raises(errors.UserError, match="mart_pipeline_status") as caught:
        warm(ci_settings, prefix=prefix)
    assert "\n" not in str(caught.value)
    assert public_keys(rclient, prefix) == set()


def test_a_missing_mart_is_one_sentence(copied_marts: tuple[str, Settings], db: Any, prefix: str) -> None:
    schema, ci_settings = copied_marts
    with db.cursor() as cur:
        cur.execute(sql.SQL("drop table {}.mart_alerts").format(sql.Identifier(schema)))
    with pytest.raises(errors.UserError, match="ytempire-ops build") as caught:
        warm(ci_settings, prefix=prefix)
    assert "\n" not in str(caught.value)


# --------------------------------------------------------------------------- Redis down, read_overview


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_redis_unreachable_raises_redis_unavailable_in_one_sentence(built: Warehouse) -> None:
    port = free_port()
    down = settings_for(built.env, redis_url=f"redis://:secret-pw@127.0.0.1:{port}/0")
    started = time.monotonic()
    with pytest.raises(RedisUnavailable) as caught:
        warm(down, prefix="test-down:")
    assert time.monotonic() - started < 15
    message = str(caught.value)
    assert caught.value.exit_code == errors.EXIT_REDIS_UNAVAILABLE == 3
    assert isinstance(caught.value, errors.UserError)
    assert f"127.0.0.1:{port}" in message
    assert "secret-pw" not in message
    assert "\n" not in message and message.endswith(".") and message.count(". ") == 0
    with pytest.raises(RedisUnavailable):
        read_overview(down)


def test_read_overview_returns_the_decoded_overview(
    settings: Settings, prefix: str, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YTEMPIRE_REDIS_PREFIX", prefix)
    with pytest.raises(errors.UserError, match="warm"):
        read_overview(settings)
    result = warm(settings)
    overview = read_overview(settings)
    assert overview["generated_at"] == result.generated_at.isoformat()
    active = query(db, "select active_channels from analytics.mart_executive_overview")[0]["active_channels"]
    assert overview["data"]["active_channels"] == active


def test_env_is_not_needed_to_import_and_defaults_hold() -> None:
    config = warm_module.load_config(refresh_interval_seconds=1)
    assert config.prefix == "ytempire:"
    assert config.ttls == {"executive": 300, "operational": 60, "historical": 3600, "user": 1800}
    assert os.environ.get("YTEMPIRE_REDIS_PREFIX") is None
