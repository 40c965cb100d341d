"""`make bench-curve`: the warehouse's costs at several scales, fitted, plotted and extrapolated.

For each scale, `benchmarks/bench.py` on a throwaway stack of its own (a fresh database, built the
README's way: generate, then a full `build`) measures generation, the full build, a `build` with no
new data, the 5-minute refresh, the refresh that loads the day's poll of every older video, and what
the warehouse takes on disk; its samples go to benchmarks/results/curve-<scale>.json. Then each
figure is fitted against the scale as a power law (figure = a x scale^b, least squares on the logs),
and the fit is carried to the documents' goals (1,000 channels; 10 million raw rows a day) and to
where this machine ends: the scale at which the 5-minute refresh needs its whole 5 minutes, the
database fills the disk, a process needs the memory, a full rebuild no longer fits in a night. A
table goes to a generated section of docs/benchmarks.md and a plot to docs/scale_curve.svg (drawn by
matplotlib). Prints numbers and asserts nothing about time.

    python benchmarks/scale_curve.py --scales 0.25,0.5,1,2
    python benchmarks/scale_curve.py --scales 0.25,0.5,1,2 --from-results   # table and plot again
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bench

PROJECT_DIR = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().with_name("bench.py")
CURVE_PARTS = "generate,build,noop,refresh,boundary,disk"
SECTION = "scale-curve"

# The documents' goals, and where one machine ends.
GOAL_CHANNELS = 1000
GOAL_ROWS_PER_DAY = 10_000_000
REFRESH_INTERVAL_SECONDS = 300.0  # cron runs the refresh every 5 minutes
REFRESH_GOAL_SECONDS = 6.0
NIGHT_SECONDS = 8 * 3600.0  # a full rebuild (recovery, a changed model) within one night
DISK_SHARE = 0.8  # of the free disk: WAL, a rebuild's sorts and the OS need the rest
MEMORY_SHARE = 0.5  # of the memory: PostgreSQL's buffers and the page cache need the rest


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    part: str
    label: str
    unit: str  # "s", "GiB" or "MiB"


FIGURES = (
    Figure("generate", "generate", "generate", "process wall clock (s)", "s"),
    Figure("build", "full build", "build", "process wall clock (s)", "s"),
    Figure("noop", "build, no new data", "noop", "process wall clock (s)", "s"),
    Figure("refresh", "5-minute refresh", "refresh-5", "refresh total, --json (s)", "s"),
    Figure("boundary", "day-boundary refresh", "boundary", "refresh, the batch (s)", "s"),
    Figure("disk", "what dbt builds on disk", "disk", "every schema but raw (bytes)", "GiB"),
    Figure("database", "database on disk", "disk", "database (bytes)", "GiB"),
)
# The largest peak RSS of any `ytempire-ops` process of the scale's run (bench.py's peak_rss_kib).
MEMORY = Figure("peak_rss", "peak process memory", "", "", "MiB")
PLOTTED = (*FIGURES, MEMORY)


def log(message: str) -> None:
    print(f"scale-curve: {message}", file=sys.stderr, flush=True)


def results_path(directory: Path, scale: float) -> Path:
    return directory / f"curve-{scale:g}.json"


# --------------------------------------------------------------------------- reading the results


@dataclass
class Point:
    """One scale's figures (FIGURES and MEMORY), in the unit of each."""

    scale: float
    channels: int
    raw_rows: int
    rows_per_day: float  # raw rows of the 1-day append: one day's new data at the end of the history
    values: dict[str, float]
    machine: dict[str, Any]
    date: str


def read_point(path: Path) -> Point:
    data = json.loads(path.read_text())
    if not data.get("complete"):
        raise bench.BenchError(f"{path} holds an incomplete run; run that scale again")
    figures = data["figures"]
    values: dict[str, float] = {}
    for figure in FIGURES:
        entry = figures.get(figure.part, {}).get(figure.label)
        if entry is None:
            continue
        value = float(entry["median"])
        values[figure.key] = value / 2**30 if figure.unit == "GiB" else value
    day = figures.get("refresh-1440", {}).get("rows appended", {}).get("median", 0.0)
    values[MEMORY.key] = max((p["max"] for p in data.get("peak_rss_kib", {}).values()), default=0) / 1024
    return Point(
        scale=float(data["options"]["scale"]),
        channels=int(data["data"].get("channels") or 0),
        raw_rows=int(data["data"].get("raw_rows_total") or 0),
        rows_per_day=float(day),
        values=values,
        machine=data.get("machine", {}),
        date=str(data.get("date", "")),
    )


# --------------------------------------------------------------------------- fitting


@dataclass(frozen=True)
class Fit:
    """Two fits of a figure against the scale: a power law (a x scale^b, least squares on the logs) and a
    fixed part plus a linear one (c + k x scale, least squares). Carried beyond the measured scales,
    the larger of the two: the power law follows a growth faster than linear, the linear one a fixed
    cost that hides the growth at small scales."""

    a: float
    b: float
    c: float
    k: float

    def at(self, scale: float) -> float:
        return max(self.a * scale**self.b, self.c + self.k * scale)

    def scale_for(self, value: float) -> float | None:
        """The smallest scale at which the fitted figure reaches `value`; None when neither fit grows
        there (or only beyond a million times the unit scale)."""
        candidates = []
        if self.b > 0 and value > 0:
            exponent = (math.log(value) - math.log(self.a)) / self.b
            if exponent < math.log(1e6):
                candidates.append(math.exp(exponent))
        if self.k > 0:
            linear = (value - self.c) / self.k
            if 0 < linear < 1e6:
                candidates.append(linear)
        return min(candidates) if candidates else None


def fit_curve(scales: list[float], values: list[float]) -> Fit | None:
    pairs = [(s, v) for s, v in zip(scales, values, strict=True) if s > 0 and v > 0]
    if len({s for s, _ in pairs}) < 2:
        return None
    n = len(pairs)

    def least_squares(xs: list[float], ys: list[float]) -> tuple[float, float]:
        mean_x, mean_y = sum(xs) / n, sum(ys) / n
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum(
            (x - mean_x) ** 2 for x in xs
        )
        return mean_y - slope * mean_x, slope

    log_a, b = least_squares([math.log(s) for s, _ in pairs], [math.log(v) for _, v in pairs])
    c, k = least_squares([s for s, _ in pairs], [v for _, v in pairs])
    return Fit(a=math.exp(log_a), b=b, c=c, k=k)


def fits_of(points: list[Point]) -> dict[str, Fit]:
    """A Fit of every figure, and of the channels and raw rows a day (the goals' scales), by scale."""
    series = {key for p in points for key in p.values}
    fits: dict[str, Fit] = {}
    for key, getter in [
        *((key, lambda p, key=key: p.values.get(key, 0.0)) for key in sorted(series)),
        ("rows_per_day", lambda p: p.rows_per_day),
        ("channels", lambda p: float(p.channels)),
    ]:
        fit = fit_curve([p.scale for p in points], [getter(p) for p in points])
        if fit:
            fits[key] = fit
    return fits


# --------------------------------------------------------------------------- the report


def fmt(value: float | None, unit: str) -> str:
    if value is None or math.isnan(value):
        return "-"
    if unit == "s":
        return bench.seconds(value) + " s"
    if unit == "GiB":
        return f"{value:,.2f} GiB"
    if unit == "MiB":
        return f"{value:,.0f} MiB"
    if unit == "x":
        return f"{value:,.2f}"
    return f"{value:,.3g}"


def goal_scales(fits: dict[str, Fit]) -> list[tuple[str, float | None]]:
    channels = fits.get("channels")
    per_day = fits.get("rows_per_day")
    return [
        (f"{GOAL_CHANNELS:,} channels", channels.scale_for(GOAL_CHANNELS) if channels else None),
        (
            f"{GOAL_ROWS_PER_DAY / 1e6:g} M raw rows a day",
            per_day.scale_for(GOAL_ROWS_PER_DAY) if per_day else None,
        ),
    ]


def machine_limits(
    fits: dict[str, Fit], disk_bytes: int, memory_bytes: int
) -> list[tuple[str, str, float | None]]:
    """(resource, what runs out, the scale where it does) for each of the machine's limits."""

    def scale_for(key: str, value: float) -> float | None:
        fit = fits.get(key)
        return fit.scale_for(value) if fit else None

    refresh = scale_for("refresh", REFRESH_INTERVAL_SECONDS)
    boundary = scale_for("boundary", REFRESH_INTERVAL_SECONDS)
    budget = min((s for s in (refresh, boundary) if s is not None), default=None)
    return [
        (
            "refresh budget (CPU)",
            f"a 5-minute or day-boundary refresh takes {REFRESH_INTERVAL_SECONDS:g} s, the cron interval "
            "(the refresh is CPU-bound on this machine)",
            budget,
        ),
        (
            "refresh goal",
            f"the 5-minute refresh takes {REFRESH_GOAL_SECONDS:g} s",
            scale_for("refresh", REFRESH_GOAL_SECONDS),
        ),
        (
            "CPU (rebuild)",
            f"a full build takes {NIGHT_SECONDS / 3600:g} h (a rebuild no longer fits in a night)",
            scale_for("build", NIGHT_SECONDS),
        ),
        (
            "disk",
            f"the database fills {DISK_SHARE:.0%} of the disk free for it ({disk_bytes / 2**30:,.0f} GiB)",
            scale_for("database", DISK_SHARE * disk_bytes / 2**30),
        ),
        (
            "memory",
            f"one CLI process needs {MEMORY_SHARE:.0%} of the memory ({memory_bytes / 2**30:,.0f} GiB)",
            scale_for("peak_rss", MEMORY_SHARE * memory_bytes / 2**20),
        ),
    ]


def machine_resources(points: list[Point]) -> tuple[int, int]:
    """(bytes free where the throwaway stacks live, memory bytes). Free, not the filesystem's size:
    the space a warehouse on this machine can have (the benchmark's own stacks are gone by now)."""
    disk = shutil.disk_usage(tempfile.gettempdir()).free
    memory_gib = max((float(p.machine.get("memory_gib") or 0) for p in points), default=0.0)
    if not memory_gib:
        memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return disk, int(memory_gib * 2**30)


def section(
    points: list[Point],
    fits: dict[str, Fit],
    resources: tuple[int, int],
    plot: Path | None,
    doc: Path,
    command: str,
) -> str:
    disk_bytes, memory_bytes = resources
    units = {figure.key: figure.unit for figure in PLOTTED}
    titles = {figure.key: figure.title for figure in FIGURES}
    machine = points[-1].machine
    lines = [
        "### The scale curve",
        "",
        f"- Command: `{command}`; each scale `python benchmarks/bench.py --parts {CURVE_PARTS}` on a "
        "throwaway stack of its own (the README's generate and full build, then the parts in that order).",
        f"- Dates: {', '.join(sorted({p.date[:10] for p in points if p.date}))}. Machine: "
        f"{machine.get('cores', '?')} cores, {machine.get('memory_gib', '?')} GiB memory, "
        f"{disk_bytes / 2**30:,.0f} GiB of disk free when this table was written.",
        "- Each figure is the median of the runs of that scale (`--runs`, the 5-minute refresh "
        "`--refresh-runs`). Two fits per figure: a power law (figure = a x scale^b, least squares on "
        "the logs; b = 1 grows with the data, b = 0 does not grow) and a fixed part plus a linear one "
        "(c + k x scale). Beyond the measured scales the larger of the two is used.",
        "",
        "| scale | channels | raw rows | raw rows of a day | "
        + " | ".join(titles[k] for k in titles)
        + " | peak process memory |",
        "|---:|---:|---:|---:|" + "---:|" * len(titles) + "---:|",
    ]
    for p in points:
        cells = [
            f"{p.scale:g}",
            f"{p.channels:,}",
            f"{p.raw_rows:,}",
            f"{p.rows_per_day:,.0f}",
            *[fmt(p.values.get(k), units[k]) for k in titles],
            fmt(p.values.get(MEMORY.key), MEMORY.unit),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    by_scale = {p.scale: p for p in points}
    if 1.0 in by_scale and 2.0 in by_scale:
        one, two = by_scale[1.0].values.get("refresh"), by_scale[2.0].values.get("refresh")
        if one and two:
            lines += ["", f"5-minute refresh at scale 2 ÷ at scale 1: **{two / one:.2f}** (goal ≤ 1.2)."]
    goals = goal_scales(fits)
    lines += [
        "",
        "| figure | b (growth) | c (fixed) | k (per scale unit) | "
        + " | ".join(f"at {name} (scale {fmt(s, 'x')})" for name, s in goals)
        + " |",
        "|---|---:|---:|---:|" + "---:|" * len(goals),
    ]
    for key, title in [
        *titles.items(),
        (MEMORY.key, MEMORY.title),
        ("rows_per_day", "raw rows a day"),
    ]:
        fit = fits.get(key)
        if not fit:
            continue
        unit = units.get(key, "")
        lines.append(
            f"| {title} | {fit.b:.2f} | {fmt(fit.c, unit)} | {fmt(fit.k, unit)} | "
            + " | ".join(fmt(fit.at(s), unit) if s else "-" for _, s in goals)
            + " |"
        )
    limits = machine_limits(fits, disk_bytes, memory_bytes)
    lines += ["", "| where this machine ends | when | at scale |", "|---|---|---:|"]
    for resource, what, scale in limits:
        lines.append(f"| {resource} | {what} | {fmt(scale, 'x') if scale else 'not within reach'} |")
    reached = [(scale, resource) for resource, _, scale in limits if scale and resource != "refresh goal"]
    if reached:
        scale, resource = min(reached)
        channels = fits["channels"].at(scale) if "channels" in fits else float("nan")
        lines += [
            "",
            f"On this fit the first limit is **{resource}**, at scale {scale:,.2f} "
            f"(about {channels:,.0f} channels).",
        ]
    if plot is not None:
        try:
            relative = os.path.relpath(plot, doc.parent)
        except ValueError:
            relative = str(plot)
        lines += ["", f"![Each figure against the scale, log-log, with its fit]({relative})"]
    return "\n".join(lines) + "\n"


def draw(points: list[Point], fits: dict[str, Fit], disk_bytes: int, path: Path) -> None:
    """Every figure against the scale on log-log axes: the measured points, the fit carried to the goals."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure as PlotFigure

    goals = [(name, s) for name, s in goal_scales(fits) if s]
    top = max([p.scale for p in points] + [s for _, s in goals])
    low = min(p.scale for p in points) / 1.5
    keys = PLOTTED
    columns = 4
    rows = math.ceil(len(keys) / columns)
    figure = PlotFigure(figsize=(4 * columns, 3.4 * rows))
    axes = figure.subplots(rows, columns, squeeze=False)
    for index, spec in enumerate(keys):
        ax = axes[index // columns][index % columns]
        have = [p for p in points if p.values.get(spec.key)]
        xs = [p.scale for p in have]
        ys = [p.values[spec.key] for p in have]
        ax.loglog(xs, ys, "o", color="tab:blue", label="measured")
        fit = fits.get(spec.key)
        if fit:
            grid = [low * (top * 1.5 / low) ** (i / 60) for i in range(61)]
            ax.loglog(
                grid,
                [fit.at(x) for x in grid],
                "-",
                color="tab:orange",
                label=f"fit: max(a·s^{fit.b:.2f}, c + k·s)",
            )
        for name, scale in goals:
            ax.axvline(scale, color="grey", linestyle=":", linewidth=1)
            ax.annotate(name, (scale, 0.02), xycoords=("data", "axes fraction"), rotation=90, fontsize=7)
        if spec.key == "database":
            ax.axhline(
                DISK_SHARE * disk_bytes / 2**30,
                color="tab:red",
                linestyle="--",
                linewidth=1,
                label=f"{DISK_SHARE:.0%} of the free disk",
            )
        if spec.key in ("refresh", "boundary"):
            ax.axhline(
                REFRESH_INTERVAL_SECONDS, color="tab:red", linestyle="--", linewidth=1, label="5 minutes"
            )
        ax.set_title(f"{spec.title} ({spec.unit})", fontsize=9)
        ax.set_xlabel("scale (1 = 250 channels, 90 days)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7)
    for index in range(len(keys), rows * columns):
        axes[index // columns][index % columns].set_visible(False)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="svg", metadata={"Date": None})


# --------------------------------------------------------------------------- running


def project_relative(path: Path) -> str:
    """The path as the project names it (relative to its directory) when it lies inside it."""
    try:
        return str(path.resolve().relative_to(PROJECT_DIR))
    except ValueError:
        return str(path.resolve())


def run_scale(scale: float, opts: argparse.Namespace) -> None:
    results = results_path(opts.results_dir, scale)
    command = [
        sys.executable,
        str(BENCH.relative_to(PROJECT_DIR)),
        "--scale",
        f"{scale:g}",
        "--days",
        str(opts.days),
        "--runs",
        str(opts.runs),
        "--refresh-runs",
        str(opts.refresh_runs),
        "--parts",
        CURVE_PARTS,
        "--name",
        f"curve-{scale:g}",
        "--results",
        project_relative(results),
        "--doc",
        project_relative(results.with_suffix(".md")),
        *opts.bench_args,
    ]
    log(f"scale {scale:g}: {' '.join(command[1:])}")
    # from the project's directory, so that the command line bench.py records names no path outside it
    done = subprocess.run(command, cwd=PROJECT_DIR, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise bench.BenchError(
            f"the benchmark at scale {scale:g} exited {done.returncode} (its output is above)"
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument(
        "--scales", default="0.25,0.5,1,2", help="Comma-separated scales, measured in this order."
    )
    parser.add_argument("--days", type=int, default=90, help="Days of history at every scale.")
    parser.add_argument("--runs", type=int, default=1, help="Runs of every figure at every scale.")
    parser.add_argument(
        "--refresh-runs", type=int, default=5, help="Runs of the 5-minute refresh at every scale."
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=PROJECT_DIR / "benchmarks" / "results",
        help="Where curve-<scale>.json go.",
    )
    parser.add_argument("--doc", type=Path, default=PROJECT_DIR / "docs" / "benchmarks.md")
    parser.add_argument("--plot", type=Path, default=PROJECT_DIR / "docs" / "scale_curve.svg")
    parser.add_argument(
        "--from-results",
        action="store_true",
        help="Measure nothing: the table and the plot from the results kept.",
    )
    parser.add_argument(
        "--skip-measured",
        action="store_true",
        help="Keep a scale's complete results instead of measuring it again.",
    )
    parser.add_argument("--bench-args", default="", help='More options for bench.py, e.g. "--warmup 2".')
    opts = parser.parse_args(argv)
    try:
        opts.scales = [float(s) for s in opts.scales.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--scales {opts.scales!r} is not a comma-separated list of numbers")
    if (
        not opts.scales
        or any(s <= 0 for s in opts.scales)
        or min(opts.days, opts.runs, opts.refresh_runs) < 1
    ):
        parser.error("--scales must be positive numbers; --days, --runs and --refresh-runs at least 1")
    opts.bench_args = opts.bench_args.split()
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    command = bench.command_line()
    try:
        if not opts.from_results:
            for scale in opts.scales:
                kept = results_path(opts.results_dir, scale)
                if opts.skip_measured and kept.exists() and json.loads(kept.read_text()).get("complete"):
                    log(f"scale {scale:g}: complete results kept in {kept}; not measured again")
                    continue
                run_scale(scale, opts)
        missing = [s for s in opts.scales if not results_path(opts.results_dir, s).exists()]
        if missing:
            raise bench.BenchError(
                "no results for scale " + ", ".join(f"{s:g}" for s in missing) + f" in {opts.results_dir}"
            )
        points = sorted(
            (read_point(results_path(opts.results_dir, s)) for s in opts.scales), key=lambda p: p.scale
        )
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    except (bench.BenchError, OSError, ValueError, KeyError) as exc:
        print(f"scale-curve: error: {exc}", file=sys.stderr, flush=True)
        return 1
    fits = fits_of(points)
    resources = machine_resources(points)
    if len(points) > 1:
        draw(points, fits, resources[0], opts.plot)
        log(f"plot written to {opts.plot}")
    body = section(points, fits, resources, opts.plot if len(points) > 1 else None, opts.doc, command)
    print(body)
    bench.write_doc(opts.doc, SECTION, body)
    log(f"table written to {opts.doc} (section bench:{SECTION}) at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    return 0


if __name__ == "__main__":
    sys.exit(main())
