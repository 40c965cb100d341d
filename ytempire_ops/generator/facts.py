"""The time-series raw tables for one ingestion window (lo, hi]: polls, costs, revenue, API calls.

Each builder yields encoded binary COPY chunks of the rows whose ingestion instant (ingested_at,
reported_at, called_at) falls in the window. Row-level randomness is a hash of (seed, entity, row
index), so a window's rows do not depend on how the rest of the history was cut into windows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import rand
from .clock import DAY, HOUR, MINUTE, SECOND, ceil_to_grid, pacific_date, pacific_day_bounds
from .pgcopy import REUSABLE_BUFFERS, Col, Layout, scaled
from .world import CANCELLED, COST_ITEMS, FAILED, HOSTING_ITEMS, OK, Videos, World, video_ids

S_POLL, S_COST, S_REVENUE, S_API, S_API_ACCOUNTS, S_CALL_ID, S_COST_ID = 20, 21, 22, 23, 24, 25, 26

Chunk = tuple[int, Any]

# ----------------------------------------------------------------------------- video_metrics
POLL_JITTER = 20 * SECOND  # captured_at = the poll's grid instant + up to 20 s
FAST_PHASE = 48 * HOUR  # every 5 minutes (on the clock's 5-minute grid)
HOURLY_PHASE = 7 * DAY  # then hourly at hh:55, then daily at 23:55 UTC
FIVE_MINUTES = 5 * MINUTE
HOURLY_OFFSET = 55 * MINUTE
DAILY_OFFSET = 23 * HOUR + 55 * MINUTE
MAX_POLL_DELAY = 9 * HOUR  # the latest a delivery (late or duplicate) is ingested after capture
_UNBOUNDED = 1 << 40
STEPS = np.array([FIVE_MINUTES, HOUR, DAY], dtype=np.int64)

METRICS_COLUMNS = (
    "video_id", "captured_at", "views", "likes", "dislikes", "comments", "shares", "watch_time_minutes",
    "average_view_duration_seconds", "impressions", "click_through_rate", "subscribers_gained",
    "subscribers_lost", "estimated_revenue_cents", "ingested_at",
)  # fmt: skip
METRICS_LAYOUT = Layout(
    [
        Col("video_id", "bytes", width=12),
        Col("captured_at", "ts"),
        Col("views", "int8"),
        Col("likes", "int8"),
        Col("dislikes", "int8"),
        Col("comments", "int8"),
        Col("shares", "int8"),
        Col("watch_time_minutes", "numeric", dscale=2),
        Col("average_view_duration_seconds", "numeric", dscale=2),
        Col("impressions", "int8"),
        Col("click_through_rate", "numeric", dscale=4),
        Col("subscribers_gained", "int8"),
        Col("subscribers_lost", "int8"),
        Col("estimated_revenue_cents", "numeric", dscale=4),
        Col("ingested_at", "ts"),
    ]
)
# Time-scale factors of the counters' curves relative to views (likes come a little earlier, etc.).
LIKE_PACE, COMMENT_PACE, IMPRESSION_PACE, SUB_PACE, UNSUB_PACE = 1.15, 0.9, 1.3, 0.8, 0.5


def _ceil_div(x: NDArray[np.int64], step: int | NDArray[np.int64]) -> NDArray[np.int64]:
    return -((-x) // step)


def poll_phases(published: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """First grid instant and number of polls of each cadence phase, shape (videos, 3)."""
    first = np.empty((published.shape[0], 3), dtype=np.int64)
    count = np.empty_like(first)
    first[:, 0] = ceil_to_grid(published + 1, FIVE_MINUTES)
    count[:, 0] = np.maximum(0, _ceil_div(published + FAST_PHASE - first[:, 0], FIVE_MINUTES))
    first[:, 1] = ceil_to_grid(published + FAST_PHASE, HOUR, HOURLY_OFFSET)
    count[:, 1] = np.maximum(0, _ceil_div(published + HOURLY_PHASE - first[:, 1], HOUR))
    first[:, 2] = ceil_to_grid(published + HOURLY_PHASE, DAY, DAILY_OFFSET)
    count[:, 2] = _UNBOUNDED
    return first, count


def poll_grid_time(
    first: NDArray[np.int64], count: NDArray[np.int64], j: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Grid instant of poll number j (0-based over the three phases) of each video."""
    n1, n2 = count[:, 0], count[:, 1]
    return np.where(
        j < n1,
        first[:, 0] + j * FIVE_MINUTES,
        np.where(j < n1 + n2, first[:, 1] + (j - n1) * HOUR, first[:, 2] + (j - n1 - n2) * DAY),
    )


def poll_captured(
    key: int, k: NDArray[np.int64], j: NDArray[np.int64], grid: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.uint64]]:
    """captured_at of poll j of video k (its grid instant plus a jitter of whole ms) and the poll's hash."""
    h1 = rand.hash64(key, k, j)
    return grid + (np.floor(rand.unit(h1, 0, 20) * (POLL_JITTER // 1000)) * 1000).astype(np.int64), h1


def last_poll_before(
    first: NDArray[np.int64], count: NDArray[np.int64], t: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(poll number, grid instant) of each video's last poll whose grid instant is before t; -1 if none."""
    last_j = np.full(t.shape[0], -1, dtype=np.int64)
    offset = np.zeros(t.shape[0], dtype=np.int64)
    for phase in range(3):
        index = np.minimum(count[:, phase] - 1, _ceil_div(t - first[:, phase], int(STEPS[phase])) - 1)
        last_j = np.where(index >= 0, offset + index, last_j)
        offset = offset + count[:, phase]
    return last_j, poll_grid_time(first, count, np.maximum(last_j, 0))


def batches(sizes: NDArray[np.int64], target: int) -> Iterator[tuple[int, int]]:
    """Consecutive [begin, end) ranges of items whose sizes add up to about `target` (at least one item)."""
    cumulative = np.cumsum(sizes)
    begin = 0
    while begin < sizes.shape[0]:
        base = int(cumulative[begin - 1]) if begin else 0
        end = max(int(np.searchsorted(cumulative, base + target, side="right")), begin + 1)
        yield begin, end
        begin = end


def _expand(
    starts: NDArray[np.int64], counts: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(group, value) pairs enumerating starts[g] .. starts[g] + counts[g] - 1 for every group, in order."""
    total = int(counts.sum())
    group = np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts)
    offsets = np.cumsum(counts) - counts
    value = starts[group] + (np.arange(total, dtype=np.int64) - offsets[group])
    return group, value


class MetricsBuilder:
    """video_metrics rows of one window, video batch by video batch."""

    def __init__(self, world: World, videos: Videos, lo: int, hi: int) -> None:
        self.seed = world.params.seed
        self.key = rand.stream_key(self.seed, S_POLL)
        self.lo, self.hi = lo, hi
        live = np.flatnonzero(videos.published <= hi)
        self.v = videos.take(live)
        self.vid = video_ids(self.v.k)
        self.first, self.count = poll_phases(self.v.published)
        # Poll index ranges whose grid instant lies in [lo - delay - jitter, hi] and before deletion.
        low = lo - MAX_POLL_DELAY - POLL_JITTER
        high = np.minimum(hi, self.v.deleted - 1)
        start = np.maximum(0, _ceil_div(low - self.first, STEPS))
        stop = np.minimum(self.count, (high[:, None] - self.first) // STEPS + 1)
        self.range_start = start
        self.range_count = np.maximum(0, stop - start)
        self.phase_offset = np.zeros_like(self.first)
        self.phase_offset[:, 1] = self.count[:, 0]
        self.phase_offset[:, 2] = self.count[:, 0] + self.count[:, 1]
        self.spam_drop = self._spam_drops()

    def _curve(self, index: NDArray[np.int64], captured: NDArray[np.int64]) -> NDArray[np.float64]:
        """(t / tau) ** beta for polls of videos `index` (the exponent of every counter's curve)."""
        hours = (captured - self.v.published[index]) * (1.0 / HOUR)
        return np.exp(self.v.beta[index] * np.log(hours / self.v.tau_h[index]))

    def _captured(
        self, index: NDArray[np.int64], j: NDArray[np.int64], grid: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.uint64]]:
        return poll_captured(self.key, self.v.k[index], j, grid)

    def _spam_drops(self) -> NDArray[np.int64]:
        """Views YouTube removes at a video's correction poll: more than it gained since the previous one."""
        drop = np.zeros(len(self.v), dtype=np.int64)
        spam = np.flatnonzero(self.v.spam_poll >= 1)
        if spam.size == 0:
            return drop
        j = self.v.spam_poll[spam]
        values = []
        for jj in (j - 1, j):
            grid = poll_grid_time(self.first[spam], self.count[spam], jj)
            captured, _ = self._captured(spam, jj, grid)
            exponent = self._curve(spam, captured)
            values.append(np.floor(self.v.views_total[spam] * -np.expm1(-exponent)))
        before, at = values
        drop[spam] = (at - before + np.ceil(self.v.spam_frac[spam] * before) + 1).astype(np.int64)
        return drop

    def chunks(self, target_rows: int = 400_000) -> Iterator[Chunk]:
        """Encoded batches of about `target_rows` polls, written into a ring of reused buffers."""
        ring: list[NDArray[np.void]] = []
        for number, (begin, end) in enumerate(batches(self.range_count.sum(axis=1), target_rows)):
            slot = number % REUSABLE_BUFFERS
            rows, values = self._batch(np.arange(begin, end))
            if not rows:
                continue
            if len(ring) <= slot:
                ring.append(METRICS_LAYOUT.blank(max(rows, target_rows * 5 // 4)))
            elif ring[slot].shape[0] < rows:
                ring[slot] = METRICS_LAYOUT.blank(rows)
            yield rows, METRICS_LAYOUT.encode(values, out=ring[slot])

    def _batch(self, videos: NDArray[np.int64]) -> tuple[int, dict[str, NDArray[Any]]]:
        starts = self.range_start[videos].reshape(-1)
        counts = self.range_count[videos].reshape(-1)
        group, i = _expand(starts, counts)
        local, phase = np.divmod(group, 3)
        index = videos[local]
        j = self.phase_offset[index, phase] + i
        grid = self.first[index, phase] + i * STEPS[phase]
        captured, h1 = self._captured(index, j, grid)
        keep = (captured <= self.hi) & (captured > self.lo - MAX_POLL_DELAY)
        if not keep.all():
            index, j, captured, h1 = index[keep], j[keep], captured[keep], h1[keep]

        # Deliveries: a short lag, a few late by hours, a few delivered twice.
        h2 = rand.rehash(h1, 0xA5A5)
        lag = np.minimum(3.0 + 25.0 * -np.log1p(-rand.unit(h1, 20, 20)), 300.0) * SECOND
        late = rand.unit(h1, 40, 16) < 0.004
        lag = lag + np.where(late, HOUR + rand.unit(h2, 0, 20) * 5 * HOUR, 0.0)
        ingested = captured + (np.rint(lag / 1000.0) * 1000).astype(np.int64)
        duplicate = rand.unit(h2, 20, 16) < 0.003
        redelivered = ingested + (
            np.rint((MINUTE + rand.unit(h2, 36, 20) * 119 * MINUTE) / 1000) * 1000
        ).astype(np.int64)
        take_first = (ingested > self.lo) & (ingested <= self.hi)
        take_second = duplicate & (redelivered > self.lo) & (redelivered <= self.hi)
        selected = np.flatnonzero(np.stack([take_first, take_second], axis=1).reshape(-1))
        if selected.size == 0:
            return 0, {}
        poll = selected >> 1
        second = (selected & 1).astype(bool)
        if poll.size < index.size:
            needed, poll = np.unique(poll, return_inverse=True)
            index, j, captured, h1, h2 = index[needed], j[needed], captured[needed], h1[needed], h2[needed]
            ingested, redelivered = ingested[needed], redelivered[needed]
        values = self._values(index, j, captured, h2)
        out = {name: column[poll] for name, column in values.items()}
        out["video_id"] = self.vid[index][poll]
        out["captured_at"] = captured[poll]
        out["ingested_at"] = np.where(second, redelivered[poll], ingested[poll])
        corrected = second & (rand.unit(h2, 56, 4)[poll] < 0.4)
        if corrected.any():
            h3 = rand.rehash(h2[poll[corrected]], 0x3C3C)
            views = out["views"][corrected]
            out["views"][corrected] = views + np.rint(views * (rand.unit(h3, 20, 20) - 0.5) * 0.004).astype(
                np.int64
            )
        return int(poll.size), out

    def _values(
        self,
        index: NDArray[np.int64],
        j: NDArray[np.int64],
        captured: NDArray[np.int64],
        h2: NDArray[np.uint64],
    ) -> dict[str, NDArray[Any]]:
        v = self.v
        exponent = self._curve(index, captured)
        beta = v.beta[index]
        total = v.views_total[index]

        def share(pace: float) -> NDArray[np.float64]:
            return -np.expm1(-exponent * np.exp(beta * np.log(pace)))

        base = -np.expm1(-exponent)
        expected_views = total * base
        views = np.floor(expected_views).astype(np.int64)
        spam = v.spam_poll[index]
        views -= np.where((spam >= 1) & (j >= spam), self.spam_drop[index], 0)
        likes = np.floor(total * v.like_rate[index] * share(LIKE_PACE)).astype(np.int64)
        dislikes = np.floor(total * v.dislike_rate[index] * base).astype(np.int64)
        comments = np.floor(total * v.comment_rate[index] * share(COMMENT_PACE)).astype(np.int64)
        shares = np.floor(total * v.share_rate[index] * base).astype(np.int64)
        impressions = np.floor(total / v.ctr[index] * share(IMPRESSION_PACE)).astype(np.int64)
        seconds_watched = v.duration[index] * v.retention[index]
        watch_centi = np.floor(expected_views * seconds_watched * (100.0 / 60.0)).astype(np.int64)
        positive = views > 0
        avd_centi = np.where(positive, np.rint(watch_centi * 60.0 / np.maximum(views, 1)), 0).astype(np.int64)
        noise = 1.0 + 0.06 * (rand.unit(rand.rehash(h2, 0x3C3C), 0, 20) - 0.5)
        ctr = np.where(impressions > 0, views / np.maximum(impressions, 1) * noise, 0.0)
        sub_total = total * v.sub_rate[index]
        gained = np.floor(sub_total * share(SUB_PACE)).astype(np.int64)
        lost = np.floor(sub_total * v.unsub_frac[index] * share(UNSUB_PACE)).astype(np.int64)
        revenue = expected_views * v.cents_per_view[index]
        return {
            "views": np.maximum(views, 0),
            "likes": likes,
            "dislikes": dislikes,
            "comments": comments,
            "shares": shares,
            "watch_time_minutes": watch_centi,
            "average_view_duration_seconds": avd_centi,
            "impressions": impressions,
            "click_through_rate": scaled(np.clip(ctr, 0.0, 1.0), 4),
            "subscribers_gained": gained,
            "subscribers_lost": lost,
            "estimated_revenue_cents": scaled(revenue, 4),
        }


def revenue_curve(v: Videos, index: NDArray[np.int64], at: NDArray[np.int64]) -> NDArray[np.float64]:
    """estimated_revenue_cents of videos `index` at instants `at` (the curve the polls sample).

    The same arithmetic as MetricsBuilder._values, so a poll's value is this, rounded to 4 decimals.
    """
    hours = np.maximum(at - v.published[index], 0) * (1.0 / HOUR)
    with np.errstate(divide="ignore"):
        exponent = np.exp(v.beta[index] * np.log(hours / v.tau_h[index]))
    return v.views_total[index] * -np.expm1(-exponent) * v.cents_per_view[index]


def _revenue_at_last_poll(
    key: int,
    v: Videos,
    first: NDArray[np.int64],
    count: NDArray[np.int64],
    index: NDArray[np.int64],
    before: NDArray[np.int64],
) -> NDArray[np.int64]:
    """estimated_revenue_cents (scaled by 1e4) of each video's last poll before `before`; 0 if none."""
    j, grid = last_poll_before(first, count, before)
    captured, _ = poll_captured(key, v.k[index], j, grid)
    return np.where(j >= 0, scaled(revenue_curve(v, index, captured), 4), 0)


# ----------------------------------------------------------------------------- video_costs
COSTS_COLUMNS = (
    "cost_id", "video_id", "channel_id", "cost_category", "cost_subcategory", "quantity", "unit",
    "total_cost_cents", "incurred_at", "ingested_at",
)  # fmt: skip
MAX_COST_DELAY = 8 * HOUR  # latest ingestion after incurring (late arrivals plus redelivery)
MAX_PIPELINE = 2 * DAY  # from a video's creation to its last cost line item (publishing), bounded


def _cost_layout(category: str, subcategory: str, unit: str, per_video: bool) -> Layout:
    return Layout(
        [
            Col("cost_id", "uuid"),
            Col("video_id", "bytes", width=12) if per_video else Col("video_id", "null"),
            Col("channel_id", "bytes", width=24),
            Col("cost_category", "const", const=category.encode()),
            Col("cost_subcategory", "const", const=subcategory.encode()),
            Col("quantity", "numeric", dscale=4),
            Col("unit", "const", const=unit.encode()),
            Col("total_cost_cents", "numeric", dscale=4),
            Col("incurred_at", "ts"),
            Col("ingested_at", "ts"),
        ]
    )


ITEM_LAYOUTS = [_cost_layout(c, s, u, True) for c, s, u, *_ in COST_ITEMS]
HOSTING_LAYOUTS = [_cost_layout(c, s, u, False) for c, s, u, _ in HOSTING_ITEMS]


def cost_chunks(world: World, videos: Videos, lo: int, hi: int) -> Iterator[Chunk]:
    """video_costs rows ingested in (lo, hi]: each video's line items and a few channel-level ones."""
    seed = world.params.seed
    key = rand.stream_key(seed, S_COST)
    id_key = rand.stream_key(seed, S_COST_ID)
    relevant = np.flatnonzero((videos.created <= hi) & (videos.created > lo - MAX_PIPELINE - MAX_COST_DELAY))
    v = videos.take(relevant)
    if len(v) == 0:
        return
    vid = video_ids(v.k)
    channel_ids = world.channels.ids[v.channel]
    run = v.end - v.started
    for item, (_c, _s, _u, price, whole, _share, when, frac) in enumerate(COST_ITEMS):
        h = rand.hash64(key, v.k, item)
        amount = v.cost_total * v.cost_shares[:, item]
        jitter = rand.unit(h, 0, 20)
        if when == "gen":
            incurred = v.started + (run * (frac + 0.04 * jitter)).astype(np.int64)
            exists = v.outcome != CANCELLED
        elif when == "end":
            incurred = v.end + (jitter * MINUTE).astype(np.int64)
            amount = np.where(v.outcome == FAILED, amount * 0.5, amount)
            exists = v.outcome != CANCELLED
        elif when == "upload":
            incurred = v.end + ((v.processed - v.end) * jitter).astype(np.int64)
            exists = v.outcome == OK
        else:
            incurred = v.published + (jitter * 10 * MINUTE).astype(np.int64)
            exists = v.outcome == OK
        if whole:
            quantity = np.maximum(1.0, np.rint(amount / price))
            amount = quantity * price
        else:
            quantity = amount / price
        incurred = (incurred // 1000) * 1000
        chunk = _deliveries(
            ITEM_LAYOUTS[item], h, exists, incurred, lo, hi,
            {
                "cost_id": rand.uuids(id_key, v.k, item),
                "video_id": vid,
                "channel_id": channel_ids,
                "quantity": scaled(quantity, 4),
                "total_cost_cents": scaled(amount, 4),
            },
        )  # fmt: skip
        if chunk[0]:
            yield chunk
    for kind, (_c, _s, _u, price) in enumerate(HOSTING_ITEMS):
        item = len(COST_ITEMS) + kind
        h = rand.hash64(key, v.k, item)
        exists = v.hosting_kind == kind
        amount = v.hosting_cents
        chunk = _deliveries(
            HOSTING_LAYOUTS[kind], h, exists, v.created + v.hosting_offset, lo, hi,
            {
                "cost_id": rand.uuids(id_key, v.k, item),
                "channel_id": channel_ids,
                "quantity": scaled(amount / price, 4),
                "total_cost_cents": scaled(amount, 4),
            },
        )  # fmt: skip
        if chunk[0]:
            yield chunk


def _deliveries(
    layout: Layout,
    h: NDArray[np.uint64],
    exists: NDArray[np.bool_],
    incurred: NDArray[np.int64],
    lo: int,
    hi: int,
    columns: dict[str, NDArray[Any]],
) -> Chunk:
    """Cost rows delivered in (lo, hi]: ingested shortly after incurring, a few late, a few twice."""
    h2 = rand.rehash(h, 0x5A5A)
    lag = np.minimum(2.0 + 30.0 * -np.log1p(-rand.unit(h, 20, 20)), 600.0) * SECOND
    lag = lag + np.where(rand.unit(h, 40, 16) < 0.003, HOUR + rand.unit(h2, 0, 20) * 5 * HOUR, 0.0)
    ingested = incurred + (np.rint(lag / 1000.0) * 1000).astype(np.int64)
    redelivered = ingested + (np.rint((30 * SECOND + rand.unit(h2, 36, 20) * HOUR) / 1000) * 1000).astype(
        np.int64
    )
    duplicate = rand.unit(h2, 20, 16) < 0.005
    take_first = exists & (ingested > lo) & (ingested <= hi)
    take_second = exists & duplicate & (redelivered > lo) & (redelivered <= hi)
    selected = np.flatnonzero(np.stack([take_first, take_second], axis=1).reshape(-1))
    if selected.size == 0:
        return 0, b""
    row = selected >> 1
    second = (selected & 1).astype(bool)
    out = {name: column[row] for name, column in columns.items()}
    out["incurred_at"] = incurred[row]
    out["ingested_at"] = np.where(second, redelivered[row], ingested[row])
    return int(row.size), layout.encode(out)


# ----------------------------------------------------------------------------- video_revenue
REVENUE_COLUMNS = (
    "video_id", "channel_id", "revenue_date", "ad_revenue_cents", "sponsorship_revenue_cents",
    "affiliate_revenue_cents", "membership_revenue_cents", "super_chat_revenue_cents", "reported_at",
)  # fmt: skip
REVENUE_LAYOUT = Layout(
    [
        Col("video_id", "bytes", width=12),
        Col("channel_id", "bytes", width=24),
        Col("revenue_date", "date"),
        Col("ad_revenue_cents", "numeric", dscale=4),
        Col("sponsorship_revenue_cents", "numeric", dscale=4),
        Col("affiliate_revenue_cents", "numeric", dscale=4),
        Col("membership_revenue_cents", "numeric", dscale=4),
        Col("super_chat_revenue_cents", "numeric", dscale=4),
        Col("reported_at", "ts"),
    ]
)
FIRST_REPORT_MIN, FIRST_REPORT_SPAN = 10 * MINUTE, 20 * HOUR - 10 * MINUTE
RESTATEMENT_MIN, RESTATEMENT_SPAN = DAY, 2 * DAY
AD_NOISE = 0.016  # reported ad revenue = the curve's increase over the UTC day x (1 +- 0.8 %)


def revenue_chunks(
    world: World, videos: Videos, lo: int, hi: int, target_rows: int = 1_000_000
) -> Iterator[Chunk]:
    """video_revenue rows reported in (lo, hi]: per published video and completed UTC day; some restated."""
    key = rand.stream_key(world.params.seed, S_REVENUE)
    live = np.flatnonzero(videos.published <= hi)
    v = videos.take(live)
    if len(v) == 0:
        return
    first_day = v.published // DAY
    last_day = np.minimum(hi // DAY - 1, (v.deleted - 1) // DAY)
    window_day = (lo - FIRST_REPORT_MIN - FIRST_REPORT_SPAN - RESTATEMENT_MIN - RESTATEMENT_SPAN) // DAY - 1
    start = np.maximum(first_day, window_day)
    counts = np.maximum(0, last_day - start + 1)
    vid = video_ids(v.k)
    channel_ids = world.channels.ids[v.channel]
    poll_key = rand.stream_key(world.params.seed, S_POLL)
    first, count = poll_phases(v.published)
    for begin, end in batches(counts, target_rows):
        batch = np.arange(begin, end)
        group, day = _expand(start[batch], counts[batch])
        if group.size == 0:
            continue
        index = batch[group]
        h1 = rand.hash64(key, v.k[index], day)
        h2 = rand.rehash(h1, 0x1111)
        h3 = rand.rehash(h2, 0x2222)
        h4 = rand.rehash(h3, 0x3333)
        day_start = day * DAY
        # The curve's increase over the day as the polls sample it: from the day's last poll
        # (23:55 UTC, or the last before deletion) back to the previous day's last poll.
        closing = [
            _revenue_at_last_poll(
                poll_key, v, first[index], count[index], index, np.minimum(at, v.deleted[index])
            )
            for at in (day_start, day_start + DAY)
        ]
        increase = (closing[1] - closing[0]) * 1e-4
        reported = (
            day_start + DAY + FIRST_REPORT_MIN + (rand.unit(h1, 0, 20) * FIRST_REPORT_SPAN).astype(np.int64)
        )
        reported = (reported // 1000) * 1000
        restated = rand.unit(h1, 40, 16) < 0.03
        re_reported = (
            reported
            + RESTATEMENT_MIN
            + (rand.unit(h2, 0, 20) * RESTATEMENT_SPAN // 1000).astype(np.int64) * 1000
        )
        take_first = (reported > lo) & (reported <= hi)
        take_second = restated & (re_reported > lo) & (re_reported <= hi)
        selected = np.flatnonzero(np.stack([take_first, take_second], axis=1).reshape(-1))
        if selected.size == 0:
            continue
        row = selected >> 1
        second = (selected & 1).astype(bool)
        noise = np.where(second, rand.unit(h2, 20, 20)[row], rand.unit(h1, 20, 20)[row]) - 0.5
        ad = increase[row] * (1.0 + AD_NOISE * noise)
        long_enough = v.ctype[index[row]] != 0
        sponsorship = np.where(
            rand.unit(h2, 40, 16)[row] < 0.002, 5000 + rand.unit(h3, 0, 16)[row] * 45000, 0.0
        )
        affiliate = np.where(rand.unit(h3, 16, 16)[row] < 0.02, 50 + rand.unit(h3, 32, 16)[row] * 2950, 0.0)
        affiliate *= np.where(second, 0.95 + 0.1 * rand.unit(h4, 48, 16)[row], 1.0)
        membership = np.where(rand.unit(h3, 48, 16)[row] < 0.01, 99 + rand.unit(h4, 0, 16)[row] * 900, 0.0)
        super_chat = np.where(
            long_enough & (rand.unit(h4, 16, 16)[row] < 0.003), 100 + rand.unit(h4, 32, 16)[row] * 4900, 0.0
        )
        out = {
            "video_id": vid[index[row]],
            "channel_id": channel_ids[index[row]],
            "revenue_date": day[row].astype(np.int32),
            "ad_revenue_cents": scaled(ad, 4),
            "sponsorship_revenue_cents": scaled(sponsorship, 4),
            "affiliate_revenue_cents": scaled(affiliate, 4),
            "membership_revenue_cents": scaled(membership, 4),
            "super_chat_revenue_cents": scaled(super_chat, 4),
            "reported_at": np.where(second, re_reported[row], reported[row]),
        }
        yield int(row.size), REVENUE_LAYOUT.encode(out)


# ----------------------------------------------------------------------------- api_quota_usage
API_COLUMNS = ("call_id", "api_account", "api_name", "endpoint", "quota_units", "status_code", "called_at")
API_ACCOUNTS = 15
DAILY_QUOTA = 10_000
# (api_name, endpoint, quota units, calls per account per day at scale 1)
ENDPOINTS = (
    ("youtube_data_v3", "videos.list", 1, 400.0),
    ("youtube_data_v3", "channels.list", 1, 60.0),
    ("youtube_data_v3", "playlistItems.list", 1, 60.0),
    ("youtube_data_v3", "commentThreads.list", 1, 80.0),
    ("youtube_data_v3", "search.list", 100, 20.0),
    ("youtube_data_v3", "videos.insert", 1600, 1.0),
    ("youtube_data_v3", "videos.update", 50, 8.0),
    ("youtube_data_v3", "thumbnails.set", 50, 6.0),
    ("youtube_analytics_v2", "reports.query", 1, 200.0),
)
ACCOUNT_NAMES = np.array([f"yt-acct-{i + 1:02d}".encode() for i in range(API_ACCOUNTS)], dtype="S10")
API_LAYOUTS = [
    Layout(
        [
            Col("call_id", "uuid"),
            Col("api_account", "bytes", width=10),
            Col("api_name", "const", const=api.encode()),
            Col("endpoint", "const", const=endpoint.encode()),
            Col("quota_units", "int4"),
            Col("status_code", "int4"),
            Col("called_at", "ts"),
        ]
    )
    for api, endpoint, _units, _rate in ENDPOINTS
]


def api_chunks(world: World, lo: int, hi: int) -> Iterator[Chunk]:
    """api_quota_usage rows called in (lo, hi] (and not before the history starts), Pacific day by day."""
    p = world.params
    lo = max(lo, p.start - 1)
    if hi <= lo:
        return
    id_key = rand.stream_key(p.seed, S_CALL_ID)
    weights = rand.generator(p.seed, S_API_ACCOUNTS).uniform(0.6, 1.2, API_ACCOUNTS)
    units_of = np.array([e[2] for e in ENDPOINTS], dtype=np.int64)
    rates = np.array([e[3] for e in ENDPOINTS])
    for ordinal, day_start, day_end in pacific_day_bounds(pacific_date(lo + 1), pacific_date(hi)):
        rng = rand.generator(p.seed, S_API, ordinal)
        busy = rng.lognormal(0.0, 0.25, API_ACCOUNTS) * weights
        counts = rng.poisson(busy[:, None] * rates[None, :] * p.scale)
        account = np.repeat(np.repeat(np.arange(API_ACCOUNTS), len(ENDPOINTS)), counts.reshape(-1))
        endpoint = np.repeat(np.tile(np.arange(len(ENDPOINTS)), API_ACCOUNTS), counts.reshape(-1))
        called = day_start + (
            np.floor(rng.random(account.size) * ((day_end - day_start) // 1000)) * 1000
        ).astype(np.int64)
        error_u = rng.random(account.size)
        order = np.lexsort((called, account))
        account, endpoint, called, error_u = account[order], endpoint[order], called[order], error_u[order]
        units = units_of[endpoint]
        cumulative = np.cumsum(units)
        account_start = np.searchsorted(account, np.arange(API_ACCOUNTS))
        before = np.concatenate([[0], cumulative])[account_start][account]
        over_quota = cumulative - before > DAILY_QUOTA
        status = np.select([error_u < 0.004, error_u < 0.007, error_u < 0.009], [429, 500, 403], 200)
        status = np.where(over_quota, 403, status)
        units = np.where(over_quota, 0, units)
        call_ids = rand.uuids(id_key, ordinal * 10_000_000 + np.arange(account.size, dtype=np.int64))
        in_window = (called > lo) & (called <= hi)
        for e, layout in enumerate(API_LAYOUTS):
            rows = np.flatnonzero(in_window & (endpoint == e))
            if rows.size:
                yield (
                    int(rows.size),
                    layout.encode(
                        {
                            "call_id": call_ids[rows],
                            "api_account": ACCOUNT_NAMES[account[rows]],
                            "quota_units": units[rows].astype(np.int32),
                            "status_code": status[rows].astype(np.int32),
                            "called_at": called[rows],
                        }
                    ),
                )
