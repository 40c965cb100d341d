"""Panel SQL as Grafana's PostgreSQL datasource runs it: macros and variables expanded, results checked.

Grafana expands `$__timeFilter(col)`, `$__timeFrom()`, `$__timeTo()`, `$__interval` and the
dashboard's variables before the query reaches PostgreSQL. `expand` does the same for the macros
the PostgreSQL datasource documents, so tests and benchmarks/dashboard_panels.py run each panel's
query exactly as Grafana would send it; a macro it does not know is an error rather than a query
that only fails in Grafana. `check_result` says what a panel of its kind needs from the rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

_SPAN = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Grafana's rounding of $__interval (its rangeutil.roundInterval, from one second up):
# a raw interval up to the first value becomes the second.
_INTERVAL_ROUNDING = (
    (1.5, 1),
    (3.5, 2),
    (7.5, 5),
    (12.5, 10),
    (17.5, 15),
    (25, 20),
    (45, 30),
    (90, 60),
    (210, 120),
    (450, 300),
    (750, 600),
    (1050, 900),
    (1500, 1200),
    (2700, 1800),
    (5400, 3600),
    (9000, 7200),
    (16200, 10800),
    (32400, 21600),
    (86400, 43200),
    (604800, 86400),
    (1814400, 604800),
    (31536000, 2592000),
)


@dataclass(frozen=True)
class Raw:
    """A variable's value inserted as written: what Grafana does with a variable's custom "All" value."""

    text: str


class MacroError(ValueError):
    """A macro or variable the expander does not know, or one used with the wrong arguments."""


def span_seconds(span: str) -> int:
    """'24h' -> 86400 (Grafana's relative time units s, m, h, d, w)."""
    match = _SPAN.match(span)
    if not match:
        raise MacroError(f"not a relative time span: {span!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime

    @classmethod
    def last(cls, span: str, now: datetime) -> TimeRange:
        """now-<span> .. now, as Grafana's time picker gives it."""
        return cls(now - timedelta(seconds=span_seconds(span)), now)

    def interval_seconds(self, max_data_points: int = 1000) -> int:
        raw = (self.end - self.start).total_seconds() / max_data_points
        return next((rounded for bound, rounded in _INTERVAL_ROUNDING if raw <= bound), 31536000)


def _rfc3339(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _interval_text(seconds: int) -> str:
    for unit in ("d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _arguments(sql: str, start: int) -> tuple[list[str], int]:
    """The comma-separated arguments of the call whose '(' is at `start`, and the index after ')'."""
    depth, args, current = 0, [], []
    i = start
    while i < len(sql):
        char = sql[i]
        if char == "(":
            depth += 1
            if depth > 1:
                current.append(char)
        elif char == ")":
            depth -= 1
            if depth == 0:
                text = "".join(current).strip()
                if text or args:
                    args.append(text)
                return args, i + 1
            current.append(char)
        elif char == "," and depth == 1:
            args.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        i += 1
    raise MacroError(f"unbalanced parentheses after position {start}")


def expand(
    sql: str, time_range: TimeRange, variables: Mapping[str, Sequence[str] | Raw] | None = None
) -> str:
    """The SQL Grafana's PostgreSQL datasource would run for this time range and these variable values.

    A variable's values become a comma-separated list of quoted values (Grafana's default format for
    SQL datasources); "All" is the variable's custom all value as written (`Raw`), or, without one,
    the list of every value.
    """
    frm, to = _rfc3339(time_range.start), _rfc3339(time_range.end)
    interval = time_range.interval_seconds()
    out: list[str] = []
    i = 0
    macro = re.compile(r"\$__(\w+)")
    while True:
        match = macro.search(sql, i)
        if not match:
            out.append(sql[i:])
            break
        out.append(sql[i : match.start()])
        name, end = match.group(1), match.end()
        args: list[str] = []
        if end < len(sql) and sql[end] == "(":
            args, end = _arguments(sql, end)
        out.append(_macro(name, args, frm, to, time_range, interval))
        i = end
    return _variables("".join(out), variables or {})


def _macro(name: str, args: list[str], frm: str, to: str, time_range: TimeRange, interval: int) -> str:
    def need(count: int) -> None:
        if len(args) < count:
            raise MacroError(f"$__{name} needs {count} argument(s), got {len(args)}")

    if name == "timeFilter":
        need(1)
        return f"{args[0]} BETWEEN '{frm}' AND '{to}'"
    if name == "timeFrom":
        return f"'{frm}'"
    if name == "timeTo":
        return f"'{to}'"
    if name == "time":
        need(1)
        return f'{args[0]} AS "time"'
    if name == "timeEpoch":
        need(1)
        return f'extract(epoch from {args[0]}) AS "time"'
    if name in ("timeGroup", "timeGroupAlias"):
        need(2)
        step = span_seconds(args[1].strip("'\"")) if args[1].strip("'\"") != "$__interval" else interval
        group = f"floor(extract(epoch from {args[0]})/{step})*{step}"
        return group + (' AS "time"' if name == "timeGroupAlias" else "")
    if name == "unixEpochFilter":
        need(1)
        start, end = int(time_range.start.timestamp()), int(time_range.end.timestamp())
        return f"{args[0]} >= {start} AND {args[0]} <= {end}"
    if name == "interval":
        return _interval_text(interval)
    if name == "interval_ms":
        return str(interval * 1000)
    raise MacroError(f"unknown Grafana macro $__{name}")


def _variables(sql: str, variables: Mapping[str, Sequence[str] | Raw]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in variables:
            raise MacroError(f"unknown dashboard variable ${name}")
        given = variables[name]
        if isinstance(given, Raw):
            return given.text
        values = list(given)
        if not values:
            raise MacroError(f"variable ${name} has no value")
        return ",".join(_quote(value) for value in values)

    return re.sub(r"\$\{(\w+)\}|\$([A-Za-z_]\w*)", replace, sql)


# --------------------------------------------------------------------------- panels of a dashboard


@dataclass(frozen=True)
class PanelQuery:
    """One query of one panel, with what the panel needs from its result."""

    dashboard_uid: str
    panel_id: int
    title: str
    panel_type: str
    format: str
    sql: str
    time_from: str | None  # the panel's own relative range ("30d"), else the dashboard's
    column_names: tuple[str, ...] = field(default=())  # the columns its field overrides name

    @property
    def key(self) -> str:
        return f"{self.dashboard_uid}/{self.panel_id} {self.title}"

    def uses(self, variable: str) -> bool:
        return f"${variable}" in self.sql or f"${{{variable}}}" in self.sql


def panel_queries(dashboard: Mapping[str, Any] | str) -> Iterator[PanelQuery]:
    """Every SQL target of a dashboard's JSON (text or parsed)."""
    model = json.loads(dashboard) if isinstance(dashboard, str) else dashboard
    for panel in model.get("panels") or []:
        names = tuple(
            override["matcher"]["options"]
            for override in (panel.get("fieldConfig") or {}).get("overrides") or []
            if override.get("matcher", {}).get("id") == "byName"
        )
        for target in panel.get("targets") or []:
            if "rawSql" not in target:
                continue
            yield PanelQuery(
                dashboard_uid=model["uid"],
                panel_id=panel.get("id", 0),
                title=panel.get("title", ""),
                panel_type=panel["type"],
                format=target.get("format", "table"),
                sql=target["rawSql"],
                time_from=panel.get("timeFrom"),
                column_names=names,
            )


@dataclass(frozen=True)
class QueryVariable:
    name: str
    query: str
    all_value: str | None  # the custom "All" value, inserted as written; None: All is every value


def query_variables(dashboard: Mapping[str, Any] | str) -> list[QueryVariable]:
    """The dashboard's query variables."""
    model = json.loads(dashboard) if isinstance(dashboard, str) else dashboard
    return [
        QueryVariable(variable["name"], variable["query"], variable.get("allValue") or None)
        for variable in (model.get("templating") or {}).get("list") or []
        if variable.get("type") == "query"
    ]


def all_of(variable: QueryVariable, values: Sequence[str]) -> Sequence[str] | Raw:
    """What Grafana puts in for "All"."""
    return Raw(variable.all_value) if variable.all_value else list(values)


def check_result(query: PanelQuery, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """What is wrong with a panel's result: a time series without an ascending `time` column, or a
    column its field overrides name that the query does not return."""
    problems = []
    if query.format == "time_series":
        if "time" not in columns:
            problems.append(
                f"{query.key}: a time series without a `time` column (columns: {', '.join(columns)})"
            )
        else:
            position = list(columns).index("time")
            times = [row[position] for row in rows]
            if any(t is None for t in times):
                problems.append(f"{query.key}: a NULL time")
            elif times != sorted(times):
                problems.append(f"{query.key}: `time` is not ascending")
    missing = [name for name in query.column_names if name not in columns]
    if missing:
        problems.append(
            f"{query.key}: its field overrides name {', '.join(missing)}, which the query does not return"
        )
    return problems
