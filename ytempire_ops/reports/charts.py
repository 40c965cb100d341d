"""A report's charts as inline SVG, drawn by matplotlib's SVG backend (no browser, no script).

Each SVG is made to sit inside one HTML page beside the others: text is drawn as paths (no font
to load), the metadata block and namespace URLs are left out (the page names no external URL),
and every id is prefixed with the chart's name so that two charts' ids never collide.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

from ytempire_ops.reports.data import Chart

COLOURS = {"revenue": "#2e7d32", "cost": "#c62828"}
DEFAULT_COLOURS = ("#1565c0", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037")
REFERENCE_COLOURS = ("#f9a825", "#c62828")
WIDTH, HEIGHT = 7.2, 2.8
MAX_DATE_TICKS = 10

_PREAMBLE = re.compile(r"^.*?(?=<svg\b)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_NAMESPACES = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_IDS = re.compile(r'\bid="([^"]+)"')
_REFS = re.compile(r'(href="#|url\(#)([^")]+)')


def _usd(value: float, _position: object = None) -> str:
    return f"${value:,.0f}" if abs(value) >= 100 else f"${value:,.2f}"


def _inline(svg: str, prefix: str) -> str:
    svg = _METADATA.sub("", _PREAMBLE.sub("", svg, count=1))
    svg = _NAMESPACES.sub("", svg)
    svg = _IDS.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = _REFS.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)
    # xlink:href without its namespace declaration: plain href, which HTML's SVG understands
    svg = svg.replace("xlink:href=", "href=")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{prefix}" ', 1).strip()


def svg(chart: Chart) -> str:
    """The chart as an SVG element for inline use."""
    import matplotlib
    from matplotlib.dates import DateFormatter, DayLocator
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    with matplotlib.rc_context(
        {"svg.fonttype": "path", "svg.hashsalt": chart.name, "font.size": 8, "axes.spines.top": False}
    ):
        figure = Figure(figsize=(WIDTH, HEIGHT), layout="constrained")
        axes = figure.subplots()
        axes.spines["right"].set_visible(False)
        if not chart.x:
            axes.text(0.5, 0.5, "no data", ha="center", va="center", transform=axes.transAxes)
            axes.set_xticks([])
            axes.set_yticks([])
        elif chart.kind == "bars":
            values = next(iter(chart.series.values()))
            colours = [DEFAULT_COLOURS[i % len(DEFAULT_COLOURS)] for i in range(len(chart.x))]
            bars = axes.bar([str(x) for x in chart.x], values, color=colours)
            axes.bar_label(bars, labels=[_usd(v) for v in values], fontsize=7)
            axes.yaxis.set_major_formatter(FuncFormatter(_usd))
        else:
            for i, (label, values) in enumerate(chart.series.items()):
                colour = COLOURS.get(label, DEFAULT_COLOURS[i % len(DEFAULT_COLOURS)])
                axes.plot(
                    chart.x, values, label=label, color=colour, linewidth=1.6, marker="o", markersize=2.5
                )
            for i, (label, value) in enumerate(chart.lines.items()):
                axes.axhline(
                    value,
                    color=REFERENCE_COLOURS[i % len(REFERENCE_COLOURS)],
                    linestyle="--",
                    linewidth=1,
                    label=label,
                )
            if isinstance(chart.x[0], date):
                first, last = chart.x_range or (chart.x[0], chart.x[-1])
                span = (last - first).days + 1
                axes.xaxis.set_major_locator(DayLocator(interval=max(1, -(-span // MAX_DATE_TICKS))))
                axes.xaxis.set_major_formatter(DateFormatter("%m-%d"))
                if chart.x_range:
                    axes.set_xlim(first - timedelta(hours=12), last + timedelta(hours=12))
            axes.yaxis.set_major_formatter(FuncFormatter(_usd))
            axes.set_ylim(bottom=min(0.0, *(min(v) for v in chart.series.values() if v)))
            axes.legend(loc="lower left", bbox_to_anchor=(0, 1), frameon=False, ncols=4)
        axes.grid(axis="y", color="#e0e0e0", linewidth=0.6)
        axes.set_axisbelow(True)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return _inline(buffer.getvalue(), chart.name.replace("_", "-"))
