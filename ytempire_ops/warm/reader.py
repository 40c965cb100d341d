"""Reading the analytics marts a warm publishes: every one in ONE read-only REPEATABLE READ transaction."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg2.errors
import psycopg2.extras
from psycopg2 import sql
from psycopg2.extensions import ISOLATION_LEVEL_REPEATABLE_READ

from ytempire_ops import errors
from ytempire_ops.config import Settings
from ytempire_ops.warm.contract import (
    ALERT_COLUMNS,
    CHANNEL_COLUMNS,
    CHANNEL_DAY_COLUMNS,
    CHANNEL_HISTORY_DAYS,
    COST_WINDOW_DAYS,
    OVERVIEW_COLUMNS,
    PIPELINE_COLUMNS,
    USER_COLUMNS,
)


def analytics_schema(settings: Settings) -> str:
    """The schema the marts live in (the `ci` target may prefix it, as generate_schema_name does)."""
    schema_prefix = os.environ.get("YTEMPIRE_SCHEMA_PREFIX", "").strip()
    if settings.target == "ci" and schema_prefix:
        return f"{schema_prefix}_analytics"
    return "analytics"


# Marts whose as_of must equal mart_executive_overview.as_of.
AS_OF_MARTS = (
    "mart_pipeline_status",
    "mart_alerts",
    "mart_channel_performance",
    "mart_user_revenue_tracking",
    "mart_video_economics",
)


@dataclass
class Snapshot:
    """What one warm read from the marts, in one transaction."""

    as_of: datetime
    overview: dict[str, Any]
    pipeline: dict[str, Any]
    alerts: list[dict[str, Any]]
    channels: list[dict[str, Any]]
    cost_rows: list[dict[str, Any]]
    bucket_rows: list[dict[str, Any]]
    channel_days: list[dict[str, Any]]
    users: list[dict[str, Any]]


def _columns(names: Iterable[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(name) for name in names)


def _select(
    cur: Any, schema: str, table: str, columns: Iterable[str], order_by: sql.Composable | None = None
) -> list[dict[str, Any]]:
    query = sql.SQL("select {} from {}.{}").format(
        _columns(columns), sql.Identifier(schema), sql.Identifier(table)
    )
    if order_by is not None:
        query = query + sql.SQL(" order by ") + order_by
    cur.execute(query)
    return [dict(row) for row in cur.fetchall()]


def _one_row(cur: Any, schema: str, table: str, columns: Sequence[str]) -> dict[str, Any]:
    rows = _select(cur, schema, table, columns)
    if len(rows) != 1:
        raise errors.UserError(
            f"{schema}.{table} has {len(rows)} rows instead of exactly one; run `ytempire-ops build` before warming."
        )
    return rows[0]


def _read_marts(cur: Any, schema: str) -> Snapshot:
    overview = _one_row(cur, schema, "mart_executive_overview", ("as_of", *OVERVIEW_COLUMNS))
    as_of: datetime = overview.pop("as_of")
    if as_of is None:
        raise errors.UserError(f"{schema}.mart_executive_overview.as_of is NULL; rebuild the marts.")

    mismatched: list[str] = []
    for table in AS_OF_MARTS:
        cur.execute(
            sql.SQL("select distinct as_of from {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        )
        other = {row["as_of"] for row in cur.fetchall()}
        if other - {as_of}:
            mismatched.append(table)
    if mismatched:
        raise errors.UserError(
            f"{', '.join(mismatched)} were built for another as_of than mart_executive_overview "
            f"({as_of.isoformat()}); run a complete `ytempire-ops build` before warming."
        )

    as_of_date = as_of.astimezone(UTC).date()
    cost_start_at = datetime.combine(
        as_of_date - timedelta(days=COST_WINDOW_DAYS - 1), datetime.min.time(), UTC
    )
    history_start = as_of_date - timedelta(days=CHANNEL_HISTORY_DAYS - 1)
    params = {
        "as_of": as_of,
        "cost_start_at": cost_start_at,
        "history_start": history_start,
        "as_of_date": as_of_date,
    }
    s = sql.Identifier(schema)

    pipeline = _one_row(cur, schema, "mart_pipeline_status", PIPELINE_COLUMNS)
    alerts = _select(
        cur,
        schema,
        "mart_alerts",
        ALERT_COLUMNS,
        sql.SQL("case severity when 'critical' then 0 else 1 end, alert_type, entity_type, entity_id"),
    )
    channels = _select(
        cur, schema, "mart_channel_performance", CHANNEL_COLUMNS, sql.SQL("revenue_rank, channel_id")
    )
    users = _select(cur, schema, "mart_user_revenue_tracking", USER_COLUMNS, sql.SQL("user_id"))

    # Cost lines of the 7 UTC days up to as_of (the window of mart_executive_overview.cost_7d_usd),
    # by (day, category), by day, by category and in total in one pass.
    cur.execute(
        sql.SQL(
            """
            select
                cast(incurred_at at time zone 'UTC' as date) as cost_date,
                cost_category,
                grouping(cast(incurred_at at time zone 'UTC' as date), cost_category) as grouping_id,
                coalesce(sum(total_cost_cents), 0) as cost_cents,
                count(*) as line_items,
                count(distinct video_id) as videos,
                coalesce(sum(total_cost_cents) filter (where video_id is null), 0) as unattributed_cost_cents
            from {}.fact_costs
            where incurred_at >= %(cost_start_at)s and incurred_at <= %(as_of)s
            group by grouping sets (
                (cast(incurred_at at time zone 'UTC' as date), cost_category),
                (cast(incurred_at at time zone 'UTC' as date)),
                (cost_category),
                ()
            )
            """
        ).format(s),
        params,
    )
    cost_rows = [dict(row) for row in cur.fetchall()]

    # Budget buckets of the videos produced in the window (first cost line in it): the same videos
    # mart_executive_overview.avg_cost_per_video_usd averages over.
    cur.execute(
        sql.SQL(
            """
            select
                cost_bucket,
                count(*) as videos,
                coalesce(sum(total_cost_cents), 0) as total_cost_cents,
                avg(total_cost_cents) as avg_cost_cents,
                count(*) filter (where cost_alert_level = 'warning') as warning,
                count(*) filter (where cost_alert_level = 'critical') as critical
            from {}.mart_video_economics
            where first_cost_incurred_at >= %(cost_start_at)s and first_cost_incurred_at <= %(as_of)s
            group by cost_bucket
            """
        ).format(s),
        params,
    )
    bucket_rows = [dict(row) for row in cur.fetchall()]

    day_columns = sql.SQL(", ").join(
        sql.SQL("cast({} as {}) as {}").format(sql.Identifier(name), sql.SQL(sql_type), sql.Identifier(name))
        for name, sql_type in CHANNEL_DAY_COLUMNS.items()
    )
    cur.execute(
        sql.SQL(
            """
            select channel_id, activity_date, {}
            from {}.fact_channel_daily
            where channel_id is not null and activity_date between %(history_start)s and %(as_of_date)s
            order by channel_id, activity_date
            """
        ).format(day_columns, s),
        params,
    )
    channel_days = [dict(row) for row in cur.fetchall()]

    return Snapshot(
        as_of=as_of,
        overview=overview,
        pipeline=pipeline,
        alerts=alerts,
        channels=channels,
        cost_rows=cost_rows,
        bucket_rows=bucket_rows,
        channel_days=channel_days,
        users=users,
    )


def read_snapshot(settings: Settings, *, statement_timeout: float | None = None) -> Snapshot:
    """Every mart the warm needs, in ONE read-only REPEATABLE READ transaction (one consistent snapshot).

    `statement_timeout` (seconds) bounds each of its statements.
    """
    schema = analytics_schema(settings)
    conn = settings.connect(statement_timeout=statement_timeout)
    try:
        conn.set_session(isolation_level=ISOLATION_LEVEL_REPEATABLE_READ, readonly=True)
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            try:
                return _read_marts(cur, schema)
            except psycopg2.errors.UndefinedTable as exc:
                raise errors.UserError(
                    f"a mart the warm reads does not exist ({errors.first_line(exc).rstrip('.')}); "
                    "run `ytempire-ops build` before warming."
                ) from None
            except psycopg2.errors.UndefinedColumn as exc:
                raise errors.UserError(
                    f"a mart lacks a column the warm reads ({errors.first_line(exc).rstrip('.')}); rebuild the marts."
                ) from None
            finally:
                conn.rollback()
    finally:
        conn.close()
