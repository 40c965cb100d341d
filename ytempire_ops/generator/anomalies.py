"""Bad raw rows on demand (`ytempire-ops generate --anomalies`): every class the warehouse must catch.

The anomalies are ADDED on top of a clean generation, never written over it: the same seed gives the
same clean rows, and the rows below come on top, at known counts per class (`inject` returns them).
Targets are picked from the clean rows only (snapshotted into temporary tables first), in an order
that is a hash of (seed, class, key), so the same seed injects the same rows whichever classes are
asked for.

Each class lands in one place of the warehouse's accounting (int_raw_rows_accounted and the
stg_<source>__<table>_quarantined relations; docs/data_quality.md):

- Quarantined (unusable, listed with a reason): polls for unknown videos, negative counters, polls
  from the future, null keys, costs for unknown videos, unknown status/category values.
- Superseded (a later delivery of the same key wins): duplicate polls, duplicate cost_ids, revenue
  restatements. The injected row is the EARLIER delivery (an identical poll or cost line delivered
  before the clean one; a preliminary revenue report before the clean one), so the clean row stays
  the winner and every relation built from staging is byte-identical to the clean build.
- Used (real data that needs handling, not bad data): late polls (a new poll between two clean
  polls, delivered an hour after the later one) and counter corrections (a new poll between two
  clean polls with views below the previous poll's). They carry information, so they change the
  numbers by design: a late poll splits a delta in two, a correction resets the views delta to 0
  and the next poll's delta counts from the corrected value. They are counted in
  int_raw_rows_accounted.late_arrival_rows / counter_correction_rows, and the equality proof
  compares the warehouse with all classes against the clean data plus these two classes
  (`USED_CLASSES`), see tests/python/test_quality.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg2 import sql

from ytempire_ops.errors import BadValue

from .entities import CHANNELS_COLUMNS, JOBS_COLUMNS, VIDEOS_COLUMNS
from .facts import COSTS_COLUMNS, METRICS_COLUMNS, REVENUE_COLUMNS

PER_CLASS = 3  # rows injected per class (fewer only when the clean data has too few candidates)


@dataclass(frozen=True)
class AnomalyClass:
    """Where the rows of one anomaly class land: (raw table, outcome, reason)."""

    table: str
    outcome: str  # 'quarantined', 'superseded' or 'used'
    reason: str  # the quarantine reason code, the superseding rule, or the used-row subset
    description: str


CLASSES: dict[str, AnomalyClass] = {
    "duplicate_poll": AnomalyClass(
        "video_metrics", "superseded", "duplicate_delivery",
        "a clean poll delivered twice with identical values (the copy earlier, so the clean row wins)",
    ),
    "late_poll": AnomalyClass(
        "video_metrics", "used", "late_arrival",
        "a new poll between two clean polls, ingested one hour after the later one",
    ),
    "counter_correction": AnomalyClass(
        "video_metrics", "used", "counter_correction",
        "a new poll between two clean polls whose views are below the previous poll's",
    ),
    "unknown_video_poll": AnomalyClass(
        "video_metrics", "quarantined", "unknown_video", "a poll of a video_id absent from raw.videos"
    ),
    "negative_counter_poll": AnomalyClass(
        "video_metrics", "quarantined", "negative_counter",
        "a re-delivery of a clean poll, later than it, with negative views",
    ),
    "future_poll": AnomalyClass(
        "video_metrics", "quarantined", "future_capture",
        "a poll captured 2 h or more after as_of (ingested before as_of)",
    ),
    "null_key_poll": AnomalyClass(
        "video_metrics", "quarantined", "null_key", "a poll with a null video_id or captured_at"
    ),
    "duplicate_cost": AnomalyClass(
        "video_costs", "superseded", "duplicate_delivery",
        "a clean cost line delivered twice (the copy earlier, so the clean row wins)",
    ),
    "unknown_video_cost": AnomalyClass(
        "video_costs", "quarantined", "unknown_video", "a cost line of a video_id absent from raw.videos"
    ),
    "null_key_cost": AnomalyClass("video_costs", "quarantined", "null_key", "a cost line with a null cost_id"),
    "unknown_category_cost": AnomalyClass(
        "video_costs", "quarantined", "unknown_value", "a cost line with cost_category 'marketing'"
    ),
    "revenue_restatement": AnomalyClass(
        "video_revenue", "superseded", "restatement",
        "a preliminary report of a clean (video, day), reported before the clean report that restates it",
    ),
    "null_key_revenue": AnomalyClass(
        "video_revenue", "quarantined", "null_key", "a revenue row with a null video_id or revenue_date"
    ),
    "unknown_status_video": AnomalyClass(
        "videos", "quarantined", "unknown_value", "a new video with status 'uploading'"
    ),
    "unknown_category_video": AnomalyClass(
        "videos", "quarantined", "unknown_value", "a new video with video_category 'podcast'"
    ),
    "unknown_status_channel": AnomalyClass(
        "channels", "quarantined", "unknown_value", "a new channel with status 'shadowbanned'"
    ),
    "unknown_status_job": AnomalyClass(
        "generation_jobs", "quarantined", "unknown_value", "a new generation job with status 'paused'"
    ),
}  # fmt: skip
# Real data that the warehouse uses (and that therefore changes its numbers).
USED_CLASSES = frozenset(name for name, c in CLASSES.items() if c.outcome == "used")

_METRIC_COUNTERS = (
    "views", "likes", "dislikes", "comments", "shares", "watch_time_minutes", "impressions",
    "subscribers_gained", "subscribers_lost", "estimated_revenue_cents",
)  # fmt: skip
_COLUMNS: dict[str, tuple[str, ...]] = {
    "video_metrics": METRICS_COLUMNS,
    "video_costs": COSTS_COLUMNS,
    "video_revenue": REVENUE_COLUMNS,
    "videos": VIDEOS_COLUMNS,
    "channels": CHANNELS_COLUMNS,
    "generation_jobs": JOBS_COLUMNS,
}


def inject(
    cur: Any,
    raw_schema: str,
    *,
    as_of: datetime,
    seed: int,
    classes: Iterable[str] | None = None,
    per_class: int = PER_CLASS,
) -> dict[str, int]:
    """Insert the anomaly rows of `classes` (default: all) into the raw tables; rows inserted per class.

    Call it inside the transaction that loaded the clean rows of a fresh generation ending at `as_of`.
    """
    chosen = list(CLASSES) if classes is None else list(dict.fromkeys(classes))
    unknown = sorted(set(chosen) - set(CLASSES))
    if unknown:
        raise BadValue(f"unknown anomaly classes: {', '.join(unknown)} (known: {', '.join(CLASSES)}).")
    params = {"seed": str(seed), "as_of": as_of, "n": per_class}
    _snapshot_clean_rows(cur, raw_schema, params)
    return {name: _inject_class(cur, raw_schema, params, name) for name in chosen}


def rows_per_table(injected: dict[str, int]) -> dict[str, int]:
    """Rows inserted per raw table, from `inject`'s per-class counts."""
    out: dict[str, int] = {}
    for name, rows in injected.items():
        table = CLASSES[name].table
        out[table] = out.get(table, 0) + rows
    return out


# ----------------------------------------------------------------------------- clean-row snapshots

_SNAPSHOTS = {
    # One row per poll key of a live, published video (its latest delivery, how many deliveries it
    # has), with the next poll's values and the earliest delivery among the video's later polls.
    "ytempire_anomaly_polls": """
        with keyed as (
            select distinct on (m.video_id, m.captured_at)
                m.*,
                count(*) over (partition by m.video_id, m.captured_at) as deliveries
            from {video_metrics} as m
            join {videos} as v on v.video_id = m.video_id
            where v.deleted_at is null and v.status = 'published'
            order by m.video_id, m.captured_at, m.ingested_at desc
        )
        select
            keyed.*,
            md5(%(seed)s || ':' || video_id || ':' || extract(epoch from captured_at)::text) as pick,
            lead(captured_at) over by_video as next_captured_at,
            lead(ingested_at) over by_video as next_ingested_at,
            lead(deliveries) over by_video as next_deliveries,
            min(ingested_at) over (by_video rows between 1 following and unbounded following)
                as later_first_ingested_at,
            {next_counters}
        from keyed
        window by_video as (partition by video_id order by captured_at)
    """,
    "ytempire_anomaly_costs": """
        select distinct on (cost_id)
            c.*,
            count(*) over (partition by cost_id) as deliveries,
            md5(%(seed)s || ':' || cost_id::text) as pick
        from {video_costs} as c
        where cost_id is not null
        order by cost_id, ingested_at desc
    """,
    "ytempire_anomaly_revenue": """
        select distinct on (video_id, revenue_date)
            r.*,
            count(*) over (partition by video_id, revenue_date) as reports,
            md5(%(seed)s || ':' || video_id || ':' || revenue_date::text) as pick
        from {video_revenue} as r
        order by video_id, revenue_date, reported_at desc
    """,
    "ytempire_anomaly_videos": "select v.*, md5(%(seed)s || ':' || video_id) as pick from {videos} as v",
    "ytempire_anomaly_channels": "select c.*, md5(%(seed)s || ':' || channel_id) as pick from {channels} as c",
    "ytempire_anomaly_jobs": "select j.*, md5(%(seed)s || ':' || job_id::text) as pick from {generation_jobs} as j",
}
# Pairs of consecutive clean polls (A, B) of one video, single deliveries, every counter non-decreasing,
# A delivered within 90 s and every later poll after A + 121 s, B delivered an hour before as_of at
# the latest: a poll at A + 2 min fits between them either on time (a correction) or an hour after B
# (a late poll) without changing which other polls are late or corrections. One pair per video; the
# first PER_CLASS videos (by hash) get a late poll, the next PER_CLASS a correction.
_PAIRS = """
    create temporary table ytempire_anomaly_pairs on commit drop as
    with eligible as (
        select
            *,
            row_number() over (partition by video_id order by md5(pick || ':pair')) as in_video
        from ytempire_anomaly_polls
        where
            deliveries = 1
            and next_deliveries = 1
            and next_captured_at >= captured_at + interval '4 minutes'
            and {non_decreasing}
            and views >= 1
            and ingested_at <= captured_at + interval '90 seconds'
            and later_first_ingested_at > captured_at + interval '121 seconds'
            and next_ingested_at <= %(as_of)s - interval '1 hour'
    ),
    ranked as (
        select *, row_number() over (order by md5(pick || ':video')) as video_rank
        from eligible
        where in_video = 1
    )
    select
        *,
        case when video_rank <= %(n)s then 'late_poll' else 'counter_correction' end as purpose
    from ranked
    where video_rank <= 2 * %(n)s
"""


def _table(schema: str, name: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))


def _tables(raw_schema: str) -> dict[str, sql.Composable]:
    names = ("video_metrics", "video_costs", "video_revenue", "videos", "channels", "generation_jobs")
    return {name: _table(raw_schema, name) for name in names}


def _snapshot_clean_rows(cur: Any, raw_schema: str, params: dict[str, Any]) -> None:
    """Temporary tables of the clean rows the classes pick from, taken before anything is inserted."""
    fill = _tables(raw_schema) | {
        "next_counters": sql.SQL(", ").join(
            sql.SQL("lead({c}) over by_video as {n}").format(
                c=sql.Identifier(c), n=sql.Identifier("next_" + c)
            )
            for c in _METRIC_COUNTERS
        ),
        "non_decreasing": sql.SQL(" and ").join(
            sql.SQL("{n} >= {c}").format(c=sql.Identifier(c), n=sql.Identifier("next_" + c))
            for c in _METRIC_COUNTERS
        ),
    }
    for name, query in _SNAPSHOTS.items():
        cur.execute(sql.SQL("drop table if exists {}").format(sql.Identifier(name)))
        cur.execute(
            sql.SQL("create temporary table {} on commit drop as ").format(sql.Identifier(name))
            + sql.SQL(query).format(**fill),
            params,
        )
    cur.execute("drop table if exists ytempire_anomaly_pairs")
    cur.execute(sql.SQL(_PAIRS).format(**fill), params)


# ----------------------------------------------------------------------------- the classes
# Each query selects the inserted table's columns in order, from the snapshots, ranked by a hash of
# (seed, key, class) and limited to %(n)s rows; k (1..n) numbers the rows for synthetic ids.

_METRIC_VALUES = """
    views, likes, dislikes, comments, shares, watch_time_minutes, average_view_duration_seconds,
    impressions, click_through_rate, subscribers_gained, subscribers_lost, estimated_revenue_cents
"""
_DUPLICATE_POLL = f"""
        select video_id, captured_at, {_METRIC_VALUES},
            captured_at + date_trunc('milliseconds', (ingested_at - captured_at) / 2)
        from ytempire_anomaly_polls
        where deliveries = 1 and ingested_at - captured_at >= interval '2 milliseconds'
        order by md5(pick || ':duplicate_poll') limit %(n)s
    """

_LATE_POLL = """
        select video_id, captured_at + interval '2 minutes',
            views + (next_views - views) / 2,
            likes + (next_likes - likes) / 2,
            dislikes + (next_dislikes - dislikes) / 2,
            comments + (next_comments - comments) / 2,
            shares + (next_shares - shares) / 2,
            round((watch_time_minutes + next_watch_time_minutes) / 2, 2),
            average_view_duration_seconds,
            impressions + (next_impressions - impressions) / 2,
            click_through_rate,
            subscribers_gained + (next_subscribers_gained - subscribers_gained) / 2,
            subscribers_lost + (next_subscribers_lost - subscribers_lost) / 2,
            round((estimated_revenue_cents + next_estimated_revenue_cents) / 2, 4),
            next_ingested_at + interval '1 hour'
        from ytempire_anomaly_pairs
        where purpose = 'late_poll'
        order by video_rank limit %(n)s
    """

_COUNTER_CORRECTION = """
        select video_id, captured_at + interval '2 minutes',
            views - greatest(1, views / 50),
            likes, dislikes, comments, shares, watch_time_minutes, average_view_duration_seconds,
            impressions, click_through_rate, subscribers_gained, subscribers_lost, estimated_revenue_cents,
            captured_at + interval '121 seconds'
        from ytempire_anomaly_pairs
        where purpose = 'counter_correction'
        order by video_rank limit %(n)s
    """

_UNKNOWN_VIDEO_POLL = f"""
        select 'vid_unknown_' || lpad(k::text, 2, '0'), captured_at, {_METRIC_VALUES}, ingested_at
        from (
            select *, row_number() over (order by md5(pick || ':unknown_video_poll')) as k
            from ytempire_anomaly_polls
        ) as picked
        where k <= %(n)s
    """

_NEGATIVE_COUNTER_POLL = """
        select video_id, captured_at, -greatest(views, 1),
            likes, dislikes, comments, shares, watch_time_minutes, average_view_duration_seconds,
            impressions, click_through_rate, subscribers_gained, subscribers_lost, estimated_revenue_cents,
            ingested_at + interval '30 seconds'
        from ytempire_anomaly_polls
        where deliveries = 1 and ingested_at + interval '30 seconds' <= %(as_of)s
        order by md5(pick || ':negative_counter_poll') limit %(n)s
    """

_FUTURE_POLL = f"""
        select video_id, %(as_of)s + interval '2 hours' + k * interval '1 minute', {_METRIC_VALUES},
            %(as_of)s - k * interval '1 minute'
        from (
            select *, row_number() over (order by md5(pick || ':future_poll')) as k
            from (
                select distinct on (video_id) *
                from ytempire_anomaly_polls
                order by video_id, captured_at desc
            ) as latest
        ) as picked
        where k <= %(n)s
    """

_NULL_KEY_POLL = f"""
        select
            case when mod(k, 2) = 0 then video_id end,
            case when mod(k, 2) = 1 then captured_at end,
            {_METRIC_VALUES}, ingested_at
        from (
            select *, row_number() over (order by md5(pick || ':null_key_poll')) as k
            from ytempire_anomaly_polls
        ) as picked
        where k <= %(n)s
    """

_DUPLICATE_COST = """
        select cost_id, video_id, channel_id, cost_category, cost_subcategory, quantity, unit,
            total_cost_cents, incurred_at,
            incurred_at + date_trunc('milliseconds', (ingested_at - incurred_at) / 2)
        from ytempire_anomaly_costs
        where deliveries = 1 and ingested_at - incurred_at >= interval '2 milliseconds'
        order by md5(pick || ':duplicate_cost') limit %(n)s
    """

_UNKNOWN_VIDEO_COST = """
        select md5(%(seed)s || ':unknown_video_cost:' || k)::uuid, 'vid_unknown_' || lpad(k::text, 2, '0'),
            channel_id, cost_category, cost_subcategory, quantity, unit, total_cost_cents, incurred_at,
            ingested_at
        from (
            select *, row_number() over (order by md5(pick || ':unknown_video_cost')) as k
            from ytempire_anomaly_costs
            where video_id is not null
        ) as picked
        where k <= %(n)s
    """

_NULL_KEY_COST = """
        select null::uuid, video_id, channel_id, cost_category, cost_subcategory, quantity, unit,
            total_cost_cents, incurred_at, ingested_at
        from ytempire_anomaly_costs
        order by md5(pick || ':null_key_cost') limit %(n)s
    """

_UNKNOWN_CATEGORY_COST = """
        select md5(%(seed)s || ':unknown_category_cost:' || k)::uuid, video_id, channel_id,
            'marketing', 'other', quantity, unit, total_cost_cents, incurred_at, ingested_at
        from (
            select *, row_number() over (order by md5(pick || ':unknown_category_cost')) as k
            from ytempire_anomaly_costs
            where video_id is not null
        ) as picked
        where k <= %(n)s
    """

_REVENUE_RESTATEMENT = """
        select video_id, channel_id, revenue_date, round(ad_revenue_cents * 0.9, 4) + 1,
            sponsorship_revenue_cents, affiliate_revenue_cents, membership_revenue_cents,
            super_chat_revenue_cents,
            (revenue_date + 1)::timestamp at time zone 'UTC' + interval '1 minute' + k * interval '1 second'
        from (
            select *, row_number() over (order by md5(pick || ':revenue_restatement')) as k
            from ytempire_anomaly_revenue
            where reports = 1 and reported_at > (revenue_date + 1)::timestamp at time zone 'UTC' + interval '5 minutes'
        ) as picked
        where k <= %(n)s
    """

_NULL_KEY_REVENUE = """
        select
            case when mod(k, 2) = 0 then video_id end, channel_id,
            case when mod(k, 2) = 1 then revenue_date end,
            ad_revenue_cents, sponsorship_revenue_cents, affiliate_revenue_cents,
            membership_revenue_cents, super_chat_revenue_cents, reported_at
        from (
            select *, row_number() over (order by md5(pick || ':null_key_revenue')) as k
            from ytempire_anomaly_revenue
        ) as picked
        where k <= %(n)s
    """

_VIDEO_COPY = """
    select 'vid_anomaly_{tag}' || lpad(k::text, 2, '0'), null, channel_id, title, description, tags,
        duration_seconds, {category}, generation_method, {status}, null,
        %(as_of)s - k * interval '1 hour', %(as_of)s - k * interval '1 hour', null
    from (
        select *, row_number() over (order by md5(pick || ':{name}')) as k
        from ytempire_anomaly_videos
    ) as picked
    where k <= %(n)s
"""
_UNKNOWN_STATUS_CHANNEL = """
    select 'UCanomaly' || lpad(k::text, 15, '0'), user_id, channel_name || ' (anomaly)', null, niche,
        sub_niche, monetization_status, 'shadowbanned', %(as_of)s - k * interval '1 hour',
        %(as_of)s - k * interval '1 hour'
    from (
        select *, row_number() over (order by md5(pick || ':unknown_status_channel')) as k
        from ytempire_anomaly_channels
    ) as picked
    where k <= %(n)s
    """
_UNKNOWN_STATUS_JOB = """
    select md5(%(seed)s || ':unknown_status_job:' || k)::uuid, video_id, channel_id, 'paused', queued_at,
        started_at, null, retry_count, null, %(as_of)s - k * interval '1 minute'
    from (
        select *, row_number() over (order by md5(pick || ':unknown_status_job')) as k
        from ytempire_anomaly_jobs
    ) as picked
    where k <= %(n)s
    """
_QUERIES: dict[str, tuple[str, str]] = {
    "duplicate_poll": ("video_metrics", _DUPLICATE_POLL),
    "late_poll": ("video_metrics", _LATE_POLL),
    "counter_correction": ("video_metrics", _COUNTER_CORRECTION),
    "unknown_video_poll": ("video_metrics", _UNKNOWN_VIDEO_POLL),
    "negative_counter_poll": ("video_metrics", _NEGATIVE_COUNTER_POLL),
    "future_poll": ("video_metrics", _FUTURE_POLL),
    "null_key_poll": ("video_metrics", _NULL_KEY_POLL),
    "duplicate_cost": ("video_costs", _DUPLICATE_COST),
    "unknown_video_cost": ("video_costs", _UNKNOWN_VIDEO_COST),
    "null_key_cost": ("video_costs", _NULL_KEY_COST),
    "unknown_category_cost": ("video_costs", _UNKNOWN_CATEGORY_COST),
    "revenue_restatement": ("video_revenue", _REVENUE_RESTATEMENT),
    "null_key_revenue": ("video_revenue", _NULL_KEY_REVENUE),
    "unknown_status_video": (
        "videos",
        _VIDEO_COPY.format(
            tag="s", category="video_category", status="'uploading'", name="unknown_status_video"
        ),
    ),
    "unknown_category_video": (
        "videos",
        _VIDEO_COPY.format(tag="c", category="'podcast'", status="'draft'", name="unknown_category_video"),
    ),
    "unknown_status_channel": ("channels", _UNKNOWN_STATUS_CHANNEL),
    "unknown_status_job": ("generation_jobs", _UNKNOWN_STATUS_JOB),
}
assert set(_QUERIES) == set(CLASSES)


def _inject_class(cur: Any, raw_schema: str, params: dict[str, Any], name: str) -> int:
    """insert into raw.<table> (its columns) <the class's query>; the rows inserted."""
    table, query = _QUERIES[name]
    cur.execute(
        sql.SQL("insert into {} ({}) ").format(
            _table(raw_schema, table), sql.SQL(", ").join(sql.Identifier(c) for c in _COLUMNS[table])
        )
        + sql.SQL(query),
        params,
    )
    return max(cur.rowcount, 0)
