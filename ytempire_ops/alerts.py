"""The open alerts of mart_alerts, delivered to Prometheus Alertmanager (its v2 API).

Every open alert is posted with the labels `alertname` (the alert type), `severity`,
`entity_type`, `entity_id`, `source` ("ytempire") and `warehouse` (the database it came from), and the
annotations `summary` (the message), `value` and `threshold`. Alertmanager keeps an alert's first
`startsAt` while it is re-posted, so posting every open alert after every refresh is idempotent. An
alert of this warehouse that Alertmanager holds and mart_alerts no longer has is posted again with
`endsAt` now: resolved. Routing, grouping, repeats and notifications are Alertmanager's.
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


def open_alerts(settings: Settings, *, statement_timeout: float | None = None) -> list[dict[str, Any]]:
    """mart_alerts as Alertmanager alerts (labels and annotations), in a stable order."""
    with closing(settings.connect(statement_timeout=statement_timeout)) as conn:
        conn.set_session(readonly=True, autocommit=True)
        with conn.cursor() as cur:
            cur.execute(
                "select alert_type, severity, entity_type, entity_id, message, metric_value, threshold"
                " from analytics.mart_alerts order by alert_type, entity_type, entity_id"
            )
            rows = cur.fetchall()
    return [
        {
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
        for alert_type, severity, entity_type, entity_id, message, value, threshold in rows
    ]


def _request(method: str, url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            payload = response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace").strip()[:300]
        raise AlertmanagerUnavailable(
            f"Alertmanager refused {method} {url}: HTTP {exc.code} {detail}"
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


def send(
    settings: Settings, *, now: datetime | None = None, statement_timeout: float | None = None
) -> Delivery:
    """Post every open alert, and resolve the ones that closed; AlertmanagerUnavailable when it cannot."""
    url = (settings.alertmanager_url or "").rstrip("/")
    if not url:
        raise AlertmanagerUnavailable(
            "no Alertmanager configured: set YTEMPIRE_ALERTMANAGER_URL, or run `ytempire-ops local up` with "
            "prometheus-alertmanager installed."
        )
    now = now or datetime.now(UTC)
    alerts = open_alerts(settings, statement_timeout=statement_timeout)
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


def render_config(settings: Settings, out: Path, environ: Mapping[str, str]) -> str:
    """Write the example routing with its placeholders filled from `environ` (mode 600: it holds
    keys), checked by `amtool check-config` when amtool is installed; what the check said."""
    template = (settings.project_dir / CONFIG_TEMPLATE).read_text()
    missing = [name for name in config_variables(template) if not environ.get(name)]
    if missing:
        raise errors.BadValue(
            f'set {", ".join(missing)} to render {CONFIG_TEMPLATE} (README, "Alerts"); nothing was written.'
        )
    rendered = string.Template(template).substitute(
        {name: environ[name] for name in config_variables(template)}
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(rendered)
    amtool = shutil.which("amtool")
    if amtool is None:
        return "not checked: amtool is not installed (apt-get install prometheus-alertmanager)"
    checked = subprocess.run([amtool, "check-config", str(out)], capture_output=True, text=True, timeout=60)
    if checked.returncode != 0:
        lines = [line.strip() for line in (checked.stdout + checked.stderr).splitlines() if "FAILED" in line]
        raise errors.UserError(f"amtool rejects {out}: {' '.join(lines) or 'see amtool check-config'}")
    return "checked by amtool check-config"
