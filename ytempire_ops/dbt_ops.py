"""dbt invocations in-process (dbtRunner), always with explicit project and profiles directories."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ytempire_ops.config import Settings
from ytempire_ops.errors import UserError, first_line


@dataclass
class NodeResult:
    unique_id: str
    resource_type: str
    status: str
    seconds: float
    message: str | None = None
    name: str = ""


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


ProgressCallback = Callable[[int, int, str, str], None]


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


def load_manifest(settings: Settings, extra: list[str] | None = None) -> Any:
    """Parse the project once (partial parsing, no manifest.json written) for invocations to share."""
    from dbt.cli.main import dbtRunner

    settings.export_env()
    res = dbtRunner().invoke(["parse", "--no-write-json", *base_args(settings), *(extra or [])])
    if isinstance(res.exception, KeyboardInterrupt):
        raise KeyboardInterrupt
    if not res.success or res.result is None:
        detail = first_line(res.exception) if res.exception is not None else ""
        raise UserError(f"the dbt project does not parse{': ' + detail if detail else ''}.")
    return res.result


def invoke(
    command: list[str],
    settings: Settings,
    extra: list[str] | None = None,
    progress: ProgressCallback | None = None,
    callbacks: list[Callable[[Any], None]] | None = None,
    manifest: Any = None,
) -> DbtSummary:
    """Run one dbt command in-process and summarise its node results.

    With `manifest` (from load_manifest, parsed with the same vars) dbt skips parsing.
    """
    from dbt.cli.main import dbtRunner

    settings.export_env()
    args = [*command, *base_args(settings), *(extra or [])]
    started = time.monotonic()
    listeners = [*(callbacks or []), *([_progress_listener(progress)] if progress else [])]
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
            )
        )
    return summary
