"""Database side of the generator: the raw schema, the generator's state table, truncation and upserts.

SQL is composed with psycopg2.sql (Identifier/Literal); names and values never go through f-strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from psycopg2 import sql

RAW_SCHEMA_SQL = Path(__file__).resolve().parent.parent / "sql" / "raw_schema.sql"
META_SCHEMA = "ytempire_meta"
STATE_TABLE = "generator_state"
RAW_TABLES = (
    "users",
    "channels",
    "videos",
    "video_metrics",
    "video_costs",
    "video_revenue",
    "generation_jobs",
    "api_quota_usage",
)
PRIMARY_KEYS = {
    "users": "user_id",
    "channels": "channel_id",
    "videos": "video_id",
    "generation_jobs": "job_id",
}


@dataclass(frozen=True)
class State:
    """What an earlier generation into a raw schema used; appends continue from it."""

    raw_schema: str
    generator_version: int
    seed: int
    scale: float
    history_start: datetime
    last_instant: datetime
    days: int


def table(schema: str, name: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))


def lock(cur: Any, raw_schema: str) -> None:
    """Serialise generators writing the same raw schema (held until the transaction ends)."""
    cur.execute("select pg_advisory_xact_lock(hashtext(%s))", ("ytempire_ops.generate:" + raw_schema,))


def ensure_schemas(cur: Any, raw_schema: str) -> None:
    """The contract's raw tables (if absent) and the generator's state table."""
    cur.execute(sql.SQL(RAW_SCHEMA_SQL.read_text()).format(schema=sql.Identifier(raw_schema)))
    cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(META_SCHEMA)))
    cur.execute(
        sql.SQL(
            """
            create table if not exists {} (
                raw_schema text primary key,
                generator_version integer not null,
                seed bigint not null,
                scale double precision not null,
                history_start timestamptz not null,
                last_instant timestamptz not null,
                days integer not null,
                updated_at timestamptz not null default now()
            )
            """
        ).format(table(META_SCHEMA, STATE_TABLE))
    )
    cur.execute(
        sql.SQL("comment on table {} is {}").format(
            table(META_SCHEMA, STATE_TABLE),
            sql.Literal(
                "Parameters and last generated instant of `ytempire-ops generate`, per raw schema "
                "(--append-minutes continues from here)."
            ),
        )
    )


def read_state(cur: Any, raw_schema: str) -> State | None:
    cur.execute(
        sql.SQL(
            "select raw_schema, generator_version, seed, scale, history_start, last_instant, days "
            "from {} where raw_schema = %s"
        ).format(table(META_SCHEMA, STATE_TABLE)),
        (raw_schema,),
    )
    row = cur.fetchone()
    return None if row is None else State(*row)


def write_state(cur: Any, state: State) -> None:
    cur.execute(
        sql.SQL(
            """
            insert into {} (
                raw_schema, generator_version, seed, scale, history_start, last_instant, days, updated_at
            )
            values (%s, %s, %s, %s, %s, %s, %s, now())
            on conflict (raw_schema) do update set
                generator_version = excluded.generator_version,
                seed = excluded.seed,
                scale = excluded.scale,
                history_start = excluded.history_start,
                last_instant = excluded.last_instant,
                days = excluded.days,
                updated_at = excluded.updated_at
            """
        ).format(table(META_SCHEMA, STATE_TABLE)),
        (
            state.raw_schema,
            state.generator_version,
            state.seed,
            state.scale,
            state.history_start,
            state.last_instant,
            state.days,
        ),
    )


def non_empty_tables(cur: Any, raw_schema: str) -> list[str]:
    out = []
    for name in RAW_TABLES:
        cur.execute(sql.SQL("select exists (select 1 from {})").format(table(raw_schema, name)))
        if cur.fetchone()[0]:
            out.append(name)
    return out


def truncate(cur: Any, raw_schema: str) -> None:
    cur.execute(sql.SQL("truncate {}").format(sql.SQL(", ").join(table(raw_schema, t) for t in RAW_TABLES)))


def drop_secondary_indexes(cur: Any, raw_schema: str, tables: Sequence[str]) -> list[str]:
    """Drop the indexes that back no constraint (bulk loads build them afterwards); their definitions."""
    cur.execute(
        """
        select i.relname, pg_get_indexdef(i.oid)
        from pg_index x
        join pg_class i on i.oid = x.indexrelid
        join pg_class t on t.oid = x.indrelid
        join pg_namespace n on n.oid = t.relnamespace
        where n.nspname = %s and t.relname = any(%s)
          and not exists (select 1 from pg_constraint c where c.conindid = i.oid)
        order by i.relname
        """,
        (raw_schema, list(tables)),
    )
    found = cur.fetchall()
    for name, _definition in found:
        cur.execute(sql.SQL("drop index {}").format(table(raw_schema, name)))
    return [definition for _name, definition in found]


def create_indexes(cur: Any, definitions: Sequence[str]) -> None:
    """Recreate indexes from pg_get_indexdef output (text PostgreSQL itself produced, fully quoted)."""
    for definition in definitions:
        cur.execute(definition)


def upsert_from(cur: Any, raw_schema: str, name: str, staging: str, columns: Sequence[str]) -> None:
    """insert ... on conflict (primary key) do update, from a temporary staging table."""
    key = PRIMARY_KEYS[name]
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    updates = sql.SQL(", ").join(
        sql.SQL("{} = excluded.{}").format(sql.Identifier(c), sql.Identifier(c)) for c in columns if c != key
    )
    cur.execute(
        sql.SQL("insert into {} ({}) select {} from {} on conflict ({}) do update set {}").format(
            table(raw_schema, name), cols, cols, sql.Identifier(staging), sql.Identifier(key), updates
        )
    )


def create_staging(cur: Any, raw_schema: str, name: str) -> str:
    staging = f"ytempire_generate_{name}"
    cur.execute(
        sql.SQL("create temporary table {} (like {}) on commit drop").format(
            sql.Identifier(staging), table(raw_schema, name)
        )
    )
    return staging
