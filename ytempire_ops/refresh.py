"""`ytempire-ops refresh`: what cron runs every few minutes, never two at once.

Steps, each timed: take the advisory lock; dbt build of the time-series path
(selector `time_series`: snapshots and models, no tests; `time_series_entities_unchanged` when the
users and channels snapshots have nothing to write); REFRESH MATERIALIZED VIEW (CONCURRENTLY where
possible) for every materialized view of the manifest in dependency order, each
on its own connection as soon as the models it reads are built, while dbt runs
the rest (the views step times what is left once dbt ends); retention
(drop_chunks where policies are unavailable); warm the Redis keys; deliver the alerts; push the
run's metrics to the Pushgateway (metrics.py), whatever the outcome of the steps before.

Each step is a function of one RefreshContext (the arguments, the shared manifest, the views'
refresher, the result); `run_step` times it and records its Step. The as_of and the statement
timeout are parameters: dbt gets them through dbt_ops.invoke, the steps' own sessions through
Settings.connect. What the refresh did is noted for the run history (runs.note) when it runs under
runs.recording, as `ytempire-ops refresh` does.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg2
import psycopg2.errors
from psycopg2 import sql

from ytempire_ops import errors, runs
from ytempire_ops.config import Settings
from ytempire_ops.dbt_ops import (
    QUIET,
    DbtSummary,
    LoadedManifest,
    env_as_of,
    invoke,
    jinja_log_collector,
    load_manifest,
    node_message,
)
from ytempire_ops.findings import Level
from ytempire_ops.manifest_cache import project_config
from ytempire_ops.redact import redact_url

# pg_try_advisory_lock key of `refresh` and `build`: a constant, so every refresh and build of a
# database contends for it. A refresh that finds it taken is skipped (exit 75, cron runs the next one);
# a build waits for the refresh to end (hold_lock).
LOCK_KEY = 0x59_54_45_4D_52_45_46  # "YTEMREF"
SELECTOR = "time_series"
# The same without the snapshots of users and channels, when neither source changed (selectors.yml).
SELECTOR_ENTITIES_UNCHANGED = "time_series_entities_unchanged"
ENTITY_SNAPSHOTS = ("users_snapshot", "channels_snapshot")
# The source whose newest row is the newest poll (its loaded_at_field, as `dbt source freshness`).
POLL_SOURCE = ("youtube", "video_metrics")


def dbt_step_command(selector: str) -> list[str]:
    return ["build", "--selector", selector, "--resource-type", "model", "--resource-type", "snapshot"]


# Materialized views refreshed at once (those of one dependency level): each is one PostgreSQL
# backend, mostly on one core; the project's machines have two.
VIEW_WORKERS = 2


@dataclass
class Step:
    name: str
    status: str  # ok, skipped, failed, dry-run, interrupted
    seconds: float = 0.0
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def level(self) -> Level:
        """The step's status in the level vocabulary check and doctor use (failed is an error)."""
        return Level.parse(self.status)


@dataclass
class RefreshResult:
    steps: list[Step] = field(default_factory=list)
    exit_code: int = errors.EXIT_OK
    error: str | None = None
    # The exception behind a failed step (for `--debug`'s traceback); not part of as_dict.
    cause: BaseException | None = None
    # Rows dbt's step wrote per model (dbt's adapter response), also when a later node failed.
    rows_loaded: dict[str, int] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)

    @property
    def level(self) -> Level:
        """The worst step's level; a warning when skipped for the lock, an error for any other failure."""
        if self.exit_code == errors.EXIT_SKIPPED_LOCKED:
            return Level.WARN
        if self.exit_code != errors.EXIT_OK:
            return Level.ERROR
        return Level.worst(step.level for step in self.steps)

    def as_dict(self) -> dict[str, Any]:
        return {
            "exit_code": self.exit_code,
            "level": self.level.word,
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "rows_loaded": self.rows_loaded,
            "steps": [
                {
                    "name": s.name,
                    "status": s.status,
                    "level": s.level.word,
                    "seconds": round(s.seconds, 3),
                    "detail": s.detail,
                    **({"data": s.data} if s.data else {}),
                }
                for s in self.steps
            ],
        }

    def run_steps(self) -> list[dict[str, Any]]:
        """The steps as the run history keeps them: name, status, seconds, detail (rows for dbt's)."""
        return [
            {
                "name": s.name,
                "status": s.status,
                "seconds": round(s.seconds, 3),
                **({"rows": sum(self.rows_loaded.values())} if s.name == "dbt" and self.rows_loaded else {}),
                **({"detail": s.detail} if s.detail else {}),
            }
            for s in self.steps
        ]


class StepFailed(errors.UserError):
    def __init__(
        self, step: str, message: str, exit_code: int = errors.EXIT_FAILED, seconds: float = 0.0
    ) -> None:
        super().__init__(f"refresh step '{step}' failed: {message}")
        self.step = step
        self.exit_code = exit_code
        self.seconds = seconds  # how long the step ran before it failed


def retention_horizons(manifest: Any) -> list[tuple[str, str, str]]:
    """(schema, relation, drop_after) of every model whose `meta.timescaledb` asks for retention."""
    found = []
    for node in manifest.nodes.values():
        if node.resource_type != "model":
            continue
        settings = (node.config.meta or {}).get("timescaledb") or {}
        drop_after = (settings.get("retention") or {}).get("drop_after")
        if drop_after:
            found.append((node.schema, node.alias, str(drop_after)))
    return sorted(found)


@dataclass(frozen=True)
class SnapshotSource:
    """What a timestamp-strategy snapshot compares: its relation, its source's, key and updated_at."""

    name: str
    snapshot: str
    source: str
    unique_key: tuple[str, ...]
    updated_at: str
    deletion_markers: bool  # hard_deletes: new_record (a deleted row gets a current marker version)


def snapshot_sources(manifest: Any, names: tuple[str, ...]) -> list[SnapshotSource] | None:
    """The named snapshots' SnapshotSource, or None when one cannot be checked that way."""
    found = []
    by_name = {node.name: node for node in manifest.nodes.values() if node.resource_type == "snapshot"}
    for name in names:
        node = by_name.get(name)
        if node is None:
            return None
        config = node.config
        meta_names = getattr(config, "snapshot_meta_column_names", None)
        renamed = meta_names is not None and any(vars(meta_names).values())
        hard_deletes = str(config.get("hard_deletes") or "ignore")
        parents = list(node.depends_on.nodes)
        if (
            config.strategy != "timestamp"
            or not config.updated_at
            or renamed
            or config.get("dbt_valid_to_current")
            or hard_deletes not in {"new_record", "invalidate"}
            or len(parents) != 1
        ):
            return None
        parent = manifest.nodes.get(parents[0]) or manifest.sources.get(parents[0])
        if parent is None or not getattr(parent, "relation_name", None) or not node.relation_name:
            return None
        key = config.unique_key
        found.append(
            SnapshotSource(
                name=name,
                snapshot=node.relation_name,
                source=parent.relation_name,
                unique_key=tuple([key] if isinstance(key, str) else key),
                updated_at=config.updated_at,
                deletion_markers=hard_deletes == "new_record",
            )
        )
    return found


def _snapshot_current_sql(source: SnapshotSource) -> sql.Composed:
    """True when the snapshot's current versions are the source's rows: same keys, same updated_at.

    Then dbt's timestamp strategy has nothing to write: no new key, no later updated_at, no key gone
    (a deletion leaves a current version without a source row), no key back (a deletion marker is
    not a live version, so the source row has no match).
    """
    keys = sql.SQL(", ").join(sql.Identifier(column) for column in source.unique_key)
    live = sql.SQL(" and dbt_is_deleted is distinct from 'True'") if source.deletion_markers else sql.SQL("")
    source_rows = sql.SQL("select {keys}, {updated_at} from {source}").format(
        keys=keys, updated_at=sql.Identifier(source.updated_at), source=sql.SQL(source.source)
    )
    snapshot_rows = sql.SQL(
        "select {keys}, dbt_updated_at from {snapshot} where dbt_valid_to is null{live}"
    ).format(keys=keys, snapshot=sql.SQL(source.snapshot), live=live)
    return sql.SQL(
        "select not exists (({source_rows} except {snapshot_rows}) union all ({snapshot_rows} except {source_rows}))"
    ).format(source_rows=source_rows, snapshot_rows=snapshot_rows)


def unchanged_snapshots(
    settings: Settings, sources: list[SnapshotSource], *, statement_timeout: float | None = None
) -> list[str]:
    """The names of the snapshots whose source has not changed since they were taken.

    A snapshot that cannot be read (not built yet) counts as changed: dbt then runs it.
    """
    unchanged = []
    conn = settings.connect(statement_timeout=statement_timeout)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            for source in sources:
                try:
                    cur.execute(_snapshot_current_sql(source))
                except psycopg2.errors.UndefinedTable:
                    continue
                if cur.fetchone()[0]:
                    unchanged.append(source.name)
    finally:
        conn.close()
    return unchanged


def project_as_of(settings: Settings) -> str:
    """The `as_of` var dbt_project.yml sets (globally or for this project), '' when none."""
    config = project_config(settings.project_dir)
    project_vars = config.get("vars")
    if not isinstance(project_vars, dict):
        return ""
    scoped = project_vars.get(config.get("name"))
    value = scoped["as_of"] if isinstance(scoped, dict) and "as_of" in scoped else project_vars.get("as_of")
    return "" if value is None else str(value).strip()


# Whether drop_chunks(older_than => as_of - drop_after) would drop a chunk of the hypertable: one
# whose range ends at or before that instant. A minute of margin, because the macro's as_of (the
# run's start when none is given) is taken a moment after this check's now().
CHUNK_DUE = """
select exists (
    select 1
    from timescaledb_information.chunks
    where hypertable_schema = %(schema)s
      and hypertable_name = %(name)s
      and (
          range_end is null
          or range_end <= coalesce(cast(nullif(%(as_of)s, '') as timestamptz), now())
              - cast(%(drop_after)s as interval) + interval '1 minute'
      )
)
"""


def retention_due(
    settings: Settings,
    horizons: list[tuple[str, str, str]],
    as_of: str,
    *,
    statement_timeout: float | None = None,
) -> list[str] | None:
    """None when the retention macro has work or something to report; else one line per hypertable.

    The macro (`dbt run-operation timescaledb_enforce_retention`) costs a dbt invocation, about a
    third of a second; it is needed when a chunk is older than its horizon (a day at most with
    daily chunks), when the extension is missing or its license runs retention policies (the macro
    says so), and when there is nothing to check.
    """
    if not horizons:
        return None
    conn = settings.connect(statement_timeout=statement_timeout)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select current_setting('timescaledb.license', true), "
                "exists (select 1 from pg_extension where extname = 'timescaledb')"
            )
            license_name, installed = cur.fetchone()
            if not installed or license_name == "timescale":
                return None
            lines = []
            for schema, name, drop_after in horizons:
                cur.execute(
                    CHUNK_DUE, {"schema": schema, "name": name, "as_of": as_of, "drop_after": drop_after}
                )
                if cur.fetchone()[0]:
                    return None
                lines.append(f"timescaledb retention: {schema}.{name}: no chunk older than {drop_after}")
            return lines
    finally:
        conn.close()


def materialized_views(manifest: Any) -> list[dict[str, Any]]:
    """The materialized views of a parsed dbt Manifest, parents before children.

    Each has a `level`: 0 when none of its parents is a materialized view, else one more than its
    deepest parent view's; `after_views`, the materialized views it reads; and `after_nodes`, the
    dbt models and snapshots it reads data of (through views and ephemeral models, which hold no
    rows of their own): once those are built and those views refreshed, it can be refreshed.
    """
    nodes = manifest.nodes
    views = {
        uid: node
        for uid, node in nodes.items()
        if str(node.resource_type) == "model" and node.config.materialized == "materialized_view"
    }
    ordered: list[str] = []
    level: dict[str, int] = {}
    visiting: set[str] = set()

    def visit(uid: str) -> None:
        if uid in ordered or uid in visiting:
            return
        visiting.add(uid)
        parents = [parent for parent in views[uid].depends_on.nodes if parent in views]
        for parent in parents:
            visit(parent)
        visiting.discard(uid)
        level[uid] = 1 + max((level.get(parent, 0) for parent in parents), default=-1)
        ordered.append(uid)

    def built_inputs(uid: str, seen: set[str]) -> set[str]:
        found: set[str] = set()
        for parent in nodes[uid].depends_on.nodes:
            if parent in seen or parent not in nodes or parent in views:
                continue
            seen.add(parent)
            node = nodes[parent]
            kind = str(node.resource_type)
            if kind == "model" and node.config.materialized in {"view", "ephemeral"}:
                found |= built_inputs(parent, seen)
            elif kind in {"model", "snapshot"}:
                found.add(parent)
        return found

    for uid in sorted(views):
        visit(uid)
    return [
        {
            "unique_id": uid,
            "name": views[uid].name,
            "schema": views[uid].schema,
            "alias": views[uid].alias,
            "level": level[uid],
            "after_views": sorted(parent for parent in views[uid].depends_on.nodes if parent in views),
            "after_nodes": sorted(built_inputs(uid, set())),
        }
        for uid in ordered
    ]


def _view_state(cur: Any, schema: str, name: str) -> tuple[bool, bool, bool]:
    """(exists, populated, has a plain unique index)."""
    cur.execute(
        """
        select c.relispopulated,
               exists (select 1 from pg_index as i
                       where i.indrelid = c.oid and i.indisunique and i.indisvalid
                         and i.indpred is null and i.indexprs is null)
        from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = %s and c.relname = %s and c.relkind = 'm'
        """,
        (schema, name),
    )
    row = cur.fetchone()
    if row is None:
        return False, False, False
    return True, bool(row[0]), bool(row[1])


def _refresh_statement(cur: Any, view: dict[str, Any]) -> sql.Composed:
    exists, populated, unique = _view_state(cur, view["schema"], view["alias"])
    if not exists:
        raise StepFailed(
            "materialized views",
            f"{view['schema']}.{view['alias']} does not exist; run `ytempire-ops build` once first.",
        )
    concurrently = populated and unique
    return sql.SQL("refresh materialized view {}{}.{}").format(
        sql.SQL("concurrently ") if concurrently else sql.SQL(""),
        sql.Identifier(view["schema"]),
        sql.Identifier(view["alias"]),
    )


def _refresh_one(conn: Any, view: dict[str, Any]) -> dict[str, Any]:
    with conn.cursor() as cur:
        statement = _refresh_statement(cur, view)
        started = time.monotonic()
        cur.execute(statement)
        return {"statement": statement.as_string(conn), "seconds": round(time.monotonic() - started, 3)}


def dry_run_views(
    settings: Settings, views: list[dict[str, Any]], *, statement_timeout: float | None = None
) -> dict[str, Any]:
    """The statement each view's refresh would run, in order; nothing is refreshed."""
    conn = settings.connect(statement_timeout=statement_timeout)
    try:
        with conn.cursor() as cur:
            return {
                view["name"]: {"statement": _refresh_statement(cur, view).as_string(conn)} for view in views
            }
    finally:
        conn.close()


class ViewRefresher:
    """Refreshes each materialized view as soon as what it reads is final, up to VIEW_WORKERS at once.

    While dbt runs, `node_finished` (dbt's event callback) starts the views whose built inputs
    have all succeeded, so their refresh overlaps dbt's remaining nodes; `dbt_done` releases the
    rest (an input the run did not select is as final as it gets). A view on views waits for their
    refresh. `finish` waits for every view and returns their timings. An error of a view, Ctrl-C,
    or leaving the `with` block on an exception cancels the statements still running.
    """

    def __init__(
        self, settings: Settings, views: list[dict[str, Any]], *, statement_timeout: float | None = None
    ) -> None:
        self._views = {view["unique_id"]: view for view in views}
        self._waiting = {
            uid: {*view["after_nodes"], *view["after_views"]} for uid, view in self._views.items()
        }
        self._lock = threading.Lock()
        self._futures: dict[str, Future[dict[str, Any]]] = {}
        self._dbt_running = True
        self._cancelled = False
        self._conns: list[Any] = []
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        workers = max(1, min(VIEW_WORKERS, len(views)))
        try:
            for _ in range(workers if views else 0):
                conn = settings.connect(statement_timeout=statement_timeout)
                self._conns.append(conn)
                conn.autocommit = True
                self._idle.put(conn)
        except BaseException:
            for conn in self._conns:
                conn.close()
            raise
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="refresh-view")

    def __enter__(self) -> ViewRefresher:
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if kind is not None:
            self.cancel()
        self._pool.shutdown(wait=True)
        for conn in self._conns:
            conn.close()

    def node_finished(self, unique_id: str, status: str) -> None:
        """A dbt node ended; a success releases the views that only waited for it."""
        if status == "success":
            self._resolved(unique_id)

    def dbt_done(self) -> None:
        with self._lock:
            self._dbt_running = False
            for uid, waiting in self._waiting.items():
                waiting.difference_update(self._views[uid]["after_nodes"])
            self._start_ready()

    def cancel(self) -> None:
        self._cancelled = True
        futures = list(self._futures.values())
        while True:  # again until all ended: a statement may start just after a cancel
            for conn in self._conns:
                with suppress(psycopg2.Error):  # a session that is gone has nothing left to cancel
                    conn.cancel()
            if not wait(futures, timeout=0.2).not_done:
                return

    def finish(self) -> dict[str, Any]:
        """Wait for every view (dbt_done first); the first failure cancels the others and is raised."""
        try:
            while True:
                with self._lock:
                    pending = [future for future in self._futures.values() if not future.done()]
                    failed = [f for f in self._futures.values() if f.done() and f.exception() is not None]
                if failed:
                    raise failed[0].exception()  # type: ignore[misc]
                if not pending:
                    break
                wait(pending, return_when=FIRST_EXCEPTION)
        except BaseException:
            self.cancel()
            raise
        with self._lock:
            never = sorted(self._views[uid]["name"] for uid in self._views if uid not in self._futures)
        if never:
            raise StepFailed("materialized views", f"never refreshed: {', '.join(never)}")
        return {view["name"]: self._futures[uid].result() for uid, view in self._views.items()}

    def _resolved(self, unique_id: str) -> None:
        with self._lock:
            for waiting in self._waiting.values():
                waiting.discard(unique_id)
            self._start_ready()

    def _start_ready(self) -> None:
        """Submit the views waiting for nothing (the caller holds the lock)."""
        for uid, waiting in self._waiting.items():
            if not waiting and uid not in self._futures and not self._cancelled:
                self._futures[uid] = self._pool.submit(self._run, uid)

    def _run(self, uid: str) -> dict[str, Any]:
        conn = self._idle.get()
        try:
            if self._cancelled:
                raise StepFailed("materialized views", "cancelled")
            during_dbt = self._dbt_running
            timing = _refresh_one(conn, self._views[uid])
        finally:
            self._idle.put(conn)
        timing["during_dbt"] = during_dbt
        self._resolved(uid)
        return timing


def _dbt_failure(summary: DbtSummary) -> str:
    failed = summary.failures()
    if failed:
        first = failed[0]
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        return f"{first.unique_id}: {node_message(first.message) or first.status}{more}"
    return summary.error or "dbt reported a failure"


# What a step reports: its status (ok, skipped, dry-run), a one-line detail and its data.
StepOutcome = tuple[str, str, dict[str, Any]]


def _quiet(_line: str) -> None:
    pass


@dataclass
class RefreshContext:
    """What the steps of one refresh share: its arguments, the parsed project, the views' refresher.

    `as_of` is what the as_of() macro reads when no var sets it (None: $YTEMPIRE_AS_OF, else the run's
    start); `statement_timeout` (seconds) bounds every statement, dbt's and the steps' own.
    """

    settings: Settings
    as_of: datetime | None = None
    statement_timeout: float | None = None
    dbt_vars: str | None = None
    dry_run: bool = False
    skip_dbt: bool = False
    skip_warm: bool = False
    skip_alerts: bool = False
    progress: Callable[[str], None] = _quiet
    result: RefreshResult = field(default_factory=RefreshResult)
    loaded: LoadedManifest | None = None
    views: ViewRefresher | None = None
    # What the dbt and views steps hold open (the refresher's connections); closed after the views step.
    resources: ExitStack = field(default_factory=ExitStack)

    @property
    def vars_args(self) -> list[str]:
        return ["--vars", self.dbt_vars] if self.dbt_vars else []

    def manifest(self, step: str) -> Any:
        """One manifest for every dbt invocation and the views step, read back from the previous refresh
        while the project is unchanged (load_manifest): parsing costs about a second in every process."""
        if self.loaded is None:
            try:
                self.loaded = load_manifest(self.settings, [*self.vars_args, *QUIET])
            except errors.UserError as exc:
                raise StepFailed(step, str(exc)) from exc
        return self.loaded.manifest

    def view_refresher(self, step: str) -> ViewRefresher:
        if self.views is None:
            views = materialized_views(self.manifest(step))
            self.views = self.resources.enter_context(
                ViewRefresher(self.settings, views, statement_timeout=self.statement_timeout)
            )
        return self.views

    def invoke(self, command: list[str], step: str, callbacks: list[Callable[[Any], None]]) -> DbtSummary:
        """A dbt command on the shared manifest; --no-write-json: no graph.gpickle either (a quarter of a
        second at scale 1)."""
        return invoke(
            command,
            self.settings,
            [*self.vars_args, *QUIET, "--no-write-json"],
            callbacks=callbacks,
            manifest=self.manifest(step),
            as_of=self.as_of,
            statement_timeout=self.statement_timeout,
        )


def lock_step(ctx: RefreshContext, conn: Any, started: float) -> bool:
    """Take the advisory lock on conn (opened at `started`); False, and the result says skipped, when
    another refresh holds it."""
    try:
        with conn.cursor() as cur:
            cur.execute("select pg_try_advisory_lock(%s)", (LOCK_KEY,))
            acquired = bool(cur.fetchone()[0])
    except psycopg2.Error as exc:
        raise StepFailed("lock", _cause(exc), seconds=time.monotonic() - started) from exc
    ctx.result.steps.append(Step("lock", "ok" if acquired else "skipped", time.monotonic() - started))
    if not acquired:
        ctx.result.exit_code = errors.EXIT_SKIPPED_LOCKED
        ctx.result.error = "another refresh or a build holds the warehouse's lock; skipped"
    return acquired


class LockBusy(errors.UserError):
    exit_code = errors.EXIT_SKIPPED_LOCKED


@contextmanager
def hold_lock(
    settings: Settings, wait_seconds: float, progress: Callable[[str], None] = _quiet
) -> Iterator[None]:
    """Hold the refresh lock for the `with` block, waiting up to wait_seconds for a refresh to end.

    What `build` runs under: a refresh started during the build is skipped, and a build started during
    a refresh waits for it. LockBusy (exit 75) when the wait runs out.
    """
    conn = settings.connect()
    try:
        conn.autocommit = True
        deadline = time.monotonic() + wait_seconds
        told = False
        with conn.cursor() as cur:
            while True:
                cur.execute("select pg_try_advisory_lock(%s)", (LOCK_KEY,))
                if cur.fetchone()[0]:
                    break
                if time.monotonic() >= deadline:
                    raise LockBusy(
                        f"a refresh or another build held the warehouse's lock for {wait_seconds:g} s; "
                        "nothing was built (run it again, or give --wait more seconds)."
                    )
                if not told:
                    progress(f"a refresh or another build is running; waiting up to {wait_seconds:g} s")
                    told = True
                time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
        try:
            yield
        finally:
            _unlock(conn)
    finally:
        conn.close()


def _unlock(conn: Any) -> None:
    """Release the lock conn holds; a session that is gone has released it already."""
    with suppress(psycopg2.Error), conn.cursor() as cur:
        cur.execute("select pg_advisory_unlock(%s)", (LOCK_KEY,))


def dbt_step(ctx: RefreshContext) -> StepOutcome:
    """dbt build of the time-series selector; each view is refreshed as soon as what it reads is built."""
    if ctx.skip_dbt:
        return "skipped", "--skip-dbt", {}
    # The clock starts before the manifest is loaded and the snapshots checked: both are part of the
    # fixed cost before dbt's first node.
    started = time.monotonic()
    # Users and channels change rarely: when neither snapshot's source changed, the selector
    # without those two snapshots runs (their nodes would find nothing to write).
    sources = snapshot_sources(ctx.manifest("dbt"), ENTITY_SNAPSHOTS)
    try:
        unchanged = (
            unchanged_snapshots(ctx.settings, sources, statement_timeout=ctx.statement_timeout)
            if sources
            else []
        )
    except psycopg2.Error as exc:
        raise StepFailed("dbt", errors.first_line(exc)) from exc
    selector = SELECTOR_ENTITIES_UNCHANGED if set(unchanged) == set(ENTITY_SNAPSHOTS) else SELECTOR
    command = dbt_step_command(selector)
    if ctx.dry_run:
        return "dry-run", f"would run: {' '.join(['dbt', *command, *ctx.vars_args])}", {"selector": selector}
    marks: dict[str, float] = {}
    refresher = ctx.view_refresher("dbt")

    def on_event(event: Any) -> None:
        # When the first node started and the last one finished: what comes before is dbt's fixed
        # cost (import, manifest, relation cache), what comes after its run-end hooks.
        if event.info.name == "NodeStart":
            marks.setdefault("first_node", time.monotonic())
        elif event.info.name == "NodeFinished":
            marks["last_node"] = time.monotonic()
            info = event.data.node_info
            refresher.node_finished(info.unique_id, info.node_status)

    summary = ctx.invoke(command, "dbt", [on_event])
    ctx.result.rows_loaded = summary.rows_loaded()
    if not summary.success:
        raise StepFailed("dbt", _dbt_failure(summary))
    ended = time.monotonic()
    first, last = marks.get("first_node", ended), marks.get("last_node", ended)
    timing = {
        "before_first_node": round(first - started, 3),
        "nodes": round(last - first, 3),
        "after_last_node": round(ended - last, 3),
    }
    nodes = {n.name: round(n.seconds, 3) for n in sorted(summary.nodes, key=lambda n: -n.seconds)}
    source = ctx.loaded.source if ctx.loaded is not None else ""
    data = {
        "manifest": source,
        "selector": selector,
        "timing": timing,
        "nodes": nodes,
        "rows": ctx.result.rows_loaded,
    }
    return "ok", f"{len(summary.nodes)} nodes", data


def views_step(ctx: RefreshContext) -> StepOutcome:
    """What is left of the views' refresh once dbt has ended (a dry run: the statements it would run)."""
    if ctx.dry_run:
        views = materialized_views(ctx.manifest("materialized views"))
        timings = dry_run_views(ctx.settings, views, statement_timeout=ctx.statement_timeout)
        return "dry-run", f"{len(timings)} views", timings
    refresher = ctx.view_refresher("materialized views")
    refresher.dbt_done()
    timings = refresher.finish()
    overlapped = sum(1 for timing in timings.values() if timing["during_dbt"])
    return "ok", f"{len(timings)} views ({overlapped} started while dbt ran)", timings


def retention_step(ctx: RefreshContext) -> StepOutcome:
    """drop_chunks past each hypertable's horizon, through the macro only when a chunk is due."""
    status = "dry-run" if ctx.dry_run else "ok"
    # Without --vars or an as_of var in dbt_project.yml, the macro's as_of is the refresh's as_of,
    # else YTEMPIRE_AS_OF, else the clock, which the check reads too.
    if not ctx.vars_args and not project_as_of(ctx.settings):
        try:
            idle = retention_due(
                ctx.settings,
                retention_horizons(ctx.manifest("retention")),
                env_as_of(ctx.as_of),
                statement_timeout=ctx.statement_timeout,
            )
        except psycopg2.Error as exc:
            raise StepFailed("retention", errors.first_line(exc)) from exc
        if idle is not None:
            return status, "; ".join(idle), {"log": idle, "dbt": False}
    args = ["--args", "{dry_run: true}"] if ctx.dry_run else []
    lines: list[str] = []
    summary = ctx.invoke(
        ["run-operation", "timescaledb_enforce_retention", *args],
        "retention",
        [jinja_log_collector("timescaledb retention", lines)],
    )
    if not summary.success:
        raise StepFailed("retention", summary.error or "run-operation failed")
    return status, "; ".join(lines), {"log": lines, "dbt": True}


def warm_step(ctx: RefreshContext) -> StepOutcome:
    """Publish every Redis dashboard key from the marts just built."""
    if ctx.skip_warm:
        return "skipped", "--skip-warm", {}
    if ctx.dry_run:
        return "dry-run", "would publish every dashboard key", {}
    from ytempire_ops.warm import RedisUnavailable, warm

    try:
        warmed = warm(ctx.settings, statement_timeout=ctx.statement_timeout)
    except RedisUnavailable as exc:
        raise StepFailed(
            "warm", f"{exc} The database work is kept.", exit_code=errors.EXIT_REDIS_UNAVAILABLE
        ) from exc
    return "ok", "", warmed.as_dict()


def alerts_step(ctx: RefreshContext) -> StepOutcome:
    """Deliver mart_alerts to Alertmanager: every open alert, and the ones that closed as resolved."""
    if ctx.skip_alerts:
        return "skipped", "--skip-alerts", {}
    if not ctx.settings.alertmanager_url:
        return "skipped", "no Alertmanager configured (YTEMPIRE_ALERTMANAGER_URL)", {}
    if ctx.dry_run:
        return "dry-run", f"would post the open alerts to {ctx.settings.alertmanager_url}", {}
    from ytempire_ops.alerts import send

    try:
        delivered = send(ctx.settings, statement_timeout=ctx.statement_timeout)
    except errors.UserError as exc:  # unreachable or refusing (exit 4), or a malformed URL (exit 2)
        raise StepFailed(
            "alerts", f"{exc} The database and Redis work is kept.", exit_code=exc.exit_code
        ) from exc
    return "ok", f"{delivered.open} open, {delivered.resolved} resolved", delivered.as_dict()


def run_step(ctx: RefreshContext, name: str, step: Callable[[RefreshContext], StepOutcome]) -> Step:
    """Run one step, timed, and record it in the result."""
    ctx.progress(f"{name} ...")
    started = time.monotonic()
    try:
        status, detail, data = step(ctx)
    except StepFailed as exc:
        exc.seconds = time.monotonic() - started
        raise
    except (psycopg2.Error, errors.UserError) as exc:
        # A connection lost, a statement cancelled, a service gone: the step that met it is named.
        exit_code = getattr(exc, "exit_code", errors.EXIT_FAILED)
        raise StepFailed(name, _cause(exc), exit_code, seconds=time.monotonic() - started) from exc
    except KeyboardInterrupt:
        ctx.result.steps.append(Step(name, "interrupted", time.monotonic() - started))
        raise
    done = Step(name, status, time.monotonic() - started, detail, data)
    ctx.result.steps.append(done)
    ctx.progress(f"{name}: {status} in {done.seconds:.2f} s{(' - ' + detail) if detail else ''}")
    return done


def _cause(exc: BaseException) -> str:
    """What went wrong, in the database's or the service's own words (one line)."""
    if isinstance(exc, psycopg2.OperationalError) and not isinstance(exc, psycopg2.errors.QueryCanceled):
        return f"lost the connection to PostgreSQL: {errors.first_line(exc)}"
    return errors.first_line(exc)


def run_steps(ctx: RefreshContext) -> None:
    """The steps after the lock, in order; the views' connections are closed once their step ends."""
    with ctx.resources:
        run_step(ctx, "dbt", dbt_step)
        run_step(ctx, "materialized views", views_step)
    run_step(ctx, "retention", retention_step)
    run_step(ctx, "warm", warm_step)
    run_step(ctx, "alerts", alerts_step)


def newest_poll_at(ctx: RefreshContext) -> float | None:
    """When the newest poll arrived (Unix time, its source's loaded_at_field); None when unknown."""
    if ctx.loaded is None:
        return None
    source = next(
        (
            s
            for s in ctx.loaded.manifest.sources.values()
            if (s.source_name, s.name) == POLL_SOURCE and s.loaded_at_field
        ),
        None,
    )
    if source is None:
        return None
    statement = sql.SQL("select extract(epoch from max({}))::float8 from {}.{}").format(
        sql.Identifier(source.loaded_at_field),
        sql.Identifier(source.schema),
        sql.Identifier(source.identifier),
    )
    try:
        conn = ctx.settings.connect(statement_timeout=ctx.statement_timeout)
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
                value = cur.fetchone()[0]
        finally:
            conn.close()
    except psycopg2.Error:
        return None  # the metrics go out without it
    return None if value is None else float(value)


def metrics_step(ctx: RefreshContext) -> None:
    """Push the run's metrics (metrics.py), whatever the steps before did; never raises.

    Not configured: a skipped step. Unreachable: a failed step, and exit 5 unless an earlier step
    failed (the first failure's exit code stands).
    """
    from ytempire_ops.metrics import PushgatewayUnavailable, RefreshMetrics, push

    url = ctx.settings.pushgateway_url
    if not url:
        ctx.result.steps.append(
            Step("metrics", "skipped", 0.0, "no Pushgateway configured (YTEMPIRE_PUSHGATEWAY_URL)")
        )
        return
    ctx.progress("metrics ...")
    started = time.monotonic()
    warmed = next((s.data for s in ctx.result.steps if s.name == "warm" and s.status == "ok"), {})
    metrics = RefreshMetrics(
        warehouse=ctx.settings.pg_dbname,
        exit_code=ctx.result.exit_code,
        seconds=ctx.result.seconds,
        finished_at=time.time(),
        steps={s.name: s.seconds for s in ctx.result.steps},
        rows_loaded=dict(ctx.result.rows_loaded),
        newest_poll_at=newest_poll_at(ctx),
        keys_published=warmed.get("keys_written"),
    )
    try:
        jobs = push(url, metrics)
    except PushgatewayUnavailable as exc:
        failed = StepFailed(
            "metrics",
            f"{exc} The database, Redis and alerts work is kept.",
            exit_code=exc.exit_code,
            seconds=time.monotonic() - started,
        )
        if ctx.result.exit_code == errors.EXIT_OK:
            _failed(ctx, failed)
        else:
            ctx.result.steps.append(Step("metrics", "failed", failed.seconds, detail=str(failed)))
        return
    done = Step("metrics", "ok", time.monotonic() - started, f"pushed to {redact_url(url)}", {"jobs": jobs})
    ctx.result.steps.append(done)
    ctx.progress(f"metrics: ok in {done.seconds:.2f} s - {done.detail}")


def refresh(
    settings: Settings,
    *,
    dry_run: bool = False,
    skip_dbt: bool = False,
    skip_warm: bool = False,
    skip_alerts: bool = False,
    statement_timeout_seconds: float | None = None,
    dbt_vars: str | None = None,
    as_of: datetime | None = None,
    progress: Callable[[str], None] = _quiet,
    interrupted_exit_code: Callable[[], int] = lambda: errors.EXIT_INTERRUPTED,
) -> RefreshResult:
    """Every step under the advisory lock; a failed step ends the refresh with its exit code.

    Then, whatever happened (a failure, Ctrl-C or SIGTERM too), the metrics are pushed and what the
    refresh did is noted for the run history; a dry run does neither, and a refresh skipped for the
    lock pushes nothing (the one holding the lock pushes its own).
    """
    ctx = RefreshContext(
        settings=settings,
        as_of=as_of,
        statement_timeout=statement_timeout_seconds,
        dbt_vars=dbt_vars,
        dry_run=dry_run,
        skip_dbt=skip_dbt,
        skip_warm=skip_warm,
        skip_alerts=skip_alerts,
        progress=progress,
    )
    runs.note(keep=not dry_run, as_of=runs.effective_as_of(as_of))
    try:
        return _locked_steps(ctx)
    except KeyboardInterrupt:
        ctx.result.exit_code = interrupted_exit_code()
        ctx.result.error = "interrupted" if ctx.result.exit_code == errors.EXIT_INTERRUPTED else "terminated"
        raise
    except Exception as exc:  # not a step's failure (those are in the result): the metrics must not say 0
        ctx.result.exit_code = errors.EXIT_FAILED
        ctx.result.error = errors.first_line(exc)
        raise
    finally:
        if not dry_run and ctx.result.exit_code != errors.EXIT_SKIPPED_LOCKED:
            metrics_step(ctx)
        result = ctx.result
        runs.note(
            steps=result.run_steps(),
            rows_loaded=result.rows_loaded,
            warned=any(step.level is Level.WARN for step in result.steps),
            **({"error": result.error} if result.error else {}),
        )


def _locked_steps(ctx: RefreshContext) -> RefreshResult:
    """The lock, then every step under it; a failed step is recorded in the result."""
    settings, statement_timeout_seconds = ctx.settings, ctx.statement_timeout
    started = time.monotonic()
    try:
        lock = settings.connect(statement_timeout=statement_timeout_seconds)
    except psycopg2.OperationalError as exc:  # PostgreSQL unreachable: the lock step is where it shows
        where = f"{settings.pg_host}:{settings.pg_port}"
        message = f"cannot reach PostgreSQL at {where}: {errors.first_line(exc)}"
        return _failed(ctx, StepFailed("lock", message, seconds=time.monotonic() - started))
    try:
        lock.autocommit = True
        try:
            if not lock_step(ctx, lock, started):
                return ctx.result
        except StepFailed as exc:
            return _failed(ctx, exc)
        try:
            run_steps(ctx)
        except StepFailed as exc:
            _failed(ctx, exc)
        finally:
            _unlock(lock)
    finally:
        lock.close()
    return ctx.result


def _failed(ctx: RefreshContext, exc: StepFailed) -> RefreshResult:
    """Record the failed step (with how long it ran) and the result's exit code and error."""
    ctx.result.steps.append(Step(exc.step, "failed", exc.seconds, detail=str(exc)))
    ctx.result.exit_code = exc.exit_code
    ctx.result.error = str(exc)
    ctx.result.cause = exc.__cause__ or exc
    return ctx.result
