"""The calendar seed behind dim_date: generator, committed CSV and calendar rules.

Pure Python, no database: the same rules run on the built table in
tests/singular/dim_date_rules.sql.
"""

from __future__ import annotations

import csv
import importlib.util
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from types import ModuleType

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
SCRIPT = PROJECT_DIR / "scripts" / "generate_dim_date.py"
SEED = PROJECT_DIR / "seeds" / "seed_calendar_days.csv"

HOLIDAY_NAMES = {
    "New Year's Day",
    "Martin Luther King Jr. Day",
    "Washington's Birthday",
    "Memorial Day",
    "Juneteenth National Independence Day",
    "Independence Day",
    "Labor Day",
    "Columbus Day",
    "Veterans Day",
    "Thanksgiving Day",
    "Christmas Day",
}
OBSERVED_SUFFIX = " (observed)"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_dim_date", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    return _load_generator()


@pytest.fixture(scope="module")
def rows() -> dict[date, dict[str, str]]:
    with SEED.open(newline="", encoding="utf-8") as handle:
        return {date.fromisoformat(row["full_date"]): row for row in csv.DictReader(handle)}


def _run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False)


# --- the committed CSV is the script's output -------------------------------------------------


def test_check_passes_on_committed_csv() -> None:
    result = _run_script("--check")
    assert result.returncode == 0, result.stderr


def test_committed_csv_equals_generated_bytes(generator: ModuleType) -> None:
    assert SEED.read_bytes() == generator.render_csv().encode("utf-8")


def test_check_fails_on_a_changed_csv(tmp_path: Path) -> None:
    changed = tmp_path / "seed_calendar_days.csv"
    changed.write_bytes(SEED.read_bytes().replace(b"Thanksgiving Day", b"Turkey Day", 1))
    result = _run_script("--check", "--output", str(changed))
    assert result.returncode == 1
    assert "out of date" in result.stderr


def test_check_fails_on_a_missing_csv(tmp_path: Path) -> None:
    result = _run_script("--check", "--output", str(tmp_path / "absent.csv"))
    assert result.returncode == 1


def test_generate_writes_the_same_bytes(tmp_path: Path) -> None:
    output = tmp_path / "seed_calendar_days.csv"
    result = _run_script("--output", str(output))
    assert result.returncode == 0, result.stderr
    assert output.read_bytes() == SEED.read_bytes()


# --- shape -------------------------------------------------------------------------------------


def test_one_row_per_day_2020_to_2030(rows: dict[date, dict[str, str]]) -> None:
    assert len(rows) == 4018
    days = sorted(rows)
    assert days[0] == date(2020, 1, 1)
    assert days[-1] == date(2030, 12, 31)
    assert all(b - a == timedelta(days=1) for a, b in pairwise(days))


def test_header_has_the_contract_columns() -> None:
    with SEED.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    contract = [
        "date_key", "full_date", "year", "quarter", "month", "iso_week", "day_of_week", "day_name",
        "month_name", "is_weekend", "is_holiday", "fiscal_year", "fiscal_quarter",
    ]  # fmt: skip
    assert set(contract) <= set(header)
    assert len(header) == len(set(header))


def test_date_key_is_yyyymmdd(rows: dict[date, dict[str, str]]) -> None:
    for day, row in rows.items():
        assert int(row["date_key"]) == day.year * 10000 + day.month * 100 + day.day


# --- calendar and ISO --------------------------------------------------------------------------


def test_day_of_week_is_iso_monday_1(rows: dict[date, dict[str, str]]) -> None:
    assert rows[date(2026, 11, 23)]["day_of_week"] == "1"
    assert rows[date(2026, 11, 23)]["day_name"] == "Monday"
    assert rows[date(2026, 11, 29)]["day_of_week"] == "7"
    assert rows[date(2026, 11, 29)]["day_name"] == "Sunday"
    for row in rows.values():
        assert (row["is_weekend"] == "true") == (row["day_of_week"] in {"6", "7"})


def test_iso_week_belongs_to_iso_year(rows: dict[date, dict[str, str]]) -> None:
    row = rows[date(2021, 1, 3)]
    assert (row["iso_year"], row["iso_week"], row["year"]) == ("2020", "53", "2021")
    assert rows[date(2030, 12, 31)]["iso_year"] == "2031"
    assert rows[date(2030, 12, 31)]["iso_week"] == "1"
    assert rows[date(2021, 1, 3)]["week_start_date"] == "2020-12-28"


def test_month_helpers(rows: dict[date, dict[str, str]]) -> None:
    assert rows[date(2024, 2, 29)]["is_month_end"] == "true"
    assert rows[date(2024, 2, 28)]["is_month_end"] == "false"
    assert rows[date(2024, 12, 31)]["day_of_year"] == "366"
    assert rows[date(2024, 12, 31)]["month_start_date"] == "2024-12-01"
    assert rows[date(2024, 8, 15)]["quarter"] == "3"
    assert rows[date(2024, 8, 15)]["month_name"] == "August"


# --- fiscal calendar ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "fiscal_year", "fiscal_quarter"),
    [
        (date(2026, 1, 31), "2025", "4"),
        (date(2026, 2, 1), "2026", "1"),
        (date(2026, 4, 30), "2026", "1"),
        (date(2026, 5, 1), "2026", "2"),
        (date(2026, 10, 31), "2026", "3"),
        (date(2026, 11, 1), "2026", "4"),
        (date(2020, 1, 1), "2019", "4"),
        (date(2030, 12, 31), "2030", "4"),
    ],
)
def test_fiscal_year_starts_feb_1(
    rows: dict[date, dict[str, str]], day: date, fiscal_year: str, fiscal_quarter: str
) -> None:
    assert (rows[day]["fiscal_year"], rows[day]["fiscal_quarter"]) == (fiscal_year, fiscal_quarter)


# --- holidays ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2020, 7, 3), "Independence Day (observed)"),
        (date(2021, 12, 24), "Christmas Day (observed)"),
        (date(2021, 12, 31), "New Year's Day (observed)"),
        (date(2023, 1, 2), "New Year's Day (observed)"),
        (date(2021, 6, 18), "Juneteenth National Independence Day (observed)"),
        (date(2026, 11, 26), "Thanksgiving Day"),
        (date(2026, 1, 19), "Martin Luther King Jr. Day"),
        (date(2026, 5, 25), "Memorial Day"),
        (date(2026, 12, 25), "Christmas Day"),
    ],
)
def test_holiday(rows: dict[date, dict[str, str]], day: date, name: str) -> None:
    assert rows[day]["is_holiday"] == "true"
    assert rows[day]["holiday_name"] == name


@pytest.mark.parametrize(
    "day",
    [date(2020, 7, 4), date(2021, 12, 25), date(2022, 1, 1), date(2023, 1, 1), date(2020, 6, 19)],
)
def test_weekend_or_pre_juneteenth_date_not_flagged(rows: dict[date, dict[str, str]], day: date) -> None:
    assert rows[day]["is_holiday"] == "false"
    assert rows[day]["holiday_name"] == ""


def test_holiday_name_only_on_holidays_and_never_on_weekends(rows: dict[date, dict[str, str]]) -> None:
    for row in rows.values():
        assert (row["is_holiday"] == "true") == (row["holiday_name"] != "")
        if row["is_holiday"] == "true":
            assert row["is_weekend"] == "false"
            assert row["holiday_name"].removesuffix(OBSERVED_SUFFIX) in HOLIDAY_NAMES


def test_holidays_per_holiday_year(rows: dict[date, dict[str, str]]) -> None:
    """11 holidays a year from 2021, 10 in 2020 (no Juneteenth), by the holiday's own year.

    Only New Year's Day can be observed in another calendar year (on Dec 31 before
    it); those rows are asserted explicitly and counted in the following year.
    """
    by_year: defaultdict[int, Counter[str]] = defaultdict(Counter)
    crossing = []
    for day, row in rows.items():
        if row["is_holiday"] != "true":
            continue
        name = row["holiday_name"].removesuffix(OBSERVED_SUFFIX)
        holiday_year = day.year
        if name == "New Year's Day" and day.month == 12:
            crossing.append(day)
            holiday_year += 1
        by_year[holiday_year][name] += 1

    assert crossing == [date(2021, 12, 31), date(2027, 12, 31)]
    assert sorted(by_year) == list(range(2020, 2031))
    for year, names in by_year.items():
        expected = HOLIDAY_NAMES - {"Juneteenth National Independence Day"} if year == 2020 else HOLIDAY_NAMES
        assert set(names) == expected, year
        assert all(count == 1 for count in names.values()), year
        assert sum(names.values()) == (10 if year == 2020 else 11), year
