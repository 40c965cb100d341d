"""Append N minutes of raw data, run `ytempire-ops refresh --json`, repeat; print each step's median/min/max.

Runs against the warehouse the environment points at (e.g. `eval "$(ytempire-ops local env)"` after a
scale-1 generate and build). Every run is a new process, as under cron, so dbt's import and parse are
included. The as-of instant advances with the data: the generator's last instant is read back from
its state after each append. Prints numbers and asserts nothing.

    python benchmarks/refresh_after_append.py --runs 5 --append-minutes 5

With `--baseline DIR` (another checkout of this project, e.g. `git worktree add /tmp/base <commit>`),
each round appends and refreshes twice: once with this checkout's code and dbt project, once with
the baseline's, on the same warehouse, so the two are compared under the same machine state; both
are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

import psycopg2

from ytempire_ops.config import Settings

OPS = [sys.executable, "-m", "ytempire_ops.cli"]
# Runs the CLI of another checkout: its package first on the path, before this checkout's
# editable install (whose import hook would otherwise win), and its dbt project.
BASELINE_LAUNCHER = """
import runpy, sys
sys.meta_path = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, sys.argv.pop(1))
runpy.run_module("ytempire_ops.cli", run_name="__main__")
"""


def newest_instant(settings: Settings) -> str:
    conn = psycopg2.connect(**settings.pg_kwargs())
    try:
        with conn.cursor() as cur:
            cur.execute("select last_instant from ytempire_meta.generator_state where raw_schema = 'raw'")
            return cur.fetchone()[0].isoformat()
    finally:
        conn.close()


def run(args: list[str], baseline: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", BASELINE_LAUNCHER, baseline] if baseline else OPS
    env = {**os.environ, "YTEMPIRE_PROJECT_DIR": baseline} if baseline else None
    result = subprocess.run([*command, *args], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(
            f"`ytempire-ops {' '.join(args)}` exited {result.returncode}: {result.stderr.strip()[-500:]}"
        )
    return result


class Samples:
    """Every refresh's step, dbt part, view and node times of one checkout."""

    def __init__(self) -> None:
        self.steps: dict[str, list[float]] = {}
        self.nodes: dict[str, list[float]] = {}
        self.appended: list[float] = []
        self.node_totals: list[float] = []

    def add(self, report: dict[str, Any], wall: float, cpu: float, append_seconds: float) -> None:
        self.appended.append(append_seconds)
        self.steps.setdefault("process wall clock", []).append(wall)
        self.steps.setdefault("process CPU (user+sys)", []).append(cpu)
        self.steps.setdefault("refresh total", []).append(report["seconds"])
        for step in report["steps"]:
            self.steps.setdefault(step["name"], []).append(step["seconds"])
            if step["name"] == "dbt":
                for part, seconds in step["data"]["timing"].items():
                    self.steps.setdefault(f"  dbt {part.replace('_', ' ')}", []).append(seconds)
                for node, seconds in step["data"]["nodes"].items():
                    self.nodes.setdefault(node, []).append(seconds)
                self.node_totals.append(sum(step["data"]["nodes"].values()))
            if step["name"] == "materialized views":
                for view, timing in step["data"].items():
                    self.steps.setdefault(f"  view {view}", []).append(timing["seconds"])

    def print(self, title: str, top: int) -> None:
        print(f"\n{title}")
        print(f"{'':<28}{'median':>9}{'min':>9}{'max':>9}  (seconds)")
        for name, values in [("generate (append)", self.appended), *self.steps.items()]:
            print(f"{name:<28}{statistics.median(values):>9.2f}{min(values):>9.2f}{max(values):>9.2f}")
        print("\ndbt nodes, by median (each node's own time; dbt's threads run nodes side by side)")
        by_median = sorted(self.nodes.items(), key=lambda item: -statistics.median(item[1]))
        for name, values in by_median[:top]:
            print(f"{name[:34]:<36}{statistics.median(values):>9.2f}{min(values):>9.2f}{max(values):>9.2f}")
        total = self.node_totals
        print(
            f"{'sum of every node':<36}{statistics.median(total):>9.2f}{min(total):>9.2f}{max(total):>9.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--append-minutes", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1, help="Refreshes run first and not counted.")
    parser.add_argument("--nodes", type=int, default=10, help="How many of the slowest dbt nodes to list.")
    parser.add_argument("--baseline", help="Another checkout to refresh with, alternately with this one.")
    opts = parser.parse_args()
    settings = Settings.load()
    checkouts: dict[str, str | None] = {"this checkout": None}
    if opts.baseline:
        checkouts["baseline " + opts.baseline] = opts.baseline
    samples = {label: Samples() for label in checkouts}
    for i in range(opts.warmup + opts.runs):
        for label, baseline in checkouts.items():
            started = time.monotonic()
            run(["generate", "--append-minutes", str(opts.append_minutes)])
            append_seconds = time.monotonic() - started
            as_of = newest_instant(settings)
            started, before = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
            report: dict[str, Any] = json.loads(run(["refresh", "--json", "--as-of", as_of], baseline).stdout)
            wall, after = time.monotonic() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
            # The refresh process's own CPU (PostgreSQL's backends are not its children).
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            if i < opts.warmup:
                continue
            samples[label].add(report, wall, cpu, append_seconds)
            print(
                f"run {i - opts.warmup + 1} ({label}): refresh {report['seconds']:.2f} s, "
                f"process {wall:.2f} s, CPU {cpu:.2f} s",
                flush=True,
            )
    for label, sample in samples.items():
        sample.print(
            f"{label}: {opts.runs} runs, each after `generate --append-minutes {opts.append_minutes}`",
            opts.nodes,
        )


if __name__ == "__main__":
    main()
