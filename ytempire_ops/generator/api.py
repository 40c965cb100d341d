"""Synthetic raw data for the warehouse: `generate()` creates the raw tables and loads them with COPY.

The data is a deterministic function of (seed, scale, history start): the same arguments give the
same rows, and the rows are exactly what the platform would have ingested by the as-of instant
(a row exists iff its ingested_at / reported_at / updated_at / called_at <= as_of). Appending N
minutes writes the rows ingested in the next N minutes, so generate(as_of=T) followed by
append_minutes=N holds the same rows as one generation up to T + N with the same history start.

The building blocks are the other modules of `ytempire_ops.generator`; this module is its public
API, re-exported by the package.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg2
from psycopg2 import sql

from ytempire_ops.errors import BadValue, UserError
from ytempire_ops.generator import entities, facts, pgcopy, store
from ytempire_ops.generator.anomalies import inject as inject_anomalies
from ytempire_ops.generator.anomalies import rows_per_table as anomaly_rows_per_table
from ytempire_ops.generator.clock import DAY, MINUTE, from_us, to_us
from ytempire_ops.generator.world import VIDEOS_PER_DAY_PER_SCALE, Params, World

__all__ = ["GENERATOR_VERSION", "META_SCHEMA", "RAW_TABLES", "GenerateResult", "generate"]

# Bump when the same (seed, scale, start) would produce different rows: appends refuse older data.
GENERATOR_VERSION = 1
META_SCHEMA = store.META_SCHEMA
RAW_TABLES = store.RAW_TABLES
DEFAULT_SEED = 42
DEFAULT_SCALE = 1.0
MAX_DAYS = 3650
MAX_VIDEOS = 99_999_999  # ids are 'vid_' + 8 digits
PROGRESS_EVERY = 2_000_000


@dataclass(frozen=True)
class GenerateResult:
    """What one generate() call wrote."""

    mode: str  # 'fresh' (the raw tables replaced) or 'append'
    raw_schema: str
    seed: int
    scale: float
    rows: dict[str, int]  # rows written (upserted, for the state tables of an append) per raw table
    history_start: datetime  # the first instant of the synthetic history
    window_start: datetime  # rows written are those ingested in (window_start, window_end]
    window_end: datetime  # the as-of instant; the state table's last_instant
    seconds: float
    rows_per_second: float
    # --- anomalies (ytempire_ops/generator/anomalies.py): rows injected per anomaly class ---
    anomalies: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def generate(
    conn: psycopg2.extensions.connection,
    *,
    scale: float | None = None,
    days: int = 90,
    seed: int | None = None,
    as_of: datetime | None = None,
    raw_schema: str = "raw",
    append_minutes: int | None = None,
    progress: Callable[[str], None] | None = None,
    anomalies: bool = False,
) -> GenerateResult:
    """Create the raw tables if absent and load synthetic data into them, in one transaction (committed).

    Without `append_minutes`: `days` of history ending at `as_of` (default: now, truncated to the
    minute, UTC) replace the raw tables' rows; `scale` defaults to 1.0 and `seed` to 42. A raw schema
    that holds data from another seed or scale, or data the generator did not write, is refused.

    With `append_minutes=N`: the rows ingested in the N minutes after the last generated instant are
    added (state tables upserted); seed, scale and history start come from the earlier generation
    (`scale`/`seed`, when given, must match it; `days` is ignored; `as_of` must be None).

    With `anomalies=True` (fresh generations only), every class of bad raw row is added on top of
    the clean rows, at the counts reported in `GenerateResult.anomalies`
    (ytempire_ops/generator/anomalies.py; docs/data_quality.md).

    The generator's parameters are kept in ytempire_meta.generator_state, outside the raw schema.
    Raises UserError for arguments a user can fix.
    """
    began = time.perf_counter()
    say = progress or _quiet
    _validate(
        scale=scale, days=days, seed=seed, as_of=as_of, raw_schema=raw_schema, append_minutes=append_minutes
    )
    # --- anomalies hook ---
    if anomalies and append_minutes is not None:
        raise UserError("anomalies are injected by a fresh generation only, not by an append.")
    injected: dict[str, int] = {}
    # --- end anomalies hook ---
    restore_autocommit = bool(conn.autocommit)
    if restore_autocommit:
        conn.autocommit = False
    try:
        with conn.cursor() as cur:
            store.lock(cur, raw_schema)
            store.ensure_schemas(cur, raw_schema)
            state = store.read_state(cur, raw_schema)
            if append_minutes is None:
                plan = _plan_fresh(
                    cur, state, scale=scale, days=days, seed=seed, as_of=as_of, raw_schema=raw_schema
                )
                rows = _load_fresh(cur, plan, say)
                # --- anomalies hook: bad rows on top of the clean ones, counted per class ---
                if anomalies:
                    injected = inject_anomalies(
                        cur, raw_schema, as_of=from_us(plan.hi), seed=plan.params.seed
                    )
                    for table, added in anomaly_rows_per_table(injected).items():
                        rows[table] += added
                    say(f"anomalies: {sum(injected.values()):,} rows in {len(injected)} classes")
                # --- end anomalies hook ---
            else:
                plan = _plan_append(
                    state, scale=scale, seed=seed, raw_schema=raw_schema, minutes=append_minutes
                )
                rows = _load_append(cur, plan, say)
            store.write_state(
                cur,
                store.State(
                    raw_schema=raw_schema,
                    generator_version=GENERATOR_VERSION,
                    seed=plan.params.seed,
                    scale=plan.params.scale,
                    history_start=from_us(plan.params.start),
                    last_instant=from_us(plan.hi),
                    days=plan.days,
                ),
            )
        conn.commit()
    except BaseException:
        with contextlib.suppress(psycopg2.Error):
            conn.rollback()
        raise
    finally:
        if restore_autocommit and not conn.closed:
            conn.autocommit = True
    seconds = time.perf_counter() - began
    total = sum(rows.values())
    say(f"done: {total:,} rows in {seconds:.1f} s")
    return GenerateResult(
        mode="fresh" if plan.fresh else "append",
        raw_schema=raw_schema,
        seed=plan.params.seed,
        scale=plan.params.scale,
        rows=rows,
        history_start=from_us(plan.params.start),
        window_start=from_us(plan.lo if not plan.fresh else plan.params.start),
        window_end=from_us(plan.hi),
        seconds=seconds,
        rows_per_second=total / seconds if seconds > 0 else 0.0,
        anomalies=injected,
    )


@dataclass(frozen=True)
class _Plan:
    params: Params
    lo: int  # rows ingested in (lo, hi] are written
    hi: int
    fresh: bool
    days: int
    raw_schema: str


def _quiet(_line: str) -> None:
    return None


def _validate(
    *,
    scale: float | None,
    days: int,
    seed: int | None,
    as_of: datetime | None,
    raw_schema: str,
    append_minutes: int | None,
) -> None:
    if scale is not None and (
        isinstance(scale, bool)
        or not isinstance(scale, int | float)
        or not math.isfinite(scale)
        or scale <= 0
    ):
        raise BadValue(f"scale must be a number greater than 0 (got {scale!r}).")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise BadValue(f"days must be a whole number from 1 to {MAX_DAYS} (got {days!r}).")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63):
        raise BadValue(f"seed must be a whole number from 0 to 2**63 - 1 (got {seed!r}).")
    if as_of is not None and (as_of.tzinfo is None or as_of.utcoffset() is None):
        raise BadValue(
            f"as_of must carry a time zone (got {as_of.isoformat()}); e.g. 2026-11-20T12:00:00+00:00."
        )
    if not isinstance(raw_schema, str) or not raw_schema or len(raw_schema.encode()) > 63:
        raise BadValue(f"raw_schema must be a schema name of 1 to 63 bytes (got {raw_schema!r}).")
    if raw_schema == META_SCHEMA:
        raise BadValue(f"raw_schema cannot be {META_SCHEMA!r}: that schema holds the generator's own state.")
    if append_minutes is not None:
        if isinstance(append_minutes, bool) or not isinstance(append_minutes, int) or append_minutes < 1:
            raise BadValue(
                f"append_minutes must be a whole number of minutes of at least 1 (got {append_minutes!r})."
            )
        if as_of is not None:
            raise BadValue(
                "as_of cannot be combined with append_minutes: "
                "an append continues from the last generated instant."
            )
    if scale is not None and VIDEOS_PER_DAY_PER_SCALE * scale * (days + 1) * 1.1 > MAX_VIDEOS:
        raise BadValue(
            f"scale {scale} over {days} days would need more than {MAX_VIDEOS:,} videos; lower one of them."
        )


def _plan_fresh(
    cur: Any,
    state: store.State | None,
    *,
    scale: float | None,
    days: int,
    seed: int | None,
    as_of: datetime | None,
    raw_schema: str,
) -> _Plan:
    seed = DEFAULT_SEED if seed is None else seed
    scale = DEFAULT_SCALE if scale is None else float(scale)
    if as_of is None:
        as_of = datetime.now(UTC).replace(second=0, microsecond=0)
    hi = to_us(as_of.astimezone(UTC))
    start = hi - days * DAY
    occupied = store.non_empty_tables(cur, raw_schema)
    if occupied:
        if state is None:
            raise UserError(
                f"raw schema {raw_schema!r} already holds rows the generator did not write "
                f"({', '.join(occupied)}); use an empty schema or empty it first."
            )
        if (state.seed, state.scale, state.generator_version) != (seed, scale, GENERATOR_VERSION):
            raise UserError(
                f"raw schema {raw_schema!r} holds data generated with seed {state.seed} "
                f"and scale {state.scale:g} (generator version {state.generator_version}); "
                "regenerate with that seed and scale, append to it,"
                " or use another schema."
            )
    return _Plan(
        Params(seed, scale, start), lo=start - 1, hi=hi, fresh=True, days=days, raw_schema=raw_schema
    )


def _plan_append(
    state: store.State | None, *, scale: float | None, seed: int | None, raw_schema: str, minutes: int
) -> _Plan:
    if state is None:
        raise UserError(
            f"nothing to append to: raw schema {raw_schema!r} has no earlier generation; "
            "generate without append_minutes first."
        )
    if state.generator_version != GENERATOR_VERSION:
        raise UserError(
            f"raw schema {raw_schema!r} was generated by generator version {state.generator_version}, "
            f"this is version {GENERATOR_VERSION}; regenerate it before appending."
        )
    if (seed is not None and seed != state.seed) or (scale is not None and float(scale) != state.scale):
        raise UserError(
            f"raw schema {raw_schema!r} was generated with seed {state.seed} and scale {state.scale:g}; "
            "append with the same seed and scale (or leave them out)."
        )
    lo = to_us(state.last_instant)
    params = Params(state.seed, state.scale, to_us(state.history_start))
    return _Plan(params, lo=lo, hi=lo + minutes * MINUTE, fresh=False, days=state.days, raw_schema=raw_schema)


class _Counter:
    """Counts a table's rows as COPY consumes them and reports progress every PROGRESS_EVERY rows."""

    def __init__(self, name: str, say: Callable[[str], None]) -> None:
        self.name, self.say, self.rows, self._next = name, say, 0, PROGRESS_EVERY

    def add(self, rows: int) -> None:
        self.rows += rows
        while self.rows >= self._next:
            self.say(f"{self.name}: {self._next:,} rows")
            self._next += PROGRESS_EVERY


def _copy_facts(
    cur: Any,
    plan: _Plan,
    name: str,
    columns: Iterable[str],
    chunks: Iterable[facts.Chunk],
    say: Callable[[str], None],
) -> int:
    counter = _Counter(name, say)
    pgcopy.copy_binary(
        cur, store.table(plan.raw_schema, name), list(columns), chunks, counter.add, freeze=plan.fresh
    )
    say(f"{name}: {counter.rows:,} rows")
    return counter.rows


def _state_tables(world: World, plan: _Plan) -> list[tuple[str, tuple[str, ...], list[entities.Row]]]:
    videos = world.videos_until(plan.hi)
    return [
        ("users", entities.USERS_COLUMNS, entities.user_rows(world, plan.lo, plan.hi, plan.fresh)),
        ("channels", entities.CHANNELS_COLUMNS, entities.channel_rows(world, plan.lo, plan.hi, plan.fresh)),
        ("videos", entities.VIDEOS_COLUMNS, entities.video_rows(world, videos, plan.lo, plan.hi, plan.fresh)),
        (
            "generation_jobs",
            entities.JOBS_COLUMNS,
            entities.job_rows(world, videos, plan.lo, plan.hi, plan.fresh),
        ),
    ]


def _load_facts(cur: Any, world: World, plan: _Plan, say: Callable[[str], None]) -> dict[str, int]:
    videos = world.videos_until(plan.hi)
    lo, hi = plan.lo, plan.hi
    rows = {
        "video_costs": _copy_facts(
            cur, plan, "video_costs", facts.COSTS_COLUMNS, facts.cost_chunks(world, videos, lo, hi), say
        ),
        "video_revenue": _copy_facts(
            cur,
            plan,
            "video_revenue",
            facts.REVENUE_COLUMNS,
            facts.revenue_chunks(world, videos, lo, hi),
            say,
        ),
        "api_quota_usage": _copy_facts(
            cur, plan, "api_quota_usage", facts.API_COLUMNS, facts.api_chunks(world, lo, hi), say
        ),
    }
    metrics = facts.MetricsBuilder(world, videos, lo, hi)
    rows["video_metrics"] = _copy_facts(
        cur, plan, "video_metrics", facts.METRICS_COLUMNS, metrics.chunks(), say
    )
    return rows


def _ordered(rows: dict[str, int]) -> dict[str, int]:
    return {name: rows.get(name, 0) for name in RAW_TABLES}


def _load_fresh(cur: Any, plan: _Plan, say: Callable[[str], None]) -> dict[str, int]:
    say(
        f"generating {from_us(plan.params.start):%Y-%m-%d %H:%M} .. {from_us(plan.hi):%Y-%m-%d %H:%M} UTC "
        f"into {plan.raw_schema!r} (seed {plan.params.seed}, scale {plan.params.scale:g})"
    )
    store.truncate(cur, plan.raw_schema)
    index_definitions = store.drop_secondary_indexes(cur, plan.raw_schema, RAW_TABLES)
    world = World(plan.params)
    rows: dict[str, int] = {}
    for name, columns, table_rows in _state_tables(world, plan):
        pgcopy.copy_csv(cur, store.table(plan.raw_schema, name), columns, table_rows, freeze=True)
        rows[name] = len(table_rows)
        say(f"{name}: {len(table_rows):,} rows")
    rows.update(_load_facts(cur, world, plan, say))
    began = time.perf_counter()
    cur.execute("set local maintenance_work_mem = '1GB'")
    store.create_indexes(cur, index_definitions)
    for name in RAW_TABLES:
        cur.execute(sql.SQL("analyze {}").format(store.table(plan.raw_schema, name)))
    say(f"indexes built and tables analysed in {time.perf_counter() - began:.1f} s")
    return _ordered(rows)


def _load_append(cur: Any, plan: _Plan, say: Callable[[str], None]) -> dict[str, int]:
    say(
        f"appending {from_us(plan.lo):%Y-%m-%d %H:%M} .. {from_us(plan.hi):%Y-%m-%d %H:%M} UTC "
        f"to {plan.raw_schema!r}"
    )
    world = World(plan.params)
    rows: dict[str, int] = {}
    for name, columns, table_rows in _state_tables(world, plan):
        if table_rows:
            staging = store.create_staging(cur, plan.raw_schema, name)
            pgcopy.copy_csv(cur, sql.Identifier(staging), columns, table_rows)
            store.upsert_from(cur, plan.raw_schema, name, staging, columns)
        rows[name] = len(table_rows)
        say(f"{name}: {len(table_rows):,} rows upserted")
    rows.update(_load_facts(cur, world, plan, say))
    return _ordered(rows)
