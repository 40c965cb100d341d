"""Instants as int64 microseconds since 2000-01-01 00:00 UTC, PostgreSQL's binary timestamptz epoch."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
PG_EPOCH_DATE = date(2000, 1, 1)
SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
# "Never happens": far enough in the future to compare as later than any window, far from int64 overflow.
NEVER = 2**62
PACIFIC = ZoneInfo("America/Los_Angeles")
_UNIX_OFFSET_US = (PG_EPOCH - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def to_us(instant: datetime) -> int:
    """Microseconds since the PostgreSQL epoch of a timezone-aware datetime."""
    return (instant - PG_EPOCH) // timedelta(microseconds=1)


def from_us(us: int) -> datetime:
    """The UTC datetime of a microsecond instant."""
    return PG_EPOCH + timedelta(microseconds=int(us))


def iso(us: NDArray[np.int64]) -> NDArray[np.str_]:
    """ISO 8601 UTC text of microsecond instants (for CSV COPY)."""
    as_dt = (us + _UNIX_OFFSET_US).astype("datetime64[us]")
    return np.char.add(np.datetime_as_string(as_dt, unit="us"), "+00")


def pacific_day_bounds(first: date, last: date) -> list[tuple[int, int, int]]:
    """(ordinal, start_us, end_us) of each Pacific-time calendar day from `first` to `last` inclusive."""
    out = []
    day = first
    while day <= last:
        start = datetime(day.year, day.month, day.day, tzinfo=PACIFIC)
        following = day + timedelta(days=1)
        end = datetime(following.year, following.month, following.day, tzinfo=PACIFIC)
        out.append((day.toordinal(), to_us(start), to_us(end)))
        day = following
    return out


def pacific_date(us: int) -> date:
    """The Pacific-time calendar date of an instant."""
    return from_us(us).astimezone(PACIFIC).date()


def ceil_to_grid(x: NDArray[np.int64], step: int, offset: int = 0) -> NDArray[np.int64]:
    """The smallest instant >= x congruent to `offset` modulo `step` (grids aligned to the UTC clock)."""
    return x + np.mod(offset - x, step)
