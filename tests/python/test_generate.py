"""The synthetic raw-data generator (`ytempire_ops.generator.generate`) against a real database.

Every test gets a fresh empty database (the `pg_db` fixture) and generates a small history: 0.1 scale
is 5 users, 25 channels and ~30 videos a day. The as-of instant is fixed so windows are reproducible.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions
import pytest
from conftest import raw_columns_of
from psycopg2 import sql

from ytempire_ops.errors import UserError
from ytempire_ops.generator import META_SCHEMA, RAW_TABLES, GenerateResult, generate

AS_OF = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
# The project's documented raw contract (generated from ytempire_ops/sql/raw_schema.sql).
CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "contract" / "raw_tables.md"

# The raw contract (docs/contract/raw_tables.md), column by column.
EXPECTED_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "users": [
        ("user_id", "uuid"),
        ("email", "text"),
        ("subscription_tier", "text"),
        ("target_monthly_revenue_usd", "numeric(12,2)"),
        ("is_active", "boolean"),
        ("created_at", "timestamptz"),
        ("updated_at", "timestamptz"),
    ],
    "channels": [
        ("channel_id", "varchar(50)"),
        ("user_id", "uuid"),
        ("channel_name", "text"),
        ("channel_handle", "text"),
        ("niche", "text"),
        ("sub_niche", "text"),
        ("monetization_status", "text"),
        ("status", "text"),
        ("created_at", "timestamptz"),
        ("updated_at", "timestamptz"),
    ],
    "videos": [
        ("video_id", "varchar(50)"),
        ("youtube_video_id", "varchar(20)"),
        ("channel_id", "varchar(50)"),
        ("title", "text"),
        ("description", "text"),
        ("tags", "text[]"),
        ("duration_seconds", "integer"),
        ("video_category", "text"),
        ("generation_method", "text"),
        ("status", "text"),
        ("published_at", "timestamptz"),
        ("created_at", "timestamptz"),
        ("updated_at", "timestamptz"),
        ("deleted_at", "timestamptz"),
    ],
    "video_metrics": [
        ("video_id", "varchar(50)"),
        ("captured_at", "timestamptz"),
        ("views", "bigint"),
        ("likes", "bigint"),
        ("dislikes", "bigint"),
        ("comments", "bigint"),
        ("shares", "bigint"),
        ("watch_time_minutes", "numeric(14,2)"),
        ("average_view_duration_seconds", "numeric(10,2)"),
        ("impressions", "bigint"),
        ("click_through_rate", "numeric(6,4)"),
        ("subscribers_gained", "bigint"),
        ("subscribers_lost", "bigint"),
        ("estimated_revenue_cents", "numeric(14,4)"),
        ("ingested_at", "timestamptz"),
    ],
    "video_costs": [
        ("cost_id", "uuid"),
        ("video_id", "varchar(50)"),
        ("channel_id", "varchar(50)"),
        ("cost_category", "text"),
        ("cost_subcategory", "text"),
        ("quantity", "numeric(16,4)"),
        ("unit", "text"),
        ("total_cost_cents", "numeric(14,4)"),
        ("incurred_at", "timestamptz"),
        ("ingested_at", "timestamptz"),
    ],
    "video_revenue": [
        ("video_id", "varchar(50)"),
        ("channel_id", "varchar(50)"),
        ("revenue_date", "date"),
        ("ad_revenue_cents", "numeric(14,4)"),
        ("sponsorship_revenue_cents", "numeric(14,4)"),
        ("affiliate_revenue_cents", "numeric(14,4)"),
        ("membership_revenue_cents", "numeric(14,4)"),
        ("super_chat_revenue_cents", "numeric(14,4)"),
        ("reported_at", "timestamptz"),
    ],
    "generation_jobs": [
        ("job_id", "uuid"),
        ("video_id", "varchar(50)"),
        ("channel_id", "varchar(50)"),
        ("status", "text"),
        ("queued_at", "timestamptz"),
        ("started_at", "timestamptz"),
        ("completed_at", "timestamptz"),
        ("retry_count", "integer"),
        ("error_message", "text"),
        ("updated_at", "timestamptz"),
    ],
    "api_quota_usage": [
        ("call_id", "uuid"),
        ("api_account", "text"),
        ("api_name", "text"),
        ("endpoint", "text"),
        ("quota_units", "integer"),
        ("status_code", "integer"),
        ("called_at", "timestamptz"),
    ],
}
# The instant that decides whether a row had been written by as_of.
WRITTEN_AT = {
    "users": "updated_at",
    "channels": "updated_at",
    "videos": "updated_at",
    "video_metrics": "ingested_at",
    "video_costs": "ingested_at",
    "video_revenue": "reported_at",
    "generation_jobs": "updated_at",
    "api_quota_usage": "called_at",
}


@pytest.fixture
def conn(pg_db: dict[str, object]) -> Iterator[psycopg2.extensions.connection]:
    connection = psycopg2.connect(**pg_db)
    try:
        yield connection
    finally:
        connection.close()


def query(conn: psycopg2.extensions.connection, statement: str | sql.Composable, *args: Any) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(statement, args or None)
        rows = cur.fetchall()
    conn.rollback()
    return rows


def scalar(conn: psycopg2.extensions.connection, statement: str | sql.Composable, *args: Any) -> Any:
    return query(conn, statement, *args)[0][0]


def raw(table: str, schema: str = "raw") -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))


def checksums(conn: psycopg2.extensions.connection, schema: str = "raw") -> dict[str, tuple[int, str]]:
    """Row count and md5 of every raw table's rows in a canonical order."""
    out = {}
    for table in RAW_TABLES:
        out[table] = query(
            conn,
            sql.SQL("select count(*), md5(string_agg(t::text, '|' order by t::text)) from {} t").format(
                raw(table, schema)
            ),
        )[0]
    return out


def written_counts(conn: psycopg2.extensions.connection) -> dict[str, int]:
    return {t: scalar(conn, sql.SQL("select count(*) from {}").format(raw(t))) for t in RAW_TABLES}


# ----------------------------------------------------------------------------- schema


def test_expected_columns_match_the_contract_file() -> None:
    """The columns the generated database must have are the ones the project documents (never skipped)."""
    assert raw_columns_of(CONTRACT.read_text()) == EXPECTED_COLUMNS


def test_creates_exactly_the_contract_tables(conn: psycopg2.extensions.connection) -> None:
    result = generate(conn, scale=0.05, days=1, seed=3, as_of=AS_OF)
    assert isinstance(result, GenerateResult)
    tables = query(
        conn,
        "select table_name from information_schema.tables where table_schema = 'raw' order by table_name",
    )
    assert sorted(t for (t,) in tables) == sorted(RAW_TABLES)
    columns = query(
        conn,
        """
        select table_name, column_name,
            case
                when data_type = 'character varying' then 'varchar(' || character_maximum_length || ')'
                when data_type = 'numeric' then 'numeric(' || numeric_precision || ',' || numeric_scale || ')'
                when data_type = 'timestamp with time zone' then 'timestamptz'
                when data_type = 'ARRAY' then ltrim(udt_name, '_') || '[]'
                else data_type
            end
        from information_schema.columns
        where table_schema = 'raw'
        order by table_name, ordinal_position
        """,
    )
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, type_ in columns:
        found.setdefault(table, []).append((column, type_))
    assert found == EXPECTED_COLUMNS
    # The generator's own state lives outside the raw schema.
    state_table = raw("generator_state", META_SCHEMA)
    state = query(conn, sql.SQL("select raw_schema, seed, scale, last_instant from {}").format(state_table))
    assert state == [("raw", 3, 0.05, AS_OF)]


# ----------------------------------------------------------------------------- determinism


def test_same_arguments_give_identical_rows(conn: psycopg2.extensions.connection) -> None:
    first = generate(conn, scale=0.1, days=3, seed=11, as_of=AS_OF, raw_schema="raw")
    generate(conn, scale=0.1, days=3, seed=11, as_of=AS_OF, raw_schema="raw_copy")
    a, b = checksums(conn, "raw"), checksums(conn, "raw_copy")
    assert a == b
    assert all(count > 0 for count, _ in a.values())
    assert {t: count for t, (count, _) in a.items()} == first.rows
    # Regenerating into the same schema replaces its rows with the same rows.
    generate(conn, scale=0.1, days=3, seed=11, as_of=AS_OF, raw_schema="raw")
    assert checksums(conn, "raw") == a
    # Another seed gives other data.
    generate(conn, scale=0.1, days=3, seed=12, as_of=AS_OF, raw_schema="raw_other")
    other = checksums(conn, "raw_other")
    assert other["video_metrics"] != a["video_metrics"]
    assert other["users"] != a["users"]


# ----------------------------------------------------------------------------- volumes and realism


def test_volumes_at_a_small_scale(conn: psycopg2.extensions.connection) -> None:
    lines: list[str] = []
    result = generate(conn, scale=0.1, days=3, seed=5, as_of=AS_OF, progress=lines.append)
    assert any(line.startswith("video_metrics: ") for line in lines)
    assert result.window_end == AS_OF and result.history_start == AS_OF - timedelta(days=3)
    assert result.rows == written_counts(conn)
    assert result.rows_per_second > 0 and result.seconds > 0
    assert scalar(conn, "select count(*) from raw.users") == 5
    assert scalar(conn, "select count(*) from raw.channels") == 25
    per_user = query(
        conn,
        "select u.user_id, count(c.channel_id) from raw.users u"
        " left join raw.channels c using (user_id) group by 1",
    )
    assert all(1 <= n <= 5 for _, n in per_user)
    videos = scalar(conn, "select count(*) from raw.videos")
    assert 60 <= videos <= 120  # ~30 a day for 3 days
    assert scalar(conn, "select count(*) from raw.generation_jobs") == videos
    assert (
        scalar(
            conn, "select count(*) from raw.generation_jobs j join raw.videos v using (video_id, channel_id)"
        )
        == videos
    )
    # Every published video is polled; every metric row belongs to a video.
    assert (
        scalar(
            conn,
            "select count(*) from raw.video_metrics m"
            " left join raw.videos v using (video_id) where v.video_id is null",
        )
        == 0
    )
    assert scalar(conn, """
        select count(*) from raw.videos v
        where status = 'published' and published_at < %s - interval '1 hour'
          and not exists (select 1 from raw.video_metrics m where m.video_id = v.video_id)
    """, AS_OF) == 0  # fmt: skip
    assert scalar(conn, "select count(distinct api_account) from raw.api_quota_usage") == 15


def test_cost_per_video_distribution(conn: psycopg2.extensions.connection) -> None:
    generate(conn, scale=0.4, days=4, seed=8, as_of=AS_OF)
    totals = query(conn, """
        select sum(total_cost_cents)
        from (select distinct on (cost_id) * from raw.video_costs order by cost_id, ingested_at desc) c
        join raw.generation_jobs j using (video_id)
        where j.status = 'completed' and c.video_id is not null
        group by c.video_id
    """)  # fmt: skip
    cents = [float(t) for (t,) in totals]
    assert len(cents) >= 300
    over = sum(c > 300 for c in cents) / len(cents)
    in_band = sum(50 <= c <= 280 for c in cents) / len(cents)
    assert 0.002 <= over <= 0.05, over
    assert in_band >= 0.85, in_band
    assert (
        scalar(conn, "select count(*) from raw.video_costs where video_id is null and channel_id is not null")
        > 0
    )
    assert scalar(conn, "select count(*) - count(distinct cost_id) from raw.video_costs") >= 0
    assert scalar(conn, "select min(ingested_at - incurred_at) >= interval '0' from raw.video_costs")
    assert scalar(
        conn, "select bool_and(scale(total_cost_cents) = 4 and total_cost_cents >= 0) from raw.video_costs"
    )
    # Fractional cents survive (a 0.03-cent call is not rounded to 0).
    assert (
        scalar(conn, "select count(*) from raw.video_costs where total_cost_cents <> round(total_cost_cents)")
        > 0
    )


def test_values_follow_the_contract(conn: psycopg2.extensions.connection) -> None:
    generate(conn, scale=0.1, days=3, seed=9, as_of=AS_OF)
    enums = {
        ("users", "subscription_tier"): {"starter", "growth", "pro", "enterprise"},
        ("channels", "niche"): {"tech", "education", "entertainment", "lifestyle", "gaming", "other"},
        ("channels", "monetization_status"): {"monetized", "pending", "not_eligible", "demonetized"},
        ("channels", "status"): {"active", "paused", "suspended", "archived"},
        ("videos", "video_category"): {"educational", "entertainment", "news", "other"},
        ("videos", "generation_method"): {"ai_generated", "hybrid", "manual"},
        ("videos", "status"): {
            "draft",
            "generating",
            "processing",
            "scheduled",
            "published",
            "failed",
            "archived",
        },
        ("video_costs", "cost_category"): {"ai", "api", "compute", "storage", "bandwidth"},
        ("video_costs", "cost_subcategory"): {
            "openai",
            "elevenlabs",
            "stability_ai",
            "pexels",
            "youtube_api",
            "cpu",
            "gpu",
            "storage",
            "bandwidth",
            "other",
        },
        ("video_costs", "unit"): {
            "1k_tokens",
            "characters",
            "images",
            "cpu_seconds",
            "gpu_seconds",
            "gb",
            "requests",
        },
        ("generation_jobs", "status"): {"queued", "processing", "completed", "failed", "cancelled"},
        ("api_quota_usage", "api_name"): {"youtube_data_v3", "youtube_analytics_v2"},
    }
    for (table, column), allowed in enums.items():
        values = {
            v
            for (v,) in query(
                conn, sql.SQL("select distinct {} from {}").format(sql.Identifier(column), raw(table))
            )
        }
        assert values <= allowed, (table, column, values - allowed)
    assert scalar(conn, "select bool_and(email ~ '^user[0-9]{4}@example\\.com$') from raw.users")
    assert scalar(conn, "select count(*) from raw.users where target_monthly_revenue_usd = 10000.00") >= 3
    assert scalar(conn, "select bool_and(video_id ~ '^vid_[0-9]{8}$') from raw.videos")
    # Published (or archived after publishing) videos have an 11-character YouTube id, published_at <= as_of.
    assert scalar(conn, """
        select bool_and(case when status in ('published', 'archived')
            then length(youtube_video_id) = 11 and published_at <= %s
            else youtube_video_id is null and published_at is null end)
        from raw.videos
    """, AS_OF)  # fmt: skip
    assert scalar(conn, "select bool_and((deleted_at is not null) = (status = 'archived')) from raw.videos")
    durations = {n for (n,) in query(conn, """
        select case when duration_seconds < 60 then 'shorts' when duration_seconds < 600 then 'standard'
            else 'long_form' end from raw.videos
    """)}  # fmt: skip
    assert durations == {"shorts", "standard", "long_form"}
    assert (
        scalar(conn, "select count(*) from raw.videos where tags is not null and cardinality(tags) > 0") > 0
    )
    assert scalar(conn, """
        select bool_and(click_through_rate between 0 and 1 and views >= 0 and likes >= 0
            and average_view_duration_seconds >= 0 and impressions >= views)
        from raw.video_metrics
    """)  # fmt: skip
    # Jobs: queued <= started <= completed, error messages only on failures.
    assert scalar(conn, """
        select bool_and(started_at is null or started_at >= queued_at)
           and bool_and(completed_at is null or completed_at >= started_at)
           and bool_and((error_message is not null) = (status = 'failed'))
           and bool_and((started_at is null) = (status in ('queued', 'cancelled')))
        from raw.generation_jobs
    """)  # fmt: skip
    endpoints = dict(
        query(
            conn,
            "select endpoint, min(quota_units) from raw.api_quota_usage where status_code < 400 group by 1",
        )
    )
    assert endpoints["videos.list"] == 1 and endpoints["search.list"] == 100
    assert endpoints.get("videos.insert", 1600) == 1600
    assert scalar(conn, "select bool_and(api_account ~ '^yt-acct-(0[1-9]|1[0-5])$') from raw.api_quota_usage")


def test_nothing_is_later_than_as_of(conn: psycopg2.extensions.connection) -> None:
    generate(conn, scale=0.1, days=3, seed=4, as_of=AS_OF)
    for table, columns in EXPECTED_COLUMNS.items():
        for column, type_ in columns:
            if type_ == "timestamptz":
                latest = scalar(
                    conn, sql.SQL("select max({}) from {}").format(sql.Identifier(column), raw(table))
                )
                assert latest is None or latest <= AS_OF, (table, column, latest)
    assert scalar(conn, "select max(revenue_date) from raw.video_revenue") < AS_OF.date()
    # Data arrives continuously: the newest poll is minutes old, the newest revenue report hours old.
    assert AS_OF - scalar(conn, "select max(captured_at) from raw.video_metrics") < timedelta(minutes=15)
    assert AS_OF - scalar(conn, "select max(reported_at) from raw.video_revenue") < timedelta(hours=6)


def test_poll_cadence_duplicates_and_corrections(conn: psycopg2.extensions.connection) -> None:
    generate(conn, scale=0.1, days=10, seed=6, as_of=AS_OF)
    # Gaps between consecutive polls of a video, by cadence phase (pairs straddling a phase change left out).
    gaps = {phase: (low, high) for phase, low, high in query(conn, """
        with polls as (
            select distinct m.video_id, m.captured_at, m.captured_at - v.published_at as age
            from raw.video_metrics m join raw.videos v using (video_id)
            where v.published_at < %s - interval '9 days'
        ),
        stepped as (
            select age,
                lag(age) over w as previous_age,
                captured_at - lag(captured_at) over w as gap
            from polls
            window w as (partition by video_id order by captured_at)
        ),
        phased as (
            select gap,
                case
                    when age < interval '47 hours 59 minutes' then 'fast'
                    when previous_age >= interval '48 hours 1 minute'
                        and age < interval '6 days 23 hours 59 minutes'
                        then 'hourly'
                    when previous_age >= interval '7 days 1 minute' then 'daily'
                end as phase
            from stepped
            where gap is not null
        )
        select phase, min(gap), max(gap) from phased where phase is not null group by phase
    """, AS_OF)}  # fmt: skip
    assert set(gaps) == {"fast", "hourly", "daily"}
    assert timedelta(minutes=4, seconds=40) <= gaps["fast"][0] and gaps["fast"][1] <= timedelta(
        minutes=5, seconds=20
    )
    assert timedelta(minutes=59, seconds=40) <= gaps["hourly"][0] and gaps["hourly"][1] <= timedelta(
        minutes=60, seconds=20
    )
    assert timedelta(hours=23, minutes=59) <= gaps["daily"][0] and gaps["daily"][1] <= timedelta(
        hours=24, minutes=1
    )
    # ~576 polls in the first 48 hours of a video (fewer only if it was deleted).
    first_two_days = query(conn, """
        select count(distinct m.captured_at) from raw.video_metrics m join raw.videos v using (video_id)
        where v.published_at < %s - interval '3 days' and v.deleted_at is null
          and m.captured_at < v.published_at + interval '48 hours'
        group by m.video_id
    """, AS_OF)  # fmt: skip
    assert first_two_days and all(575 <= n <= 577 for (n,) in first_two_days)
    # Duplicate deliveries: same key, later ingested_at, at most twice; a small fraction.
    total, duplicated, bad = query(conn, """
        select (select count(*) from raw.video_metrics), count(*),
            count(*) filter (where n <> 2 or first_in = last_in)
        from (select count(*) n, min(ingested_at) first_in, max(ingested_at) last_in
              from raw.video_metrics group by video_id, captured_at having count(*) > 1) d
    """)[0]  # fmt: skip
    assert bad == 0 and 0.0005 < duplicated / total < 0.01
    # Late arrivals (hours after capture) exist but are rare; most rows land within minutes.
    late, quick = query(conn, """
        select avg((ingested_at - captured_at > interval '1 hour')::int),
            avg((ingested_at - captured_at < interval '5 minutes')::int)
        from raw.video_metrics
    """)[0]  # fmt: skip
    assert 0 < late < 0.02 and quick > 0.97
    # YouTube corrections: a counter below the previous poll's (first deliveries only).
    corrections = scalar(conn, """
        with first_delivery as (
            select distinct on (video_id, captured_at) video_id, captured_at, views
            from raw.video_metrics order by video_id, captured_at, ingested_at
        )
        select count(*) from (
            select views < lag(views) over (partition by video_id order by captured_at) as dropped
            from first_delivery
        ) d where dropped
    """)  # fmt: skip
    assert 0 < corrections < total * 0.001


def test_ad_revenue_reconciles_with_the_polled_curve(conn: psycopg2.extensions.connection) -> None:
    generate(conn, scale=0.1, days=6, seed=10, as_of=AS_OF)
    pairs, within_2, within_1, restated = query(conn, """
        with last_poll as (
            select video_id, captured_at::date as day, max(estimated_revenue_cents) as revenue
            from raw.video_metrics group by 1, 2
        ),
        daily as (
            select video_id, day,
                revenue - coalesce(lag(revenue) over (partition by video_id order by day), 0) as gained
            from last_poll
        ),
        latest as (
            select distinct on (video_id, revenue_date) video_id, revenue_date as day, ad_revenue_cents
            from raw.video_revenue order by video_id, revenue_date, reported_at desc
        )
        select count(*),
            avg((abs(ad_revenue_cents - gained) <= 0.02 * gained + 0.01)::int),
            avg((abs(ad_revenue_cents - gained) <= 0.01 * gained + 0.01)::int),
            (select count(*) - count(distinct (video_id, revenue_date)) from raw.video_revenue)
        from latest join daily using (video_id, day)
        where gained > 0
    """)[0]  # fmt: skip
    assert pairs > 100
    assert within_2 == 1 and within_1 == 1
    assert restated > 0
    # Ad revenue per 1,000 views gained (RPM) is in the documents' $1-$8 band for monetized videos.
    rpm = query(conn, """
        with last_poll as (
            select video_id, captured_at::date as day, max(views) as views
            from raw.video_metrics group by 1, 2
        ),
        gained as (
            select video_id, day,
                views - coalesce(lag(views) over (partition by video_id order by day), 0) as views
            from last_poll
        ),
        latest as (
            select distinct on (video_id, revenue_date) video_id, revenue_date as day, ad_revenue_cents
            from raw.video_revenue order by video_id, revenue_date, reported_at desc
        )
        select sum(ad_revenue_cents) / 100 / (sum(views) / 1000.0)
        from latest join gained using (video_id, day)
        where ad_revenue_cents > 0
        group by video_id
        having sum(views) > 2000
    """)  # fmt: skip
    assert rpm and all(0.95 <= float(r) <= 8.5 for (r,) in rpm)


# ----------------------------------------------------------------------------- append


def test_append_adds_only_rows_ingested_in_the_window(conn: psycopg2.extensions.connection) -> None:
    generate(conn, scale=0.1, days=3, seed=2, as_of=AS_OF)
    before = checksums(conn)
    result = generate(conn, append_minutes=30)
    end = AS_OF + timedelta(minutes=30)
    assert (result.mode, result.window_start, result.window_end) == ("append", AS_OF, end)
    assert result.rows["video_metrics"] > 0 and result.rows["api_quota_usage"] > 0
    for table in ("video_metrics", "video_costs", "video_revenue", "api_quota_usage"):
        column = sql.Identifier(WRITTEN_AT[table])
        old = scalar(
            conn, sql.SQL("select count(*) from {} where {} <= %s").format(raw(table), column), AS_OF
        )
        new = scalar(
            conn,
            sql.SQL("select count(*) from {} where {} > %s and {} <= %s").format(raw(table), column, column),
            AS_OF,
            end,
        )
        assert old == before[table][0], table
        assert new == result.rows[table], table
        assert (
            scalar(conn, sql.SQL("select count(*) from {} where {} > %s").format(raw(table), column), end)
            == 0
        )
    # Late arrivals: some rows of the window were captured before it started.
    assert (
        scalar(
            conn,
            "select count(*) from raw.video_metrics where ingested_at > %s and captured_at <= %s",
            AS_OF,
            AS_OF,
        )
        > 0
    )
    # State tables: the upserted rows are the ones that changed in the window.
    changed = scalar(conn, "select count(*) from raw.videos where updated_at > %s", AS_OF)
    assert changed == result.rows["videos"]
    assert (
        scalar(conn, "select count(*) from raw.generation_jobs where updated_at > %s", AS_OF)
        == result.rows["generation_jobs"]
    )
    # No duplicate natural keys beyond the intended duplicate deliveries.
    assert scalar(conn, """
        select count(*) from (select 1 from raw.video_metrics group by video_id, captured_at
            having count(*) > 2 or count(distinct ingested_at) < count(*)) d
    """) == 0  # fmt: skip
    assert (
        scalar(
            conn,
            "select count(*) from (select 1 from raw.video_costs group by cost_id"
            " having count(*) > 2 or count(distinct ingested_at) < count(*)) d",
        )
        == 0
    )
    assert (
        scalar(
            conn,
            "select count(*) from (select 1 from raw.video_revenue group by video_id, revenue_date"
            " having count(*) > 2 or count(distinct reported_at) < count(*)) d",
        )
        == 0
    )
    assert (
        scalar(conn, "select last_instant from ytempire_meta.generator_state where raw_schema = 'raw'") == end
    )


def test_generate_then_append_equals_one_longer_generation(conn: psycopg2.extensions.connection) -> None:
    generate(conn, scale=0.1, days=2, seed=7, as_of=AS_OF, raw_schema="raw")
    for minutes in (1, 59, 300, 1080):  # one day in uneven steps
        generate(conn, append_minutes=minutes, raw_schema="raw")
    generate(conn, scale=0.1, days=3, seed=7, as_of=AS_OF + timedelta(days=1), raw_schema="raw_once")
    assert checksums(conn, "raw") == checksums(conn, "raw_once")


def test_append_reads_seed_and_scale_from_the_state(conn: psycopg2.extensions.connection) -> None:
    generate(conn, scale=0.05, days=1, seed=13, as_of=AS_OF)
    result = generate(conn, append_minutes=5, scale=0.05)
    assert (result.seed, result.scale) == (13, 0.05)
    with pytest.raises(UserError, match=re.escape("seed 13 and scale 0.05")):
        generate(conn, append_minutes=5, scale=1.0)


def test_works_on_an_autocommit_connection(conn: psycopg2.extensions.connection) -> None:
    conn.autocommit = True
    generate(conn, scale=0.05, days=1, seed=1, as_of=AS_OF)
    assert conn.autocommit is True
    assert scalar(conn, "select count(*) from raw.users") == 2


# ----------------------------------------------------------------------------- user errors


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": 0}, "scale must be"),
        ({"scale": -1.0}, "scale must be"),
        ({"scale": math.nan}, "scale must be"),
        ({"days": 0}, "days must be"),
        ({"seed": -1}, "seed must be"),
        ({"as_of": datetime(2026, 11, 20, 12, 0)}, "time zone"),
        ({"append_minutes": 0}, "append_minutes must be"),
        ({"append_minutes": 5, "as_of": AS_OF}, "cannot be combined"),
        ({"raw_schema": META_SCHEMA}, "raw_schema cannot be"),
    ],
)
def test_bad_arguments_raise_user_error(
    conn: psycopg2.extensions.connection, kwargs: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {"scale": 0.05, "days": 1, "as_of": AS_OF} | kwargs
    if "append_minutes" in kwargs and "as_of" not in kwargs:
        arguments.pop("as_of")
    with pytest.raises(UserError, match=message):
        generate(conn, **arguments)
    assert scalar(conn, "select to_regclass('raw.users') is null")  # nothing was created


def test_append_without_a_prior_generation_is_refused(conn: psycopg2.extensions.connection) -> None:
    with pytest.raises(UserError, match="nothing to append to"):
        generate(conn, append_minutes=5)


def test_occupied_raw_schema_is_refused(conn: psycopg2.extensions.connection) -> None:
    generate(conn, scale=0.05, days=1, seed=1, as_of=AS_OF)
    before = checksums(conn)
    with pytest.raises(UserError, match=re.escape("seed 1 and scale 0.05")):
        generate(conn, scale=0.05, days=1, seed=2, as_of=AS_OF)
    with pytest.raises(UserError, match=re.escape("seed 1 and scale 0.05")):
        generate(conn, scale=0.1, days=1, seed=1, as_of=AS_OF)
    assert checksums(conn) == before
    # Rows the generator did not write are never replaced.
    with conn.cursor() as cur:
        cur.execute("create schema elsewhere")
        cur.execute(
            "create table elsewhere.users (user_id uuid primary key, email text, subscription_tier text,"
            " target_monthly_revenue_usd numeric(12, 2), is_active boolean, created_at timestamptz,"
            " updated_at timestamptz)"
        )
        cur.execute(
            "insert into elsewhere.users (user_id, email) values (gen_random_uuid(), 'someone@example.com')"
        )
    conn.commit()
    with pytest.raises(UserError, match="did not write"):
        generate(conn, scale=0.05, days=1, seed=1, as_of=AS_OF, raw_schema="elsewhere")
    assert scalar(conn, "select count(*) from elsewhere.users") == 1
