"""mart_alerts reaches Alertmanager: every open alert posted with its labels and annotations, the
ones that closed resolved, re-posting idempotent, and an unreachable Alertmanager its own exit code."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml
from conftest import AS_OF, PROJECT_DIR, StackHandle, Warehouse, clone_database, run_cli, run_dbt


@pytest.fixture(scope="module")
def alerting(test_stack: StackHandle, warehouse: Warehouse) -> tuple[str, dict[str, str]]:
    assert warehouse.build.returncode == 0, warehouse.build.stdout[-3000:]
    dbname = clone_database(test_stack, warehouse.dbname, "alerts")
    env = test_stack.db_env(dbname, YTEMPIRE_REDIS_PREFIX=f"{dbname}:")
    assert env.get("YTEMPIRE_ALERTMANAGER_URL"), "the test stack runs no Alertmanager"
    return dbname, env


def held(env: dict[str, str], dbname: str) -> dict[tuple[str, str], dict[str, Any]]:
    """This warehouse's active alerts in Alertmanager, by (alertname, entity_id)."""
    query = urllib.parse.quote(f'warehouse="{dbname}"')
    url = f"{env['YTEMPIRE_ALERTMANAGER_URL']}/api/v2/alerts?filter={query}"
    with urllib.request.urlopen(url, timeout=10) as response:
        alerts = json.loads(response.read())
    return {(a["labels"]["alertname"], a["labels"]["entity_id"]): a for a in alerts}


def mart_alerts(test_stack: StackHandle, dbname: str) -> dict[tuple[str, str], tuple[str, str]]:
    conn = test_stack.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("select alert_type, entity_id, severity, message from analytics.mart_alerts")
        rows = {(t, e): (s, m) for t, e, s, m in cur.fetchall()}
    conn.close()
    return rows


def test_open_alerts_are_posted_resolved_ones_end(
    test_stack: StackHandle, alerting: tuple[str, dict[str, str]]
) -> None:
    dbname, env = alerting
    expected = mart_alerts(test_stack, dbname)
    assert any(t in {"CriticalVideoCost", "VideoCostWarning"} for t, _ in expected), expected

    sent = run_cli(["alerts", "send", "--json"], env)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert json.loads(sent.stdout)["open"] == len(expected)
    first = held(env, dbname)
    assert set(first) == set(expected)
    for key, alert in first.items():
        severity, message = expected[key]
        assert alert["labels"]["severity"] == severity
        assert alert["labels"]["source"] == "ytempire"
        assert alert["annotations"]["summary"] == message
        assert alert["annotations"]["value"] and alert["annotations"]["threshold"]

    # Posting again changes nothing: the same alerts, each with the start Alertmanager first saw.
    again = run_cli(["alerts", "send"], env)
    assert again.returncode == 0, again.stderr
    assert {k: a["startsAt"] for k, a in held(env, dbname).items()} == {
        k: a["startsAt"] for k, a in first.items()
    }

    # The cost alerts close (their thresholds raised out of reach): they are sent resolved and leave
    # Alertmanager's active alerts; the others stay.
    rebuilt = run_dbt(
        [
            "run",
            "--select",
            "mart_alerts",
            "--vars",
            f"{{as_of: '{AS_OF}', cost_warning_cents: 100000, cost_critical_cents: 100000}}",
        ],
        env,
    )
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:]
    still_open = mart_alerts(test_stack, dbname)
    closed = set(expected) - set(still_open)
    assert closed, "no alert closed"
    resolved = run_cli(["alerts", "send", "--json"], env)
    assert resolved.returncode == 0, resolved.stderr
    assert json.loads(resolved.stdout)["resolved"] == len(closed)
    assert set(held(env, dbname)) == set(still_open)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_alertmanager_keeps_the_refresh_work_and_exits_4(
    test_stack: StackHandle, alerting: tuple[str, dict[str, str]]
) -> None:
    dbname, env = alerting
    gone = dict(env, YTEMPIRE_ALERTMANAGER_URL=f"http://127.0.0.1:{free_port()}")
    sent = run_cli(["alerts", "send"], gone)
    assert sent.returncode == 4, sent.stdout + sent.stderr
    assert "cannot reach Alertmanager" in sent.stderr and "Traceback" not in sent.stderr

    refreshed = run_cli(["refresh", "--as-of", AS_OF, "--skip-dbt", "--json"], gone)
    assert refreshed.returncode == 4, refreshed.stdout + refreshed.stderr
    steps = {step["name"]: step for step in json.loads(refreshed.stdout)["steps"]}
    assert steps["warm"]["status"] == "ok" and steps["alerts"]["status"] == "failed"
    assert "The database and Redis work is kept" in steps["alerts"]["detail"]
    client = redis.Redis.from_url(env["YTEMPIRE_REDIS_URL"], socket_timeout=10)
    assert client.get(f"{dbname}:dashboard:overview")
    client.close()

    # The next refresh with Alertmanager back delivers every alert still open.
    delivered = run_cli(["refresh", "--as-of", AS_OF, "--skip-dbt", "--json"], env)
    assert delivered.returncode == 0, delivered.stdout + delivered.stderr
    assert set(held(env, dbname)) == set(mart_alerts(test_stack, dbname))


# --------------------------------------------------------------------------- the example routing

ROUTING_ENV = {
    "YTEMPIRE_SMTP_HOST": "smtp.example.com",
    "YTEMPIRE_SMTP_PORT": "587",
    "YTEMPIRE_SMTP_FROM": "alerts@example.com",
    "YTEMPIRE_SMTP_USER": "alerts",
    "YTEMPIRE_SMTP_PASSWORD": "smtp-secret-4711",
    "YTEMPIRE_PAGERDUTY_ROUTING_KEY": "pd-secret-0123456789abcdef",
    "YTEMPIRE_SLACK_CRITICAL_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/critical-secret",
    "YTEMPIRE_SLACK_WARNING_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/warning-secret",
    "YTEMPIRE_ONCALL_EMAIL": "oncall@example.com",
}


def routing_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YTEMPIRE_", "DBT_"))}
    env.update({"YTEMPIRE_PROJECT_DIR": str(PROJECT_DIR), "YTEMPIRE_HOME": str(tmp_path / "home")})
    env.update(ROUTING_ENV)
    env.update(overrides)
    return env


def test_the_example_routing_is_accepted_by_amtool_and_routes_by_severity(tmp_path: Path) -> None:
    out = tmp_path / "alertmanager.yml"
    done = run_cli(["alerts", "config", "--out", str(out)], routing_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "checked by amtool check-config" in done.stdout
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    for secret in ("smtp-secret-4711", "pd-secret", "critical-secret", "warning-secret"):
        assert secret not in done.stdout + done.stderr
    amtool = shutil.which("amtool")
    assert amtool, "amtool is installed with prometheus-alertmanager (make alerting)"
    routes = {
        severity: subprocess.run(
            [
                amtool,
                "config",
                "routes",
                "test",
                f"--config.file={out}",
                f"severity={severity}",
                "alertname=X",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
        for severity in ("critical", "warning")
    }
    assert routes == {"critical": "critical", "warning": "warning"}
    config = yaml.safe_load(out.read_text())
    assert config["route"]["group_by"] == ["alertname"] and config["route"]["repeat_interval"] == "4h"
    receivers = {r["name"]: r for r in config["receivers"]}
    critical = receivers["critical"]
    assert critical["slack_configs"][0]["channel"] == "#alerts-critical"
    assert critical["pagerduty_configs"][0]["routing_key"] == ROUTING_ENV["YTEMPIRE_PAGERDUTY_ROUTING_KEY"]
    assert critical["email_configs"][0]["to"] == ROUTING_ENV["YTEMPIRE_ONCALL_EMAIL"]
    assert receivers["warning"]["slack_configs"][0]["channel"] == "#alerts-warning"
    configs = [c for r in receivers.values() for key, cs in r.items() if key.endswith("_configs") for c in cs]
    assert configs and all(c["send_resolved"] for c in configs)


def test_a_missing_routing_value_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    out = tmp_path / "alertmanager.yml"
    env = routing_env(tmp_path)
    del env["YTEMPIRE_PAGERDUTY_ROUTING_KEY"]
    done = run_cli(["alerts", "config", "--out", str(out)], env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "YTEMPIRE_PAGERDUTY_ROUTING_KEY" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()
