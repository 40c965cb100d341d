"""`ytempire-ops report daily --json` end to end, N times; print the median, min and max.

Each run is a new process, as cron starts it: Python and the CLI's imports, reading the marts,
drawing the charts (matplotlib's import is most of the render step), writing the file and recording
the run. Runs against the warehouse the environment points at (e.g. `eval "$(ytempire-ops local
env)"` after `make demo`), writing to a temporary directory. Prints numbers and asserts nothing.

    python benchmarks/report_daily.py --runs 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OPS = [sys.executable, "-m", "ytempire_ops.cli"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1, help="runs left out of the figures (caches)")
    opts = parser.parse_args()
    totals: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="report-bench-") as directory:
        out = Path(directory) / "daily.html"
        for i in range(opts.warmup + opts.runs):
            started = time.monotonic()
            done = subprocess.run(
                [*OPS, "report", "daily", "--out", str(out), "--json"], capture_output=True, text=True
            )
            seconds = time.monotonic() - started
            if done.returncode != 0:
                sys.exit(
                    f"`ytempire-ops report daily` exited {done.returncode}: {done.stderr.strip()[-500:]}"
                )
            result = json.loads(done.stdout)
            if i < opts.warmup:
                continue
            figures = {"end to end": seconds, **{s["name"]: s["seconds"] for s in result["steps"]}}
            for name, value in figures.items():
                totals.setdefault(name, []).append(value)
            steps = ", ".join(f"{s['name']} {s['seconds']:.2f} s" for s in result["steps"])
            print(
                f"run {i - opts.warmup + 1}: {seconds:.2f} s ({steps}); {out.stat().st_size:,} bytes",
                flush=True,
            )
    print(f"\n{'':<14}{'median':>9}{'min':>9}{'max':>9}  (seconds, {opts.runs} runs)")
    for name, values in totals.items():
        print(f"{name:<14}{statistics.median(values):>9.2f}{min(values):>9.2f}{max(values):>9.2f}")


if __name__ == "__main__":
    main()
