"""The run history: every recorded command's run, kept in the table `ops.run_history` for 90 days.

A command is recorded by running under `recording(...)` (cli.py's `@recorded("refresh")` does it in
one line): the run's command, its arguments (secrets masked), start and end, status, exit code, each
step's seconds, rows loaded per model, error and as_of. The record is written when the run ends,
whatever the ending: success, a failure, an exception, Ctrl-C or SIGTERM. While it runs, the
command's own code adds what it knows with `note(...)` (a no-op when nothing is being recorded), so
the job modules stay usable without the CLI.

The table is the CLI's, not a dbt model: the recorder creates the schema `ops` and the table when
they are missing (docs/decisions.md, "Run history and metrics"), and deletes rows older than
KEEP_DAYS each time it records a run. When PostgreSQL cannot be reached the record cannot be
written: the caller is told in one sentence and the run's exit code stands.
"""

from __future__ import annotations

import json
import os
import shlex
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg2
from psycopg2 import sql

from ytempire_ops import errors
from ytempire_ops.config import Settings
from ytempire_ops.redact import redact

SCHEMA = "ops"
TABLE = "run_history"
KEEP_DAYS = 90
STATUSES = ("ok", "warn", "failed", "interrupted", "skipped")
# Writing the record is bounded: a run never waits long for its own history.
STATEMENT_TIMEOUT_SECONDS = 15.0
# pg_advisory_xact_lock key under which a recorder creates the schema and table ("YTRUNS").
CREATE_LOCK_KEY = 0x59_54_52_55_4E_53
ARGV_MAX_CHARS = 1000

# Exit codes after which the run's database work is done and kept, but a delivery failed
# (Redis, Alertmanager, the Pushgateway, the SMTP server of a report): status 'warn'.
_DEGRADED = frozenset(
    {
        errors.EXIT_REDIS_UNAVAILABLE,
        errors.EXIT_ALERTMANAGER_UNAVAILABLE,
        errors.EXIT_PUSHGATEWAY_UNAVAILABLE,
        errors.EXIT_SMTP_UNAVAILABLE,
    }
)

DDL = """
create table if not exists {table} (
    run_id uuid primary key,
    command text not null,
    argv text not null,
    started_at timestamptz not null,
    finished_at timestamptz not null,
    status text not null check (status in ('ok', 'warn', 'failed', 'interrupted', 'skipped')),
    exit_code integer not null,
    steps jsonb not null default '[]',
    rows_loaded jsonb not null default '{{}}',
    error text,
    as_of timestamptz
);
create index if not exists run_history_command_started_at_idx on {table} (command, started_at desc);
create index if not exists run_history_started_at_idx on {table} (started_at);
comment on table {table} is
    'Every recorded run of ytempire-ops (build, refresh, warm, alerts send, report): written by the CLI, '
    'kept 90 days. Not a dbt model.';
"""


def status_for(exit_code: int, warned: bool = False) -> str:
    """The run's status from its exit code: ok (warn when a step warned), skipped, interrupted, warn
    (the database work kept, a delivery failed), failed."""
    if exit_code == errors.EXIT_OK:
        return "warn" if warned else "ok"
    if exit_code == errors.EXIT_SKIPPED_LOCKED:
        return "skipped"
    if exit_code in (errors.EXIT_INTERRUPTED, errors.EXIT_TERMINATED):
        return "interrupted"
    if exit_code in _DEGRADED:
        return "warn"
    return "failed"


def argv_summary(argv: Sequence[str], secrets: Sequence[str] = ()) -> str:
    """The command line as a shell would show it, passwords masked, at most ARGV_MAX_CHARS."""
    text = redact(shlex.join(argv), secrets)
    return text if len(text) <= ARGV_MAX_CHARS else text[: ARGV_MAX_CHARS - 3] + "..."


@dataclass
class Run:
    """One run being recorded; the command's code fills it through note()."""

    command: str
    argv: list[str]
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    exit_code: int = errors.EXIT_OK
    # [{"name", "status", "seconds", "rows"?, "detail"?}]
    steps: list[dict[str, Any]] = field(default_factory=list)
    rows_loaded: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    as_of: datetime | None = None
    warned: bool = False
    # False: nothing is written (a dry run changes nothing, not even the history)
    keep: bool = True

    @property
    def status(self) -> str:
        return status_for(self.exit_code, self.warned)


_CURRENT: ContextVar[Run | None] = ContextVar("ytempire_run", default=None)


def current() -> Run | None:
    """The run being recorded, None outside `recording`."""
    return _CURRENT.get()


def note(**fields: Any) -> None:
    """Set fields of the run being recorded (steps, rows_loaded, error, as_of, warned, keep); nothing
    outside `recording`."""
    run = _CURRENT.get()
    if run is None:
        return
    for name, value in fields.items():
        if not hasattr(run, name):
            raise TypeError(f"a run has no field {name!r}")
        setattr(run, name, value)


def effective_as_of(as_of: datetime | None) -> datetime | None:
    """The as_of a dbt-running command works at: the given one, else $YTEMPIRE_AS_OF, else the
    recorded run's start (None outside `recording`)."""
    if as_of is not None:
        return as_of
    from ytempire_ops.dbt_ops import AS_OF_ENV

    exported = os.environ.get(AS_OF_ENV, "").strip()
    if exported:
        try:
            parsed = datetime.fromisoformat(exported)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            pass  # dbt's as_of() macro reports a value it cannot use
    run = _CURRENT.get()
    return run.started_at if run is not None else None


def note_dbt(summary: Any, step: str = "dbt") -> None:
    """Note one dbt invocation (a dbt_ops.DbtSummary) as the run's step, with its rows per model."""
    rows = summary.rows_loaded()
    failures = summary.failures()
    error = None
    if not summary.success:
        error = (
            f"{failures[0].unique_id}: {failures[0].message or failures[0].status}"
            if failures
            else summary.error or "dbt reported a failure"
        )
    note(
        steps=[
            {
                "name": step,
                "status": "ok" if summary.success else "failed",
                "seconds": round(summary.seconds, 3),
                "rows": sum(rows.values()),
            }
        ],
        rows_loaded=rows,
        warned=any(node.status == "warn" for node in summary.nodes),
        **({"error": error} if error else {}),
    )


def outcome_of(exc: BaseException) -> tuple[int, str | None]:
    """The exit code and error sentence an exception ends a run with (the CLI passes its own)."""
    if isinstance(exc, KeyboardInterrupt):
        return errors.EXIT_INTERRUPTED, "interrupted"
    if isinstance(exc, SystemExit):
        code = exc.code if isinstance(exc.code, int) else errors.EXIT_FAILED
        return code, None
    code = getattr(exc, "exit_code", None)
    if isinstance(code, int) and not isinstance(exc, errors.UserError):  # click's/typer's Exit
        return code, None
    return (code if isinstance(code, int) else errors.EXIT_FAILED), errors.first_line(exc)


class NotRecorded(errors.UserError):
    """The run's record could not be written (the run's own exit code stands)."""


@contextmanager
def recording(
    command: str,
    argv: Sequence[str],
    *,
    settings: Callable[[], Settings] = Settings.load,
    outcome: Callable[[BaseException], tuple[int, str | None]] = outcome_of,
    unrecorded: Callable[[str], None] = lambda message: None,
) -> Iterator[Run]:
    """Record the `with` block as one run of `command`, however it ends.

    An exception sets the run's exit code and error (through `outcome`) and is raised again once the
    record is written. When the record cannot be written, `unrecorded` gets one sentence; nothing
    is raised for it.
    """
    run = Run(command=command, argv=list(argv))
    token = _CURRENT.set(run)
    try:
        yield run
    except BaseException as exc:
        code, error = outcome(exc)
        run.exit_code = code
        if error and not run.error:
            run.error = error
        raise
    finally:
        _CURRENT.reset(token)
        run.finished_at = datetime.now(UTC)
        if run.keep:
            try:
                write(settings(), run)
            except errors.UserError as exc:  # NotRecorded, or settings that cannot be read
                unrecorded(str(exc))
            except Exception as exc:  # the record must never replace the run's own outcome
                unrecorded(f"the run was not recorded in {SCHEMA}.{TABLE}: {errors.first_line(exc)}")


def _redacted(value: Any, secrets: list[str]) -> Any:
    """Every string inside a JSON-like value with its secrets masked."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {key: _redacted(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item, secrets) for item in value]
    return value


def _table() -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(SCHEMA), sql.Identifier(TABLE))


def ensure_table(cur: Any) -> None:
    """Create the schema and table when missing (inside the caller's transaction, serialised).

    Created only when missing: a role that may not create schemas can still record into a table a
    DBA created for it.
    """
    cur.execute("select to_regclass(%s) is not null", (f"{SCHEMA}.{TABLE}",))
    if cur.fetchone()[0]:
        return
    cur.execute("select pg_advisory_xact_lock(%s)", (CREATE_LOCK_KEY,))
    cur.execute("select exists (select 1 from pg_namespace where nspname = %s)", (SCHEMA,))
    if not cur.fetchone()[0]:
        cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(SCHEMA)))
    cur.execute(sql.SQL(DDL).format(table=_table()))


def prepare(settings: Settings) -> bool:
    """Create ops.run_history when missing, before a build: dbt's view analytics.run_history reads it.

    Best effort and silent (False when it could not): the run's own record is written at its end, and
    reports its own failure there.
    """
    try:
        with (
            closing(settings.connect(statement_timeout=STATEMENT_TIMEOUT_SECONDS)) as conn,
            conn,
            conn.cursor() as cur,
        ):
            ensure_table(cur)
        return True
    except Exception:  # the run goes on; its record says what went wrong when it is written
        return False


def write(settings: Settings, run: Run) -> None:
    """Insert the run's record and delete the records older than KEEP_DAYS; NotRecorded when it cannot."""
    secrets = settings.secrets()
    where = f"{settings.pg_host}:{settings.pg_port}"
    try:
        with (
            closing(settings.connect(statement_timeout=STATEMENT_TIMEOUT_SECONDS)) as conn,
            conn,
            conn.cursor() as cur,
        ):
            ensure_table(cur)
            cur.execute(
                sql.SQL(
                    "insert into {} (run_id, command, argv, started_at, finished_at, status, exit_code,"
                    " steps, rows_loaded, error, as_of)"
                    " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                ).format(_table()),
                (
                    run.run_id,
                    run.command,
                    argv_summary(run.argv, secrets),
                    run.started_at,
                    run.finished_at or datetime.now(UTC),
                    run.status,
                    run.exit_code,
                    json.dumps(_redacted(run.steps, secrets), default=str),
                    json.dumps(run.rows_loaded),
                    redact(run.error, secrets) if run.error else None,
                    run.as_of,
                ),
            )
            cur.execute(
                sql.SQL("delete from {} where started_at < now() - make_interval(days => %s)").format(
                    _table()
                ),
                (KEEP_DAYS,),
            )
    except psycopg2.OperationalError as exc:
        message = errors.first_line(exc)
        raise NotRecorded(
            redact(
                f"the run was not recorded in {SCHEMA}.{TABLE}: cannot reach PostgreSQL at {where} ({message}).",
                secrets,
            )
        ) from None
    except psycopg2.Error as exc:
        raise NotRecorded(
            redact(f"the run was not recorded in {SCHEMA}.{TABLE}: {errors.first_line(exc)}", secrets)
        ) from None


def history(settings: Settings, command: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The latest records, newest first (of one command when given); [] when there is no table yet."""
    with closing(settings.connect()) as conn, conn.cursor() as cur:
        conn.set_session(readonly=True, autocommit=True)
        cur.execute("select to_regclass(%s) is not null", (f"{SCHEMA}.{TABLE}",))
        if not cur.fetchone()[0]:
            return []
        cur.execute(
            sql.SQL(
                "select run_id::text, command, argv, started_at, finished_at, status, exit_code, steps,"
                " rows_loaded, error, as_of from {} where %(command)s::text is null or command = %(command)s"
                " order by started_at desc limit %(limit)s"
            ).format(_table()),
            {"command": command, "limit": limit},
        )
        names = [column.name for column in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
