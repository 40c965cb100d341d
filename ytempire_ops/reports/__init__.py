"""Scheduled reports: `ytempire-ops report daily|weekly|monthly` (README, "Reports").

data.py reads the marts, render.py makes the HTML page and the plain text, charts.py draws the SVG
charts, mail.py sends the e-mail. `make_report` runs them in order: the file is always written
before any e-mail is attempted, so a relay that is down or refuses the login (exit 6), or mail
settings that are missing or malformed (exit 2, checked before reading the marts), still leave the
report on disk.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ytempire_ops import errors
from ytempire_ops.config import Settings
from ytempire_ops.reports.data import Kind, ReportData, load, report_path


@dataclass
class ReportResult:
    kind: Kind
    as_of: datetime
    path: Path
    subject: str
    no_data: bool
    figures: dict[str, Any]
    emailed_to: list[str] = field(default_factory=list)
    # {"name", "status", "seconds"} per step: read, render, write, email
    steps: list[dict[str, Any]] = field(default_factory=list)
    # Why the e-mail was not sent (the report was written): raised by the CLI after it printed the path.
    error: errors.UserError | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "as_of": self.as_of.isoformat(),
            "path": str(self.path),
            "subject": self.subject,
            "no_data": self.no_data,
            "emailed_to": self.emailed_to,
            "figures": {name: _json(value) for name, value in self.figures.items()},
            "steps": self.steps,
            "error": str(self.error) if self.error else None,
        }


def _json(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def write_atomically(path: Path, text: str) -> None:
    """Write the file whole or not at all (a reader never sees half a report)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        draft.write_text(text, encoding="utf-8")
        os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)


def make_report(
    settings: Settings,
    kind: Kind,
    *,
    as_of: datetime | None = None,
    out: Path | None = None,
    email: bool = False,
    progress: Callable[[str], None] = lambda line: None,
) -> ReportResult:
    """Read, render and write the report, then e-mail it when asked; the result says what happened."""
    from ytempire_ops.reports import mail
    from ytempire_ops.reports.render import render_html, render_text

    steps: list[dict[str, Any]] = []

    def step(name: str, started: float, status: str = "ok") -> None:
        steps.append({"name": name, "status": status, "seconds": round(time.monotonic() - started, 3)})

    mail_error: errors.UserError | None = None
    config = None
    if email:
        try:
            config = mail.mail_settings(settings)
        except errors.BadValue as exc:
            mail_error = exc
    started = time.monotonic()
    data: ReportData = load(settings, kind, as_of)
    step("read", started)
    started = time.monotonic()
    html, text = render_html(data), render_text(data)
    step("render", started)
    started = time.monotonic()
    path = report_path(settings, data, out)
    write_atomically(path, html)
    step("write", started)
    progress(f"wrote {path}")
    result = ReportResult(
        kind=kind,
        as_of=data.as_of,
        path=path,
        subject=data.subject,
        no_data=data.no_data is not None,
        figures=data.figures(),
        steps=steps,
        error=mail_error,
    )
    if config is not None:
        started = time.monotonic()
        try:
            message = mail.message(data.subject, config.sender, config.recipients, text, html)
            result.emailed_to = mail.send(config, message)
            step("email", started)
        except errors.UserError as exc:  # SmtpUnavailable, or a CA file that cannot be read (BadValue)
            step("email", started, "failed")
            result.error = exc
    return result


__all__ = ["Kind", "ReportResult", "make_report"]
