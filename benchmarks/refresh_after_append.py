"""Append N minutes of raw data, run `ytempire-ops refresh --json`, repeat; print each step's median/min/max.

Runs against the warehouse the environment points at (e.g. `eval "$(ytempire-ops local env)"` after a
scale-1 generate and build). Every run is a new process, as under cron, so dbt's import and parse are
included. The as-of instant advances with the data: the generator's last instant is read back from
its state after each append. Prints numbers and asserts nothing.

    python benchmarks/refresh_after_append.py --runs 5 --append-minutes 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from typing import Any

import psycopg2

from ytempire_ops.config import Settings

OPS = [sys.executable, "-m", "ytempire_ops.cli"]


def newest_instant(settings: Settings) -> str:
    conn = psycopg2.connect(**settings.pg_kwargs())
    try:
        with conn.cursor() as cur:
            cur.execute("select last_instant from ytempire_meta.generator_state where raw_schema = 'raw'")
            return cur.fetchone()[0].isoformat()
    finally:
        conn.close()


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*OPS, *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(
            f"`ytempire-ops {' '.join(args)}` exited {result.returncode}: {result.stderr.strip()[-500:]}"
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--append-minutes", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1, help="Refreshes run first and not counted.")
    parser.add_argument("--nodes", type=int, default=10, help="How many of the slowest dbt nodes to list.")
    opts = parser.parse_args()
    settings = Settings.load()
    samples: dict[str, list[float]] = {}
    node_samples: dict[str, list[float]] = {}
    appended: list[float] = []
    for i in range(opts.warmup + opts.runs):
        started = time.monotonic()
        run(["generate", "--append-minutes", str(opts.append_minutes)])
        append_seconds = time.monotonic() - started
        as_of = newest_instant(settings)
        started = time.monotonic()
        report: dict[str, Any] = json.loads(run(["refresh", "--json", "--as-of", as_of]).stdout)
        wall = time.monotonic() - started
        if i < opts.warmup:
            continue
        appended.append(append_seconds)
        samples.setdefault("process wall clock", []).append(wall)
        samples.setdefault("refresh total", []).append(report["seconds"])
        for step in report["steps"]:
            samples.setdefault(step["name"], []).append(step["seconds"])
            if step["name"] == "dbt":
                for part, seconds in step["data"]["timing"].items():
                    samples.setdefault(f"  dbt {part.replace('_', ' ')}", []).append(seconds)
                for node, seconds in step["data"]["nodes"].items():
                    node_samples.setdefault(node, []).append(seconds)
            if step["name"] == "materialized views":
                for view, timing in step["data"].items():
                    samples.setdefault(f"  view {view}", []).append(timing["seconds"])
        print(
            f"run {i - opts.warmup + 1}: refresh {report['seconds']:.2f} s, process {wall:.2f} s", flush=True
        )
    print(f"\n{opts.runs} runs, each after `generate --append-minutes {opts.append_minutes}`")
    print(f"{'':<28}{'median':>9}{'min':>9}{'max':>9}  (seconds)")
    for name, values in [("generate (append)", appended), *samples.items()]:
        print(f"{name:<28}{statistics.median(values):>9.2f}{min(values):>9.2f}{max(values):>9.2f}")
    print("\ndbt nodes, by median (each node's own time; dbt's threads run nodes side by side)")
    by_median = sorted(node_samples.items(), key=lambda item: -statistics.median(item[1]))
    for name, values in by_median[: opts.nodes]:
        print(f"{name[:34]:<36}{statistics.median(values):>9.2f}{min(values):>9.2f}{max(values):>9.2f}")
    total = [sum(run) for run in zip(*node_samples.values(), strict=False)]
    print(f"{'sum of every node':<36}{statistics.median(total):>9.2f}{min(total):>9.2f}{max(total):>9.2f}")


if __name__ == "__main__":
    main()
