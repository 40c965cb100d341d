"""Every Grafana panel's query, as Grafana sends it, run N times as the reporter role: p50 and max per panel.

The queries come from ytempire_ops/dashboards (the same JSON as deploy/grafana), with Grafana's
macros and variables expanded (ytempire_ops/dashboards/grafana_sql.py) for the dashboard's default
time range (or the panel's own), the channel variable at All (or `--channel ID`), and `now` at the
warehouse's as_of (mart_executive_overview; `--now` to change it). Runs against the warehouse the
environment points at (`eval "$(ytempire-ops local env)"`); the reporter's password comes from
YTEMPIRE_REPORTER_PASSWORD, else the local stack's state. The contract's goal is under 2 s per
panel at scale 1. Prints numbers and asserts nothing.

    python benchmarks/dashboard_panels.py --runs 20
    python benchmarks/dashboard_panels.py --runs 20 --range 30d --json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg2

from ytempire_ops.config import Settings, read_stack_state
from ytempire_ops.dashboards import DASHBOARDS
from ytempire_ops.dashboards.common import to_json
from ytempire_ops.dashboards.grafana_sql import Raw, TimeRange, all_of, expand, panel_queries, query_variables

MIN_RUNS = 20


def reporter_connection(settings: Settings) -> Any:
    password = os.environ.get("YTEMPIRE_REPORTER_PASSWORD") or read_stack_state(strict=False).get(
        "postgres", {}
    ).get("reporter_password", "")
    kwargs = dict(settings.pg_kwargs())
    kwargs.update(user=os.environ.get("YTEMPIRE_REPORTER_USER", "reporter"), password=password)
    conn = psycopg2.connect(**kwargs)
    conn.autocommit = True
    return conn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time every dashboard panel's query as the reporter role.")
    parser.add_argument("--runs", type=int, default=MIN_RUNS, help=f"runs per panel (at least {MIN_RUNS})")
    parser.add_argument("--range", dest="span", help="time range for every panel without its own (e.g. 30d)")
    parser.add_argument("--now", help="the range's end (ISO 8601; default: the warehouse's as_of)")
    parser.add_argument("--channel", help="one channel_id for the channel variable (default: All)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.runs < MIN_RUNS:
        parser.error(f"--runs must be at least {MIN_RUNS}")

    conn = reporter_connection(Settings.load())
    results = []
    with conn.cursor() as cur:
        if args.now:
            now = datetime.fromisoformat(args.now)
        else:
            cur.execute("select as_of from analytics.mart_executive_overview")
            now = cur.fetchone()[0]
        for spec in DASHBOARDS:
            dashboard = json.loads(to_json(spec.build()))
            variables: dict[str, Sequence[str] | Raw] = {}
            for variable in query_variables(dashboard):
                cur.execute(variable.query)
                columns = [d.name for d in cur.description]
                values = [str(row[columns.index("__value")]) for row in cur.fetchall()]
                if args.channel and variable.name == "channel":
                    variables[variable.name] = [args.channel]
                else:
                    variables[variable.name] = all_of(variable, values)
            default = dashboard["time"]["from"].removeprefix("now-")
            for query in panel_queries(dashboard):
                span = query.time_from or args.span or default
                sql = expand(query.sql, TimeRange.last(span, now), variables)
                cur.execute(sql)  # warm-up, not timed
                rows = len(cur.fetchall())
                timings = []
                for _ in range(args.runs):
                    started = time.perf_counter()
                    cur.execute(sql)
                    cur.fetchall()
                    timings.append(time.perf_counter() - started)
                results.append(
                    {
                        "dashboard": spec.uid,
                        "panel": query.title,
                        "range": span,
                        "rows": rows,
                        "runs": args.runs,
                        "p50_ms": round(statistics.median(timings) * 1000, 1),
                        "max_ms": round(max(timings) * 1000, 1),
                    }
                )
    conn.close()
    if args.json:
        print(json.dumps({"now": now.isoformat(), "panels": results}, indent=2))
        return 0
    print(f"now = {now.isoformat()}, {args.runs} runs per panel, channel = {args.channel or 'All'}")
    print(f"{'dashboard':<22} {'panel':<48} {'range':>5} {'rows':>6} {'p50 ms':>9} {'max ms':>9}")
    for r in results:
        print(
            f"{r['dashboard']:<22} {r['panel'][:48]:<48} {r['range']:>5} {r['rows']:>6}"
            f" {r['p50_ms']:>9.1f} {r['max_ms']:>9.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
