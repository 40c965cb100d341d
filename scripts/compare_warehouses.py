"""Build two checkouts of the project on the same raw data and compare the warehouses relation by relation.

A refactor of the project must not change what it builds. This script builds this checkout and
another one (`--baseline`, e.g. `git worktree add /tmp/base main`) from the same raw tables, each
under its own schema prefix (the `ci` target's YTEMPIRE_SCHEMA_PREFIX: `base_analytics`,
`head_analytics`, ...), then compares every relation the two have in common by row count and an
order-independent digest of its rows (the sums of each row's md5, in two 60-bit halves). It prints
one line per relation and exits 1 when a relation of `analytics` (or one named by `--renamed`)
differs or is missing from this checkout.

    eval "$(ytempire-ops local env)"
    python scripts/compare_warehouses.py --baseline /tmp/base            # demo scale: 0.2, 7 days
    python scripts/compare_warehouses.py --baseline /tmp/base --scale 1 --days 90 --only-facts
    python scripts/compare_warehouses.py --baseline /tmp/base --renamed quarantine_videos=stg_platform__videos_quarantined

Raw data is generated first when `raw.video_metrics` is empty (`ytempire-ops generate`, same
arguments give the same rows; `--anomalies` adds every class of bad row, so the quarantine relations
are compared with rows in them); otherwise the raw tables already there are used. `--keep` leaves
both prefixed sets of schemas in place; by default they are dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg2
from psycopg2 import sql

PROJECT_DIR = Path(__file__).resolve().parents[1]
LAYERS = ("staging", "intermediate", "analytics", "snapshots")
# Relations whose rows depend on when dbt ran, not on the data: left out of the comparison.
RUN_DEPENDENT = frozenset({"dbt_test_results"})
FACTS = ("fact_video_performance", "fact_costs", "fact_revenue", "fact_channel_daily")


def connect() -> psycopg2.extensions.connection:
    env = os.environ
    conn = psycopg2.connect(
        host=env.get("YTEMPIRE_PG_HOST", "127.0.0.1"),
        port=int(env.get("YTEMPIRE_PG_PORT", "5432")),
        user=env.get("YTEMPIRE_PG_USER", "ytempire"),
        password=env.get("YTEMPIRE_PG_PASSWORD", ""),
        dbname=env.get("YTEMPIRE_PG_DBNAME", "ytempire"),
        connect_timeout=10,
    )
    conn.autocommit = True
    return conn


def has_raw_polls(conn: psycopg2.extensions.connection) -> bool:
    with conn.cursor() as cur:
        cur.execute("select to_regclass('raw.video_metrics') is not null")
        if not cur.fetchone()[0]:
            return False
        cur.execute("select exists (select 1 from raw.video_metrics)")
        return bool(cur.fetchone()[0])


def build(project: Path, prefix: str, as_of: str, work: Path) -> None:
    """`dbt build` of one checkout into its prefixed schemas (the `ci` target)."""
    env = dict(os.environ, YTEMPIRE_TARGET="ci", YTEMPIRE_SCHEMA_PREFIX=prefix)
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt), "build", "--project-dir", str(project), "--target", "ci",
        "--vars", f"{{as_of: '{as_of}'}}",
        "--target-path", str(work / prefix / "target"), "--log-path", str(work / prefix / "logs"),
    ]  # fmt: skip
    if "DBT_PROFILES_DIR" in os.environ:
        command += ["--profiles-dir", os.environ["DBT_PROFILES_DIR"]]
    print(f"building {project} into {prefix}_* ...", flush=True)
    done = subprocess.run(command, env=env, cwd=str(project), capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout[-4000:], file=sys.stderr)
        raise SystemExit(f"dbt build of {project} failed (exit {done.returncode}); its output is above.")


def relations(conn: psycopg2.extensions.connection, schema: str) -> set[str]:
    with conn.cursor() as cur:
        cur.execute(
            "select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace"
            " where n.nspname = %s and c.relkind in ('r', 'v', 'm', 'p') and not c.relispartition",
            (schema,),
        )
        return {name for (name,) in cur.fetchall()} - RUN_DEPENDENT


# Each row's md5, cut into two 60-bit numbers and summed over the rows: an order-independent digest of
# the multiset of rows (duplicates count), with no sort and no string as long as the relation, so a
# scale-1 fact of 19 M rows is compared as easily as a mart (string_agg of its rows would pass
# PostgreSQL's 1 GB limit on one value).
DIGEST = """
select
    count(*),
    coalesce(sum(('x' || substr(h, 1, 15))::bit(60)::bigint), 0)::text
    || ':' || coalesce(sum(('x' || substr(h, 16, 15))::bit(60)::bigint), 0)::text
from (select md5(t::text) as h from {}.{} as t) as rows
"""


def digest(conn: psycopg2.extensions.connection, schema: str, name: str) -> tuple[int, str]:
    """(rows, the sums of each row's md5 in two 60-bit halves): equal digests mean equal contents."""
    with conn.cursor() as cur:
        cur.execute(sql.SQL(DIGEST).format(sql.Identifier(schema), sql.Identifier(name)))
        count, sums = cur.fetchone()
        return int(count), str(sums)


def drop_schemas(conn: psycopg2.extensions.connection, prefix: str) -> None:
    with conn.cursor() as cur:
        for layer in LAYERS:
            cur.execute(
                sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(f"{prefix}_{layer}"))
            )


def compare(
    conn: psycopg2.extensions.connection, only: tuple[str, ...] | None, renamed: dict[str, str]
) -> int:
    """Print one line per relation; how many relations of analytics or `renamed` differ or are missing.

    `renamed` maps a baseline relation's name to its name in this checkout: the two are compared.
    """
    problems = 0
    for layer in LAYERS:
        base, head = relations(conn, f"base_{layer}"), relations(conn, f"head_{layer}")
        pairs = {name: renamed.get(name, name) for name in base}
        pairs.update({name: name for name in head - set(pairs.values())})
        names = sorted(pairs)
        if only:
            names = [name for name in names if name in only]
        for name in names:
            new = pairs[name]
            label = name if new == name else f"{name} -> {new}"
            watched = layer == "analytics" or name in renamed
            if new not in head or name not in base:
                print(f"{layer}.{label}: {'baseline only' if name in base else 'this checkout only'}")
                problems += watched and name in base
                continue
            before, after = digest(conn, f"base_{layer}", name), digest(conn, f"head_{layer}", new)
            same = before == after
            change = "" if same else f" -> {after[0]}"
            print(f"{layer}.{label}: {'same' if same else 'DIFFERS'} ({before[0]} rows{change})")
            problems += watched and not same
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, required=True, help="another checkout of the project")
    parser.add_argument("--scale", default="0.2")
    parser.add_argument("--days", default="7")
    parser.add_argument("--seed", default="42")
    parser.add_argument("--as-of", default="2026-11-20T12:00:00+00:00")
    parser.add_argument(
        "--anomalies", action="store_true", help="generate with every class of bad raw row (quarantine too)"
    )
    parser.add_argument("--only-facts", action="store_true", help=f"compare only {', '.join(FACTS)}")
    parser.add_argument("--keep", action="store_true", help="leave the prefixed schemas in place")
    parser.add_argument(
        "--renamed",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="a relation the baseline calls OLD and this checkout NEW: compared like the others (repeatable)",
    )
    args = parser.parse_args()
    baseline = args.baseline.resolve()
    renamed = dict(pair.split("=", 1) for pair in args.renamed if "=" in pair)
    if len(renamed) != len(args.renamed):
        parser.error("--renamed takes OLD=NEW")
    if not (baseline / "dbt_project.yml").exists():
        parser.error(f"{baseline} is not a checkout of the project (no dbt_project.yml)")

    conn = connect()
    try:
        if not has_raw_polls(conn):
            print(f"generating raw data: scale {args.scale}, {args.days} days, seed {args.seed}", flush=True)
            generate = [
                sys.executable, "-m", "ytempire_ops.cli", "generate", "--scale", args.scale,
                "--days", args.days, "--seed", args.seed, "--as-of", args.as_of,
            ]  # fmt: skip
            subprocess.run([*generate, *(["--anomalies"] if args.anomalies else [])], check=True)
        with tempfile.TemporaryDirectory(prefix="compare-warehouses-") as work:
            for prefix in ("base", "head"):
                drop_schemas(conn, prefix)
            build(baseline, "base", args.as_of, Path(work))
            build(PROJECT_DIR, "head", args.as_of, Path(work))
        problems = compare(conn, FACTS if args.only_facts else None, renamed)
        if not args.keep:
            for prefix in ("base", "head"):
                drop_schemas(conn, prefix)
    finally:
        conn.close()
    print("identical" if not problems else f"{problems} analytics relation(s) differ or are missing")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
