"""Alerts reach people: a real Alertmanager, run with the routing `ytempire-ops alerts config` renders,
notifies local stand-ins for Slack and PagerDuty (an HTTP server in a thread) and a real SMTP server
(aiosmtpd) for the on-call mailbox.

Alerts are opened and cleared by raw cost lines written into a copy of the session's warehouse,
each followed by the refresh cron runs (`--as-of` a minute later each time). The budget is raised
to $4.00 / $5.00 (`--vars`) so that no video of the generated data alerts: the only cost alerts are
the ones a test opens, each alone in its Alertmanager group.

Of the rendered routing, the copy the test's Alertmanager runs changes only what points at the local
stand-ins or waits for minutes: group_wait and group_interval (seconds instead of 30 s and 5 min;
repeat_interval stays 4 h), PagerDuty's events URL, and STARTTLS (the local SMTP server speaks plain
SMTP).
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import shutil
import socket
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml
from aiosmtpd.controller import Controller
from conftest import AS_OF, PROJECT_DIR, StackHandle, Warehouse, clone_database, run_cli

from ytempire_ops import daemons, errors

AS_OF_INSTANT = datetime.fromisoformat(AS_OF)
# The budget of these tests (cents): above every generated video's cost.
WARNING_CENTS, CRITICAL_CENTS = 400, 500
BUDGET_VARS = f"{{cost_warning_cents: {WARNING_CENTS}, cost_critical_cents: {CRITICAL_CENTS}}}"
GROUP_WAIT, GROUP_INTERVAL = "1s", "2s"
# Long enough for Alertmanager to send anything it still would (a few group intervals).
SETTLE_SECONDS = 8.0
ROUTING_KEY = "pd-routing-key-for-tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- the receivers


@dataclass
class Notification:
    """One notification as a receiver got it: which receiver, firing or resolved, about what."""

    receiver: str  # slack-critical, slack-warning, pagerduty, email
    status: str  # firing, resolved
    alertname: str
    text: str  # what names the alerts (Slack's text, PagerDuty's summary, the e-mail's subject and body)
    body: Any = None


@dataclass
class Inbox:
    notifications: list[Notification] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # HTTP status the webhook answers per path (200 unless set), e.g. 500 for a Slack that is down.
    answers: dict[str, int] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)

    def add(self, notification: Notification) -> None:
        with self.lock:
            self.notifications.append(notification)

    def about(
        self, needle: str, receiver: str | None = None, status: str | None = None
    ) -> list[Notification]:
        with self.lock:
            return [
                n
                for n in self.notifications
                if needle in n.text
                and (receiver is None or n.receiver == receiver)
                and (status is None or n.status == status)
            ]

    def wait_for(self, predicate: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.2)
        with self.lock:
            got = [(n.receiver, n.status, n.alertname, n.text[:120]) for n in self.notifications]
        raise AssertionError(f"{what}: not within {timeout:g} s; received {got}")


def webhook_handler(inbox: Inbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
            answer = inbox.answers.get(self.path, 200)
            if answer != 200:
                inbox.refused.append(self.path)
            else:
                inbox.add(parse_webhook(self.path, body))
            self.send_response(answer)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}" if answer == 200 else b'{"error": "down"}')

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def parse_webhook(path: str, body: dict[str, Any]) -> Notification:
    if path.startswith("/slack/"):
        attachment = body["attachments"][0]
        title = attachment["title"]  # [FIRING] CriticalVideoCost
        status, alertname = title.strip("[").split("] ", 1)
        return Notification(
            f"slack-{path.rsplit('/', 1)[1]}", status.lower(), alertname, attachment["text"], body
        )
    assert path == "/pagerduty", path
    assert body["routing_key"] == ROUTING_KEY
    status = "resolved" if body["event_action"] == "resolve" else "firing"
    payload = body.get("payload") or {}
    return Notification("pagerduty", status, "", f"{body['dedup_key']} {payload.get('summary', '')}", body)


class MailHandler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        subject = str(
            message["Subject"]
        )  # [FIRING:1] CriticalVideoCost (critical video vid_... ytempire ...)
        status = "resolved" if subject.startswith("[RESOLVED]") else "firing"
        parts = [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
        text = f"{subject}\n{' '.join(parts)}"
        alertname = subject.split("] ", 1)[1].split(" ", 1)[0]
        self.inbox.add(Notification("email", status, alertname, text, {"to": list(envelope.rcpt_tos)}))
        return "250 OK"


@dataclass
class Receivers:
    inbox: Inbox
    webhook_url: str
    smtp_port: int


@pytest.fixture
def receivers() -> Iterator[Receivers]:
    inbox = Inbox()
    server = ThreadingHTTPServer(("127.0.0.1", 0), webhook_handler(inbox))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    smtp = Controller(MailHandler(inbox), hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        yield Receivers(inbox, f"http://127.0.0.1:{server.server_address[1]}", smtp.port)
    finally:
        smtp.stop()
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- the Alertmanager


def routing_env(tmp_path: Path, receivers: Receivers) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YTEMPIRE_", "DBT_"))}
    env.update(
        {
            "YTEMPIRE_PROJECT_DIR": str(PROJECT_DIR),
            "YTEMPIRE_HOME": str(tmp_path / "home"),
            "YTEMPIRE_SMTP_HOST": "127.0.0.1",
            "YTEMPIRE_SMTP_PORT": str(receivers.smtp_port),
            "YTEMPIRE_SMTP_FROM": "alerts@ytempire.test",
            "YTEMPIRE_SMTP_USER": "alerts",
            "YTEMPIRE_SMTP_PASSWORD": "smtp-password-for-tests",
            "YTEMPIRE_PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
            "YTEMPIRE_SLACK_CRITICAL_WEBHOOK_URL": f"{receivers.webhook_url}/slack/critical",
            "YTEMPIRE_SLACK_WARNING_WEBHOOK_URL": f"{receivers.webhook_url}/slack/warning",
            "YTEMPIRE_ONCALL_EMAIL": "oncall@ytempire.test",
        }
    )
    return env


@dataclass
class Alertmanager:
    """A dedicated Alertmanager (daemons.start, as `local up` starts one) that can be stopped and started
    again on the same port and storage: its notification log survives, its alerts do not."""

    home: Path
    port: int
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.state = daemons.start(daemons.ALERTMANAGER, self.home, self.port)

    def stop(self) -> None:
        assert daemons.stop(daemons.ALERTMANAGER, self.state), "the test's Alertmanager was not running"
        self.state = {}

    def held(self, dbname: str) -> dict[str, dict[str, Any]]:
        """This warehouse's active alerts, by entity_id."""
        query = urllib.parse.quote(f'warehouse="{dbname}"')
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts?filter={query}", timeout=10) as response:
            alerts = json.loads(response.read())
        return {a["labels"]["entity_id"]: a for a in alerts if a["status"]["state"] == "active"}


@pytest.fixture
def alertmanager(tmp_path: Path, receivers: Receivers) -> Iterator[Alertmanager]:
    assert daemons.ALERTMANAGER.binary(), "prometheus-alertmanager is installed (make alerting)"
    rendered = tmp_path / "rendered.yml"
    done = run_cli(["alerts", "config", "--out", str(rendered)], routing_env(tmp_path, receivers))
    assert done.returncode == 0, done.stdout + done.stderr
    config = yaml.safe_load(rendered.read_text())
    assert config["route"]["repeat_interval"] == "4h"
    config["route"].update(group_wait=GROUP_WAIT, group_interval=GROUP_INTERVAL)
    config["global"]["smtp_require_tls"] = False
    receivers_by_name = {r["name"]: r for r in config["receivers"]}
    receivers_by_name["critical"]["pagerduty_configs"][0]["url"] = f"{receivers.webhook_url}/pagerduty"
    home = tmp_path / "am"
    (home / "alertmanager").mkdir(parents=True)
    (home / "alertmanager" / "alertmanager.yml").write_text(yaml.safe_dump(config))
    manager = Alertmanager(home=home, port=free_port())
    manager.start()
    try:
        yield manager
    finally:
        if manager.state:
            daemons.stop(daemons.ALERTMANAGER, manager.state)


# --------------------------------------------------------------------------- the warehouse


@dataclass
class Copy:
    """A copy of the session's warehouse whose refreshes post to the test's Alertmanager."""

    test_stack: StackHandle
    dbname: str
    env: dict[str, str]
    conn: Any
    minute: int = 0

    def next_as_of(self) -> datetime:
        """One minute after the previous refresh's (the newest poll stays under 15 minutes old)."""
        self.minute += 1
        return AS_OF_INSTANT + timedelta(minutes=self.minute)

    def refresh(self, as_of: datetime, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        done = run_cli(
            ["refresh", "--as-of", as_of.isoformat(), "--vars", BUDGET_VARS, "--json"], env or self.env
        )
        assert "Traceback" not in done.stderr, done.stderr
        return done.returncode, json.loads(done.stdout)

    def cost_line(
        self, video_id: str, total_cents: float, written: datetime, cost_id: str | None = None
    ) -> str:
        """A cost line of the video (its newest line's category and channel), incurred and ingested at
        `written`; the same cost_id again re-delivers (replaces) that line."""
        cost_id = cost_id or str(uuid.uuid4())
        with self.conn.cursor() as cur:
            cur.execute(
                """
                insert into raw.video_costs
                select %(cost_id)s, video_id, channel_id, cost_category, cost_subcategory, 1, unit,
                       %(total)s, %(written)s, %(written)s
                from raw.video_costs
                where video_id = %(video_id)s and ingested_at <= %(as_of)s
                order by incurred_at desc, cost_id limit 1
                """,
                {
                    "cost_id": cost_id,
                    "total": total_cents,
                    "written": written,
                    "video_id": video_id,
                    "as_of": AS_OF_INSTANT,
                },
            )
            assert cur.rowcount == 1, video_id
        return cost_id

    def raise_cost_to(self, video_id: str, cents: float, written: datetime) -> str:
        """A cost line that brings the video's total to `cents`."""
        with self.conn.cursor() as cur:
            cur.execute(
                "select total_cost_cents from analytics.mart_video_economics where video_id = %s", (video_id,)
            )
            (total,) = cur.fetchone()
        return self.cost_line(video_id, cents - float(total), written)

    def episodes(self, entity_id: str) -> list[dict[str, Any]]:
        with self.conn.cursor() as cur:
            cur.execute(
                """
                select alert_type, severity, opened_at, resolved_at, last_seen_at, duration_seconds,
                       metric_value
                from analytics.alert_history where entity_id = %s order by opened_at
                """,
                (entity_id,),
            )
            columns = [column.name for column in cur.description]
            return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]

    def open_alerts(self) -> set[tuple[str, str]]:
        with self.conn.cursor() as cur:
            cur.execute("select alert_type, entity_id from analytics.mart_alerts")
            return set(cur.fetchall())


@pytest.fixture
def copy(test_stack: StackHandle, warehouse: Warehouse, alertmanager: Alertmanager) -> Iterator[Copy]:
    assert warehouse.build.returncode == 0, warehouse.build.stdout[-3000:]
    dbname = clone_database(test_stack, warehouse.dbname, "delivery")
    env = test_stack.db_env(
        dbname, YTEMPIRE_REDIS_PREFIX=f"{dbname}:", YTEMPIRE_ALERTMANAGER_URL=alertmanager.url
    )
    conn = test_stack.connect(dbname)
    try:
        yield Copy(test_stack, dbname, env, conn)
    finally:
        conn.close()


def quiet_videos(copy: Copy, count: int) -> list[str]:
    """Videos of the copy far below the test budget, with a cost line to copy."""
    with copy.conn.cursor() as cur:
        cur.execute(
            """
            select e.video_id from analytics.mart_video_economics as e
            where e.total_cost_cents < %s
              and exists (select 1 from raw.video_costs as c where c.video_id = e.video_id)
            order by e.video_id limit %s
            """,
            (WARNING_CENTS - 100, count),
        )
        videos = [row[0] for row in cur.fetchall()]
    assert len(videos) == count
    return videos


def steps(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["name"]: step for step in result["steps"]}


def starts_at(alert: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(alert["startsAt"])


# --------------------------------------------------------------------------- the tests


def test_an_alert_is_notified_once_while_open_then_resolved_and_routed_by_severity(
    copy: Copy, alertmanager: Alertmanager, receivers: Receivers
) -> None:
    inbox = receivers.inbox
    # The test's budget: nothing of the generated data alerts (the episodes the build opened at the
    # default budget resolve).
    code, result = copy.refresh(copy.next_as_of())
    assert code == 0, result
    assert not {t for t, _ in copy.open_alerts()} & {"CriticalVideoCost", "VideoCostWarning"}
    critical_video, warning_video = quiet_videos(copy, 2)

    # A cost line takes one video over $5.00 (critical), another to $4.50 (warning).
    opened = copy.next_as_of()
    written = opened - timedelta(seconds=1)
    critical_line = copy.raise_cost_to(critical_video, CRITICAL_CENTS + 20, written)
    copy.raise_cost_to(warning_video, (WARNING_CENTS + CRITICAL_CENTS) / 2, written)
    code, result = copy.refresh(opened)
    assert code == 0, result
    assert steps(result)["alerts"]["status"] == "ok"
    assert {("CriticalVideoCost", critical_video), ("VideoCostWarning", warning_video)} <= copy.open_alerts()
    (episode,) = copy.episodes(critical_video)
    assert episode["opened_at"] == opened and episode["resolved_at"] is None

    # The critical alert pages, posts to #alerts-critical and mails on-call; the warning goes to
    # #alerts-warning only.
    inbox.wait_for(
        lambda: (
            all(inbox.about(critical_video, r) for r in ("slack-critical", "pagerduty", "email"))
            and inbox.about(warning_video, "slack-warning")
        ),
        "the critical alert at its three receivers and the warning at its one",
    )
    (mail,) = inbox.about(critical_video, "email")
    assert mail.body["to"] == ["oncall@ytempire.test"] and mail.status == "firing"
    assert not inbox.about(critical_video, "slack-warning")
    assert not [n for r in ("slack-critical", "pagerduty", "email") for n in inbox.about(warning_video, r)]

    # startsAt is the episode's opened_at, whatever time Alertmanager received it.
    held = alertmanager.held(copy.dbname)
    assert starts_at(held[critical_video]) == episode["opened_at"]
    assert starts_at(held[warning_video]) == copy.episodes(warning_video)[0]["opened_at"]

    # Two more refreshes while both stay open: the same episode, nothing notified again.
    for _ in range(2):
        seen = copy.next_as_of()
        code, result = copy.refresh(seen)
        assert code == 0, result
    time.sleep(SETTLE_SECONDS)
    for video, receiver_names in (
        (critical_video, ("slack-critical", "pagerduty", "email")),
        (warning_video, ("slack-warning",)),
    ):
        for receiver in receiver_names:
            assert len(inbox.about(video, receiver)) == 1, (video, receiver, inbox.about(video, receiver))
    (episode,) = copy.episodes(critical_video)
    assert episode["opened_at"] == opened and episode["last_seen_at"] == seen
    assert episode["duration_seconds"] == (seen - opened).total_seconds()
    assert starts_at(alertmanager.held(copy.dbname)[critical_video]) == opened

    # The cost line is re-delivered as $0: the critical alert clears, a resolved notification
    # follows at each of its receivers, once; the warning stays open.
    cleared = copy.next_as_of()
    copy.cost_line(critical_video, 0, cleared - timedelta(seconds=1), cost_id=critical_line)
    code, result = copy.refresh(cleared)
    assert code == 0, result
    assert "1 resolved" in steps(result)["alerts"]["detail"]
    (episode,) = copy.episodes(critical_video)
    assert episode["resolved_at"] == cleared and episode["last_seen_at"] == seen
    assert episode["duration_seconds"] == (cleared - opened).total_seconds()
    pagerduty_key = inbox.about(critical_video, "pagerduty")[0].body["dedup_key"]
    inbox.wait_for(
        lambda: (
            inbox.about(critical_video, "slack-critical", "resolved")
            and inbox.about(critical_video, "email", "resolved")
            and inbox.about(pagerduty_key, "pagerduty", "resolved")
        ),
        "the resolved notifications of the critical alert",
    )
    code, result = copy.refresh(copy.next_as_of())
    assert code == 0, result
    time.sleep(SETTLE_SECONDS)
    assert len(inbox.about(critical_video, "slack-critical", "resolved")) == 1
    assert len(inbox.about(pagerduty_key, "pagerduty", "resolved")) == 1
    assert len(inbox.about(critical_video, "slack-critical", "firing")) == 1
    assert len(inbox.about(warning_video, "slack-warning")) == 1
    assert critical_video not in alertmanager.held(copy.dbname)

    # `check` lists both episodes among the alerts opened in the last 24 h, with the history's figures.
    done = run_cli(["check", "--json"], copy.env)
    listed = {
        item["data"]["entity_id"]: item["data"]
        for item in json.loads(done.stdout)["items"]
        if item["section"] == "alerts opened in 24 h" and "data" in item
    }
    for video in (critical_video, warning_video):
        (history,) = copy.episodes(video)
        shown = listed[video]
        assert datetime.fromisoformat(shown["opened_at"]) == history["opened_at"]
        assert shown["duration_seconds"] == history["duration_seconds"]
        resolved = shown["resolved_at"] and datetime.fromisoformat(shown["resolved_at"])
        assert resolved == history["resolved_at"] or (resolved is None and history["resolved_at"] is None)


def test_alertmanager_down_during_a_refresh_exits_4_keeps_the_work_and_the_next_delivers_once(
    copy: Copy, alertmanager: Alertmanager, receivers: Receivers
) -> None:
    inbox = receivers.inbox
    critical_video, warning_video = quiet_videos(copy, 2)
    first = copy.next_as_of()
    copy.raise_cost_to(critical_video, CRITICAL_CENTS + 20, first - timedelta(seconds=1))
    code, result = copy.refresh(first)
    assert code == 0, result
    inbox.wait_for(lambda: inbox.about(critical_video, "slack-critical"), "the critical alert")

    # Alertmanager stops; meanwhile a warning opens. The refresh does its database and Redis work,
    # fails at the alerts step with exit 4 and says so in one sentence.
    alertmanager.stop()
    down = copy.next_as_of()
    copy.raise_cost_to(warning_video, (WARNING_CENTS + CRITICAL_CENTS) / 2, down - timedelta(seconds=1))
    code, result = copy.refresh(down)
    assert code == errors.EXIT_ALERTMANAGER_UNAVAILABLE == 4, result
    by_name = steps(result)
    assert by_name["dbt"]["status"] == "ok" and by_name["warm"]["status"] == "ok"
    assert by_name["alerts"]["status"] == "failed"
    assert "cannot reach Alertmanager" in result["error"] and "work is kept" in result["error"]
    (episode,) = copy.episodes(warning_video)
    assert episode["opened_at"] == down and episode["resolved_at"] is None
    client = redis.Redis.from_url(copy.env["YTEMPIRE_REDIS_URL"], socket_timeout=10)
    try:
        overview = json.loads(client.get(f"{copy.dbname}:dashboard:overview") or b"null")
    finally:
        client.close()
    assert overview and datetime.fromisoformat(overview["as_of"]) == down

    # Alertmanager is back (its notification log kept, its alerts gone): the next refresh delivers
    # every alert still open, with its episode's start; the warning is notified, the critical alert
    # it had notified before is not notified again.
    alertmanager.start()
    code, result = copy.refresh(copy.next_as_of())
    assert code == 0, result
    held = alertmanager.held(copy.dbname)
    assert {critical_video, warning_video} <= set(held)
    assert starts_at(held[critical_video]) == first and starts_at(held[warning_video]) == down
    inbox.wait_for(
        lambda: inbox.about(warning_video, "slack-warning"), "the warning opened while it was down"
    )
    code, result = copy.refresh(copy.next_as_of())
    assert code == 0, result
    time.sleep(SETTLE_SECONDS)
    assert len(inbox.about(warning_video, "slack-warning")) == 1
    for receiver in ("slack-critical", "pagerduty", "email"):
        assert len(inbox.about(critical_video, receiver)) == 1, receiver


def test_a_slack_webhook_answering_500_does_not_fail_the_delivery_and_is_retried(
    test_stack: StackHandle, warehouse: Warehouse, alertmanager: Alertmanager, receivers: Receivers
) -> None:
    """Alertmanager owns the notification: `alerts send` succeeds, Alertmanager retries the webhook."""
    inbox = receivers.inbox
    inbox.answers["/slack/warning"] = 500
    env = test_stack.db_env(warehouse.dbname, YTEMPIRE_ALERTMANAGER_URL=alertmanager.url)
    sent = run_cli(["alerts", "send", "--json"], env)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    warnings = [a for a in json.loads(sent.stdout)["alerts"] if a["labels"]["severity"] == "warning"]
    assert warnings, "the session's warehouse has a warning at the default budget"
    inbox.wait_for(lambda: "/slack/warning" in inbox.refused, "the warning webhook's first attempt")
    assert not inbox.about("", "slack-warning")
    inbox.answers.pop("/slack/warning")
    entity = warnings[0]["labels"]["entity_id"]
    inbox.wait_for(lambda: inbox.about(entity, "slack-warning"), "the retried warning", timeout=90)


# --------------------------------------------------------------------------- bad input


def one_sentence(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    "url", ["127.0.0.1:9093", "http://", "http://127.0.0.1:port", "ftp://127.0.0.1:9093"]
)
def test_a_malformed_alertmanager_url_is_one_sentence_and_exit_2(
    test_stack: StackHandle, warehouse: Warehouse, url: str
) -> None:
    env = test_stack.db_env(warehouse.dbname, YTEMPIRE_ALERTMANAGER_URL=url)
    sent = run_cli(["alerts", "send"], env)
    assert sent.returncode == errors.EXIT_USAGE, sent.stdout + sent.stderr
    assert "YTEMPIRE_ALERTMANAGER_URL is not an http(s) URL" in one_sentence(sent.stderr)


def test_a_malformed_url_fails_the_refresh_alerts_step_only(
    test_stack: StackHandle, warehouse: Warehouse
) -> None:
    dbname = clone_database(test_stack, warehouse.dbname, "badurl")
    env = test_stack.db_env(
        dbname, YTEMPIRE_REDIS_PREFIX=f"{dbname}:", YTEMPIRE_ALERTMANAGER_URL="localhost:9093"
    )
    done = run_cli(["refresh", "--as-of", AS_OF, "--skip-dbt", "--json"], env)
    assert done.returncode == errors.EXIT_USAGE, done.stdout + done.stderr
    by_name = steps(json.loads(done.stdout))
    assert by_name["warm"]["status"] == "ok" and by_name["alerts"]["status"] == "failed"
    assert "YTEMPIRE_ALERTMANAGER_URL" in by_name["alerts"]["detail"]
    assert "Traceback" not in done.stderr


class Answer500(BaseHTTPRequestHandler):
    def _fail(self) -> None:
        self.send_response(500)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"internal error\nsecond line\n")

    do_GET = do_POST = _fail

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_an_alertmanager_answering_500_is_one_sentence_and_exit_4(
    test_stack: StackHandle, warehouse: Warehouse
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer500)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        sent = run_cli(["alerts", "send"], test_stack.db_env(warehouse.dbname, YTEMPIRE_ALERTMANAGER_URL=url))
    finally:
        server.shutdown()
        server.server_close()
    assert sent.returncode == errors.EXIT_ALERTMANAGER_UNAVAILABLE, sent.stdout + sent.stderr
    assert "HTTP 500" in one_sentence(sent.stderr)


def test_a_route_to_an_unknown_receiver_is_one_sentence_exit_2_and_nothing_written(
    tmp_path: Path, receivers: Receivers
) -> None:
    assert shutil.which("amtool"), "amtool is installed with prometheus-alertmanager (make alerting)"
    project = tmp_path / "project"
    template = project / "deploy" / "alertmanager" / "alertmanager.yml"
    template.parent.mkdir(parents=True)
    shipped = (PROJECT_DIR / "deploy" / "alertmanager" / "alertmanager.yml").read_text()
    routed = shipped.replace("      receiver: critical\n", "      receiver: on-call-typo\n")
    assert routed != shipped
    template.write_text(routed)
    out = tmp_path / "alertmanager.yml"
    out.write_text("# the routing deployed before\n")
    env = dict(routing_env(tmp_path, receivers), YTEMPIRE_PROJECT_DIR=str(project))
    done = run_cli(["alerts", "config", "--out", str(out)], env)
    assert done.returncode == errors.EXIT_USAGE, done.stdout + done.stderr
    assert 'undefined receiver "on-call-typo"' in one_sentence(done.stderr)
    assert out.read_text() == "# the routing deployed before\n"
    assert not list(tmp_path.glob(".alertmanager.yml*")), "the rejected draft is left behind"
