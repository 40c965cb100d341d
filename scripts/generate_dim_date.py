#!/usr/bin/env python3
"""Generate seeds/seed_calendar_days.csv, the seed behind dim_date.

One row per calendar day from 2020-01-01 to 2030-12-31. Standard library only,
deterministic: the same code always writes the same bytes, so the committed CSV
can be checked in CI.

    python scripts/generate_dim_date.py            # (re)write the CSV
    python scripts/generate_dim_date.py --check    # exit 1 if the CSV differs

Rules (see models/marts/core/_core__dim_date.yml):
- day_of_week is ISO: Monday = 1 .. Sunday = 7; iso_week belongs to iso_year.
- is_holiday: US federal holidays (5 U.S.C. 6103). A fixed-date holiday that falls
  on a Saturday is observed on the Friday before, on a Sunday on the Monday after;
  only the observed day is flagged (its holiday_name ends in " (observed)"), the
  weekend date itself is not. Juneteenth counts from 2021.
- fiscal year starts on February 1 and is named by the calendar year it starts
  in: 2026-01-31 is FY2025 Q4, 2026-02-01 is FY2026 Q1.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import io
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

FIRST_DAY = date(2020, 1, 1)
LAST_DAY = date(2030, 12, 31)
FISCAL_YEAR_START_MONTH = 2
JUNETEENTH_FIRST_YEAR = 2021
OBSERVED_SUFFIX = " (observed)"

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "seeds" / "seed_calendar_days.csv"

# Fixed names, not strftime: %A / %B depend on the locale.
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

COLUMNS = (
    "date_key",
    "full_date",
    "year",
    "quarter",
    "month",
    "iso_year",
    "iso_week",
    "day_of_week",
    "day_name",
    "month_name",
    "is_weekend",
    "is_holiday",
    "holiday_name",
    "fiscal_year",
    "fiscal_quarter",
    "day_of_month",
    "day_of_year",
    "week_start_date",
    "month_start_date",
    "is_month_end",
)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th `weekday` (Monday = 0) of a month; n = -1 is the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def observed(day: date) -> date:
    """The weekday a fixed-date holiday is observed on: Saturday -> Friday, Sunday -> Monday."""
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def federal_holidays(year: int) -> list[tuple[str, date]]:
    """The US federal holidays of `year` as (name, actual date), in calendar order."""
    monday, thursday = 0, 3
    holidays = [
        ("New Year's Day", date(year, 1, 1)),
        ("Martin Luther King Jr. Day", nth_weekday(year, 1, monday, 3)),
        ("Washington's Birthday", nth_weekday(year, 2, monday, 3)),
        ("Memorial Day", nth_weekday(year, 5, monday, -1)),
        ("Juneteenth National Independence Day", date(year, 6, 19)),
        ("Independence Day", date(year, 7, 4)),
        ("Labor Day", nth_weekday(year, 9, monday, 1)),
        ("Columbus Day", nth_weekday(year, 10, monday, 2)),
        ("Veterans Day", date(year, 11, 11)),
        ("Thanksgiving Day", nth_weekday(year, 11, thursday, 4)),
        ("Christmas Day", date(year, 12, 25)),
    ]
    if year < JUNETEENTH_FIRST_YEAR:
        holidays = [h for h in holidays if not h[0].startswith("Juneteenth")]
    return holidays


def observed_holidays(first: date, last: date) -> dict[date, str]:
    """Observed holiday date -> holiday name, for observed dates within [first, last].

    Neighbouring years are included because an observed date can cross a year
    boundary (New Year's Day 2022, a Saturday, is observed on 2021-12-31).
    """
    result: dict[date, str] = {}
    for year in range(first.year - 1, last.year + 2):
        for name, actual in federal_holidays(year):
            day = observed(actual)
            if first <= day <= last:
                result[day] = name if day == actual else name + OBSERVED_SUFFIX
    return result


def fiscal_year_quarter(day: date) -> tuple[int, int]:
    """Fiscal year (named by the calendar year it starts in) and fiscal quarter."""
    fiscal_year = day.year if day.month >= FISCAL_YEAR_START_MONTH else day.year - 1
    fiscal_month = (day.month - FISCAL_YEAR_START_MONTH) % 12 + 1
    return fiscal_year, (fiscal_month - 1) // 3 + 1


def _bool(value: bool) -> str:
    return "true" if value else "false"


def calendar_rows(first: date = FIRST_DAY, last: date = LAST_DAY) -> Iterator[dict[str, str]]:
    """One dict of CSV cells per day from `first` to `last`, inclusive."""
    holidays = observed_holidays(first, last)
    day = first
    while day <= last:
        iso_year, iso_week, iso_weekday = day.isocalendar()
        fiscal_year, fiscal_quarter = fiscal_year_quarter(day)
        holiday_name = holidays.get(day)
        yield {
            "date_key": day.strftime("%Y%m%d"),
            "full_date": day.isoformat(),
            "year": str(day.year),
            "quarter": str((day.month - 1) // 3 + 1),
            "month": str(day.month),
            "iso_year": str(iso_year),
            "iso_week": str(iso_week),
            "day_of_week": str(iso_weekday),
            "day_name": DAY_NAMES[iso_weekday - 1],
            "month_name": MONTH_NAMES[day.month - 1],
            "is_weekend": _bool(iso_weekday >= 6),
            "is_holiday": _bool(holiday_name is not None),
            "holiday_name": holiday_name or "",
            "fiscal_year": str(fiscal_year),
            "fiscal_quarter": str(fiscal_quarter),
            "day_of_month": str(day.day),
            "day_of_year": str(day.timetuple().tm_yday),
            "week_start_date": (day - timedelta(days=iso_weekday - 1)).isoformat(),
            "month_start_date": day.replace(day=1).isoformat(),
            "is_month_end": _bool((day + timedelta(days=1)).day == 1),
        }
        day += timedelta(days=1)


def render_csv(first: date = FIRST_DAY, last: date = LAST_DAY) -> str:
    """The seed's full text: a header and one line per day, LF line endings."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(calendar_rows(first, last))
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the calendar seed behind dim_date.")
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if the file differs from what would be generated",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="CSV path (default: seeds/seed_calendar_days.csv)",
    )
    args = parser.parse_args(argv)
    expected = render_csv().encode("utf-8")
    output: Path = args.output

    if args.check:
        current = output.read_bytes() if output.exists() else None
        if current != expected:
            print(
                f"{output} is missing or out of date; run python scripts/generate_dim_date.py.",
                file=sys.stderr,
            )
            return 1
        print(f"{output} is up to date.")
        return 0

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(expected)
    days = expected.count(b"\n") - 1
    print(f"Wrote {output} ({days} days).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
