"""`ytempire-ops report daily|weekly|monthly` against the session's warehouse (a copy of it: the runs
are recorded in its ops.run_history).

Every figure and table cell of a report carries the mart's value (`data-figure` / `data-field` with
`data-value`); each is compared with SQL on the marts at the same as_of. The pages are opened in
headless Chromium (Debian's /usr/bin/chromium driven by Playwright) and e-mailed to a real SMTP
server (aiosmtpd), which also refuses a login, offers no STARTTLS or is not there at all.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import html.parser
import io
import json
import re
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2.extensions
import psycopg2.extras
import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import AS_OF, PROJECT_DIR, StackHandle, Warehouse, clone_database, run_cli

from ytempire_ops import errors
from ytempire_ops.config import Settings
from ytempire_ops.reports.data import Kind, load

# The test's SMTP server takes a login over plain SMTP (security "none"), as a local relay would.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

AS_OF_DATE = datetime.fromisoformat(AS_OF).date()
CHROMIUM = Path("/usr/bin/chromium")
SMTP_USER, SMTP_PASSWORD = "reports", "smtp-report-password-for-tests"
RECIPIENTS = ("analyst@ytempire.test", "cfo@ytempire.test")
SUBJECT = "YTEMPIRE daily report \N{EM DASH} 2026-11-20"


# --------------------------------------------------------------------------- the reports, parsed


@dataclass
class Page:
    """What a report page says: figures by name, table rows (field -> data-value) by table, charts."""

    figures: dict[str, str] = field(default_factory=dict)
    tables: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    keys: dict[str, list[str]] = field(default_factory=dict)
    charts: dict[str, int] = field(default_factory=dict)
    body: dict[str, str] = field(default_factory=dict)


class PageParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = Page()
        self.row: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "body":
            self.page.body = a
        if "data-figure" in a:
            self.page.figures[a["data-figure"]] = a["data-value"]
        if "data-chart" in a:
            self.page.charts[a["data-chart"]] = int(a["data-points"])
        if tag == "table" and "data-table" in a:
            self.page.tables.setdefault(a["data-table"], [])
        if tag == "tr" and "data-row" in a:
            self.row = {}
            self.page.tables.setdefault(a["data-row"], []).append(self.row)
            if "data-key" in a:
                self.page.keys.setdefault(a["data-row"], []).append(a["data-key"])
        if tag == "td" and self.row is not None and "data-field" in a:
            self.row[a["data-field"]] = a["data-value"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self.row = None


def parse(text: str) -> Page:
    parser = PageParser()
    parser.feed(text)
    return parser.page


def value(shown: str, expected: Any) -> bool:
    """Whether a page's data-value is the SQL value."""
    if expected is None:
        return shown == "null"
    if isinstance(expected, bool):
        return shown == str(expected).lower()
    if isinstance(expected, int | Decimal | float):
        return shown != "null" and Decimal(shown) == Decimal(str(expected))
    if isinstance(expected, datetime | date):
        return shown == expected.isoformat()
    return shown == str(expected)


def assert_figures(page: Page, expected: dict[str, Any]) -> None:
    wrong = {
        name: (page.figures.get(name), want)
        for name, want in expected.items()
        if name not in page.figures or not value(page.figures[name], want)
    }
    assert not wrong, f"figures (page, marts): {wrong}"


def assert_rows(page: Page, table: str, expected: list[dict[str, Any]]) -> None:
    rows = page.tables.get(table)
    assert rows is not None, f"no table {table}"
    assert len(rows) == len(expected), (table, len(rows), len(expected))
    for shown, want in zip(rows, expected, strict=True):
        wrong = {k: (shown.get(k), v) for k, v in want.items() if k in shown and not value(shown[k], v)}
        assert not wrong, f"{table}: {wrong}"
        missing = set(shown) - set(want)
        assert not missing, f"{table}: fields not checked {missing}"


# --------------------------------------------------------------------------- fixtures


@dataclass
class Reports:
    test_stack: StackHandle
    dbname: str
    env: dict[str, str]
    out: Path
    pages: dict[str, Path] = field(default_factory=dict)

    def sql(self, query: str, params: Any = ()) -> list[dict[str, Any]]:
        conn = self.test_stack.connect(self.dbname)
        try:
            with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
                cur.execute(query, params)
                return [dict(row) for row in cur.fetchall()]
        finally:
            conn.close()

    def one(self, query: str, params: Any = ()) -> dict[str, Any]:
        (row,) = self.sql(query, params)
        return row


@pytest.fixture(scope="module")
def reports(
    test_stack: StackHandle, warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory
) -> Reports:
    assert warehouse.build.returncode == 0, warehouse.build.stdout[-3000:]
    dbname = clone_database(test_stack, warehouse.dbname, "reports")
    out = tmp_path_factory.mktemp("reports")
    env = test_stack.db_env(dbname)
    found = Reports(test_stack, dbname, env, out)
    for kind in ("daily", "weekly", "monthly"):
        path = out / f"{kind}.html"
        done = run_cli(["report", kind, "--out", str(path)], env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.strip() == str(path)
        found.pages[kind] = path
    return found


def page(reports: Reports, kind: str) -> Page:
    return parse(reports.pages[kind].read_text())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mailbox:
    messages: list[tuple[list[str], email.message.EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    """A plain SMTP server (no STARTTLS) that requires a login."""
    mailbox = Mailbox()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield mailbox, controller.port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (openssl), the relay's "private CA"."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is missing: no certificate for the TLS relay")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "relay.pem", directory / "relay.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(params=["starttls", "ssl"])
def tls_smtp(
    request: pytest.FixtureRequest, certificate: tuple[Path, Path]
) -> Iterator[tuple[Mailbox, int, str]]:
    """A relay that requires a login over TLS: STARTTLS on a plain port, or TLS from the start."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    mailbox = Mailbox()
    # aiosmtpd does not count TLS from the start as TLS for its AUTH rule: the connection is TLS anyway.
    tls = (
        {"tls_context": context, "require_starttls": True}
        if request.param == "starttls"
        else {"ssl_context": context, "auth_require_tls": False}
    )
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticator,
        auth_required=True,
        server_hostname="127.0.0.1",
        **tls,
    )
    controller.start()
    try:
        yield mailbox, controller.port, request.param
    finally:
        controller.stop()


def mail_env(reports: Reports, port: int, **overrides: str) -> dict[str, str]:
    return {
        **reports.env,
        "YTEMPIRE_SMTP_HOST": "127.0.0.1",
        "YTEMPIRE_SMTP_PORT": str(port),
        "YTEMPIRE_SMTP_SECURITY": "none",
        "YTEMPIRE_SMTP_USER": SMTP_USER,
        "YTEMPIRE_SMTP_PASSWORD": SMTP_PASSWORD,
        "YTEMPIRE_SMTP_FROM": "reports@ytempire.test",
        "YTEMPIRE_REPORT_RECIPIENTS": ", ".join(RECIPIENTS),
        **overrides,
    }


def one_sentence(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in done.stderr, done.stderr
    return lines[0]


# --------------------------------------------------------------------------- figures against the marts


def test_daily_figures_are_the_marts(reports: Reports) -> None:
    shown = page(reports, "daily")
    overview = reports.one("select * from analytics.mart_executive_overview")
    assert shown.body["data-as-of"] == overview["as_of"].isoformat()
    assert_figures(
        shown,
        {
            name: overview[name]
            for name in (
                "revenue_7d_usd",
                "cost_7d_usd",
                "profit_7d_usd",
                "roi_7d_pct",
                "videos_published_today",
                "videos_published_7d",
                "avg_cost_per_video_usd",
                "active_channels",
                "users_at_goal",
            )
        },
    )
    yesterday = reports.one(
        "select * from analytics.mart_platform_daily where date_day = %s", (AS_OF_DATE - timedelta(days=1),)
    )
    assert_figures(
        shown,
        {
            "yesterday_revenue_usd": yesterday["revenue_usd"],
            "yesterday_profit_usd": yesterday["profit_usd"],
            "yesterday_videos_published": yesterday["videos_published"],
        },
    )
    assert shown.charts["revenue_vs_cost_30d"] == 30
    assert shown.charts["cost_by_category"] == 5

    # the channel tables: top and bottom 10 by profit
    columns = set(shown.tables["top_channels"][0]) - {"channel_id"}
    select = ", ".join(["channel_id", *sorted(columns)])
    top = reports.sql(
        f"select {select} from analytics.mart_channel_performance order by profit_rank, channel_id limit 10"
    )
    bottom = reports.sql(
        f"select {select} from analytics.mart_channel_performance"
        " order by profit_rank desc, channel_id desc limit 10"
    )
    assert {"profit_usd", "revenue_usd", "views", "rpm_tier", "views_change_pct"} <= columns
    for table, rows in (("top_channels", top), ("bottom_channels", bottom)):
        assert_rows(shown, table, [{k: v for k, v in row.items() if k != "channel_id"} for row in rows])
    assert [float(r["profit_usd"]) for r in shown.tables["top_channels"]] == sorted(
        (float(r["profit_usd"]) for r in shown.tables["top_channels"]), reverse=True
    )

    # cost analysis: per category over the videos produced in the 7 days, per method, over $2.50 / $3.00
    window = {"start": overview["window_start_date"], "as_of": overview["as_of"]}
    produced = reports.one(
        "select count(*) as videos,"
        " round(avg(ai_cost_cents) / 100, 2) as ai, round(sum(ai_cost_cents) / 100, 2) as ai_total,"
        " round(avg(compute_cost_cents) / 100, 2) as compute,"
        " round(sum(compute_cost_cents) / 100, 2) as compute_total"
        " from analytics.mart_video_economics"
        " where first_cost_incurred_at >= cast(%(start)s as timestamp) at time zone 'UTC'"
        " and first_cost_incurred_at <= %(as_of)s",
        window,
    )
    assert produced["videos"] == overview["videos_produced_7d"]
    assert_figures(shown, {"videos_produced_7d": produced["videos"]})
    categories = {row["category"]: row for row in shown.tables["cost_by_category"]}
    assert list(categories) == ["ai", "api", "compute", "storage", "bandwidth"]
    for name in ("ai", "compute"):
        assert value(categories[name]["avg_per_video_usd"], produced[name])
        assert value(categories[name]["total_usd"], produced[f"{name}_total"])
    assert_rows(
        shown,
        "cost_by_method",
        reports.sql(
            "select generation_method, videos, avg_cost_usd, median_cost_usd, p90_cost_usd, min_cost_usd,"
            " max_cost_usd from analytics.mart_cost_by_method_7d order by generation_method"
        ),
    )
    costed = (
        "from analytics.mart_video_economics where last_cost_incurred_at >= "
        "cast(%(start)s as timestamp) at time zone 'UTC' and last_cost_incurred_at <= %(as_of)s"
    )
    over = reports.one(
        "select count(*) filter (where total_cost_cents >= 250) as warning,"
        " count(*) filter (where total_cost_cents >= 300) as critical " + costed,
        window,
    )
    alerts = reports.one(
        "select count(*) filter (where alert_type = 'VideoCostWarning') as warning,"
        " count(*) filter (where alert_type = 'CriticalVideoCost') as critical from analytics.mart_alerts"
    )
    assert (
        over["critical"] == alerts["critical"] and over["warning"] == alerts["warning"] + alerts["critical"]
    )
    assert_figures(shown, {"videos_at_warning": over["warning"], "videos_at_critical": over["critical"]})
    assert over["warning"] > 0, "the generated data has videos over $2.50"
    assert_rows(
        shown,
        "costliest_videos",
        reports.sql(
            "select video_id, title, channel_id, generation_method,"
            " round(total_cost_cents / 100, 2) as total_cost_usd, cost_alert_level "
            + costed
            + " and total_cost_cents >= 250 order by total_cost_cents desc, video_id limit 10",
            window,
        ),
    )

    pipeline = reports.one("select * from analytics.mart_pipeline_status")
    assert_figures(
        shown,
        {
            f"pipeline_{name}": pipeline[name]
            for name in ("health", "queued", "processing", "completed", "failed")
        }
        | {
            "pipeline_failure_rate": pipeline["failure_rate"],
            "pipeline_avg_completion_minutes": pipeline["avg_completion_minutes"],
        },
    )

    open_alerts = reports.sql("select alert_type, entity_id, severity from analytics.mart_alerts")
    history = reports.one(
        "select count(*) filter (where opened_at > %(as_of)s - interval '24 hours' and opened_at <= %(as_of)s)"
        " as opened, count(*) filter (where resolved_at > %(as_of)s - interval '24 hours'"
        " and resolved_at <= %(as_of)s) as resolved from analytics.alert_history",
        window,
    )
    assert_figures(
        shown,
        {
            "alerts_open": len(open_alerts),
            "alerts_open_critical": sum(a["severity"] == "critical" for a in open_alerts),
            "alerts_opened_24h": history["opened"],
            "alerts_resolved_24h": history["resolved"],
        },
    )
    assert {(r["alert_type"], r["entity_id"]) for r in shown.tables["open_alerts"]} == {
        (a["alert_type"], a["entity_id"]) for a in open_alerts
    }
    assert len(shown.tables["alerts_opened_24h"]) == history["opened"]


PERIOD = """
select round(sum(revenue_cents) / 100, 2) as revenue_usd, round(sum(cost_cents) / 100, 2) as cost_usd,
       round((sum(revenue_cents) - sum(cost_cents)) / 100, 2) as profit_usd,
       sum(views_gained) as views_gained, sum(videos_published) as videos_published,
       round((sum(revenue_cents) - sum(cost_cents)) / nullif(sum(cost_cents), 0) * 100, 2) as roi_pct
from analytics.mart_platform_daily where date_day between %s and %s
"""


def test_weekly_figures_are_the_marts(reports: Reports) -> None:
    shown = page(reports, "weekly")
    week = reports.one(PERIOD, (AS_OF_DATE - timedelta(days=6), AS_OF_DATE))
    before = reports.one(PERIOD, (AS_OF_DATE - timedelta(days=13), AS_OF_DATE - timedelta(days=7)))
    overview = reports.one(
        "select revenue_7d_usd, cost_7d_usd, profit_7d_usd, roi_7d_pct, videos_published_7d"
        " from analytics.mart_executive_overview"
    )
    # the mart's 7 days are the overview's window: the weekly and the daily report say the same
    assert (week["revenue_usd"], week["cost_usd"], week["profit_usd"], week["roi_pct"]) == (
        overview["revenue_7d_usd"],
        overview["cost_7d_usd"],
        overview["profit_7d_usd"],
        overview["roi_7d_pct"],
    )
    assert week["videos_published"] == overview["videos_published_7d"]
    assert_figures(
        shown,
        {
            "week_revenue_usd": week["revenue_usd"],
            "week_views_gained": week["views_gained"],
            "week_cost_usd": week["cost_usd"],
            "week_roi_pct": week["roi_pct"],
        },
    )
    metrics = ["revenue_usd", "cost_usd", "profit_usd", "roi_pct", "views_gained", "videos_published"]
    assert shown.keys["week_over_week"] == metrics
    for metric, row in zip(metrics, shown.tables["week_over_week"], strict=True):
        assert value(row["current"], week[metric]), metric
        assert value(row["previous"], before[metric] if before[metric] is not None else 0) or (
            metric == "roi_pct" and row["previous"] == "null"
        ), metric

    columns = set(shown.tables["top_channels"][0]) - {"channel_id"}
    select = ", ".join(["channel_id", *sorted(columns)])
    top = reports.sql(
        f"select {select} from analytics.mart_channel_performance order by revenue_rank, channel_id limit 10"
    )
    assert_rows(shown, "top_channels", [{k: v for k, v in row.items() if k != "channel_id"} for row in top])
    assert_rows(
        shown,
        "top_videos",
        reports.sql(
            "select video_id, title, channel_id, round(total_revenue_cents / 100, 2) as revenue_usd,"
            " round(total_cost_cents / 100, 2) as cost_usd, roi_pct from analytics.mart_video_economics"
            " where published_at >= cast(%s as timestamp) at time zone 'UTC'"
            " and published_at <= %s order by total_revenue_cents desc, video_id limit 10",
            (AS_OF_DATE - timedelta(days=6), datetime.fromisoformat(AS_OF)),
        ),
    )
    trend = reports.sql(
        "select cost_date, sum(videos) as videos, sum(total_cost_usd) as total_cost_usd,"
        " round(sum(total_cost_usd) / nullif(sum(videos), 0), 2) as avg_cost_per_video_usd"
        " from analytics.mart_cost_breakdown_daily where cost_date between %s and %s"
        " group by cost_date order by cost_date desc",
        (AS_OF_DATE - timedelta(days=27), AS_OF_DATE),
    )
    assert trend, "the cost breakdown has days"
    assert_rows(shown, "cost_trend", trend)
    assert shown.charts["cost_per_video_trend"] == len(trend)


def test_monthly_figures_are_the_marts(reports: Reports) -> None:
    shown = page(reports, "monthly")
    month = reports.one(PERIOD, (AS_OF_DATE.replace(day=1), AS_OF_DATE))
    users = reports.one(
        "select count(*) as users, count(*) filter (where is_active) as active_users,"
        " count(*) filter (where current_month_revenue_usd >= 1000) as users_at_1000,"
        " count(*) filter (where current_month_revenue_usd >= 5000) as users_at_5000,"
        " count(*) filter (where current_month_revenue_usd >= 10000) as users_at_10000,"
        " count(*) filter (where is_at_goal) as users_at_goal from analytics.mart_user_revenue_tracking"
    )
    overview = reports.one("select active_channels, total_channels from analytics.mart_executive_overview")
    assert_figures(
        shown,
        {
            **users,
            **overview,
            "month_videos_published": month["videos_published"],
            "month_revenue_usd": month["revenue_usd"],
            "month_cost_usd": month["cost_usd"],
            "month_profit_usd": month["profit_usd"],
            "month_roi_pct": month["roi_pct"],
        },
    )
    assert shown.keys["month_growth"][0] == "revenue_usd"
    assert_rows(
        shown,
        "top_users",
        reports.sql(
            "select user_id::text as user_id, subscription_tier, channel_count, current_month_revenue_usd,"
            " target_monthly_revenue_usd, goal_progress_pct from analytics.mart_user_revenue_tracking"
            " order by current_month_revenue_usd desc, user_id limit 10"
        ),
    )


@dataclass
class LoggedSettings(Settings):
    """Settings whose connections log every statement they run (psycopg2's LoggingConnection)."""

    log: io.StringIO = field(default_factory=io.StringIO)

    def connect(
        self, dbname: str | None = None, autocommit: bool = False, statement_timeout: float | None = None
    ) -> psycopg2.extensions.connection:
        conn = psycopg2.connect(
            connection_factory=psycopg2.extras.LoggingConnection, **self.pg_kwargs(dbname)
        )
        conn.initialize(self.log)
        return conn


@pytest.mark.parametrize("kind", list(Kind))
def test_each_reports_exposure_lists_the_relations_it_reads(reports: Reports, kind: Kind) -> None:
    settings = dataclasses.replace(
        LoggedSettings.from_state(reports.test_stack.state, reports.test_stack.home), pg_dbname=reports.dbname
    )
    load(settings, kind)
    read = set(re.findall(r"analytics\.(\w+)", settings.log.getvalue()))
    exposures = yaml.safe_load((PROJECT_DIR / "models/marts/reporting/_reports__exposures.yml").read_text())
    (exposure,) = [e for e in exposures["exposures"] if e["name"] == f"{kind.value}_report"]
    listed = {re.fullmatch(r"ref\('(\w+)'\)", ref).group(1) for ref in exposure["depends_on"]}
    assert read == listed


# --------------------------------------------------------------------------- the page in a browser


@pytest.mark.parametrize("kind", ["daily", "weekly", "monthly"])
def test_the_page_renders_in_chromium_without_errors(reports: Reports, kind: str) -> None:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing (apt-get install chromium)")
    from PIL import Image, ImageStat
    from playwright.sync_api import sync_playwright

    path = reports.pages[kind]
    text = path.read_text()
    assert "<script" not in text.lower()
    assert "http://" not in text and "https://" not in text, "the page names no external URL"
    assert text.count("<svg") >= (2 if kind == "daily" else 1)
    problems: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            view = browser.new_page(viewport={"width": 1000, "height": 900})
            view.on(
                "console",
                lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
            )
            view.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            view.on("requestfailed", lambda r: problems.append(f"failed request: {r.url}"))
            view.on("request", lambda r: requests.append(r.url))
            view.goto(path.as_uri(), wait_until="load")
            png = view.screenshot(full_page=True)
            title = view.title()
            shown = view.locator("[data-figure]").count()
            svg_width = view.locator("figure.chart svg").first.bounding_box()
        finally:
            browser.close()
    assert not problems, problems
    assert requests == [path.as_uri()], requests
    assert title.startswith(f"YTEMPIRE {kind} report")
    assert shown >= 4
    assert svg_width is not None and svg_width["width"] > 500 and svg_width["height"] > 150
    image = Image.open(io.BytesIO(png)).convert("L")
    assert image.height > 900
    assert ImageStat.Stat(image).stddev[0] > 10, "the screenshot is not blank"
    colours = Image.open(io.BytesIO(png)).convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50


def test_text_part_and_json_output(reports: Reports, tmp_path: Path) -> None:
    done = run_cli(["report", "daily", "--out", str(tmp_path / "d.html"), "--json"], reports.env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["path"] == str(tmp_path / "d.html") and result["subject"] == SUBJECT
    overview = reports.one(
        "select revenue_7d_usd, videos_published_today from analytics.mart_executive_overview"
    )
    assert Decimal(result["figures"]["revenue_7d_usd"]) == overview["revenue_7d_usd"]
    assert result["figures"]["videos_published_today"] == overview["videos_published_today"]
    assert [step["name"] for step in result["steps"]] == ["read", "render", "write"]


# --------------------------------------------------------------------------- e-mail


def test_the_report_is_emailed_with_text_and_html(
    reports: Reports, smtp: tuple[Mailbox, int], tmp_path: Path
) -> None:
    mailbox, port = smtp
    path = tmp_path / "mailed.html"
    done = run_cli(["report", "daily", "--out", str(path), "--email"], mail_env(reports, port))
    assert done.returncode == 0, done.stdout + done.stderr
    assert SMTP_PASSWORD not in done.stdout + done.stderr
    assert len(mailbox.messages) == 1
    recipients, message = mailbox.messages[0]
    assert recipients == list(RECIPIENTS)
    assert str(message["Subject"]) == SUBJECT
    assert str(message["From"]) == "reports@ytempire.test"
    assert message.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_content() for part in message.iter_parts()}
    assert list(parts) == ["text/plain", "text/html"]
    # the same page, line ends as SMTP carries them
    assert parts["text/html"].replace("\r\n", "\n").rstrip("\n") == path.read_text().rstrip("\n")
    assert SUBJECT in parts["text/plain"] and "Executive summary" in parts["text/plain"]
    revenue = reports.one("select revenue_7d_usd from analytics.mart_executive_overview")["revenue_7d_usd"]
    assert f"${revenue:,.2f}" in parts["text/plain"]
    (run,) = reports.sql(
        "select status, exit_code, as_of, steps from ops.run_history where command = 'report'"
        " and argv like %s",
        (f"%{path}%",),
    )
    assert run["status"] == "ok" and run["exit_code"] == 0
    assert run["as_of"] == datetime.fromisoformat(AS_OF)
    assert [step["name"] for step in run["steps"]] == ["read", "render", "write", "email"]


def test_the_report_is_emailed_over_tls_with_a_login(
    reports: Reports, tls_smtp: tuple[Mailbox, int, str], certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    mailbox, port, security = tls_smtp
    path = tmp_path / f"{security}.html"
    env = mail_env(reports, port, YTEMPIRE_SMTP_SECURITY=security, YTEMPIRE_SMTP_CA_FILE=str(certificate[0]))
    done = run_cli(["report", "weekly", "--out", str(path), "--email"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    (recipients, message), *more = mailbox.messages
    assert not more and recipients == list(RECIPIENTS)
    assert str(message["Subject"]) == "YTEMPIRE weekly report \N{EM DASH} 2026-11-20"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]

    wrong = run_cli(
        ["report", "weekly", "--out", str(path), "--email"],
        {**env, "YTEMPIRE_SMTP_PASSWORD": "not-the-password"},
    )
    assert wrong.returncode == 6, wrong.stdout + wrong.stderr
    assert "refused the login of 'reports'" in one_sentence(wrong)
    assert "not-the-password" not in wrong.stdout + wrong.stderr

    untrusted = run_cli(
        ["report", "weekly", "--out", str(path), "--email"], {**env, "YTEMPIRE_SMTP_CA_FILE": ""}
    )
    assert untrusted.returncode == 6, untrusted.stdout + untrusted.stderr
    assert "CERTIFICATE_VERIFY_FAILED" in one_sentence(untrusted) or "certificate" in untrusted.stderr
    assert len(mailbox.messages) == 1


def test_a_refused_login_is_exit_6_and_the_file_is_written(
    reports: Reports, smtp: tuple[Mailbox, int], tmp_path: Path
) -> None:
    mailbox, port = smtp
    path = tmp_path / "refused.html"
    done = run_cli(
        ["report", "daily", "--out", str(path), "--email"],
        mail_env(reports, port, YTEMPIRE_SMTP_PASSWORD="not-the-password"),
    )
    assert done.returncode == errors.EXIT_SMTP_UNAVAILABLE == 6, done.stdout + done.stderr
    line = one_sentence(done)
    assert "refused the login of 'reports'" in line and "535" in line, line
    assert "not-the-password" not in done.stdout + done.stderr
    assert path.read_text().startswith("<!DOCTYPE html>")
    assert done.stdout.strip() == str(path)
    assert mailbox.messages == []
    (run,) = reports.sql(
        "select status, exit_code, error from ops.run_history where command = 'report' and argv like %s",
        (f"%{path}%",),
    )
    assert run["status"] == "warn" and run["exit_code"] == 6 and "refused the login" in run["error"]


def test_starttls_not_offered_is_exit_6(reports: Reports, smtp: tuple[Mailbox, int], tmp_path: Path) -> None:
    mailbox, port = smtp
    path = tmp_path / "tls.html"
    done = run_cli(
        ["report", "weekly", "--out", str(path), "--email"],
        mail_env(reports, port, YTEMPIRE_SMTP_SECURITY="starttls"),
    )
    assert done.returncode == 6, done.stdout + done.stderr
    assert "does not offer STARTTLS" in one_sentence(done)
    assert path.exists() and mailbox.messages == []


def test_an_unreachable_smtp_server_is_exit_6(reports: Reports, tmp_path: Path) -> None:
    path = tmp_path / "unreachable.html"
    port = free_port()
    done = run_cli(["report", "monthly", "--out", str(path), "--email"], mail_env(reports, port))
    assert done.returncode == 6, done.stdout + done.stderr
    assert f"cannot reach the SMTP server at 127.0.0.1:{port}" in one_sentence(done)
    assert path.exists()


@pytest.mark.parametrize(
    ("recipients", "says"),
    [
        ("", "YTEMPIRE_REPORT_RECIPIENTS is empty"),
        (" , ", "is empty"),
        ("analyst@ytempire.test, not-an-address", "malformed"),
    ],
)
def test_bad_recipients_stop_before_connecting(
    reports: Reports, tmp_path: Path, recipients: str, says: str
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        path = tmp_path / "nobody.html"
        done = run_cli(
            ["report", "daily", "--out", str(path), "--email"],
            mail_env(reports, listener.getsockname()[1], YTEMPIRE_REPORT_RECIPIENTS=recipients),
        )
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing connected
    assert done.returncode == 2, done.stdout + done.stderr
    assert says in one_sentence(done)
    assert path.exists(), "the report is kept even when it cannot be sent"


# --------------------------------------------------------------------------- bad input


def test_an_unknown_kind_is_a_usage_error(reports: Reports) -> None:
    done = run_cli(["report", "yearly"], reports.env)
    assert done.returncode == 2
    assert "yearly" in done.stderr and "daily" in done.stderr and "Traceback" not in done.stderr


def test_as_of_before_any_data_says_there_is_no_data(reports: Reports, tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    done = run_cli(
        ["report", "daily", "--as-of", "2020-01-01T00:00:00+00:00", "--out", str(path)], reports.env
    )
    assert done.returncode == 0, done.stderr
    assert "no data at or before 2020-01-01T00:00:00+00:00" in done.stderr
    shown = parse(path.read_text())
    assert shown.figures == {"no_data": "true"}
    assert "The warehouse has no data at or before 2020-01-01T00:00:00+00:00" in path.read_text()


def test_another_as_of_than_the_marts_is_a_bad_value(reports: Reports, tmp_path: Path) -> None:
    path = tmp_path / "other.html"
    done = run_cli(
        ["report", "daily", "--as-of", "2026-11-19T12:00:00+00:00", "--out", str(path)], reports.env
    )
    assert done.returncode == 2
    assert "the marts are built at 2026-11-20T12:00:00+00:00" in one_sentence(done)
    assert not path.exists()
    same = run_cli(["report", "daily", "--as-of", AS_OF, "--out", str(path)], reports.env)
    assert same.returncode == 0 and path.exists(), same.stderr


def test_the_default_file_is_under_the_state_directory(reports: Reports) -> None:
    done = run_cli(["report", "weekly"], reports.env)
    assert done.returncode == 0, done.stderr
    expected = Path(reports.env["YTEMPIRE_HOME"]) / "reports" / "weekly-2026-11-20.html"
    assert done.stdout.strip() == str(expected) and expected.exists()
    elsewhere = reports.out / "elsewhere"
    moved = run_cli(["report", "weekly"], {**reports.env, "YTEMPIRE_REPORT_DIR": str(elsewhere)})
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.strip() == str(elsewhere / "weekly-2026-11-20.html")
