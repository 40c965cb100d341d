"""`make bench`'s harness end to end at a tiny scale: every part runs, the results and the doc section are
written, and the three ways of reading a dashboard key agree. Nothing here is about time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench.py"
sys.path.insert(0, str(BENCH.parent))

import bench  # noqa: E402


def test_write_doc_replaces_its_own_section_and_keeps_the_rest(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\nintro\n\n{bench.INSERT_MARKER}\n\noutro\n")
    bench.write_doc(doc, "scale-1", "first\n")
    bench.write_doc(doc, "smoke", "other\n")
    bench.write_doc(doc, "scale-1", "second\n")
    text = doc.read_text()
    assert text.count("<!-- bench:scale-1 start -->") == 1
    assert "second" in text and "first" not in text and "other" in text
    assert (
        text.index("intro")
        < text.index("bench:scale-1")
        < text.index(bench.INSERT_MARKER)
        < text.index("outro")
    )


@pytest.mark.stack
def test_every_part_runs_and_writes_results_and_doc(tmp_path: Path) -> None:
    results, doc = tmp_path / "smoke.json", tmp_path / "benchmarks.md"
    ran = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--scale",
            "0.02",
            "--days",
            "1",
            "--runs",
            "1",
            "--reads",
            "20",
            "--naive-min-reads",
            "1",
            "--naive-budget-seconds",
            "1",
            "--name",
            "smoke",
            "--results",
            str(results),
            "--doc",
            str(doc),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    data = json.loads(results.read_text())
    assert data["complete"] is True
    assert set(data["figures"]) == {
        "generate",
        "floor",
        "build",
        "overhead",
        "noop",
        "refresh-5",
        "refresh-1440",
        "boundary",
        "disk",
        "warm",
        "rebuild",
    }
    # the day boundary: four refreshes, the batch among them; what every schema takes on disk
    assert [label for label in data["figures"]["boundary"] if not label.startswith(" ")] == [
        f"refresh, {step} (s)" for step in bench.BOUNDARY_STEPS
    ]
    disk = {label: figure["median"] for label, figure in data["figures"]["disk"].items()}
    assert 0 < disk["raw (bytes)"] < disk["database (bytes)"]
    assert 0 < disk["every schema but raw (bytes)"] < disk["database (bytes)"]
    assert disk["every schema but raw (bytes)"] == sum(
        value for label, value in disk.items() if label.startswith("  schema ") and "schema raw " not in label
    )
    # one run per figure, as asked
    assert all(len(f["samples"]) == 1 for part in data["figures"].values() for f in part.values())
    # Redis, the marts' SQL and the naive raw query gave the same figures for every key
    assert data["warnings"] == []
    assert {"dashboard:overview", "dashboard:channels"} <= set(data["reads"])
    assert all(read["redis"]["p99_ms"] for read in data["reads"].values())
    assert [goal["verdict"] for goal in data["goals"]] and all(goal["measured"] for goal in data["goals"])
    assert all(peak["max"] > 0 for peak in data["peak_rss_kib"].values())
    text = doc.read_text()
    section = text.split("<!-- bench:smoke start -->", 1)[1].split("<!-- bench:smoke end -->", 1)[0]
    assert "one VACUUM ANALYZE of every table the build made" in section
    for heading in (
        "generate",
        "floor",
        "build",
        "no new data",
        "refresh",
        "day boundary",
        "Disk",
        "warm",
        "Goals",
    ):
        assert heading.lower() in section.lower()
