"""What an analyst's daily `dbt build` and CI's `dbt test` cost when no new data arrived; print the times.

Runs, against the warehouse the environment points at (e.g. `eval "$(ytempire-ops local env)"` after
a scale-1 generate and build), `dbt build` and then `dbt test`, each --runs times, with as_of the
instant the warehouse was built at (--as-of); `--full-history` adds `dbt test --vars
'{full_history: true}'` (what the weekly `check --full-history` runs). Prints each command's wall
time (median, min, max) and the slowest nodes of its last run (dbt's run_results.json). Each run is
a separate `dbt` process, as an analyst's would be. Prints numbers and asserts nothing.

    python benchmarks/daily_build.py --as-of '2026-11-20 12:00:00+00' --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).with_name("dbt")


def run_dbt(args: list[str], as_of: str, target: Path) -> tuple[float, list[dict]]:
    """One `dbt ARGS` process: (wall seconds, run_results' results)."""
    env = {**os.environ, "YTEMPIRE_AS_OF": as_of}
    started = time.monotonic()
    result = subprocess.run(
        [str(DBT), *args, "--project-dir", str(PROJECT_DIR), "--target-path", str(target)],
        env=env,
        cwd=str(PROJECT_DIR),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    seconds = time.monotonic() - started
    if result.returncode != 0:
        print(f"warning: `dbt {' '.join(args)}` exited {result.returncode}:", file=sys.stderr)
        print(result.stdout[-2000:], file=sys.stderr)
    run_results = target / "run_results.json"
    results = json.loads(run_results.read_text())["results"] if run_results.exists() else []
    return seconds, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", required=True, help="The warehouse's as_of (timestamptz literal).")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--top", type=int, default=10, help="How many of the slowest nodes to print.")
    parser.add_argument("--full-history", action="store_true", help="Also time a full-history `dbt test`.")
    args = parser.parse_args()
    if "DBT_PROFILES_DIR" not in os.environ:
        sys.exit('error: DBT_PROFILES_DIR is not set; run `eval "$(ytempire-ops local env)"` first.')

    commands = [["build"], ["test"]]
    if args.full_history:
        commands.append(["test", "--vars", "{full_history: true}"])
    with tempfile.TemporaryDirectory(prefix="daily-build-") as work:
        target = Path(work) / "target"
        # one parse first, so that every timed run is what a daily run is: a partial parse
        run_dbt(["parse"], args.as_of, target)
        (target / "run_results.json").unlink(missing_ok=True)
        for command in commands:
            times = []
            results: list[dict] = []
            for _ in range(args.runs):
                seconds, results = run_dbt(command, args.as_of, target)
                times.append(seconds)
            label = "dbt " + " ".join(command)
            print(
                f"{label}: median {statistics.median(times):.1f} s, min {min(times):.1f} s, max {max(times):.1f} s"
                f" ({args.runs} runs, {len(results)} nodes)"
            )
            slowest = sorted(results, key=lambda r: r["execution_time"], reverse=True)[: args.top]
            for result in slowest:
                name = result["unique_id"].split(".", 2)[-1]
                print(f"    {result['execution_time']:7.2f} s  {result['status']:<7} {name[:100]}")


if __name__ == "__main__":
    main()
