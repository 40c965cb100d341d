"""What a report says: its figures, tables and chart series, read from the reporting marts.

Every figure is a column of a mart (or a sum of a daily mart's rows over the report's days), read at
the warehouse's as_of: the instant the marts were built at (mart_executive_overview.as_of). Nothing is
recomputed from the raw tables. The report's windows are the marts' own: "today" is as_of's UTC date,
the 7 days are the 7 UTC days ending on it, the month is its calendar month up to it (README,
"Reports"; docs/decisions.md, "Reports").

A section whose mart is not built says so instead of failing the report. An --as-of before the
warehouse's first day of activity gives a report that says there is no data; any other --as-of than the marts'
is a bad value (the marts hold one instant: `ytempire-ops refresh --as-of` builds them at another).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from psycopg2 import sql

from ytempire_ops import errors
from ytempire_ops.config import Settings


class Kind(StrEnum):
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"


# How many top and bottom channels, top videos and users a table lists.
TOP = 10
CHART_DAYS = 30
TREND_DAYS = 28
USER_THRESHOLDS_USD = (1000, 5000, 10000)
HISTORY_HOURS = 24


@dataclass
class Figure:
    """One figure: `name` is its data-figure attribute, `unit` how it is shown (usd, count, pct, points,
    fraction, minutes, text, date)."""

    name: str
    label: str
    value: Any
    unit: str = "count"


@dataclass
class Column:
    name: str
    label: str
    unit: str = "text"


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    empty: str = "none"


@dataclass
class Chart:
    """A chart's data; render.py draws it. kind 'lines' (x: dates) or 'bars' (x: labels)."""

    name: str
    title: str
    kind: str
    x: list[Any]
    series: dict[str, list[float]]
    unit: str = "usd"
    # horizontal reference lines: label -> value
    lines: dict[str, float] = field(default_factory=dict)
    # the first and last day the x axis spans (lines over dates), when wider than the data's
    x_range: tuple[date, date] | None = None


@dataclass
class Section:
    name: str
    title: str
    note: str = ""
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass
class ReportData:
    kind: Kind
    as_of: datetime
    period: str
    sections: list[Section] = field(default_factory=list)
    # Set when the warehouse has no data at or before as_of: the one sentence the report says.
    no_data: str | None = None

    @property
    def as_of_date(self) -> date:
        return self.as_of.astimezone(UTC).date()

    @property
    def title(self) -> str:
        return f"YTEMPIRE {self.kind.value} report"

    @property
    def subject(self) -> str:
        return f"{self.title} \N{EM DASH} {self.as_of_date.isoformat()}"

    def figures(self) -> dict[str, Any]:
        """Every figure by name (the sections' figures; tables are not included)."""
        return {figure.name: figure.value for section in self.sections for figure in section.figures}


# --------------------------------------------------------------------------- reading


def _rows(cur: Any, query: str | sql.Composable, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict]:
    cur.execute(query, params)
    names = [column.name for column in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _one(cur: Any, query: str | sql.Composable, params: Sequence[Any] | dict[str, Any] = ()) -> dict:
    found = _rows(cur, query, params)
    return found[0] if found else {}


def _exists(cur: Any, relation: str) -> bool:
    cur.execute("select to_regclass(%s) is not null", (f"analytics.{relation}",))
    return bool(cur.fetchone()[0])


def _columns(cur: Any, relation: str) -> set[str]:
    cur.execute(
        "select column_name from information_schema.columns where table_schema = 'analytics'"
        " and table_name = %s",
        (relation,),
    )
    return {row[0] for row in cur.fetchall()}


def _missing(section: Section, relation: str) -> Section:
    section.note = f"analytics.{relation} is not built: run `ytempire-ops build`."
    return section


def thresholds(settings: Settings) -> tuple[Decimal, Decimal]:
    """The cost warning and critical thresholds in dollars: the dbt vars the marts use (dbt_project.yml)."""
    try:
        project = yaml.safe_load((settings.project_dir / "dbt_project.yml").read_text()) or {}
        values = project.get("vars") or {}
        warning, critical = values.get("cost_warning_cents", 250), values.get("cost_critical_cents", 300)
        return Decimal(str(warning)) / 100, Decimal(str(critical)) / 100
    except (OSError, yaml.YAMLError, ArithmeticError, ValueError):
        return Decimal("2.50"), Decimal("3.00")


def first_activity(cur: Any) -> datetime | None:
    """The start (00:00 UTC) of the warehouse's first day with activity: the earliest day of
    fact_channel_daily, which has a row for every channel-day with a poll, a cost line, a revenue date
    or a publication. None when it has none."""
    cur.execute(
        "select cast(min(activity_date) as timestamp) at time zone 'UTC' from analytics.fact_channel_daily"
    )
    return cur.fetchone()[0]


def load(settings: Settings, kind: Kind, as_of: datetime | None = None) -> ReportData:
    """The report's data at the marts' as_of (`as_of`, when given, must be it or precede every event)."""
    with closing(settings.connect()) as conn:
        conn.set_session(readonly=True, autocommit=True)
        with conn.cursor() as cur:
            if not _exists(cur, "mart_executive_overview"):
                raise errors.UserError(
                    "the reporting marts are not built (analytics.mart_executive_overview is missing): "
                    "run `ytempire-ops build` first."
                )
            overview = _one(cur, "select * from analytics.mart_executive_overview")
            marts_as_of: datetime | None = overview.get("as_of")
            first = first_activity(cur)
            if as_of is not None and (first is None or as_of < first):
                return _no_data(kind, as_of, first)
            if marts_as_of is None:
                raise errors.UserError(
                    "analytics.mart_executive_overview is empty: run `ytempire-ops build`."
                )
            if as_of is not None and as_of != marts_as_of:
                raise errors.BadValue(
                    f"the marts are built at {marts_as_of.isoformat()}, not at --as-of {as_of.isoformat()}: "
                    f"`ytempire-ops refresh --as-of {as_of.isoformat()}` builds them there (or leave out "
                    "--as-of for the marts' own)."
                )
            if first is None or marts_as_of < first:
                return _no_data(kind, marts_as_of, first)
            builder = {Kind.daily: _daily, Kind.weekly: _weekly, Kind.monthly: _monthly}[kind]
            return builder(cur, overview, settings)


def _no_data(kind: Kind, as_of: datetime, first: datetime | None) -> ReportData:
    when = f"its first day with activity starts at {first.isoformat()}" if first else "it holds no activity"
    return ReportData(
        kind=kind,
        as_of=as_of,
        period="no data",
        no_data=f"The warehouse has no data at or before {as_of.isoformat()}: {when}.",
    )


# --------------------------------------------------------------------------- shared sections


def _platform_days(cur: Any, first_day: date, last_day: date) -> list[dict]:
    return _rows(
        cur,
        "select date_day, revenue_usd, cost_usd, profit_usd, roi_pct, active_channels, videos_published,"
        " views_gained from analytics.mart_platform_daily where date_day between %s and %s order by date_day",
        (first_day, last_day),
    )


# The totals of mart_platform_daily over a range of days, from its cents as mart_executive_overview
# computes its 7 days (so the 7 days ending on as_of's date give the overview's figures exactly):
# revenue, cost and profit in dollars, the ROI of the sums (the roi_pct macro: NULL without cost, 2
# decimals), views and videos published, and the days the mart holds in the range.
PERIOD_TOTALS = """
select round(coalesce(sum(revenue_cents), 0) / 100.0, 2) as revenue_usd,
       round(coalesce(sum(cost_cents), 0) / 100.0, 2) as cost_usd,
       round(coalesce(sum(revenue_cents) - sum(cost_cents), 0) / 100.0, 2) as profit_usd,
       case when coalesce(sum(cost_cents), 0) = 0 then null
            else round((sum(revenue_cents) - sum(cost_cents)) / sum(cost_cents) * 100, 2) end as roi_pct,
       coalesce(sum(views_gained), 0) as views_gained,
       coalesce(sum(videos_published), 0) as videos_published,
       count(*) as days
from analytics.mart_platform_daily
where date_day between %s and %s
"""


# The rows of a comparison table: (the period totals' column, label, unit).
CHANGE_METRICS = (
    ("revenue_usd", "Revenue", "usd"),
    ("cost_usd", "Cost", "usd"),
    ("profit_usd", "Profit", "usd"),
    ("roi_pct", "ROI", "pct"),
    ("views_gained", "Views gained", "count"),
    ("videos_published", "Videos published", "count"),
)


def change_pct(current: Any, previous: Any) -> Decimal | None:
    """(current - previous) / |previous| x 100, 1 decimal; None without a previous value other than 0."""
    if current is None or previous is None or Decimal(previous) == 0:
        return None
    return ((Decimal(current) - Decimal(previous)) / abs(Decimal(previous)) * 100).quantize(Decimal("0.1"))


def change_points(current: Any, previous: Any) -> Decimal | None:
    """The difference of two percentages, in points; None when either is undefined."""
    if current is None or previous is None:
        return None
    return Decimal(current) - Decimal(previous)


def _comparison(
    name: str,
    title: str,
    current: dict,
    previous: dict,
    current_label: str,
    previous_label: str,
    whole: tuple[dict, str] | None = None,
) -> Table:
    """Each metric this period, the period before and the change; `whole`: one more column (the
    month before in full)."""
    rows = []
    for metric, label, unit in CHANGE_METRICS:
        now, before = current.get(metric), previous.get(metric)
        rows.append(
            {
                "metric": metric,
                "label": label,
                "current": now,
                "previous": before,
                # ROI's change is in points; the others' in percent
                "change": change_points(now, before) if unit == "pct" else change_pct(now, before),
                "unit": unit,
                **({"whole": whole[0].get(metric)} if whole else {}),
            }
        )
    columns = [
        Column("label", ""),
        Column("current", current_label, "metric"),
        Column("previous", previous_label, "metric"),
        Column("change", "change", "change"),
    ]
    if whole:
        columns.append(Column("whole", whole[1], "metric"))
    return Table(name=name, title=title, columns=columns, rows=rows)


def _revenue_cost_chart(days: list[dict], name: str, title: str) -> Chart:
    return Chart(
        name=name,
        title=title,
        kind="lines",
        x=[row["date_day"] for row in days],
        series={
            "revenue": [float(row["revenue_usd"]) for row in days],
            "cost": [float(row["cost_usd"]) for row in days],
        },
    )


CHANNEL_COLUMNS = [
    Column("channel_name", "channel"),
    Column("niche", "niche"),
    Column("videos_published", "videos published", "count"),
    Column("views", "views gained", "count"),
    Column("revenue_usd", "revenue", "usd"),
    Column("cost_usd", "cost", "usd"),
    Column("profit_usd", "profit", "usd"),
    Column("profit_rank", "profit rank", "count"),
]
OPTIONAL_CHANNEL_COLUMNS = [
    Column("rpm_usd", "RPM", "usd"),
    Column("rpm_tier", "RPM tier"),
    Column("views_change_pct", "views vs the 7 days before", "pct"),
]


def _channel_columns(cur: Any) -> list[Column]:
    present = _columns(cur, "mart_channel_performance")
    return CHANNEL_COLUMNS + [column for column in OPTIONAL_CHANNEL_COLUMNS if column.name in present]


def _channel_rows(cur: Any, columns: list[Column], order: str, limit: int = TOP) -> list[dict]:
    names = sql.SQL(", ").join(sql.Identifier(c.name) for c in [Column("channel_id", ""), *columns])
    return _rows(
        cur,
        sql.SQL("select {} from analytics.mart_channel_performance order by {} limit %s").format(
            names, sql.SQL(order)
        ),
        (limit,),
    )


# --------------------------------------------------------------------------- daily


def _daily(cur: Any, overview: dict, settings: Settings) -> ReportData:
    as_of: datetime = overview["as_of"]
    today: date = overview["as_of_date"]
    window_start: date = overview["window_start_date"]
    data = ReportData(
        kind=Kind.daily,
        as_of=as_of,
        period=f"{today.isoformat()} up to {as_of.isoformat()}; 7 days: {window_start} to {today}",
    )
    has_daily = _exists(cur, "mart_platform_daily")

    summary = Section("summary", "Executive summary")
    if has_daily:
        yesterday = _one(
            cur,
            "select date_day, revenue_usd, cost_usd, profit_usd, videos_published"
            " from analytics.mart_platform_daily where date_day = %s",
            (today - timedelta(days=1),),
        )
        summary.figures += [
            Figure(
                "yesterday_revenue_usd",
                f"Revenue {today - timedelta(days=1)}",
                yesterday.get("revenue_usd"),
                "usd",
            ),
            Figure(
                "yesterday_profit_usd",
                f"Profit {today - timedelta(days=1)}",
                yesterday.get("profit_usd"),
                "usd",
            ),
            Figure(
                "yesterday_videos_published",
                f"Videos published {today - timedelta(days=1)}",
                yesterday.get("videos_published"),
            ),
        ]
    summary.figures += [
        Figure("revenue_7d_usd", "Revenue, 7 days", overview["revenue_7d_usd"], "usd"),
        Figure("cost_7d_usd", "Cost, 7 days", overview["cost_7d_usd"], "usd"),
        Figure("profit_7d_usd", "Profit, 7 days", overview["profit_7d_usd"], "usd"),
        Figure("roi_7d_pct", "ROI, 7 days", overview["roi_7d_pct"], "pct"),
        Figure("videos_published_today", "Videos published today", overview["videos_published_today"]),
        Figure("videos_published_7d", "Videos published, 7 days", overview["videos_published_7d"]),
        Figure(
            "avg_cost_per_video_usd", "Avg cost per video, 7 days", overview["avg_cost_per_video_usd"], "usd"
        ),
        Figure("active_channels", "Active channels", overview["active_channels"]),
        Figure("users_at_goal", "Users at their monthly goal", overview["users_at_goal"]),
    ]
    if has_daily:
        days = _platform_days(cur, today - timedelta(days=CHART_DAYS - 1), today)
        summary.charts.append(
            _revenue_cost_chart(days, "revenue_vs_cost_30d", f"Revenue and cost per day, {CHART_DAYS} days")
        )
    else:
        _missing(summary, "mart_platform_daily")
    data.sections.append(summary)

    channels = Section("channels", "Channels by profit, 7 days")
    columns = _channel_columns(cur)
    channels.tables += [
        Table(
            "top_channels",
            f"Top {TOP}",
            columns,
            _channel_rows(cur, columns, "profit_rank, channel_id"),
        ),
        Table(
            "bottom_channels",
            f"Bottom {TOP}",
            columns,
            _channel_rows(cur, columns, "profit_rank desc, channel_id desc"),
        ),
    ]
    data.sections.append(channels)

    data.sections.append(_daily_costs(cur, overview, settings))
    data.sections.append(_pipeline(cur))
    data.sections.append(_alerts(cur, as_of))
    return data


CATEGORIES = ("ai", "api", "compute", "storage", "bandwidth")


def _daily_costs(cur: Any, overview: dict, settings: Settings) -> Section:
    warning, critical = thresholds(settings)
    costs = Section(
        "costs",
        "Cost analysis, 7 days",
        note=(
            "By category: the videos produced in the 7 days (first cost line in them), the base of the "
            "average cost per video. Videos at or above the thresholds: those with a cost line in the 7 "
            "days, as the cost alerts count them."
        ),
    )
    window = {"start": overview["window_start_date"], "as_of": overview["as_of"]}
    produced = (
        "from analytics.mart_video_economics where first_cost_incurred_at >= "
        "cast(%(start)s as timestamp) at time zone 'UTC' and first_cost_incurred_at <= %(as_of)s"
    )
    categories = _one(
        cur,
        "select count(*) as videos, "
        + ", ".join(
            f"round(avg({name}_cost_cents) / 100, 2) as {name}_avg_usd, "
            f"round(sum({name}_cost_cents) / 100, 2) as {name}_total_usd"
            for name in CATEGORIES
        )
        + " "
        + produced,
        window,
    )
    rows = [
        {
            "category": name,
            "avg_per_video_usd": categories.get(f"{name}_avg_usd"),
            "total_usd": categories.get(f"{name}_total_usd"),
        }
        for name in CATEGORIES
    ]
    costs.figures.append(Figure("videos_produced_7d", "Videos produced, 7 days", categories.get("videos")))
    costs.tables.append(
        Table(
            "cost_by_category",
            "By category",
            [
                Column("category", "category"),
                Column("avg_per_video_usd", "avg per video", "usd"),
                Column("total_usd", "total", "usd"),
            ],
            rows,
        )
    )
    costs.charts.append(
        Chart(
            "cost_by_category",
            "Average cost per video by category, 7 days",
            "bars",
            x=list(CATEGORIES),
            series={"avg per video": [float(row["avg_per_video_usd"] or 0) for row in rows]},
        )
    )
    if _exists(cur, "mart_cost_by_method_7d"):
        costs.tables.append(
            Table(
                "cost_by_method",
                "By generation method",
                [
                    Column("generation_method", "method"),
                    Column("videos", "videos", "count"),
                    Column("avg_cost_usd", "avg", "usd"),
                    Column("median_cost_usd", "median", "usd"),
                    Column("p90_cost_usd", "p90", "usd"),
                    Column("min_cost_usd", "min", "usd"),
                    Column("max_cost_usd", "max", "usd"),
                ],
                _rows(
                    cur,
                    "select generation_method, videos, avg_cost_usd, median_cost_usd, p90_cost_usd,"
                    " min_cost_usd, max_cost_usd from analytics.mart_cost_by_method_7d"
                    " order by generation_method",
                ),
            )
        )
    else:
        costs.note += " analytics.mart_cost_by_method_7d is not built: run `ytempire-ops build`."
    costed = (
        "from analytics.mart_video_economics where last_cost_incurred_at >= "
        "cast(%(start)s as timestamp) at time zone 'UTC' and last_cost_incurred_at <= %(as_of)s"
    )
    counts = _one(
        cur,
        "select count(*) filter (where cost_alert_level in ('warning', 'critical')) as at_warning,"
        " count(*) filter (where cost_alert_level = 'critical') as at_critical " + costed,
        window,
    )
    costs.figures += [
        Figure("videos_at_warning", f"Videos at or above ${warning:.2f}", counts.get("at_warning")),
        Figure("videos_at_critical", f"Videos at or above ${critical:.2f}", counts.get("at_critical")),
    ]
    costs.tables.append(
        Table(
            "costliest_videos",
            f"Videos at or above ${warning:.2f}, costliest first (at most {TOP})",
            [
                Column("video_id", "video"),
                Column("title", "title"),
                Column("channel_id", "channel"),
                Column("generation_method", "method"),
                Column("total_cost_usd", "cost", "usd"),
                Column("cost_alert_level", "level"),
            ],
            _rows(
                cur,
                "select video_id, title, channel_id, generation_method,"
                " round(total_cost_cents / 100, 2) as total_cost_usd, cost_alert_level "
                + costed
                + " and cost_alert_level is not null order by total_cost_cents desc, video_id limit %(top)s",
                {**window, "top": TOP},
            ),
        )
    )
    return costs


def _pipeline(cur: Any) -> Section:
    section = Section("pipeline", "Pipeline, 24 hours")
    if not _exists(cur, "mart_pipeline_status"):
        return _missing(section, "mart_pipeline_status")
    row = _one(cur, "select * from analytics.mart_pipeline_status")
    section.figures += [
        Figure("pipeline_health", "Health", row.get("health"), "text"),
        Figure("pipeline_queued", "Queued now", row.get("queued")),
        Figure("pipeline_processing", "Processing now", row.get("processing")),
        Figure("pipeline_completed", "Completed", row.get("completed")),
        Figure("pipeline_failed", "Failed", row.get("failed")),
        Figure("pipeline_cancelled", "Cancelled", row.get("cancelled")),
        Figure("pipeline_failure_rate", "Failure rate", row.get("failure_rate"), "fraction"),
        Figure(
            "pipeline_avg_completion_minutes", "Avg completion", row.get("avg_completion_minutes"), "minutes"
        ),
    ]
    return section


ALERT_COLUMNS = [
    Column("alert_type", "alert"),
    Column("severity", "severity"),
    Column("entity_type", "entity"),
    Column("entity_id", "id"),
    Column("message", "message"),
]


def _alerts(cur: Any, as_of: datetime) -> Section:
    section = Section("alerts", "Alerts")
    if not _exists(cur, "mart_alerts"):
        return _missing(section, "mart_alerts")
    open_alerts = _rows(
        cur,
        "select alert_type, severity, entity_type, entity_id, message from analytics.mart_alerts"
        " order by severity = 'critical' desc, alert_type, entity_type, entity_id",
    )
    section.figures += [
        Figure("alerts_open", "Open", len(open_alerts)),
        Figure(
            "alerts_open_critical", "Open, critical", sum(a["severity"] == "critical" for a in open_alerts)
        ),
    ]
    section.tables.append(Table("open_alerts", "Open alerts", ALERT_COLUMNS, open_alerts))
    if not _exists(cur, "alert_history"):
        section.note = "analytics.alert_history is not built: run `ytempire-ops build`."
        return section
    window = {"as_of": as_of, "hours": HISTORY_HOURS}
    history_columns = [*ALERT_COLUMNS, Column("opened_at", "opened"), Column("resolved_at", "resolved")]
    for name, label, column in (("opened", "Opened", "opened_at"), ("resolved", "Resolved", "resolved_at")):
        episodes = _rows(
            cur,
            sql.SQL(
                "select alert_type, severity, entity_type, entity_id, message, opened_at, resolved_at"
                " from analytics.alert_history"
                " where {c} > %(as_of)s - make_interval(hours => %(hours)s) and {c} <= %(as_of)s"
                " order by {c} desc, alert_type, entity_type, entity_id"
            ).format(c=sql.Identifier(column)),
            window,
        )
        section.figures.append(Figure(f"alerts_{name}_24h", f"{label} in {HISTORY_HOURS} h", len(episodes)))
        section.tables.append(
            Table(
                f"alerts_{name}_24h",
                f"{label} in the {HISTORY_HOURS} h before as_of",
                history_columns,
                episodes,
            )
        )
    return section


# --------------------------------------------------------------------------- weekly


def _weekly(cur: Any, overview: dict, settings: Settings) -> ReportData:
    as_of: datetime = overview["as_of"]
    today: date = overview["as_of_date"]
    start: date = overview["window_start_date"]
    previous_start, previous_end = start - timedelta(days=7), start - timedelta(days=1)
    data = ReportData(
        kind=Kind.weekly,
        as_of=as_of,
        period=f"{start} to {today} (up to {as_of.isoformat()}) against {previous_start} to {previous_end}",
    )
    week = Section("week_over_week", "Week over week")
    if _exists(cur, "mart_platform_daily"):
        current = _one(cur, PERIOD_TOTALS, (start, today))
        previous = _one(cur, PERIOD_TOTALS, (previous_start, previous_end))
        week.figures += [
            Figure("week_revenue_usd", "Revenue", current["revenue_usd"], "usd"),
            Figure("week_views_gained", "Views gained", current["views_gained"]),
            Figure("week_cost_usd", "Cost", current["cost_usd"], "usd"),
            Figure("week_roi_pct", "ROI", current["roi_pct"], "pct"),
        ]
        week.tables.append(
            _comparison(
                "week_over_week",
                "This week against the week before",
                current,
                previous,
                f"{start} to {today}",
                f"{previous_start} to {previous_end}",
            )
        )
        if previous["days"] < 7:
            week.note = f"The mart holds {previous['days']} of the 7 days before {start}."
    else:
        _missing(week, "mart_platform_daily")
    data.sections.append(week)

    top = Section("top", "Top channels and videos, 7 days")
    columns = _channel_columns(cur)
    top.tables.append(
        Table(
            "top_channels",
            f"Top {TOP} channels by revenue",
            columns,
            _channel_rows(cur, columns, "revenue_rank, channel_id"),
        )
    )
    top.tables.append(
        Table(
            "top_videos",
            f"Top {TOP} videos published in the 7 days, by revenue",
            [
                Column("video_id", "video"),
                Column("title", "title"),
                Column("channel_id", "channel"),
                Column("revenue_usd", "revenue", "usd"),
                Column("cost_usd", "cost", "usd"),
                Column("roi_pct", "ROI", "pct"),
            ],
            _rows(
                cur,
                "select video_id, title, channel_id, round(total_revenue_cents / 100, 2) as revenue_usd,"
                " round(total_cost_cents / 100, 2) as cost_usd, roi_pct"
                " from analytics.mart_video_economics"
                " where published_at >= cast(%(start)s as timestamp) at time zone 'UTC'"
                " and published_at <= %(as_of)s"
                " order by total_revenue_cents desc, video_id limit %(top)s",
                {"start": start, "as_of": as_of, "top": TOP},
            ),
        )
    )
    data.sections.append(top)
    data.sections.append(_cost_trend(cur, today, settings))
    return data


def _cost_trend(cur: Any, today: date, settings: Settings) -> Section:
    section = Section("cost_trend", f"Cost trend, {TREND_DAYS} days")
    first = today - timedelta(days=TREND_DAYS - 1)
    if not _exists(cur, "mart_cost_breakdown_daily"):
        return _missing(section, "mart_cost_breakdown_daily")
    days = _rows(
        cur,
        "select cost_date, sum(videos) as videos, sum(total_cost_usd) as total_cost_usd,"
        " round(sum(total_cost_usd) / nullif(sum(videos), 0), 2) as avg_cost_per_video_usd"
        " from analytics.mart_cost_breakdown_daily where cost_date between %s and %s"
        " group by cost_date order by cost_date",
        (first, today),
    )
    warning, critical = thresholds(settings)
    section.charts.append(
        Chart(
            "cost_per_video_trend",
            f"Average cost per video per day, {TREND_DAYS} days",
            "lines",
            x=[row["cost_date"] for row in days],
            series={"avg cost per video": [float(row["avg_cost_per_video_usd"] or 0) for row in days]},
            lines={f"${warning:.2f}": float(warning), f"${critical:.2f}": float(critical)},
            x_range=(first, today),
        )
    )
    section.tables.append(
        Table(
            "cost_trend",
            "Per day (mart_cost_breakdown_daily)",
            [
                Column("cost_date", "day"),
                Column("videos", "videos", "count"),
                Column("total_cost_usd", "cost", "usd"),
                Column("avg_cost_per_video_usd", "avg per video", "usd"),
            ],
            list(reversed(days)),
        )
    )
    return section


# --------------------------------------------------------------------------- monthly


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _monthly(cur: Any, overview: dict, settings: Settings) -> ReportData:
    as_of: datetime = overview["as_of"]
    today: date = overview["as_of_date"]
    month_start = _month_start(today)
    previous_end = month_start - timedelta(days=1)
    previous_start = _month_start(previous_end)
    same_days_end = min(previous_start + (today - month_start), previous_end)
    data = ReportData(
        kind=Kind.monthly,
        as_of=as_of,
        period=f"{month_start:%B %Y} to {today} (up to {as_of.isoformat()})",
    )
    month = Section(
        "month",
        f"{month_start:%B %Y} to date",
        note=(
            f"Growth compares {month_start} to {today} with the same days of the month before, "
            f"{previous_start} to {same_days_end}."
        ),
    )
    users = (
        _one(
            cur,
            "select count(*) as users, count(*) filter (where is_active) as active_users,"
            + ", ".join(
                f" count(*) filter (where current_month_revenue_usd >= {amount}) as users_at_{amount}"
                for amount in USER_THRESHOLDS_USD
            )
            + ", count(*) filter (where is_at_goal) as users_at_goal"
            " from analytics.mart_user_revenue_tracking",
        )
        if _exists(cur, "mart_user_revenue_tracking")
        else {}
    )
    month.figures += [
        Figure("users", "Users", users.get("users")),
        Figure("active_users", "Active users", users.get("active_users")),
        Figure("active_channels", "Active channels", overview["active_channels"]),
        Figure("total_channels", "Channels", overview["total_channels"]),
    ]
    if _exists(cur, "mart_platform_daily"):
        current = _one(cur, PERIOD_TOTALS, (month_start, today))
        same_days = _one(cur, PERIOD_TOTALS, (previous_start, same_days_end))
        whole = _one(cur, PERIOD_TOTALS, (previous_start, previous_end))
        month.figures += [
            Figure("month_videos_published", "Videos published", current["videos_published"]),
            Figure("month_revenue_usd", "Revenue", current["revenue_usd"], "usd"),
            Figure("month_cost_usd", "Cost", current["cost_usd"], "usd"),
            Figure("month_profit_usd", "Profit", current["profit_usd"], "usd"),
            Figure("month_roi_pct", "ROI", current["roi_pct"], "pct"),
            Figure(
                "previous_month_revenue_usd",
                f"Revenue, {previous_start:%B} (whole month)",
                whole["revenue_usd"],
                "usd",
            ),
        ]
        month.tables.append(
            _comparison(
                "month_growth",
                "Growth against the month before (same days)",
                current,
                same_days,
                f"{month_start} to {today}",
                f"{previous_start} to {same_days_end}",
                whole=(whole, f"{previous_start:%B} in full"),
            )
        )
        if whole["days"] < (previous_end - previous_start).days + 1:
            month.note += f" The mart holds {whole['days']} days of {previous_start:%B}."
        days = _platform_days(cur, previous_start, today)
        month.charts.append(
            _revenue_cost_chart(
                days,
                "revenue_vs_cost_months",
                f"Revenue and cost per day, {previous_start:%B} and {month_start:%B}",
            )
        )
    else:
        _missing(month, "mart_platform_daily")
    data.sections.append(month)

    goals = Section(
        "user_revenue",
        f"Users by revenue, {month_start:%B %Y} to date",
        note="Revenue of the month to date (mart_user_revenue_tracking).",
    )
    if users:
        goals.figures += [
            Figure(f"users_at_{amount}", f"Users at ${amount:,}", users.get(f"users_at_{amount}"))
            for amount in USER_THRESHOLDS_USD
        ]
        goals.figures.append(Figure("users_at_goal", "Users at their own goal", users.get("users_at_goal")))
        goals.tables.append(
            Table(
                "top_users",
                f"Top {TOP} users by revenue this month",
                [
                    Column("user_id", "user"),
                    Column("subscription_tier", "tier"),
                    Column("channel_count", "channels", "count"),
                    Column("current_month_revenue_usd", "revenue", "usd"),
                    Column("target_monthly_revenue_usd", "goal", "usd"),
                    Column("goal_progress_pct", "of goal", "pct"),
                ],
                _rows(
                    cur,
                    "select user_id::text as user_id, subscription_tier, channel_count, current_month_revenue_usd,"
                    " target_monthly_revenue_usd, goal_progress_pct from analytics.mart_user_revenue_tracking"
                    " order by current_month_revenue_usd desc, user_id limit %s",
                    (TOP,),
                ),
            )
        )
    else:
        _missing(goals, "mart_user_revenue_tracking")
    data.sections.append(goals)
    return data


def report_path(settings: Settings, data: ReportData, out: Path | None) -> Path:
    """--out, else <reports dir>/<kind>-<as_of's date>.html."""
    if out is not None:
        return out
    return settings.reports_dir / f"{data.kind.value}-{data.as_of_date.isoformat()}.html"


__all__ = [
    "Chart",
    "Column",
    "Figure",
    "Kind",
    "ReportData",
    "Section",
    "Table",
    "change_pct",
    "load",
    "report_path",
]
