"""What the warehouse takes on disk: every relation and index dbt built, and the raw schema; print a table.

Reads the database the environment points at (e.g. `eval "$(ytempire-ops local env)"` after a
scale-1 `generate` and `build`). A TimescaleDB hypertable is counted with its chunks (their heap,
TOAST and indexes); an index of a hypertable with the same index of every chunk. Prints markdown:
one row per relation (kind, rows as the planner estimates them, heap with TOAST, indexes, total),
then one row per index, then the total per schema. `--index-scans` adds each index's scans since
the statistics were last reset (pg_stat_user_indexes, chunks summed): run it after a refresh cycle
and the dashboards' queries to see which indexes nothing reads. Prints numbers and asserts nothing.

    python benchmarks/disk_usage.py
    python benchmarks/disk_usage.py --schemas staging,intermediate,analytics,snapshots --index-scans
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import psycopg2

DEFAULT_SCHEMAS = "raw,staging,intermediate,analytics,snapshots,ops"

# Every relation (tables, materialized views) of the schemas, a hypertable with its chunks. A chunk
# belongs to its hypertable, not to the schema it is stored in (_timescaledb_internal).
RELATIONS = """
with hypertable_chunk as (
    select
        format('%%I.%%I', h.schema_name, h.table_name)::regclass as parent,
        format('%%I.%%I', c.schema_name, c.table_name)::regclass as chunk
    from _timescaledb_catalog.chunk as c
    join _timescaledb_catalog.hypertable as h on h.id = c.hypertable_id
    where not c.dropped
),
part as (
    select cls.oid as parent, cls.oid as member
    from pg_class as cls
    join pg_namespace as ns on ns.oid = cls.relnamespace
    where ns.nspname = any(%(schemas)s) and cls.relkind in ('r', 'm', 'p')
    union all
    select parent, chunk from hypertable_chunk
    where parent in (
        select cls.oid from pg_class as cls join pg_namespace as ns on ns.oid = cls.relnamespace
        where ns.nspname = any(%(schemas)s)
    )
)
select
    ns.nspname,
    cls.relname,
    case
        when cls.oid in (select parent from hypertable_chunk) then 'hypertable'
        when cls.relkind = 'm' then 'materialized view'
        else 'table'
    end,
    sum(greatest(member.reltuples, 0))::bigint,
    sum(pg_table_size(member.oid))::bigint,
    sum(pg_indexes_size(member.oid))::bigint
from part
join pg_class as cls on cls.oid = part.parent
join pg_namespace as ns on ns.oid = cls.relnamespace
join pg_class as member on member.oid = part.member
group by ns.nspname, cls.relname, cls.oid
order by sum(pg_total_relation_size(member.oid)) desc
"""

# Every index of those relations, a hypertable's index with the chunk indexes made from it.
INDEXES = """
with chunk_index as (
    select
        format('%%I.%%I', h.schema_name, h.table_name)::regclass as parent,
        ci.hypertable_index_name as hypertable_index,
        format('%%I.%%I', c.schema_name, ci.index_name)::regclass as member
    from _timescaledb_catalog.chunk_index as ci
    join _timescaledb_catalog.chunk as c on c.id = ci.chunk_id
    join _timescaledb_catalog.hypertable as h on h.id = ci.hypertable_id
    where not c.dropped
),
own as (
    select idx.indrelid as parent, idx.indexrelid as index_oid, idx.indexrelid as member
    from pg_index as idx
    join pg_class as tbl on tbl.oid = idx.indrelid
    join pg_namespace as ns on ns.oid = tbl.relnamespace
    where ns.nspname = any(%(schemas)s)
),
members as (
    select parent, index_oid, member from own
    union all
    select own.parent, own.index_oid, chunk_index.member
    from own
    join pg_class as idx on idx.oid = own.index_oid
    join chunk_index on chunk_index.parent = own.parent and chunk_index.hypertable_index = idx.relname
)
select
    ns.nspname,
    tbl.relname,
    idx.relname,
    pg_get_indexdef(idx.oid),
    sum(pg_relation_size(members.member))::bigint,
    sum(coalesce(stat.idx_scan, 0))::bigint
from members
join pg_class as idx on idx.oid = members.index_oid
join pg_class as tbl on tbl.oid = members.parent
join pg_namespace as ns on ns.oid = tbl.relnamespace
left join pg_stat_user_indexes as stat on stat.indexrelid = members.member
group by ns.nspname, tbl.relname, idx.relname, idx.oid
order by sum(pg_relation_size(members.member)) desc
"""


def size(n: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if n >= factor:
            return f"{n / factor:,.1f} {unit}"
    return f"{n} B"


def connect() -> Any:
    missing = [name for name in ("YTEMPIRE_PG_HOST", "YTEMPIRE_PG_PORT") if name not in os.environ]
    if missing:
        sys.exit('error: the database is not set; run `eval "$(ytempire-ops local env)"` first.')
    return psycopg2.connect(
        host=os.environ["YTEMPIRE_PG_HOST"],
        port=os.environ["YTEMPIRE_PG_PORT"],
        dbname=os.environ.get("YTEMPIRE_PG_DBNAME", "ytempire"),
        user=os.environ.get("YTEMPIRE_PG_USER", "ytempire"),
        password=os.environ.get("YTEMPIRE_PG_PASSWORD", ""),
        connect_timeout=10,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", default=DEFAULT_SCHEMAS, help="Comma-separated schemas to measure.")
    parser.add_argument(
        "--index-scans", action="store_true", help="Add each index's scans since the last reset."
    )
    parser.add_argument(
        "--top-indexes", type=int, default=40, help="How many indexes to list, largest first."
    )
    args = parser.parse_args()
    schemas = [name.strip() for name in args.schemas.split(",") if name.strip()]
    conn = connect()
    try:
        with conn.cursor() as cur:
            cur.execute("select count(*) from pg_extension where extname = 'timescaledb'")
            if cur.fetchone()[0] == 0:
                sys.exit(
                    "error: TimescaleDB is not installed in this database; this script reads its catalog."
                )
            cur.execute(RELATIONS, {"schemas": schemas})
            relations = cur.fetchall()
            cur.execute(INDEXES, {"schemas": schemas})
            indexes = cur.fetchall()
            cur.execute("select pg_database_size(current_database())")
            (database,) = cur.fetchone()
    finally:
        conn.close()

    print("| relation | kind | rows (estimate) | heap + TOAST | indexes | total |")
    print("|---|---|---:|---:|---:|---:|")
    totals: dict[str, int] = {}
    for schema, name, kind, rows, heap, index in relations:
        totals[schema] = totals.get(schema, 0) + heap + index
        print(
            f"| {schema}.{name} | {kind} | {rows:,} | {size(heap)} | {size(index)} | {size(heap + index)} |"
        )
    print()
    header = "| index | of | definition | size |" + (" scans |" if args.index_scans else "")
    print(header)
    print("|---|---|---|---:|" + ("---:|" if args.index_scans else ""))
    for schema, table, name, definition, bytes_, scans in indexes[: args.top_indexes]:
        columns = definition[definition.find("USING") :] if "USING" in definition else definition
        row = f"| {name} | {schema}.{table} | {columns} | {size(bytes_)} |"
        print(row + (f" {scans:,} |" if args.index_scans else ""))
    print()
    print("| schema | total |")
    print("|---|---:|")
    for schema in schemas:
        if schema in totals:
            print(f"| {schema} | {size(totals[schema])} |")
    built = sum(total for schema, total in totals.items() if schema != "raw")
    print(f"| every schema but raw | {size(built)} |")
    print(f"| the database (pg_database_size) | {size(database)} |")


if __name__ == "__main__":
    main()
