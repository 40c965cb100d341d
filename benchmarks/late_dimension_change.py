"""A channel renamed a day late, then `ytempire-ops refresh --json`; repeat; print the refresh's times.

Each round appends N minutes of raw data (as cron's refresh would find it), renames one channel
with an updated_at 24 hours before the data's newest instant (a different channel each round:
the one with the most polls in those 24 hours not renamed yet), refreshes, and prints the refresh's
total, its dbt step, the int_dimension_changes node (which re-points the facts' rows of the
channel's last 24 hours) and how many fact rows it re-pointed. Runs against the warehouse the
environment points at (e.g. `eval "$(ytempire-ops local env)"` after a scale-1 generate and build).
Prints numbers and asserts nothing.

    python benchmarks/late_dimension_change.py --runs 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any

import psycopg2

from ytempire_ops.config import Settings

OPS = [sys.executable, "-m", "ytempire_ops.cli"]
FACTS = ("fact_video_performance", "fact_costs", "fact_revenue", "fact_channel_daily")


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*OPS, *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(
            f"`ytempire-ops {' '.join(args)}` exited {result.returncode}: {result.stderr.strip()[-500:]}"
        )
    return result


def updated_rows(cur: Any) -> int:
    """Rows ever updated in the four facts and their chunks (PostgreSQL's statistics)."""
    cur.execute("select pg_stat_force_next_flush()")
    cur.execute(
        """
        select coalesce(sum(n_tup_upd), 0) from pg_stat_user_tables as t
        where (t.schemaname = 'analytics' and t.relname = any(%(facts)s))
           or (t.schemaname, t.relname) in (
               select chunk_schema, chunk_name from timescaledb_information.chunks
               where hypertable_schema = 'analytics' and hypertable_name = any(%(facts)s))
        """,
        {"facts": list(FACTS)},
    )
    return int(cur.fetchone()[0])


def rename_a_day_late(cur: Any, renamed: list[str]) -> datetime:
    """Rename the busiest channel of the last 24 hours not renamed yet; return the data's newest instant."""
    cur.execute("select last_instant from ytempire_meta.generator_state where raw_schema = 'raw'")
    newest: datetime = cur.fetchone()[0]
    late = newest - timedelta(hours=24)
    cur.execute(
        """
        select channel_id from analytics.fact_video_performance
        where captured_at >= %s and channel_id <> all(%s)
          and channel_id in (select channel_id from raw.channels where updated_at < %s)
        group by channel_id order by count(*) desc limit 1
        """,
        (late, renamed, late),
    )
    (channel_id,) = cur.fetchone()
    cur.execute(
        "update raw.channels set channel_name = channel_name || ' (renamed)', updated_at = %s"
        " where channel_id = %s",
        (late, channel_id),
    )
    renamed.append(channel_id)
    return newest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--append-minutes", type=int, default=5)
    opts = parser.parse_args()
    conn = psycopg2.connect(**Settings.load().pg_kwargs())
    conn.autocommit = True
    renamed: list[str] = []
    totals: dict[str, list[float]] = {}
    try:
        for i in range(opts.runs):
            run(["generate", "--append-minutes", str(opts.append_minutes)])
            with conn.cursor() as cur:
                newest = rename_a_day_late(cur, renamed)
                before = updated_rows(cur)
            report = json.loads(run(["refresh", "--json", "--as-of", newest.isoformat()]).stdout)
            with conn.cursor() as cur:
                repointed = updated_rows(cur) - before
            dbt = next(step for step in report["steps"] if step["name"] == "dbt")
            node = next(
                (
                    seconds
                    for name, seconds in dbt["data"]["nodes"].items()
                    if "int_dimension_changes" in name
                ),
                float("nan"),
            )
            figures = {
                "refresh total": report["seconds"],
                "dbt step": dbt["seconds"],
                "int_dimension_changes": node,
            }
            for name, value in figures.items():
                totals.setdefault(name, []).append(value)
            print(
                f"run {i + 1}: {renamed[-1]} renamed 24 h late; refresh {report['seconds']:.2f} s, "
                f"dbt {dbt['seconds']:.2f} s, int_dimension_changes {node:.2f} s, {repointed:,} fact rows re-pointed",
                flush=True,
            )
    finally:
        conn.close()
    print(f"\n{'':<24}{'median':>9}{'min':>9}{'max':>9}  (seconds, {opts.runs} runs)")
    for name, values in totals.items():
        print(f"{name:<24}{statistics.median(values):>9.2f}{min(values):>9.2f}{max(values):>9.2f}")


if __name__ == "__main__":
    main()
