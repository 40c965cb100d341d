"""dbt invocations in-process (dbtRunner), always with explicit project and profiles directories."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ytempire_ops import manifest_cache
from ytempire_ops.config import Settings, session_options
from ytempire_ops.errors import UserError, first_line


@dataclass
class NodeResult:
    unique_id: str
    resource_type: str
    status: str
    seconds: float
    message: str | None = None
    name: str = ""
    # rows_affected of dbt's adapter response (rows a model's statement wrote), None when dbt has none
    rows_affected: int | None = None


@dataclass
class DbtSummary:
    command: str
    success: bool
    seconds: float
    nodes: list[NodeResult] = field(default_factory=list)
    error: str | None = None

    def counts(self) -> dict[str, dict[str, int]]:
        """Per resource type, how many nodes ended in each status."""
        out: dict[str, Counter[str]] = {}
        for node in self.nodes:
            out.setdefault(node.resource_type, Counter())[node.status] += 1
        return {kind: dict(counter) for kind, counter in sorted(out.items())}

    def slowest(self, n: int = 5) -> list[NodeResult]:
        return sorted(self.nodes, key=lambda node: node.seconds, reverse=True)[:n]

    def failures(self) -> list[NodeResult]:
        return [node for node in self.nodes if node.status in {"error", "fail", "runtime error"}]

    def rows_loaded(self) -> dict[str, int]:
        """Rows each model, seed or snapshot wrote, by name, where dbt's adapter response says."""
        return {
            node.name: node.rows_affected
            for node in self.nodes
            if node.rows_affected is not None and node.resource_type in {"model", "seed", "snapshot"}
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "success": self.success,
            "seconds": round(self.seconds, 3),
            "counts": self.counts(),
            "slowest": [{"node": n.unique_id, "seconds": round(n.seconds, 3)} for n in self.slowest()],
            "failures": [
                {"node": n.unique_id, "status": n.status, "message": n.message} for n in self.failures()
            ],
            "error": self.error,
        }


def base_args(settings: Settings) -> list[str]:
    profiles = settings.profiles_dir / "profiles.yml"
    if not profiles.exists():
        raise UserError(
            f"no profiles.yml in {settings.profiles_dir}; run `ytempire-ops local up` or set DBT_PROFILES_DIR "
            "to a directory holding a copy of profiles.yml.example."
        )
    return [
        "--project-dir",
        str(settings.project_dir),
        "--profiles-dir",
        str(settings.profiles_dir),
        "--target",
        settings.target,
    ]


# What the CLI's dbt invocations log: nothing on the console (the CLI prints its own summary), and
# dbt's own log file at info level, where dbt always keeps it: logs/dbt.log under the project, or
# $DBT_LOG_PATH (README, "Where to look when something fails").
QUIET = ["--log-level", "none", "--log-level-file", "info"]

ProgressCallback = Callable[[int, int, str, str], None]


def node_message(message: str | None) -> str:
    """dbt's message of a failed node on one line: its first line and the database's own sentence.

    dbt writes "Database Error in model x (path)", the error on the next lines, then "compiled code
    at ...": everything but that last line is kept, joined by ": ".
    """
    lines = [line.strip() for line in (message or "").splitlines()]
    kept = [line for line in lines if line and not line.startswith("compiled code at")]
    text = ": ".join(kept)
    return text if len(text) <= 600 else text[:597] + "..."


def jinja_print_collector(lines: list[str]) -> Callable[[Any], None]:
    """A dbt event callback that keeps what `{{ print(...) }}` printed."""

    def on_event(event: Any) -> None:
        if event.info.name == "PrintEvent":
            lines.append(event.data.msg)

    return on_event


def jinja_log_collector(prefix: str, lines: list[str]) -> Callable[[Any], None]:
    """A dbt event callback that keeps the messages of `{{ log(..., info=true) }}` starting with prefix."""

    def on_event(event: Any) -> None:
        if event.info.name == "JinjaLogInfo" and event.info.msg.startswith(prefix):
            lines.append(event.info.msg)

    return on_event


def _progress_listener(progress: ProgressCallback) -> Callable[[Any], None]:
    """A dbt event callback that reports (done, total, node, status) as nodes finish."""
    state = {"total": 0, "done": 0}

    def on_event(event: Any) -> None:
        name = event.info.name
        if name == "LogStartLine":
            state["total"] = max(state["total"], int(event.data.total))
        elif name == "NodeFinished":
            state["done"] += 1
            info = event.data.node_info
            progress(state["done"], state["total"], info.node_name, info.node_status)

    return on_event


@dataclass
class LoadedManifest:
    manifest: Any
    # "kept": read back from the previous parse; "parsed": parsed and kept for the next process;
    # "parsed, not kept: <why>": parsed, and the file could not be written.
    source: str


# The environment variable the as_of() macro reads when the var `as_of` is not set. It is read when
# the SQL runs, never while dbt parses, so a new value keeps dbt's partial parse (macros/utils/as_of.sql).
AS_OF_ENV = "YTEMPIRE_AS_OF"


def env_as_of(as_of: datetime | None = None) -> str:
    """The as_of the macro uses when no var sets it: `as_of`, else $YTEMPIRE_AS_OF, else '' (the run's start)."""
    return as_of.isoformat() if as_of is not None else os.environ.get(AS_OF_ENV, "")


@contextmanager
def dbt_environment(
    settings: Settings, *, as_of: datetime | None = None, statement_timeout: float | None = None
) -> Iterator[None]:
    """The environment a dbt invocation reads, set for its duration and restored afterwards.

    The profile's connection values (Settings.export_env, read by env_var() in profiles.yml);
    YTEMPIRE_AS_OF when `as_of` is given (else whatever the caller's environment holds); PGOPTIONS
    with the statement_timeout for every session dbt opens. The only place the project writes the
    environment of its own process.
    """
    before = dict(os.environ)
    try:
        settings.export_env()
        if as_of is not None:
            os.environ[AS_OF_ENV] = as_of.isoformat()
        os.environ["PGOPTIONS"] = session_options(statement_timeout)
        yield
    finally:
        for name in set(os.environ) - set(before):
            del os.environ[name]
        for name, value in before.items():
            if os.environ.get(name) != value:
                os.environ[name] = value


class ProjectDoesNotParse(UserError):
    """dbt's parse failed; `detail` is the first line of its reason ('' when it gave none)."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"the dbt project does not parse{': ' + detail if detail else ''}.")


def load_manifest(settings: Settings, extra: list[str] | None = None) -> LoadedManifest:
    """The parsed project, for invocations to share; kept between processes (manifest_cache)."""
    extra = list(extra or [])
    with dbt_environment(settings):
        path = manifest_cache.manifest_cache_path(settings)
        unreadable: str | None = None
        try:
            fingerprint: str | None = manifest_cache.project_fingerprint(settings, extra)
        except OSError as exc:
            fingerprint, unreadable = None, first_line(exc)  # dbt's parse reports what it cannot read
        cached = manifest_cache.read_cached(path, fingerprint) if fingerprint else None
        if cached is not None:
            return LoadedManifest(cached, "kept")

        from dbt.cli.main import dbtRunner

        res = dbtRunner().invoke(["parse", "--no-write-json", *base_args(settings), *extra])
    if isinstance(res.exception, KeyboardInterrupt):
        raise KeyboardInterrupt
    if not res.success or res.result is None:
        raise ProjectDoesNotParse(first_line(res.exception) if res.exception is not None else "")
    problem = manifest_cache.write_cached(path, fingerprint, res.result) if fingerprint else unreadable
    return LoadedManifest(res.result, "parsed" if problem is None else f"parsed, not kept: {problem}")


def kept_manifest(settings: Settings, extra: list[str] | None = None) -> Any:
    """load_manifest's manifest, or None when the project does not parse: the dbt command given it then
    parses on its own and reports why."""
    try:
        return load_manifest(settings, extra).manifest
    except UserError:
        return None


def invoke(
    command: list[str],
    settings: Settings,
    extra: list[str] | None = None,
    progress: ProgressCallback | None = None,
    callbacks: list[Callable[[Any], None]] | None = None,
    manifest: Any = None,
    *,
    as_of: datetime | None = None,
    statement_timeout: float | None = None,
) -> DbtSummary:
    """Run one dbt command in-process and summarise its node results.

    With `manifest` (from load_manifest, parsed with the same vars) dbt skips parsing. `as_of` is
    what the as_of() macro reads when no var sets it; `statement_timeout` (seconds) bounds every
    statement of dbt's sessions.
    """
    from dbt.cli.main import dbtRunner

    args = [*command, *base_args(settings), *(extra or [])]
    started = time.monotonic()
    listeners = [*(callbacks or []), *([_progress_listener(progress)] if progress else [])]
    with dbt_environment(settings, as_of=as_of, statement_timeout=statement_timeout):
        res = dbtRunner(manifest=manifest, callbacks=listeners).invoke(args)
    seconds = time.monotonic() - started
    summary = DbtSummary(command=" ".join(command), success=bool(res.success), seconds=seconds)
    if isinstance(res.exception, KeyboardInterrupt):
        raise KeyboardInterrupt
    if res.exception is not None:
        summary.error = first_line(res.exception)
    for item in getattr(res.result, "results", None) or []:
        node = getattr(item, "node", None)
        if node is None:  # run-operation results carry no node
            continue
        summary.nodes.append(
            NodeResult(
                unique_id=node.unique_id,
                resource_type=str(node.resource_type),
                status=str(item.status),
                seconds=float(item.execution_time or 0.0),
                message=item.message if str(item.status) in {"error", "fail", "warn"} else None,
                name=str(getattr(node, "name", node.unique_id)),
                rows_affected=_rows_affected(getattr(item, "adapter_response", None)),
            )
        )
    return summary


def _rows_affected(response: Any) -> int | None:
    """rows_affected of a node's adapter response (a dict in run results), None when absent or negative."""
    value = response.get("rows_affected") if isinstance(response, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
