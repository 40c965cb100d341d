"""`make bench-curve`'s report: fits, extrapolation, limits, table and plot from results whose shape
bench.py writes (bench.py's own run of every part is test_bench's). Nothing here is about time."""

from __future__ import annotations

import json
import math
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import scale_curve  # noqa: E402

SCALES = (0.5, 1.0, 2.0, 4.0)


def build_seconds(scale: float) -> float:
    return 30 * scale**1.5  # grows faster than the data


def refresh_seconds(scale: float) -> float:
    return 2 + 4 * scale  # a fixed start plus a part that grows with the data


def results(scale: float) -> dict:
    def figure(value: float) -> dict:
        return {"median": value, "min": value, "max": value, "n": 1, "samples": [value]}

    return {
        "complete": True,
        "date": "2026-12-07T17:00:00+00:00",
        "options": {"scale": scale, "days": 90},
        "machine": {"cores": 2, "memory_gib": 16.0},
        "data": {"channels": int(250 * scale), "raw_rows_total": int(21_000_000 * scale)},
        "figures": {
            "generate": {"process wall clock (s)": figure(80 * scale)},
            "build": {"process wall clock (s)": figure(build_seconds(scale))},
            "noop": {"process wall clock (s)": figure(30 + 20 * scale)},
            "refresh-5": {"refresh total, --json (s)": figure(refresh_seconds(scale))},
            "refresh-1440": {"rows appended": figure(240_000 * scale)},
            "boundary": {"refresh, the batch (s)": figure(3 + 6 * scale)},
            "disk": {
                "every schema but raw (bytes)": figure(17 * 2**20 * scale),
                "database (bytes)": figure(22 * 2**20 * scale),
            },
        },
        "peak_rss_kib": {"build": {"max": 200 * 1024}, "refresh": {"max": 150 * 1024}},
    }


@pytest.fixture
def kept(tmp_path: Path) -> Path:
    directory = tmp_path / "results"
    directory.mkdir()
    for scale in SCALES:
        scale_curve.results_path(directory, scale).write_text(json.dumps(results(scale)))
    return directory


def test_a_power_law_and_a_fixed_part_are_recovered() -> None:
    power = scale_curve.fit_curve(list(SCALES), [build_seconds(s) for s in SCALES])
    assert power is not None and math.isclose(power.b, 1.5) and math.isclose(power.a, 30)
    # carried beyond the points, the larger of the two fits: here the power law
    assert math.isclose(power.at(4.0), 30 * 4**1.5)
    linear = scale_curve.fit_curve(list(SCALES), [refresh_seconds(s) for s in SCALES])
    assert linear is not None and math.isclose(linear.c, 2) and math.isclose(linear.k, 4)
    assert 0 < linear.b < 1  # the fixed start hides the growth from the power law...
    assert math.isclose(linear.at(74.5), 300)  # ...so the linear fit carries it, as measured
    assert math.isclose(linear.scale_for(300), 74.5)
    assert scale_curve.fit_curve([1.0], [5.0]) is None  # one scale fits nothing
    flat = scale_curve.fit_curve([1.0, 2.0], [5.0, 5.0])
    assert flat is not None and flat.scale_for(300) is None  # a figure that does not grow never runs out


def test_the_report_and_the_plot_from_kept_results(kept: Path, tmp_path: Path) -> None:
    doc, plot = tmp_path / "benchmarks.md", tmp_path / "curve.svg"
    doc.write_text("# Benchmarks\n\nintro\n")
    code = scale_curve.main(
        [
            "--scales",
            ",".join(f"{s:g}" for s in SCALES),
            "--from-results",
            "--results-dir",
            str(kept),
            "--doc",
            str(doc),
            "--plot",
            str(plot),
        ]
    )
    assert code == 0
    text = doc.read_text()
    section = text.split("<!-- bench:scale-curve start -->", 1)[1].split("<!-- bench:scale-curve end -->", 1)[
        0
    ]
    assert text.startswith("# Benchmarks\n\nintro\n")
    for scale in SCALES:
        assert f"\n| {scale:g} | {int(250 * scale):,} |" in section
    # refresh at scale 2 / at scale 1 = (2 + 8) / (2 + 4)
    assert "scale 2 ÷ at scale 1: **1.67**" in section
    # the goals' scales: 1,000 channels at scale 4; 10 M rows a day at 10e6 / 240e3
    assert "at 1,000 channels (scale 4.00)" in section
    assert f"at 10 M raw rows a day (scale {10e6 / 240e3:,.2f})" in section
    build_row = next(line for line in section.splitlines() if line.startswith("| full build | "))
    assert build_row.startswith("| full build | 1.50 |")
    assert f"{scale_curve.bench.seconds(30 * 4**1.5)} s" in build_row
    # the day-boundary refresh spends the 5 minutes first (3 + 6 x scale = 300 s at 49.5; the 5-minute
    # one at 74.5); a rebuild outgrows a night at 960^(2/3) = 97.3; memory does not grow
    limits = {
        line.split(" | ")[0].lstrip("| "): line.rsplit(" | ", 1)[1].rstrip(" |")
        for line in section.splitlines()
        if line.startswith("| ") and " | " in line
    }
    assert limits["refresh budget (CPU)"] == "49.50"
    assert 0.5 < float(limits["refresh goal"]) <= 1.0  # no later than where 2 + 4 x scale = 6 s
    assert limits["CPU (rebuild)"] == "97.32"
    assert limits["memory"] == "not within reach"
    assert "the first limit is **refresh budget (CPU)**, at scale 49.50 (about 12,375 channels)" in section
    assert f"]({plot.name})" in section
    svg = ET.parse(plot).getroot()
    assert svg.tag.endswith("svg")
    assert len(svg.findall(".//{http://www.w3.org/2000/svg}g[@id]")) > 8


def test_a_missing_or_incomplete_scale_is_one_sentence(kept: Path, tmp_path: Path, capsys) -> None:
    args = [
        "--from-results",
        "--results-dir",
        str(kept),
        "--doc",
        str(tmp_path / "d.md"),
        "--plot",
        str(tmp_path / "p.svg"),
    ]
    assert scale_curve.main(["--scales", "0.5,3", *args]) == 1
    assert "no results for scale 3 in" in capsys.readouterr().err
    incomplete = {**results(1.0), "complete": False}
    scale_curve.results_path(kept, 1.0).write_text(json.dumps(incomplete))
    assert scale_curve.main(["--scales", "0.5,1", *args]) == 1
    assert "holds an incomplete run" in capsys.readouterr().err
    assert not (tmp_path / "d.md").exists()
