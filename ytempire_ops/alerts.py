"""The open alerts of mart_alerts, delivered to Prometheus Alertmanager (its v2 API).

Every open alert is posted with the labels `alertname` (the alert type), `severity`,
`entity_type`, `entity_id`, `source` ("ytempire") and `warehouse` (the database it came from), the
annotations `summary` (the message), `value` and `threshold`, and `startsAt` = the opened_at of its
open episode in analytics.alert_history (never later than now; left out when the history has no open
episode for it, e.g. mart_alerts rebuilt on its own). Every post of an open alert carries the same
startsAt, and Alertmanager keeps an alert's earliest one, so posting every open alert after every
refresh is idempotent. An alert of this warehouse that Alertmanager holds and mart_alerts no longer
has is posted again with `endsAt` now: resolved. Routing, grouping, repeats and notifications are
Alertmanager's.
"""

from __future__ import annotations

import json
import os
import shutil
import string
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from psycopg2 import sql

from ytempire_ops import errors
from ytempire_ops.config import Settings

SOURCE = "ytempire"
LABELS = ("alertname", "severity", "entity_type", "entity_id", "source", "warehouse")
TIMEOUT_SECONDS = 10


class AlertmanagerUnavailable(errors.UserError):
    exit_code = errors.EXIT_ALERTMANAGER_UNAVAILABLE


@dataclass
class Delivery:
    url: str
    open: int = 0
    resolved: int = 0
    alerts: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"alertmanager": self.url, "open": self.open, "resolved": self.resolved}


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    return "" if value is None else str(value)


# mart_alerts with the opened_at of each alert's open episode (NULL without one).
OPEN_ALERTS = sql.SQL("""
select alerts.alert_type, alerts.severity, alerts.entity_type, alerts.entity_id, alerts.message,
       alerts.metric_value, alerts.threshold, {opened_at}
from analytics.mart_alerts as alerts
{history}
order by alerts.alert_type, alerts.entity_type, alerts.entity_id
""")
HISTORY_JOIN = sql.SQL(
    "left join analytics.alert_history as history"
    " on history.alert_key = alerts.alert_key and history.resolved_at is null"
)


def open_alerts(
    settings: Settings, *, now: datetime | None = None, statement_timeout: float | None = None
) -> list[dict[str, Any]]:
    """mart_alerts as Alertmanager alerts (labels, annotations, startsAt from the history), in a stable order."""
    now = now or datetime.now(UTC)
    with closing(settings.connect(statement_timeout=statement_timeout)) as conn:
        conn.set_session(readonly=True, autocommit=True)
        with conn.cursor() as cur:
            cur.execute("select to_regclass('analytics.alert_history') is not null")
            has_history = bool(cur.fetchone()[0])
            cur.execute(
                OPEN_ALERTS.format(
                    opened_at=sql.SQL("history.opened_at" if has_history else "cast(null as timestamptz)"),
                    history=HISTORY_JOIN if has_history else sql.SQL(""),
                )
            )
            rows = cur.fetchall()
    alerts = []
    for alert_type, severity, entity_type, entity_id, message, value, threshold, opened_at in rows:
        alert: dict[str, Any] = {
            "labels": {
                "alertname": alert_type,
                "severity": severity,
                "entity_type": entity_type,
                "entity_id": entity_id,
                "source": SOURCE,
                "warehouse": settings.pg_dbname,
            },
            "annotations": {"summary": message, "value": _text(value), "threshold": _text(threshold)},
        }
        if opened_at is not None:
            # Alertmanager rejects a start after the end it gives a firing alert (now + resolve_timeout).
            alert["startsAt"] = min(opened_at, now).isoformat()
        alerts.append(alert)
    return alerts


def _request(method: str, url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            payload = response.read()
    except urllib.error.HTTPError as exc:
        detail = " ".join(exc.read().decode(errors="replace").split())[:300]
        raise AlertmanagerUnavailable(
            f"Alertmanager refused {method} {url}: HTTP {exc.code}{': ' + detail if detail else ''}"
        ) from None
    except (OSError, urllib.error.URLError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AlertmanagerUnavailable(f"cannot reach Alertmanager at {url}: {reason}.") from None
    return json.loads(payload) if payload.strip() else None


def held_alerts(url: str, warehouse: str) -> list[dict[str, Any]]:
    """The alerts of this warehouse Alertmanager holds and has not resolved."""
    matchers = [f'source="{SOURCE}"', f'warehouse="{warehouse}"']
    query = "&".join(f"filter={urllib.parse.quote(m)}" for m in matchers)
    return _request("GET", f"{url}/api/v2/alerts?{query}") or []


def _key(alert: dict[str, Any]) -> tuple[str, ...]:
    return tuple(alert["labels"].get(name, "") for name in LABELS)


def alertmanager_url(settings: Settings) -> str:
    """The configured Alertmanager's base URL; AlertmanagerUnavailable when none, BadValue when malformed."""
    url = (settings.alertmanager_url or "").strip().rstrip("/")
    if not url:
        raise AlertmanagerUnavailable(
            "no Alertmanager configured: set YTEMPIRE_ALERTMANAGER_URL, or run `ytempire-ops local up` with "
            "prometheus-alertmanager installed."
        )
    try:
        parts = urllib.parse.urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:  # a port that is not a number, or out of range
        parts, port_ok = None, False
    if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname or not port_ok:
        # The value itself is not repeated: it may carry credentials.
        raise errors.BadValue(
            "YTEMPIRE_ALERTMANAGER_URL is not an http(s) URL with a host and a valid port "
            "(such as http://127.0.0.1:9093); nothing was sent."
        )
    return url


def send(
    settings: Settings, *, now: datetime | None = None, statement_timeout: float | None = None
) -> Delivery:
    """Post every open alert, and resolve the ones that closed; AlertmanagerUnavailable when it cannot."""
    url = alertmanager_url(settings)
    now = now or datetime.now(UTC)
    alerts = open_alerts(settings, now=now, statement_timeout=statement_timeout)
    opened = {_key(alert) for alert in alerts}
    closed = [
        {
            "labels": held["labels"],
            "annotations": held.get("annotations") or {},
            "startsAt": held["startsAt"],
            "endsAt": now.isoformat(),
        }
        for held in held_alerts(url, settings.pg_dbname)
        if _key(held) not in opened
    ]
    if alerts or closed:
        _request("POST", f"{url}/api/v2/alerts", [*alerts, *closed])
    return Delivery(url=url, open=len(alerts), resolved=len(closed), alerts=alerts)


# --------------------------------------------------------------------------- routing configuration

CONFIG_TEMPLATE = Path("deploy") / "alertmanager" / "alertmanager.yml"


def config_variables(template: str) -> list[str]:
    """The environment variables a configuration template names, in order of first use."""
    names: list[str] = []
    for match in string.Template.pattern.finditer(template):
        name = match.group("braced") or match.group("named")
        if name and name not in names:
            names.append(name)
    return names


def _without_values(text: str, values: Mapping[str, str]) -> str:
    """text with every rendered value replaced by its ${NAME}: amtool may quote one, and most are secrets."""
    for name, value in sorted(values.items(), key=lambda item: -len(item[1])):
        if len(value) >= 4:
            text = text.replace(value, "${" + name + "}")
    return text


def render_config(settings: Settings, out: Path, environ: Mapping[str, str]) -> str:
    """Write the example routing with its placeholders filled from `environ` (mode 600: it holds
    keys), checked by `amtool check-config` when amtool is installed; what the check said.

    The routing is written beside `out` first and moved there only once amtool accepts it: a rejected
    routing (an undefined receiver, a value amtool refuses) is BadValue, and `out` is left as it was.
    """
    template = (settings.project_dir / CONFIG_TEMPLATE).read_text()
    missing = [name for name in config_variables(template) if not environ.get(name)]
    if missing:
        raise errors.BadValue(
            f'set {", ".join(missing)} to render {CONFIG_TEMPLATE} (README, "Alerts"); nothing was written.'
        )
    values = {name: environ[name] for name in config_variables(template)}
    rendered = string.Template(template).substitute(values)
    out.parent.mkdir(parents=True, exist_ok=True)
    draft = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(rendered)
        amtool = shutil.which("amtool")
        checked = (
            subprocess.run([amtool, "check-config", str(draft)], capture_output=True, text=True, timeout=60)
            if amtool
            else None
        )
        if checked is not None and checked.returncode != 0:
            output = checked.stdout + checked.stderr
            reasons = [
                line.split("FAILED:", 1)[1].strip() for line in output.splitlines() if "FAILED:" in line
            ]
            reason = _without_values("; ".join(reasons) or "see `amtool check-config`", values)
            raise errors.BadValue(
                f"amtool check-config rejects the routing rendered from {CONFIG_TEMPLATE} ({reason}); "
                f"nothing was written to {out}."
            )
        os.replace(draft, out)
    finally:
        draft.unlink(missing_ok=True)
    if checked is None:
        return "not checked: amtool is not installed (apt-get install prometheus-alertmanager)"
    return "checked by amtool check-config"
