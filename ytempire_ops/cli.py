"""ytempire-ops: argument parsing and printing only; the work lives in the job modules."""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import psycopg2
import psycopg2.errors
import redis
import typer
from rich.console import Console
from rich.table import Table

from ytempire_ops import errors, runs
from ytempire_ops.config import Settings, check_statement_timeout, check_target
from ytempire_ops.findings import Level
from ytempire_ops.redact import redact
from ytempire_ops.reports.data import Kind as ReportKind

app = typer.Typer(
    help="Operations CLI of the YTEMPIRE analytics warehouse.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
local_app = typer.Typer(help="The project-owned PostgreSQL + Redis stack.", no_args_is_help=True)
app.add_typer(local_app, name="local")
alerts_app = typer.Typer(help="The warehouse's alerts in Alertmanager.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")
dashboards_app = typer.Typer(help="The Grafana dashboards as code (deploy/grafana).", no_args_is_help=True)
app.add_typer(dashboards_app, name="dashboards")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
STATE: dict[str, bool] = {"debug": False}

F = TypeVar("F", bound=Callable[..., Any])


def _known_secrets() -> list[str]:
    """The passwords the configuration carries ([] when it cannot even be read)."""
    try:
        return Settings.load().secrets()
    except Exception:  # redaction must never fail the error it redacts
        return []


def _fail(message: str, code: int = errors.EXIT_FAILED) -> None:
    err.print(f"error: {redact(message, _known_secrets())}", markup=False, highlight=False)
    raise typer.Exit(code)


def handled(func: F) -> F:
    """Turn the errors a user can cause into one sentence and an exit code (a traceback only with --debug)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            code, message = _interruption()
            err.print(message, markup=False)
            raise typer.Exit(code) from None
        except Exception as exc:
            if STATE["debug"]:
                raise
            _fail(describe(exc), getattr(exc, "exit_code", errors.EXIT_FAILED))

    return wrapper  # type: ignore[return-value]


def recorded(command: str) -> Callable[[F], F]:
    """Record every run of the command in the run history (runs.py), however it ends; goes under @handled."""

    def decorate(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            argv = ["ytempire-ops", *sys.argv[1:]]
            with runs.recording(command, argv, outcome=_outcome, unrecorded=_unrecorded):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _outcome(exc: BaseException) -> tuple[int, str | None]:
    """The exit code and error sentence of a run that ends with exc: what @handled will print."""
    if isinstance(exc, KeyboardInterrupt):
        return _interruption()
    if isinstance(exc, typer.Exit):
        return exc.exit_code, None
    if isinstance(exc, Exception):
        return getattr(exc, "exit_code", errors.EXIT_FAILED), describe(exc)
    return runs.outcome_of(exc)


def _unrecorded(message: str) -> None:
    err.print(f"warning: {redact(message, _known_secrets())}", markup=False, highlight=False)


def _interruption() -> tuple[int, str]:
    """The exit code and line of a run stopped by Ctrl-C, or by SIGTERM (_terminate)."""
    if STATE.get("terminated"):
        return errors.EXIT_TERMINATED, "terminated (SIGTERM)"
    return errors.EXIT_INTERRUPTED, "interrupted"


def describe(exc: Exception) -> str:
    """One sentence for an exception, with every password in it replaced by ***."""
    return redact(_describe(exc), _known_secrets())


def _describe(exc: Exception) -> str:
    if isinstance(exc, errors.UserError):
        return str(exc)
    if isinstance(exc, psycopg2.errors.QueryCanceled):
        return f"PostgreSQL cancelled a statement: {errors.first_line(exc)}."
    if isinstance(exc, psycopg2.OperationalError):
        try:
            settings = Settings.load()
            where = f" at {settings.pg_host}:{settings.pg_port}"
        except errors.UserError:
            where = ""
        first = (str(exc).strip().splitlines() or ["no answer"])[0]
        return f"cannot reach PostgreSQL{where} ({first})."
    if isinstance(exc, psycopg2.Error):
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return f"PostgreSQL error: {first}"
    if isinstance(exc, redis.RedisError):
        return f"Redis error: {exc}"
    return f"unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)."


@app.callback()
def main_callback(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")
    ] = False,
) -> None:
    STATE["debug"] = debug


# --------------------------------------------------------------------------- local stack


def _print_status(status: Any, as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(status.as_dict()))
        return
    for action in status.actions:
        out.print(f"- {action}", markup=False, highlight=False)
    table = Table(title=f"local stack in {status.home}", show_header=True)
    table.add_column("service")
    table.add_column("state")
    table.add_column("port")
    table.add_column("version")
    tsdb = (
        f"TimescaleDB {status.timescaledb_version} (license: {status.timescaledb_license})"
        if status.timescaledb_version
        else "TimescaleDB not installed"
    )
    table.add_row(
        "PostgreSQL",
        "running" if status.postgres_running else "stopped",
        str(status.postgres_port or "-"),
        f"{status.postgres_version or '-'}; {tsdb}" if status.postgres_running else "-",
    )
    table.add_row(
        "Redis",
        "running" if status.redis_running else "stopped",
        str(status.redis_port or "-"),
        status.redis_version or "-",
    )
    for name, daemon in status.daemons.items():
        state = "running" if daemon["running"] else "stopped" if daemon["installed"] else "not installed"
        table.add_row(name.capitalize(), state, str(daemon["port"] or "-"), str(daemon["version"] or "-"))
    out.print(table)
    if status.postgres_dir and status.postgres_dir != status.home / "pg":
        out.print(f"PostgreSQL's files: {status.postgres_dir}", markup=False, highlight=False)


HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="State directory (default $YTEMPIRE_HOME or <project>/.ytempire)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@local_app.command("up")
@handled
def local_up(
    home: HomeOption = None,
    pg_port: Annotated[
        int | None, typer.Option("--pg-port", help="PostgreSQL port (default: a free one).")
    ] = None,
    redis_port: Annotated[
        int | None, typer.Option("--redis-port", help="Redis port (default: a free one).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Start the project-owned PostgreSQL (with TimescaleDB when installed) and Redis."""
    from ytempire_ops import stack

    _print_status(stack.up(home, pg_port=pg_port, redis_port=redis_port), as_json)


@local_app.command("down")
@handled
def local_down(
    home: HomeOption = None,
    purge: Annotated[
        bool,
        typer.Option(
            "--purge",
            help="Also remove the stack's files: its cluster (wherever `up` put it), Redis's, stack.json.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Stop the stack cleanly (its data stays for the next `up`; `--purge` removes it)."""
    from ytempire_ops import stack

    _print_status(stack.down(home, purge=purge), as_json)


@local_app.command("status")
@handled
def local_status(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Show what runs, on which ports, with versions (TimescaleDB's license too)."""
    from ytempire_ops import stack

    _print_status(stack.status(home), as_json)


@local_app.command("env")
@handled
def local_env(home: HomeOption = None) -> None:
    """Print the shell exports that point dbt and the CLI at the stack: eval "$(ytempire-ops local env)".

    Unlike every other command, it prints the passwords: producing them for the shell is its point.
    """
    from ytempire_ops import stack

    for line in stack.env_exports(home):
        print(line)


# --------------------------------------------------------------------------- generate


def _parse_as_of(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise errors.BadValue(
            f"--as-of {value!r} is not an ISO 8601 timestamp (e.g. 2026-11-21T12:00:00+00:00)."
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="The instant the marts' windows end at (ISO 8601; default the run's start). Unlike "
        "--vars, it keeps dbt's partial parse.",
    ),
]


@app.command()
@handled
def generate(
    scale: Annotated[
        float | None, typer.Option(help="1 = 250 channels, 50 users, ~300 new videos a day (default 1).")
    ] = None,
    days: Annotated[int, typer.Option(help="Days of history ending at --as-of.")] = 90,
    seed: Annotated[
        int | None, typer.Option(help="Random seed; the same arguments give identical rows (default 42).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="End of the history (ISO 8601; default now).")
    ] = None,
    append_minutes: Annotated[
        int | None,
        typer.Option("--append-minutes", help="Add the next N minutes after the last generated instant."),
    ] = None,
    raw_schema: Annotated[str, typer.Option("--raw-schema", help="Schema of the raw tables.")] = "raw",
    as_json: JsonOption = False,
    anomalies: Annotated[
        bool, typer.Option("--anomalies", help="Add every class of bad raw row (docs/data_quality.md).")
    ] = False,
) -> None:
    """Create the raw tables (if absent) and load synthetic data with COPY."""
    from ytempire_ops.generator import generate as run_generate

    settings = Settings.load()
    conn = settings.connect()
    try:

        def progress(line: str) -> None:
            if not as_json:
                err.print(f"  {line}", markup=False, highlight=False)

        result = run_generate(
            conn,
            scale=scale,
            days=days,
            seed=seed,
            as_of=_parse_as_of(as_of),
            raw_schema=raw_schema,
            append_minutes=append_minutes,
            progress=progress,
            anomalies=anomalies,
        )
    finally:
        conn.close()
    summary = result.as_dict() if hasattr(result, "as_dict") else result.__dict__
    if as_json:
        out.print_json(json.dumps(summary, default=str))
        return
    table = Table(title="generated raw rows")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in result.rows.items():
        table.add_row(name, f"{rows:,}")
    out.print(table)
    out.print(
        f"{sum(result.rows.values()):,} rows in {result.seconds:.1f} s ({result.rows_per_second:,.0f} rows/s)",
        highlight=False,
    )


# --------------------------------------------------------------------------- build


def _progress_printer(as_json: bool) -> tuple[Any, Any]:
    """(callback, context) showing dbt's progress: a rich bar on a terminal, plain lines otherwise."""
    if err.is_terminal and not as_json:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(
            TextColumn("dbt"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=err,
            transient=True,
        )
        task = bar.add_task("", total=None)

        def on_progress(done: int, total: int, node: str, status: str) -> None:
            bar.update(task, completed=done, total=total or None, description=f"{node} {status}")

        return on_progress, bar

    def on_line(done: int, total: int, node: str, status: str) -> None:
        err.print(f"[{done}/{total}] {node}: {status}", markup=False, highlight=False)

    from contextlib import nullcontext

    return on_line, nullcontext()


def _print_build_summary(summary: Any) -> None:
    table = Table(
        title=f"dbt {summary.command}: {'OK' if summary.success else 'FAILED'} in {summary.seconds:.1f} s"
    )
    table.add_column("resource")
    statuses = ("success", "pass", "warn", "fail", "error", "skipped")
    for status in statuses:
        table.add_column(status, justify="right")
    for kind, counts in summary.counts().items():
        table.add_row(kind, *(str(counts.get(s, 0)) for s in statuses))
    out.print(table)
    slow = ", ".join(f"{n.name} {n.seconds:.1f}s" for n in summary.slowest(3))
    if slow:
        out.print(f"slowest: {slow}", highlight=False)
    for node in summary.failures():
        message = redact(str(node.message), _known_secrets())
        err.print(f"{node.status}: {node.unique_id}: {message}", markup=False, highlight=False)


@app.command()
@handled
@recorded("build")
def build(
    select: Annotated[list[str] | None, typer.Option("--select", "-s", help="dbt node selection.")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="dbt nodes to leave out.")] = None,
    full_refresh: Annotated[bool, typer.Option("--full-refresh", help="Rebuild incremental models.")] = False,
    target: Annotated[str | None, typer.Option("--target", "-t", help="dbt target (default local).")] = None,
    vars_: Annotated[
        str | None, typer.Option("--vars", help="dbt vars as YAML, e.g. '{as_of: ...}'.")
    ] = None,
    as_of: AsOfOption = None,
    wait: Annotated[
        float,
        typer.Option(
            "--wait", help="Seconds to wait for a running refresh before giving up with exit 75.", min=0
        ),
    ] = 300,
    allow_empty: Annotated[
        bool,
        typer.Option(
            "--allow-empty-selection", help="Exit 0 when --select/--exclude match nothing (else exit 2)."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """dbt build (seed, snapshot, run, test in DAG order) with progress and a summary; non-zero exit on any error.

    It holds the warehouse's lock: a refresh started meanwhile is skipped, and a build started during a
    refresh waits for it (up to --wait seconds).
    """
    from ytempire_ops.dbt_ops import QUIET, DbtSummary, invoke, kept_manifest
    from ytempire_ops.refresh import hold_lock

    as_of_instant = _parse_as_of(as_of)
    settings = Settings.load()
    if target:
        settings.target = target
    check_target(settings)
    extra: list[str] = list(QUIET)
    for value in select or []:
        extra += ["--select", value]
    for value in exclude or []:
        extra += ["--exclude", value]
    if full_refresh:
        extra.append("--full-refresh")
    if vars_:
        extra += ["--vars", vars_]
    on_progress, display = _progress_printer(as_json)

    def waiting(line: str) -> None:
        if not as_json:
            err.print(f"build: {line}", markup=False, highlight=False)

    try:
        with hold_lock(settings, wait, waiting), display:
            # the run history exists before dbt builds its view analytics.run_history
            runs.prepare(settings)
            # the parse refresh keeps (manifest_cache)
            manifest = kept_manifest(settings, [*QUIET, *(["--vars", vars_] if vars_ else [])])
            summary = invoke(
                ["build"], settings, extra, progress=on_progress, manifest=manifest, as_of=as_of_instant
            )
    except psycopg2.OperationalError as exc:
        if STATE["debug"]:
            raise
        # PostgreSQL unreachable before dbt started: the same summary a failed dbt run gives.
        summary = DbtSummary(command="build", success=False, seconds=0.0, error=describe(exc))
    runs.note_dbt(summary, step="dbt build")
    runs.note(as_of=runs.effective_as_of(as_of_instant))
    if (select or exclude) and not summary.nodes and summary.success and not allow_empty:
        raise errors.BadValue(
            "the selection matches no model, test, seed or snapshot: "
            + " ".join([*(f"--select {v}" for v in select or []), *(f"--exclude {v}" for v in exclude or [])])
            + " (`dbt ls --select ...` lists what a selection matches)."
        )
    if as_json:
        print(json.dumps(summary.as_dict(), indent=2))
    else:
        _print_build_summary(summary)
    if not summary.success:
        if summary.error and not as_json:
            err.print(f"error: {redact(summary.error, _known_secrets())}", markup=False, highlight=False)
        raise typer.Exit(errors.EXIT_FAILED)


# --------------------------------------------------------------------------- refresh, warm, check


@app.command()
@handled
@recorded("refresh")
def refresh(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would run; change nothing.")] = False,
    skip_dbt: Annotated[bool, typer.Option("--skip-dbt", help="Leave out the dbt step.")] = False,
    skip_warm: Annotated[bool, typer.Option("--skip-warm", help="Leave out the Redis warm.")] = False,
    skip_alerts: Annotated[
        bool, typer.Option("--skip-alerts", help="Leave out the delivery of alerts to Alertmanager.")
    ] = False,
    statement_timeout: Annotated[
        float | None, typer.Option("--statement-timeout", help="PostgreSQL statement_timeout in seconds.")
    ] = None,
    vars_: Annotated[
        str | None, typer.Option("--vars", help="dbt vars as YAML, e.g. '{as_of: ...}'.")
    ] = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """What cron runs: time-series models, materialized views, retention, warm; never two at once."""
    from ytempire_ops.refresh import refresh as run_refresh

    as_of_instant = _parse_as_of(as_of)
    check_statement_timeout(statement_timeout)

    def progress(line: str) -> None:
        if not as_json:
            err.print(f"refresh: {line}", markup=False, highlight=False)

    result = run_refresh(
        Settings.load(),
        dry_run=dry_run,
        skip_dbt=skip_dbt,
        skip_warm=skip_warm,
        skip_alerts=skip_alerts,
        statement_timeout_seconds=statement_timeout,
        dbt_vars=vars_,
        as_of=as_of_instant,
        progress=progress,
        interrupted_exit_code=lambda: _interruption()[0],
    )
    if as_json:
        print(redact(json.dumps(result.as_dict(), indent=2, default=str), _known_secrets()))
    else:
        for step in result.steps:
            detail = f"  {step.detail}" if step.detail else ""
            out.print(
                f"{step.name:<20} {step.status:<8} {step.seconds:7.2f} s{detail}",
                style=step.level.colour if step.level is not Level.OK else None,
                markup=False,
                highlight=False,
            )
            if dry_run and step.name == "materialized views":
                for view in step.data.values():
                    out.print(f"{'':<20} would run: {view['statement']}", markup=False, highlight=False)
        out.print(f"{'total':<20} {'':<8} {result.seconds:7.2f} s", markup=False, highlight=False)
    if result.exit_code != errors.EXIT_OK:
        if STATE["debug"] and result.cause is not None:
            raise result.cause
        _fail(str(result.error), result.exit_code)


@app.command()
@handled
@recorded("warm")
def warm(
    prefix: Annotated[
        str | None,
        typer.Option("--prefix", help="Key namespace (default $YTEMPIRE_REDIS_PREFIX or ytempire:)."),
    ] = None,
    refresh_interval: Annotated[
        int | None,
        typer.Option("--refresh-interval", help="Seconds between refreshes; TTLs are at least twice this."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Publish every Redis dashboard key from the marts, all of them at once."""
    from ytempire_ops.warm import warm as run_warm

    result = run_warm(Settings.load(), prefix=prefix, refresh_interval_seconds=refresh_interval)
    data = result.as_dict()
    runs.note(
        steps=[
            {"name": name, "status": "ok", "seconds": round(seconds, 3)}
            for name, seconds in data["seconds"].items()
        ],
        as_of=result.as_of,
    )
    if as_json:
        print(json.dumps(data, indent=2, default=str))
        return
    table = Table(title=f"warmed generation {data['generation_id']} (as_of {data['as_of']})")
    for column in ("class", "keys", "ttl s"):
        table.add_column(column)
    for ttl_class, count in data["keys"].items():
        table.add_row(ttl_class, str(count), str(data["ttls"].get(ttl_class, "-")))
    out.print(table)
    timings = ", ".join(f"{name} {value * 1000:.0f} ms" for name, value in data["seconds"].items())
    out.print(
        f"{data['keys_written']} keys, {data['bytes_written']:,} bytes, {data['deleted_keys']} stale keys deleted; {timings}",
        markup=False,
        highlight=False,
    )


@alerts_app.command("send")
@handled
@recorded("alerts send")
def alerts_send(as_json: JsonOption = False) -> None:
    """Post every open alert of mart_alerts to Alertmanager, and resolve the ones that closed."""
    from ytempire_ops.alerts import send

    started = time.monotonic()
    delivered = send(Settings.load())
    runs.note(steps=[{"name": "alerts", "status": "ok", "seconds": round(time.monotonic() - started, 3)}])
    if as_json:
        print(json.dumps({**delivered.as_dict(), "alerts": delivered.alerts}, indent=2))
        return
    out.print(
        f"{delivered.open} open alerts posted to {redact(delivered.url, _known_secrets())}, "
        f"{delivered.resolved} resolved",
        markup=False,
        highlight=False,
    )


@alerts_app.command("config")
@handled
def alerts_config(
    out_file: Annotated[
        Path, typer.Option("--out", help="Where to write the routing (mode 600: it holds keys).")
    ],
) -> None:
    """Write Alertmanager's routing (deploy/alertmanager/alertmanager.yml) with its values from the environment."""
    import os

    from ytempire_ops.alerts import render_config

    checked = render_config(Settings.load(), out_file, os.environ)
    out.print(f"wrote {out_file} ({checked})", markup=False, highlight=False)


@dashboards_app.command("export")
@handled
def dashboards_export(
    out_dir: Annotated[
        Path, typer.Option("--out", help="Directory to write provisioning/ and dashboards/ into.")
    ],
    dashboards_path: Annotated[
        str | None,
        typer.Option(
            "--dashboards-path",
            help="Where Grafana reads the dashboards' JSON (the provider's path; /var/lib/grafana/dashboards/ytempire).",
        ),
    ] = None,
) -> None:
    """Write Grafana's provisioning files for the current profile: the datasource (reporter role; password as ${YTEMPIRE_REPORTER_PASSWORD}), the provider and the four dashboards."""
    from ytempire_ops.dashboards.provisioning import DEFAULT_GRAFANA_DASHBOARDS_PATH, export

    result = export(out_dir, Settings.load(), dashboards_path or DEFAULT_GRAFANA_DASHBOARDS_PATH)
    for path in result.files:
        out.print(f"wrote {path}", markup=False, highlight=False)


@app.command()
@handled
def check(
    full_history: Annotated[
        bool,
        typer.Option(
            "--full-history",
            help="First run every data test over the whole history (`dbt test --vars '{full_history: true}'`; "
            "a daily build tests the large time-series relations over the last days only), then the checklist.",
        ),
    ] = False,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """The morning checklist: freshness, latest dbt test results, open alerts, alerts opened in 24 h, quarantine, overnight runs, yesterday's costs, API quota today, database size and connections, a morning summary; non-zero on errors."""
    from ytempire_ops.check import ERROR, run_check

    as_of_instant = _parse_as_of(as_of)
    if as_of_instant is not None and not full_history:
        raise errors.BadValue(
            "--as-of sets the instant of --full-history's tests; the checklist itself reads now."
        )
    if full_history:
        _test_full_history(as_of_instant, as_json)
    report = run_check()
    if as_json:
        print(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        table = Table(title=f"ytempire check: {report.level.word.upper()}")
        for column in ("section", "check", "level", "detail"):
            table.add_column(column)
        for item in report.items:
            level = item.level
            table.add_row(item.section, item.name, f"[{level.colour}]{level.word}[/]", item.detail)
        out.print(table)
    if report.level is ERROR:
        raise typer.Exit(errors.EXIT_FAILED)


def _test_full_history(as_of_instant: datetime | None, as_json: bool) -> None:
    """`dbt test` over the whole history, with progress; its results land in analytics.dbt_test_results for the checklist."""
    from ytempire_ops.dbt_ops import QUIET, invoke

    settings = Settings.load()
    check_target(settings)
    # PostgreSQL unreachable: the one sentence every command gives (dbt would say only "Database Error")
    settings.connect().close()
    on_progress, display = _progress_printer(as_json)
    with display:
        summary = invoke(
            ["test"],
            settings,
            [*QUIET, "--vars", "{full_history: true}"],
            progress=on_progress,
            as_of=as_of_instant,
        )
    if summary.error:
        err.print(
            f"error: dbt test --full-history: {redact(summary.error, _known_secrets())}",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(errors.EXIT_FAILED)


# --------------------------------------------------------------------------- report


@app.command()
@handled
@recorded("report")
def report(
    kind: Annotated[ReportKind, typer.Argument(help="daily, weekly or monthly.", show_default=False)],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="The marts' as_of (ISO 8601; default the one they were built at). An instant before the "
            "warehouse's first day of activity gives a report that says there is no data.",
        ),
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="The HTML file to write (default $YTEMPIRE_REPORT_DIR or <state directory>/reports, "
            "named <kind>-<as_of date>.html).",
        ),
    ] = None,
    email: Annotated[
        bool,
        typer.Option(
            "--email", help="Also e-mail it to $YTEMPIRE_REPORT_RECIPIENTS over $YTEMPIRE_SMTP_HOST."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Write the daily, weekly or monthly report (one HTML file with its charts) from the marts; --email sends it too."""
    from ytempire_ops.reports import make_report

    result = make_report(
        Settings.load(),
        kind,
        as_of=_parse_as_of(as_of),
        out=out_file,
        email=email,
    )
    runs.note(steps=result.steps, as_of=result.as_of)
    if as_json:
        print(json.dumps(result.as_dict(), indent=2, default=str))
    else:
        out.print(str(result.path), markup=False, highlight=False, soft_wrap=True)
        if result.no_data:
            err.print(
                f"report: no data at or before {result.as_of.isoformat()}", markup=False, highlight=False
            )
        if result.emailed_to:
            err.print(
                f"report: e-mailed {result.subject!r} to {', '.join(result.emailed_to)}",
                markup=False,
                highlight=False,
            )
    if result.error is not None:
        raise result.error


# --------------------------------------------------------------------------- doctor, demo


@app.command()
@handled
def doctor(
    ddl: Annotated[
        bool,
        typer.Option("--ddl", help="Print the TimescaleDB statements per model and license; run nothing."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Check PostgreSQL, TimescaleDB (version, license, hypertables), Redis, the dbt project and the profile."""
    from ytempire_ops.doctor import run_doctor, timescaledb_ddl

    if ddl:
        print(timescaledb_ddl(Settings.load()))
        return

    report = run_doctor()
    if as_json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        for check in report.checks:
            colour, word = check.level.colour, check.level.doctor_word
            out.print(f"[{colour}]{word:<4}[/{colour}] {check.name}: ", end="")
            out.print(check.detail + (f" -> {check.fix}" if check.fix else ""), markup=False, highlight=False)
    if not report.ok:
        raise typer.Exit(errors.EXIT_FAILED)


@app.command()
@handled
def demo() -> None:
    """Local stack up, a small generated dataset, dbt build, a summary of what was built, and today's daily report."""
    from ytempire_ops.demo import run_demo

    result = run_demo(lambda line: err.print(f"demo: {line}", markup=False, highlight=False))
    for action in result.stack_actions:
        out.print(f"- {action}", markup=False, highlight=False)
    _print_build_summary(result.build)
    table = Table(title="relations built")
    for column in ("schema", "relation", "kind"):
        table.add_column(column)
    table.add_column("rows", justify="right")
    for schema, name, kind, rows in result.relations:
        table.add_row(schema, name, kind, f"{rows:,}")
    out.print(table)
    if not result.build.success:
        raise typer.Exit(errors.EXIT_FAILED)
    for step in result.refresh.steps:
        out.print(
            f"refresh {step.name:<20} {step.status:<8} {step.seconds:7.2f} s", markup=False, highlight=False
        )
    if result.refresh.exit_code != errors.EXIT_OK:
        _fail(str(result.refresh.error), result.refresh.exit_code)
    overview = result.overview
    table = Table(title=f"executive overview read back from Redis (as_of {overview.get('as_of')})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in overview.get("data", {}).items():
        table.add_row(name, str(value))
    out.print(table)
    if result.report is not None:
        out.print(f"daily report: {result.report}", markup=False, highlight=False, soft_wrap=True)


def _terminate(signum: int, frame: Any) -> None:
    """SIGTERM (cron's `timeout`, systemd's stop) handled as Ctrl-C: what runs is cancelled; exit 143."""
    STATE["terminated"] = True
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    try:
        app()
    except KeyboardInterrupt:
        code, message = _interruption()
        err.print(message, markup=False)
        sys.exit(code)


if __name__ == "__main__":
    main()
