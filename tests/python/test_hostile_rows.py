"""One bad row never stops the warehouse.

A built warehouse is refreshed once (the baseline: every relation of `analytics` and every Redis
key). Then the hostile raw rows below are inserted, each at its own instant, and followed by the
refresh cron runs: the refresh exits 0, each row is in its quarantine relation with its reason, and
every relation of `analytics` and every Redis key equals the baseline. The state tables' rows come
in a second batch and a second refresh, while the first batch stays in raw, as it would in
production.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import redis
from conftest import AS_OF, StackHandle, Warehouse, clone_database, run_cli, table_digest

from ytempire_ops.warm.contract import CHANNEL_KEY

AS_OF_INSTANT = datetime.fromisoformat(AS_OF)
# Written a moment before as_of: inside every incremental load's window. Each row copies a generated
# row written before HOSTILE_FROM (never one of the rows written here).
WRITTEN = AS_OF_INSTANT - timedelta(seconds=1)
HOSTILE_FROM = WRITTEN - timedelta(seconds=1)


@dataclass(frozen=True)
class Hostile:
    """A raw row (an INSERT ... SELECT on the raw tables) and where it must end up."""

    name: str
    table: str  # the raw table
    reason: str
    insert: str  # parameters: %(written)s, %(cost_id)s, %(hostile_from)s, %(key)s (a new entity's id)


POLL = """
insert into raw.video_metrics
select video_id, {captured_at}, {views}, likes, dislikes, comments, shares, {watch_time},
       average_view_duration_seconds, impressions, {ctr}, subscribers_gained, subscribers_lost,
       {revenue}, %(written)s
from raw.video_metrics
where video_id = (select video_id from raw.videos where deleted_at is null and status = 'published'
                  order by video_id limit 1)
  and ingested_at < %(hostile_from)s
order by captured_at desc limit 1
"""


def poll(
    captured_at: str = "%(written)s - interval '30 seconds'",
    views: str = "views + 1",
    watch_time: str = "watch_time_minutes",
    ctr: str = "click_through_rate",
    revenue: str = "estimated_revenue_cents",
) -> str:
    return POLL.format(captured_at=captured_at, views=views, watch_time=watch_time, ctr=ctr, revenue=revenue)


COST = """
insert into raw.video_costs
select %(cost_id)s, video_id, channel_id, cost_category, cost_subcategory, {quantity}, unit,
       {total}, {incurred_at}, %(written)s
from raw.video_costs
where video_id is not null and ingested_at < %(hostile_from)s
order by incurred_at desc, cost_id limit 1
"""


def cost(
    total: str = "total_cost_cents", quantity: str = "quantity", incurred_at: str = "%(written)s"
) -> str:
    return COST.format(total=total, quantity=quantity, incurred_at=incurred_at)


# A restatement of the newest revenue day of a video, reported now: a good one would replace the row.
REVENUE = """
insert into raw.video_revenue
select video_id, channel_id, {revenue_date}, {ad}, {sponsorship}, affiliate_revenue_cents,
       membership_revenue_cents, super_chat_revenue_cents, %(written)s
from raw.video_revenue
where reported_at < %(hostile_from)s
order by revenue_date desc, video_id limit 1
"""


def revenue(revenue_date: str = "revenue_date", ad: str = "ad_revenue_cents", sponsorship: str = "0") -> str:
    return REVENUE.format(revenue_date=revenue_date, ad=ad, sponsorship=sponsorship)


# New rows of the state tables and API calls, each copying a generated row (written before
# HOSTILE_FROM) under a new id %(key)s.
USER = """
insert into raw.users
select %(key)s, 'hostile.' || %(key)s || '@example.com', subscription_tier, {target}, is_active,
       {created_at}, {updated_at}
from raw.users where updated_at < %(hostile_from)s order by user_id limit 1
"""

CHANNEL = """
insert into raw.channels
select %(key)s, user_id, channel_name, channel_handle, niche, sub_niche, monetization_status, status,
       {created_at}, {updated_at}
from raw.channels where updated_at < %(hostile_from)s order by channel_id limit 1
"""

VIDEO = """
insert into raw.videos
select %(key)s, null, channel_id, title, description, tags, {duration}, video_category, generation_method,
       {status}, {published_at}, {created_at}, %(written)s, null
from raw.videos where updated_at < %(hostile_from)s order by video_id limit 1
"""

JOB = """
insert into raw.generation_jobs
select %(key)s, video_id, channel_id, status, {queued_at}, {started_at}, {completed_at}, {retry_count},
       error_message, %(written)s
from raw.generation_jobs
where status = 'completed' and updated_at < %(hostile_from)s
order by job_id limit 1
"""

CALL = """
insert into raw.api_quota_usage
select %(key)s, api_account, api_name, endpoint, {quota_units}, status_code, {called_at}
from raw.api_quota_usage
where called_at between %(hostile_from)s - interval '1 day' and %(hostile_from)s
order by call_id limit 1
"""


def user(target: str = "target_monthly_revenue_usd", created_at: str = "%(written)s") -> str:
    return USER.format(
        target=target, created_at=created_at, updated_at="greatest(%(written)s, " + created_at + ")"
    )


def channel(created_at: str = "%(written)s", updated_at: str = "%(written)s") -> str:
    return CHANNEL.format(created_at=created_at, updated_at=updated_at)


def video(duration: str = "duration_seconds", status: str = "'draft'", published_at: str = "null") -> str:
    return VIDEO.format(
        duration=duration,
        status=status,
        published_at=published_at,
        created_at="%(written)s - interval '1 hour'",
    )


def job(
    queued_at: str = "%(written)s - interval '20 minutes'",
    started_at: str = "%(written)s - interval '10 minutes'",
    completed_at: str = "%(written)s",
    retry_count: str = "0",
) -> str:
    return JOB.format(
        queued_at=queued_at, started_at=started_at, completed_at=completed_at, retry_count=retry_count
    )


def call(quota_units: str = "quota_units", called_at: str = "%(written)s") -> str:
    return CALL.format(quota_units=quota_units, called_at=called_at)


FAR_FUTURE = "timestamptz '2099-01-01 00:00:00+00'"
IN_1970 = "timestamptz '1970-01-01 00:00:00+00'"

STATE = (
    Hostile("a user whose monthly goal is NaN", "users", "not_a_number", user(target="'NaN'")),
    Hostile("a user whose monthly goal is negative", "users", "negative_amount", user(target="-10000")),
    Hostile("a user created in 2099", "users", "future_timestamp", user(created_at=FAR_FUTURE)),
    Hostile("a channel created in 1970", "channels", "before_epoch", channel(created_at=IN_1970)),
    Hostile("a channel updated in 2099", "channels", "future_timestamp", channel(updated_at=FAR_FUTURE)),
    Hostile("a video of -5 seconds", "videos", "implausible_value", video(duration="-5")),
    Hostile("a video of a hundred hours", "videos", "implausible_value", video(duration="360000")),
    Hostile(
        "a video published in 2099",
        "videos",
        "future_timestamp",
        video(status="'published'", published_at=FAR_FUTURE),
    ),
    Hostile("a job retried -1 times", "generation_jobs", "negative_counter", job(retry_count="-1")),
    Hostile(
        "a job completed before it started",
        "generation_jobs",
        "implausible_value",
        job(completed_at="%(written)s - interval '15 minutes'"),
    ),
    Hostile("a job queued in 1970", "generation_jobs", "before_epoch", job(queued_at=IN_1970)),
    Hostile("an API call of -5 quota units", "api_quota_usage", "negative_counter", call(quota_units="-5")),
    Hostile("an API call in 2099", "api_quota_usage", "future_timestamp", call(called_at=FAR_FUTURE)),
    Hostile("an API call in 1970", "api_quota_usage", "before_epoch", call(called_at=IN_1970)),
)

HOSTILE = (
    Hostile("NaN watch time in a poll", "video_metrics", "not_a_number", poll(watch_time="'NaN'")),
    Hostile("NaN estimated revenue in a poll", "video_metrics", "not_a_number", poll(revenue="'NaN'")),
    Hostile(
        "views at bigint's maximum", "video_metrics", "implausible_value", poll(views="9223372036854775807")
    ),
    Hostile("a click-through rate above 1", "video_metrics", "implausible_value", poll(ctr="1.5")),
    # the whole counts (bigint) and the measures (numeric) are checked in two groups: one of each
    Hostile("negative views in a poll", "video_metrics", "negative_counter", poll(views="-1")),
    Hostile("negative watch time in a poll", "video_metrics", "negative_counter", poll(watch_time="-0.5")),
    Hostile(
        "watch time above the counter ceiling",
        "video_metrics",
        "implausible_value",
        poll(watch_time="10000000000.5"),
    ),
    Hostile(
        "a poll captured in 1970",
        "video_metrics",
        "before_epoch",
        poll(captured_at="timestamptz '1970-01-01 00:00:00+00'"),
    ),
    Hostile("a cost line of -100 cents", "video_costs", "negative_amount", cost(total="-100")),
    Hostile("a NaN cost", "video_costs", "not_a_number", cost(total="'NaN'")),
    Hostile("a negative quantity", "video_costs", "negative_amount", cost(quantity="-1")),
    Hostile(
        "a cost incurred in 1999",
        "video_costs",
        "before_epoch",
        cost(incurred_at="timestamptz '1999-12-31 23:00:00+00'"),
    ),
    Hostile("a cost line of fifty million dollars", "video_costs", "implausible_value", cost(total="5e9")),
    Hostile("NaN ad revenue restating a day", "video_revenue", "not_a_number", revenue(ad="'NaN'")),
    Hostile("negative sponsorship revenue", "video_revenue", "negative_amount", revenue(sponsorship="-500")),
    Hostile(
        "revenue for a day three days ahead",
        "video_revenue",
        "future_timestamp",
        revenue(revenue_date="revenue_date + 3"),
    ),
)

QUARANTINE = {
    "video_metrics": "staging.stg_youtube__video_metrics_quarantined",
    "video_costs": "staging.stg_platform__video_costs_quarantined",
    "video_revenue": "staging.stg_youtube__video_revenue_quarantined",
    "users": "staging.stg_platform__users_quarantined",
    "channels": "staging.stg_platform__channels_quarantined",
    "videos": "staging.stg_platform__videos_quarantined",
    "generation_jobs": "staging.stg_platform__generation_jobs_quarantined",
    "api_quota_usage": "staging.stg_youtube__api_quota_usage_quarantined",
}
# The rows of these tables are found by their new id (record_key), the others by when they were written.
NEW_ENTITY = {"users", "channels", "videos", "generation_jobs", "api_quota_usage"}


@dataclass
class Hostage:
    """A copy of the session's warehouse, refreshed once, with what it held then."""

    dbname: str
    env: dict[str, str]
    prefix: str
    conn: Any
    redis: redis.Redis
    marts: dict[str, tuple[int, str]]
    keys: dict[str, Any]


def analytics_digests(conn: Any) -> dict[str, tuple[int, str]]:
    """Every relation of analytics (the records of test runs and of the CLI's runs left out)."""
    with conn.cursor() as cur:
        cur.execute(
            """
            select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
            where n.nspname = 'analytics' and c.relkind in ('r', 'p', 'm', 'v')
              and c.relname not in ('dbt_test_results', 'run_history')
            order by 1
            """
        )
        names = [row[0] for row in cur.fetchall()]
        return {name: table_digest(cur, "analytics", name) for name in names}


def published(client: redis.Redis, prefix: str) -> dict[str, Any]:
    """Every public dashboard key's as_of and data (the generation's id and time left out)."""
    values = {}
    for name in client.scan_iter(match=f"{prefix}*", count=1000):
        key = name.decode().removeprefix(prefix)
        if key in {"current", "index"} or key.startswith("gen:"):
            continue
        envelope = json.loads(client.get(name) or b"null")
        if envelope is not None:
            values[key] = {"as_of": envelope["as_of"], "data": envelope["data"]}
    return values


def refresh(hostage_env: dict[str, str]) -> Any:
    done = run_cli(["refresh", "--as-of", AS_OF, "--json"], hostage_env)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.fixture
def hostage(test_stack: StackHandle, warehouse: Warehouse) -> Iterator[Hostage]:
    """A copy of the session's warehouse, refreshed once, with every mart and Redis key it then held."""
    assert warehouse.build.returncode == 0, warehouse.build.stdout[-3000:]
    dbname = clone_database(test_stack, warehouse.dbname, "hostile")
    prefix = f"{dbname}:"
    env = test_stack.db_env(dbname, YTEMPIRE_REDIS_PREFIX=prefix)
    refresh(env)
    conn = test_stack.connect(dbname)
    client = redis.Redis.from_url(test_stack.state["redis"]["url"], socket_timeout=10)
    try:
        yield Hostage(dbname, env, prefix, conn, client, analytics_digests(conn), published(client, prefix))
    finally:
        conn.close()
        client.close()


def quarantined(conn: Any, table: str, written: datetime, key: str | None = None) -> list[str]:
    """The reasons of the quarantined rows written at `written` (a new entity's: with id `key`)."""
    column, value = ("record_key", key) if table in NEW_ENTITY else ("ingested_at", written)
    with conn.cursor() as cur:
        cur.execute(f"select reason from {QUARANTINE[table]} where {column} = %s order by reason", (value,))
        return [row[0] for row in cur.fetchall()]


def new_key(table: str, index: int) -> str:
    """A new entity's id: a uuid where the raw column is one, else a readable varchar id."""
    return (
        str(uuid.uuid4()) if table in {"users", "generation_jobs", "api_quota_usage"} else f"hostile_{index}"
    )


def test_each_hostile_row_is_quarantined_and_changes_nothing(hostage: Hostage) -> None:
    assert hostage.keys and "dashboard:overview" in hostage.keys
    assert all(count > 0 for name, (count, _) in hostage.marts.items() if name.startswith("fact_"))
    # Each row is written at its own instant, so its quarantine row is found by ingested_at. One
    # refresh loads them all: a row that reached a mart or a key changes the digests below.
    written = {}
    for index, row in enumerate(HOSTILE):
        written[row.name] = WRITTEN - timedelta(milliseconds=index + 1)
        params = {
            "written": written[row.name],
            "cost_id": str(uuid.uuid4()),
            "hostile_from": HOSTILE_FROM,
            "key": None,
        }
        with hostage.conn.cursor() as cur:
            cur.execute(row.insert, params)
            assert cur.rowcount == 1, row.name
    refreshed = refresh(hostage.env)
    assert refreshed["level"] == "ok", refreshed
    reasons = {row.name: quarantined(hostage.conn, row.table, written[row.name]) for row in HOSTILE}
    assert reasons == {row.name: [row.reason] for row in HOSTILE}
    assert analytics_digests(hostage.conn) == hostage.marts
    assert published(hostage.redis, hostage.prefix) == hostage.keys

    # The state tables' rows and the API calls come together, in one refresh: each is a new
    # entity, found by its id.
    keys = {}
    for index, row in enumerate(STATE):
        keys[row.name] = new_key(row.table, index)
        written = WRITTEN - timedelta(milliseconds=len(HOSTILE) + index + 1)
        params = {"written": written, "cost_id": None, "hostile_from": HOSTILE_FROM, "key": keys[row.name]}
        with hostage.conn.cursor() as cur:
            cur.execute(row.insert, params)
            assert cur.rowcount == 1, row.name
    refreshed = refresh(hostage.env)
    assert refreshed["level"] == "ok", refreshed
    reasons = {row.name: quarantined(hostage.conn, row.table, WRITTEN, keys[row.name]) for row in STATE}
    assert reasons == {row.name: [row.reason] for row in STATE}
    assert analytics_digests(hostage.conn) == hostage.marts
    assert published(hostage.redis, hostage.prefix) == hostage.keys

    # `check` shows the quarantine by source and reason.
    done = run_cli(["check", "--json"], hostage.env)
    items = json.loads(done.stdout)["items"]
    shown = {item["name"] for item in items if item["section"] == "quarantine"}
    for row in HOSTILE + STATE:
        assert f"{row.table}: {row.reason}" in shown, (row.name, shown)

    # The quarantined users' raw values keep no e-mail.
    with hostage.conn.cursor() as cur:
        cur.execute(
            "select count(*), count(*) filter (where raw_values ? 'email') from staging.stg_platform__users_quarantined"
        )
        assert cur.fetchone() == (3, 0)


def test_an_at_sign_and_rows_at_every_ceiling_pass_and_fit_every_mart(hostage: Hostage) -> None:
    """'Tech @ Home' is a channel's name, not an e-mail address: every key is still published. The
    largest values staging lets through reach the facts, and the marts and the warm hold them (which
    also shows the comparison of the test above can fail: these rows change the marts)."""
    with hostage.conn.cursor() as cur:
        cur.execute(
            """
            update raw.channels set channel_name = 'Tech @ Home', updated_at = %s
            where channel_id = (select channel_id from raw.channels where status = 'active'
                                order by channel_id limit 1)
            returning channel_id
            """,
            (WRITTEN,),
        )
        (channel_id,) = cur.fetchone()
    written = WRITTEN - timedelta(milliseconds=500)
    params = {"written": written, "cost_id": str(uuid.uuid4()), "hostile_from": HOSTILE_FROM}
    with hostage.conn.cursor() as cur:
        cur.execute(poll(views="10000000000", revenue="1000000000"), params)
        cur.execute(cost(total="1000000000", quantity="999999999999"), params)
        cur.execute(revenue(ad="1000000000", sponsorship="1000000000"), params)
    refreshed = refresh(hostage.env)
    assert refreshed["level"] == "ok", refreshed
    for table in QUARANTINE.keys() - NEW_ENTITY:
        assert quarantined(hostage.conn, table, written) == [], table
    assert analytics_digests(hostage.conn) != hostage.marts
    with hostage.conn.cursor() as cur:
        cur.execute("select max(views) from analytics.fact_video_performance")
        assert cur.fetchone()[0] == 10_000_000_000
    now = published(hostage.redis, hostage.prefix)
    assert set(now) == set(hostage.keys)
    assert now["dashboard:overview"] != hostage.keys["dashboard:overview"]
    channel = json.loads(hostage.redis.get(hostage.prefix + CHANNEL_KEY.format(channel_id=channel_id)))
    assert "Tech @ Home" in json.dumps(channel["data"], ensure_ascii=False)
