"""A report as one self-contained HTML page (Jinja2 templates, inline CSS, inline SVG charts) and as
plain text, from report data (data.py).

Every figure and table cell of the page carries its value as the mart gave it: a figure is
`<… data-figure="revenue_7d_usd" data-value="1234.56">`, a table row `<tr data-row="top_channels">`
with cells `<td data-field="profit_usd" data-value="…">`; `null` stands for a NULL. What the page shows
is the same value formatted.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import jinja2
from markupsafe import Markup

from ytempire_ops.reports import charts
from ytempire_ops.reports.data import Column, ReportData, Table

DASH = "\N{EN DASH}"


def raw(value: Any) -> str:
    """A value as the data-value attribute holds it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def formatted(value: Any, unit: str) -> str:
    """A value as the report shows it."""
    if value is None:
        return DASH
    if unit == "usd":
        amount = Decimal(value)
        return f"{'-' if amount < 0 else ''}${abs(amount):,.2f}"
    if unit == "count":
        return f"{int(value):,}"
    if unit == "pct":
        return f"{Decimal(value):,.2f} %"
    if unit == "change":
        return f"{Decimal(value):+,.1f} %"
    if unit == "points":
        return f"{Decimal(value):+,.2f} pp"
    if unit == "fraction":
        return f"{Decimal(value) * 100:,.2f} %"
    if unit == "minutes":
        return f"{Decimal(value):,.1f} min"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC") if value.utcoffset() is not None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def cell_unit(column: Column, row: dict[str, Any]) -> str:
    """The unit a cell is shown in: a comparison table's rows carry their own."""
    if column.unit == "metric":
        return str(row.get("unit", "text"))
    if column.unit == "change":
        return "points" if row.get("unit") == "pct" else "change"
    return column.unit


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("ytempire_ops.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["raw"] = raw
    environment.filters["formatted"] = formatted
    environment.globals["cell_unit"] = cell_unit
    return environment


def render_html(data: ReportData) -> str:
    """The report as one HTML page: no external URL, no script."""
    drawn = {chart.name: Markup(charts.svg(chart)) for section in data.sections for chart in section.charts}
    template = _environment().get_template("report.html.j2")
    return template.render(report=data, charts=drawn)


def _text_table(table: Table) -> list[str]:
    header = [column.label for column in table.columns]
    body = [
        [formatted(row.get(column.name), cell_unit(column, row)) for column in table.columns]
        for row in table.rows
    ]
    if not body:
        return [f"  {table.title}: {table.empty}"]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    numeric = [column.unit not in ("text",) for column in table.columns]

    def line(cells: list[str]) -> str:
        return (
            "  "
            + "  ".join(
                cell.rjust(width) if right else cell.ljust(width)
                for cell, width, right in zip(cells, widths, numeric, strict=True)
            ).rstrip()
        )

    return [f"  {table.title}", line(header), *(line(cells) for cells in body)]


def render_text(data: ReportData) -> str:
    """The report as plain text: the same figures and tables, no chart."""
    lines = [data.subject, f"as of {data.as_of.isoformat()}; {data.period}", ""]
    if data.no_data:
        return "\n".join([*lines, data.no_data, ""])
    for section in data.sections:
        lines += [section.title, "-" * len(section.title)]
        if section.note:
            lines.append(section.note)
        width = max((len(figure.label) for figure in section.figures), default=0)
        lines += [f"  {f.label.ljust(width)}  {formatted(f.value, f.unit)}" for f in section.figures]
        for table in section.tables:
            lines.append("")
            lines += _text_table(table)
        for chart in section.charts:
            lines.append(f"  (chart in the HTML part: {chart.title})")
        lines.append("")
    return "\n".join(lines)
