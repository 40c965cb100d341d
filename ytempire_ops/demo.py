"""`ytempire-ops demo`: the local stack, a small dataset, the whole dbt build, a summary, today's daily report."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
from psycopg2 import sql

from ytempire_ops import stack
from ytempire_ops.config import Settings
from ytempire_ops.dbt_ops import QUIET, DbtSummary, invoke
from ytempire_ops.refresh import RefreshResult, refresh

DEMO_SCALE = 0.2
DEMO_DAYS = 7
SUMMARY_SCHEMAS = ("raw", "staging", "intermediate", "analytics", "snapshots")


@dataclass
class DemoResult:
    stack_actions: list[str]
    generated_rows: dict[str, int] | None
    build: DbtSummary
    relations: list[tuple[str, str, str, int]] = field(default_factory=list)
    refresh: RefreshResult = field(default_factory=RefreshResult)
    overview: dict = field(default_factory=dict)
    # The daily report of the demo's as_of (reports/), written last
    report: Path | None = None


def relation_counts(conn: psycopg2.extensions.connection) -> list[tuple[str, str, str, int]]:
    """(schema, relation, kind, rows) for every table, view and materialized view the warehouse owns."""
    with conn.cursor() as cur:
        cur.execute(
            """
            select n.nspname, c.relname,
                   case c.relkind when 'r' then 'table' when 'v' then 'view'
                                  when 'm' then 'materialized view' else 'table' end
            from pg_class as c
            join pg_namespace as n on n.oid = c.relnamespace
            where n.nspname = any(%s) and c.relkind in ('r', 'v', 'm', 'p')
              and not c.relispartition
            order by 1, 2
            """,
            (list(SUMMARY_SCHEMAS),),
        )
        relations = cur.fetchall()
        out = []
        for schema, name, kind in relations:
            cur.execute(
                sql.SQL("select count(*) from {}.{}").format(sql.Identifier(schema), sql.Identifier(name))
            )
            out.append((schema, name, kind, int(cur.fetchone()[0])))
    return out


def run_demo(progress: Callable[[str], None]) -> DemoResult:
    progress("starting the local stack")
    status = stack.up()
    settings = Settings.load()
    with closing(settings.connect(autocommit=True)) as conn:
        with conn.cursor() as cur:
            cur.execute("select to_regclass('raw.video_metrics') is not null")
            has_raw = cur.fetchone()[0]
            if has_raw:
                cur.execute("select exists (select 1 from raw.video_metrics)")
                has_raw = cur.fetchone()[0]
        generated = None
        if has_raw:
            progress("raw data already present: generating nothing")
        else:
            from ytempire_ops.generator import generate

            progress(f"generating {DEMO_DAYS} days of data at scale {DEMO_SCALE}")
            result = generate(conn, scale=DEMO_SCALE, days=DEMO_DAYS, seed=42, progress=progress)
            generated = dict(result.rows)
        progress("dbt build")
        build = invoke(["build"], settings, list(QUIET))
        result = DemoResult(
            stack_actions=status.actions,
            generated_rows=generated,
            build=build,
            relations=relation_counts(conn),
        )
        if not build.success:
            return result
        progress("refresh: time-series models, materialized views, retention, warm")
        result.refresh = refresh(settings, progress=progress)
        if result.refresh.exit_code == 0:
            from ytempire_ops.warm import read_overview

            result.overview = read_overview(settings)
            from ytempire_ops.reports import Kind, make_report

            progress("daily report")
            result.report = make_report(settings, Kind.daily).path
        return result
