"""Rows of the state tables (users, channels, videos, generation_jobs) as they stood at an instant.

A fresh generation writes every row that existed at `hi`; an append writes (upserts) only the rows
that changed in (lo, hi], each with its state at `hi`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from . import rand
from .clock import NEVER, iso
from .world import (
    CANCELLED,
    CATEGORIES,
    CHANNEL_STATUS,
    FAILED,
    JOB_ERRORS,
    METHODS,
    MONETIZATION,
    NICHES,
    OK,
    S_JOB_ID,
    S_YOUTUBE_ID,
    TIERS,
    Videos,
    World,
    video_ids,
)

Row = Sequence[str | int | None]

USERS_COLUMNS = (
    "user_id", "email", "subscription_tier", "target_monthly_revenue_usd", "is_active", "created_at",
    "updated_at",
)  # fmt: skip
CHANNELS_COLUMNS = (
    "channel_id", "user_id", "channel_name", "channel_handle", "niche", "sub_niche", "monetization_status",
    "status", "created_at", "updated_at",
)  # fmt: skip
VIDEOS_COLUMNS = (
    "video_id", "youtube_video_id", "channel_id", "title", "description", "tags", "duration_seconds",
    "video_category", "generation_method", "status", "published_at", "created_at", "updated_at", "deleted_at",
)  # fmt: skip
JOBS_COLUMNS = (
    "job_id", "video_id", "channel_id", "status", "queued_at", "started_at", "completed_at", "retry_count",
    "error_message", "updated_at",
)  # fmt: skip


def _in(t: NDArray[np.int64], lo: int, hi: int) -> NDArray[np.bool_]:
    return (t > lo) & (t <= hi)


def _uuid_text(raw: NDArray[np.void]) -> list[str]:
    return [str(uuid.UUID(bytes=bytes(b))) for b in raw]


def _text(values: NDArray[np.bytes_]) -> list[str]:
    return [b.decode() for b in values.tolist()]


def _iso_or_null(us: NDArray[np.int64], present: NDArray[np.bool_]) -> list[str | None]:
    text = iso(np.where(present, us, 0)).tolist()
    return [t if p else None for t, p in zip(text, present.tolist(), strict=True)]


def _array_literal(items: list[str] | None) -> str | None:
    if items is None:
        return None
    quoted = ['"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"' for item in items]
    return "{" + ",".join(quoted) + "}"


def user_rows(world: World, lo: int, hi: int, fresh: bool) -> list[Row]:
    u = world.users
    changed = u.changed <= hi
    chosen = np.arange(u.created.shape[0]) if fresh else np.flatnonzero(_in(u.changed, lo, hi))
    ids = _uuid_text(u.ids[chosen])
    created = iso(u.created[chosen]).tolist()
    updated = iso(np.where(changed, u.changed, u.created)[chosen]).tolist()
    rows: list[Row] = []
    for row, i in enumerate(chosen.tolist()):
        tier = u.tier1[i] if changed[i] else u.tier0[i]
        target = int(u.target1[i] if changed[i] else u.target0[i])
        active = bool(u.active1[i] if changed[i] else u.active0[i])
        rows.append(
            (
                ids[row],
                f"user{i + 1:04d}@example.com",
                TIERS[tier],
                f"{target // 100}.{target % 100:02d}",
                "t" if active else "f",
                created[row],
                updated[row],
            )
        )
    return rows


def channel_rows(world: World, lo: int, hi: int, fresh: bool) -> list[Row]:
    c = world.channels
    changed = c.changed <= hi
    chosen = np.arange(c.created.shape[0]) if fresh else np.flatnonzero(_in(c.changed, lo, hi))
    ids = _text(c.ids[chosen])
    owners = _uuid_text(world.users.ids[c.owner[chosen]])
    created = iso(c.created[chosen]).tolist()
    updated = iso(np.where(changed, c.changed, c.created)[chosen]).tolist()
    rows: list[Row] = []
    for row, i in enumerate(chosen.tolist()):
        now = bool(changed[i])
        rows.append(
            (
                ids[row],
                owners[row],
                c.name1[i] if now else c.name0[i],
                c.handle[i],
                NICHES[c.niche[i]],
                c.sub1[i] if now else c.sub0[i],
                MONETIZATION[c.monet1[i] if now else c.monet0[i]],
                CHANNEL_STATUS[c.status1[i] if now else c.status0[i]],
                created[row],
                updated[row],
            )
        )
    return rows


def _last_event(events: list[NDArray[np.int64]], hi: int) -> NDArray[np.int64]:
    """The latest of each row's events that happened by `hi`."""
    stacked = np.stack(events, axis=1)
    return np.where(stacked <= hi, stacked, np.iinfo(np.int64).min).max(axis=1)


def video_events(v: Videos) -> list[NDArray[np.int64]]:
    """Instants at which a video's row changes."""
    done = np.where(v.outcome == CANCELLED, NEVER, v.end)
    processed = np.where(v.outcome == OK, v.processed, NEVER)
    return [v.created, v.cancelled, done, processed, v.published, v.deleted]


def video_rows(world: World, videos: Videos, lo: int, hi: int, fresh: bool) -> list[Row]:
    events = video_events(videos)
    if fresh:
        chosen = np.flatnonzero(videos.created <= hi)
    else:
        chosen = np.flatnonzero(np.logical_or.reduce([_in(e, lo, hi) for e in events]))
    v = videos.take(chosen)
    events = video_events(v)
    updated = _last_event(events, hi)
    status = np.full(len(v), "generating", dtype=object)
    status[(v.outcome == CANCELLED) & (v.cancelled <= hi)] = "draft"
    status[(v.outcome == FAILED) & (v.end <= hi)] = "failed"
    ok = v.outcome == OK
    status[ok & (v.end <= hi)] = "processing"
    status[ok & (v.processed <= hi)] = "scheduled"
    live = ok & (v.published <= hi)
    status[live] = "published"
    gone = v.deleted <= hi
    status[gone] = "archived"
    youtube_ids = _text(rand.token(rand.stream_key(world.params.seed, S_YOUTUBE_ID), v.k, 11))
    vids = _text(video_ids(v.k))
    channel_ids = _text(world.channels.ids[v.channel])
    published = _iso_or_null(v.published, live)
    deleted = _iso_or_null(v.deleted, gone)
    created = iso(v.created).tolist()
    updated_text = iso(updated).tolist()
    text = world.video_text(v, np.arange(len(v)))
    rows: list[Row] = []
    for i in range(len(v)):
        title, description, tags = text[i]
        rows.append(
            (
                vids[i],
                youtube_ids[i] if live[i] else None,
                channel_ids[i],
                title,
                description,
                _array_literal(tags),
                int(v.duration[i]),
                CATEGORIES[v.category[i]],
                METHODS[v.method[i]],
                status[i],
                published[i],
                created[i],
                updated_text[i],
                deleted[i],
            )
        )
    return rows


def _retry_times(v: Videos) -> list[NDArray[np.int64]]:
    """Instants of each retry (NEVER where the job has fewer): evenly spread over the job's run."""
    run = v.end - v.started
    out = []
    for attempt in range(1, 4):
        at = v.started + (run * attempt) // (v.retries + 1)
        out.append(np.where((attempt <= v.retries) & (v.outcome != CANCELLED), at, NEVER))
    return out


def job_events(v: Videos) -> list[NDArray[np.int64]]:
    cancelled = v.outcome == CANCELLED
    started = np.where(cancelled, NEVER, v.started)
    end = np.where(cancelled, NEVER, v.end)
    return [v.queued, started, end, v.cancelled, *_retry_times(v)]


def job_rows(world: World, videos: Videos, lo: int, hi: int, fresh: bool) -> list[Row]:
    events = job_events(videos)
    if fresh:
        chosen = np.flatnonzero(videos.queued <= hi)
    else:
        chosen = np.flatnonzero(np.logical_or.reduce([_in(e, lo, hi) for e in events]))
    v = videos.take(chosen)
    events = job_events(v)
    updated = iso(_last_event(events, hi)).tolist()
    cancelled = (v.outcome == CANCELLED) & (v.cancelled <= hi)
    started = ~cancelled & (v.outcome != CANCELLED) & (v.started <= hi)
    finished = started & (v.end <= hi)
    retries = np.zeros(len(v), dtype=np.int64)
    for at in _retry_times(v):
        retries += at <= hi
    status = np.full(len(v), "queued", dtype=object)
    status[started] = "processing"
    status[finished & (v.outcome == OK)] = "completed"
    status[finished & (v.outcome == FAILED)] = "failed"
    status[cancelled] = "cancelled"
    job_ids = _uuid_text(rand.uuids(rand.stream_key(world.params.seed, S_JOB_ID), v.k))
    vids = _text(video_ids(v.k))
    channel_ids = _text(world.channels.ids[v.channel])
    queued = iso(v.queued).tolist()
    started_text = _iso_or_null(v.started, started)
    completed = _iso_or_null(v.end, finished)
    rows: list[Row] = []
    for i in range(len(v)):
        failed = status[i] == "failed"
        rows.append(
            (
                job_ids[i],
                vids[i],
                channel_ids[i],
                status[i],
                queued[i],
                started_text[i],
                completed[i],
                int(retries[i]),
                JOB_ERRORS[v.error[i]] if failed else None,
                updated[i],
            )
        )
    return rows
