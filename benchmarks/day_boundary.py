"""Refreshes across the day's poll batch, each series from one saved warehouse with a cold page cache.

The protocol of docs/benchmarks.md, "Day boundary". `--snapshot DIR` is a copy of the local stack's
state directory (YTEMPIRE_HOME: `redis/`, `stack.json`, ...) and of its PostgreSQL cluster (as `pg/`,
wherever the cluster lives: `<home>/pg`, or the directory `local up` moved it to when the postgres
user cannot reach the state directory), taken with the stack down just before the generator's next
batch: `--save` takes it. Before each series the stack is stopped, the snapshot restored into
YTEMPIRE_HOME and the cluster's directory (`rsync --delete`: only the files a series changed are
copied back) and started again, and the OS page cache dropped (needs root; the series says when it
could not). Then one uncounted
refresh without new rows (PostgreSQL's catalogs and the dimensions come back into memory), then
`--runs` rounds of `generate --append-minutes N` and `refresh --json`. Each refresh is a new
process, as under cron. Prints every refresh's seconds, dbt's node time and the slowest nodes;
asserts nothing.

    python benchmarks/day_boundary.py --snapshot ../snap --save          # once, at the day's last batch
    python benchmarks/day_boundary.py --snapshot ../snap --series 2 --project ../base

With `--project DIR` (another checkout, e.g. `git worktree add /tmp/base <commit>`; repeatable)
the series alternate between this checkout and each other one. Every checkout must be able to
refresh the snapshot's warehouse (a change of a model's table layout needs its own snapshot).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from refresh_after_append import newest_instant, run

from ytempire_ops import stack
from ytempire_ops.config import Settings, stack_home


def cluster_dir(home: Path) -> Path:
    """Where the stack's PostgreSQL cluster lives, as its stack.json records it."""
    return stack.pg_dir(home, stack.load_state(home))


def copy(source: Path, target: Path, *exclude: str) -> None:
    target.mkdir(parents=True, exist_ok=True)
    excluded = [f"--exclude=/{name}" for name in exclude]
    subprocess.run(["rsync", "-a", "--delete", *excluded, f"{source}/", f"{target}/"], check=True)


def save(snapshot: Path, home: Path) -> None:
    """Stack down, the state directory and the cluster copied into the snapshot, stack up."""
    run(["local", "down"])
    copy(home, snapshot, "pg")
    copy(cluster_dir(home), snapshot / "pg")
    run(["local", "up"])


def restore(snapshot: Path, home: Path) -> str:
    """Stack down, snapshot copied back, stack up, page cache dropped; what was done about the cache."""
    run(["local", "down"])
    copy(snapshot, home, "pg")
    copy(snapshot / "pg", cluster_dir(home))
    run(["local", "up"])
    subprocess.run(["sync"], check=True)
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError as exc:
        return f"page cache kept ({exc.strerror})"
    return "page cache dropped"


def series(label: str, project: str | None, opts: argparse.Namespace) -> list[dict[str, Any]]:
    cache = restore(opts.snapshot, stack_home())
    settings = Settings.load()
    as_of = newest_instant(settings)
    warm = json.loads(run(["refresh", "--json", "--as-of", as_of], project).stdout)
    print(f"{label}: {cache}; uncounted refresh at {as_of}: {warm['seconds']:.2f} s", flush=True)
    reports = []
    for i in range(opts.runs):
        run(["generate", "--append-minutes", str(opts.append_minutes)])
        as_of = newest_instant(settings)
        report = json.loads(run(["refresh", "--json", "--as-of", as_of], project).stdout)
        dbt = next(step for step in report["steps"] if step["name"] == "dbt")["data"]
        slowest = sorted(dbt["nodes"].items(), key=lambda item: -item[1])[: opts.nodes]
        print(
            f"  run {i + 1} ({as_of}): refresh {report['seconds']:.2f} s, dbt nodes "
            f"{dbt['timing']['nodes']:.2f} s | "
            + ", ".join(f"{node.split('.')[-1]} {seconds:.2f}" for node, seconds in slowest),
            flush=True,
        )
        reports.append(report)
    return reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--snapshot", type=Path, required=True, help="Saved state directory of the local stack."
    )
    parser.add_argument("--series", type=int, default=1, help="Series per checkout.")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--append-minutes", type=int, default=5)
    parser.add_argument("--nodes", type=int, default=6, help="How many of the slowest dbt nodes to list.")
    parser.add_argument("--project", action="append", default=[], help="Another checkout to measure.")
    parser.add_argument(
        "--save", action="store_true", help="Take the snapshot from the running stack, then stop."
    )
    opts = parser.parse_args()
    if opts.save:
        save(opts.snapshot, stack_home())
        print(f"saved the stack's state directory and cluster in {opts.snapshot}")
        return
    if not (opts.snapshot / "pg").is_dir():
        sys.exit(f"{opts.snapshot} holds no pg/ directory: not a saved state directory of the local stack")
    checkouts: dict[str, str | None] = {"this checkout": None, **{f"checkout {p}": p for p in opts.project}}
    totals: dict[str, list[list[float]]] = {label: [] for label in checkouts}
    for n in range(opts.series):
        for label, project in checkouts.items():
            reports = series(f"series {n + 1}, {label}", project, opts)
            totals[label].append([report["seconds"] for report in reports])
    for label, runs in totals.items():
        by_run = list(zip(*runs, strict=True))
        print(
            f"{label}, median refresh per run over {len(runs)} series: "
            + ", ".join(f"run {i + 1} {statistics.median(values):.2f} s" for i, values in enumerate(by_run))
        )
    print("the stack is left running with the last series' data; each series restores the snapshot first")


if __name__ == "__main__":
    main()
