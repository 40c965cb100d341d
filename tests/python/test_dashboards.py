"""The Grafana dashboards as code: the committed provisioning files equal what the code generates,
the dashboards survive the SDK's model, carry the contract's settings and thresholds, every panel's
SQL runs as the reporter role with Grafana's macros and variables expanded, the marts they read agree
with the facts, and `dashboards export` writes no password."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.errors
import pytest
import yaml
from conftest import AS_OF, PROJECT_DIR, StackHandle, Warehouse, clone_database, run_cli, run_dbt

from ytempire_ops import stack
from ytempire_ops.dashboards import DASHBOARDS, channels
from ytempire_ops.dashboards.common import DATASOURCE_TYPE, DATASOURCE_UID, from_json, register, to_json
from ytempire_ops.dashboards.grafana_sql import (
    MacroError,
    PanelQuery,
    Raw,
    TimeRange,
    all_of,
    check_result,
    expand,
    panel_queries,
    query_variables,
)
from ytempire_ops.dashboards.provisioning import DATASOURCE_FILE, PASSWORD_REFERENCE, provisioning_files

DEPLOY = PROJECT_DIR / "deploy" / "grafana"
NOW = datetime.fromisoformat(AS_OF)
UIDS = {
    "executive.json": "ytempire-executive",
    "channel_performance.json": "ytempire-channels",
    "cost_optimization.json": "ytempire-costs",
    "operations.json": "ytempire-operations",
}
# The contract's refresh interval and default range of each dashboard.
SETTINGS = {
    "ytempire-executive": ("5m", "now-7d"),
    "ytempire-channels": ("10m", "now-24h"),
    "ytempire-costs": ("5m", "now-30d"),
    "ytempire-operations": ("1m", "now-24h"),
}


def committed(name: str) -> dict[str, Any]:
    return json.loads((DEPLOY / "dashboards" / name).read_text())


def panel(dashboard: dict[str, Any], title: str) -> dict[str, Any]:
    matches = [p for p in dashboard["panels"] if p["title"] == title]
    assert len(matches) == 1, f"no single panel {title!r}"
    return matches[0]


def steps(p: dict[str, Any]) -> list[tuple[float | None, str]]:
    return [(s["value"], s["color"]) for s in p["fieldConfig"]["defaults"]["thresholds"]["steps"]]


# --------------------------------------------------------------------------- the files and the model


def test_committed_provisioning_files_are_what_the_code_generates() -> None:
    """deploy/grafana cannot drift from ytempire_ops/dashboards: `python scripts/generate_dashboards.py` rewrites it."""
    for relative, content in provisioning_files().items():
        path = DEPLOY / relative
        assert path.exists(), f"{path} is missing: run python scripts/generate_dashboards.py"
        assert path.read_text() == content, f"{path} is stale: run python scripts/generate_dashboards.py"
    on_disk = {p.relative_to(DEPLOY) for p in DEPLOY.rglob("*") if p.is_file()}
    assert on_disk == set(provisioning_files()), "deploy/grafana holds files the code does not generate"
    check = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "generate_dashboards.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout


def test_dashboards_round_trip_through_the_sdk_model_with_stable_uids() -> None:
    register()
    datasource = yaml.safe_load((DEPLOY / DATASOURCE_FILE).read_text())["datasources"][0]
    assert (datasource["uid"], datasource["type"]) == (DATASOURCE_UID, DATASOURCE_TYPE)
    assert datasource["user"] == "reporter"
    assert {spec.file_name: spec.uid for spec in DASHBOARDS} == UIDS
    for spec in DASHBOARDS:
        text = (DEPLOY / "dashboards" / spec.file_name).read_text()
        model = from_json(text)
        assert to_json(model) == text, f"{spec.file_name} does not survive the SDK's model"
        assert to_json(spec.build()) == text  # built twice, the same JSON: uids and panel ids are stable
        dashboard = json.loads(text)
        assert dashboard["uid"] == UIDS[spec.file_name]
        ids = [p["id"] for p in dashboard["panels"]]
        assert ids == list(range(1, len(ids) + 1))
        cells: set[tuple[int, int]] = set()
        for p in dashboard["panels"]:  # on Grafana's 24-column grid, no two panels overlap
            pos = p["gridPos"]
            assert pos["w"] > 0 and pos["h"] > 0 and pos["x"] + pos["w"] <= 24, (spec.file_name, p["title"])
            mine = {
                (x, y)
                for x in range(pos["x"], pos["x"] + pos["w"])
                for y in range(pos["y"], pos["y"] + pos["h"])
            }
            assert not mine & cells, (spec.file_name, p["title"])
            cells |= mine
            assert p["title"] and p.get("description"), (spec.file_name, p["id"])
        refs = [p["datasource"] for p in dashboard["panels"]]
        refs += [t["datasource"] for p in dashboard["panels"] for t in p["targets"]]
        refs += [v["datasource"] for v in (dashboard.get("templating") or {}).get("list") or []]
        assert refs and all(ref == {"type": DATASOURCE_TYPE, "uid": DATASOURCE_UID} for ref in refs)
        for query in panel_queries(dashboard):
            schemas = {word.split(".")[0] for word in query.sql.replace("(", " ").split() if "." in word}
            assert not schemas & {"raw", "staging", "intermediate", "snapshots", "ops", "public"}, query.key


EXPOSURES = {
    "ytempire-executive": "grafana_executive",
    "ytempire-channels": "grafana_channel_performance",
    "ytempire-costs": "grafana_cost_optimization",
    "ytempire-operations": "grafana_operations",
}


def test_each_dashboards_exposure_lists_exactly_the_relations_its_panels_read() -> None:
    """models/marts/reporting/exposures.yml cannot drift from the panels' SQL (`dbt ls --select +exposure:...`)."""
    exposures = {
        e["name"]: e
        for e in yaml.safe_load((PROJECT_DIR / "models/marts/reporting/exposures.yml").read_text())[
            "exposures"
        ]
    }
    for name, uid in UIDS.items():
        dashboard = committed(name)
        texts = [q.sql for q in panel_queries(dashboard)] + [v.query for v in query_variables(dashboard)]
        read = {m for text in texts for m in re.findall(r"analytics\.(\w+)", text)}
        listed = {
            re.fullmatch(r"ref\('(\w+)'\)", ref).group(1) for ref in exposures[EXPOSURES[uid]]["depends_on"]
        }
        assert listed == read, uid
        assert uid in exposures[EXPOSURES[uid]]["description"]


def test_dashboards_have_the_contracts_refresh_range_and_variables() -> None:
    for name, uid in UIDS.items():
        dashboard = committed(name)
        assert (dashboard["refresh"], dashboard["time"]["from"]) == SETTINGS[uid], uid
        assert dashboard["time"]["to"] == "now"
    channel_dashboard = committed("channel_performance.json")
    (variable,) = channel_dashboard["templating"]["list"]
    assert (variable["name"], variable["type"], variable["multi"], variable["includeAll"]) == (
        "channel",
        "query",
        True,
        True,
    )
    ranges = [r["from"] for r in channel_dashboard["timepicker"]["quick_ranges"]]
    assert ranges == ["now-1h", "now-6h", "now-12h", "now-24h", "now-7d", "now-30d"]
    titles = {name: [p["title"] for p in committed(name)["panels"]] for name in UIDS}
    assert len(titles["executive.json"]) == 8
    assert panel(committed("executive.json"), "Revenue vs cost, daily, 30 days")["timeFrom"] == "30d"
    assert {p["type"] for p in committed("executive.json")["panels"]} == {
        "stat",
        "gauge",
        "timeseries",
        "table",
    }


def test_thresholds_are_the_contracts() -> None:
    executive = committed("executive.json")
    assert steps(panel(executive, "Revenue, 7 days")) == [(None, "red"), (5000, "yellow"), (10000, "green")]
    assert steps(panel(executive, "Avg cost per video, 7 days")) == [
        (None, "green"),
        (2.5, "yellow"),
        (3.0, "red"),
    ]
    roi = panel(executive, "ROI, 7 days")
    assert roi["type"] == "gauge"
    assert (roi["fieldConfig"]["defaults"]["min"], roi["fieldConfig"]["defaults"]["max"]) == (0, 500)
    assert steps(roi) == [(None, "red"), (100, "yellow"), (200, "green")]

    costs = committed("cost_optimization.json")
    per_day = panel(costs, "Avg cost per video per day")
    assert steps(per_day) == [(None, "green"), (2.5, "yellow"), (3.0, "red")]
    assert per_day["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] == "line"
    assert "stacking" in json.dumps(panel(costs, "Cost per day by category")["fieldConfig"])
    assert (
        panel(costs, "Cost per day by category")["fieldConfig"]["defaults"]["custom"]["stacking"]["mode"]
        == "normal"
    )
    worst = panel(costs, "Videos at or above $2.50, 7 days")
    assert "order by videos.total_cost_cents desc" in worst["targets"][0]["rawSql"]

    operations = committed("operations.json")
    quota = panel(operations, "API quota used today")
    assert quota["fieldConfig"]["defaults"]["max"] == 10000
    # red once fewer than 1,000 of the 10,000 units are left: 9,001 used (units are whole)
    assert steps(quota) == [(None, "green"), (9001, "red")]
    assert steps(panel(operations, "Newest poll age")) == [(None, "green"), (900, "yellow"), (3600, "red")]


# --------------------------------------------------------------------------- the macro expander


def test_the_expander_gives_grafanas_sql() -> None:
    day = TimeRange.last("24h", NOW)
    assert expand("where $__timeFilter(t.at) and x < $__timeTo()", day) == (
        "where t.at BETWEEN '2026-11-19T12:00:00Z' AND '2026-11-20T12:00:00Z' and x < '2026-11-20T12:00:00Z'"
    )
    assert expand("$__timeFrom()", TimeRange.last("7d", NOW)) == "'2026-11-13T12:00:00Z'"
    assert expand("$__timeGroupAlias(at, '5m')", day) == 'floor(extract(epoch from at)/300)*300 AS "time"'
    assert expand("$__interval $__interval_ms", day) == "1m 60000"
    assert expand("c in ($channel)", day, {"channel": ["UC1", "O'Brien"]}) == "c in ('UC1','O''Brien')"
    with pytest.raises(MacroError):
        expand("$__timeFilterr(x)", day)
    with pytest.raises(MacroError):
        expand("c in ($chanel)", day, {"channel": ["UC1"]})


# --------------------------------------------------------------------------- panels on the warehouse


@pytest.fixture(scope="module")
def dash_db(test_stack: StackHandle, warehouse: Warehouse) -> Iterator[str]:
    """A copy of the warehouse whose run history has a build (through the CLI) and a refresh with steps."""
    assert warehouse.build.returncode == 0, warehouse.build.stdout[-3000:]
    dbname = clone_database(test_stack, warehouse.dbname, "dash")
    env = test_stack.db_env(dbname)
    built = run_cli(["build", "--select", "run_history", "--as-of", AS_OF], env)
    assert built.returncode == 0, built.stdout + built.stderr
    conn = test_stack.connect(dbname)
    with conn.cursor() as cur:
        cur.execute(
            "insert into ops.run_history (run_id, command, argv, started_at, finished_at, status, exit_code, steps)"
            " values (gen_random_uuid(), 'refresh', 'ytempire-ops refresh', now() - interval '10 minutes',"
            " now() - interval '9 minutes', 'ok', 0, %s)",
            (
                json.dumps(
                    [
                        {"name": "dbt", "status": "ok", "seconds": 8.2},
                        {"name": "warm", "status": "ok", "seconds": 0.3},
                    ]
                ),
            ),
        )
    conn.close()
    yield dbname


def reporter(test_stack: StackHandle, dbname: str) -> psycopg2.extensions.connection:
    pg = test_stack.state["postgres"]
    kwargs = dict(stack.builder_kwargs(test_stack.state, dbname))
    kwargs.update(user=pg["reporter_user"], password=pg["reporter_password"])
    conn = psycopg2.connect(**kwargs)
    conn.autocommit = True
    return conn


def variable_values(cur: psycopg2.extensions.cursor, dashboard: dict[str, Any]) -> dict[str, list[str]]:
    """Each query variable's values, as Grafana gets them (the reporter runs the variable's query)."""
    out = {}
    for variable in query_variables(dashboard):
        cur.execute(variable.query)
        columns = [d.name for d in cur.description]
        out[variable.name] = [str(row[columns.index("__value")]) for row in cur.fetchall()]
    return out


def selections(
    cur: psycopg2.extensions.cursor, dashboard: dict[str, Any]
) -> tuple[list[dict[str, Sequence[str] | Raw]], set[str]]:
    """The variable values each panel is run with: every variable at All, then each at its first value alone
    and at its first two; and the variables' names."""
    variables = query_variables(dashboard)
    values = variable_values(cur, dashboard)
    everything: dict[str, Sequence[str] | Raw] = {v.name: all_of(v, values[v.name]) for v in variables}
    out = [everything]
    for variable in variables:
        assert values[variable.name], f"variable {variable.name} has no values"
        out.append({**everything, variable.name: values[variable.name][:1]})
        out.append({**everything, variable.name: values[variable.name][:2]})
    return out, {v.name for v in variables}


def ranges_of(query: PanelQuery, dashboard: dict[str, Any]) -> list[str]:
    """The time ranges a panel is run for: its own, else the dashboard's default and every option."""
    if query.time_from:
        return [query.time_from]
    default = dashboard["time"]["from"].removeprefix("now-")
    return list(dict.fromkeys([default, *channels.TIME_RANGES]))


def run_panel(
    cur: psycopg2.extensions.cursor,
    query: PanelQuery,
    span: str,
    now: datetime,
    variables: dict[str, list[str]],
) -> tuple[list[str], list[tuple[Any, ...]], list[str]]:
    """Run one panel query as Grafana would; (columns, rows, problems)."""
    sql = expand(query.sql, TimeRange.last(span, now), variables)
    try:
        cur.execute(sql)
    except psycopg2.Error as exc:
        return [], [], [f"{query.key} [{span}]: {str(exc).strip().splitlines()[0]}"]
    columns = [d.name for d in cur.description]
    rows = cur.fetchall()
    return columns, rows, check_result(query, columns, rows)


def run_dashboard(
    cur: psycopg2.extensions.cursor, dashboard: dict[str, Any]
) -> tuple[list[str], set[str], int]:
    """Every panel query for every time range, for All and for one channel, at as_of and at the clock's now;
    (problems, the panels that returned rows at least once, queries run)."""
    picks_all, names = selections(cur, dashboard)
    problems: list[str] = []
    with_rows: set[str] = set()
    runs = 0
    for query in panel_queries(dashboard):
        picks = picks_all if any(query.uses(name) for name in names) else picks_all[:1]
        for span in ranges_of(query, dashboard):
            for now in (NOW, datetime.now(UTC)):
                for variables in picks:
                    _, rows, found = run_panel(cur, query, span, now, variables)
                    runs += 1
                    problems += found
                    if rows:
                        with_rows.add(query.key)
    return problems, with_rows, runs


@pytest.mark.parametrize("name", sorted(UIDS))
def test_every_panel_runs_as_the_reporter(test_stack: StackHandle, dash_db: str, name: str) -> None:
    dashboard = committed(name)
    conn = reporter(test_stack, dash_db)
    try:
        with conn.cursor() as cur:
            cur.execute("select current_user")
            assert cur.fetchone()[0] == "reporter"
            problems, with_rows, runs = run_dashboard(cur, dashboard)
    finally:
        conn.close()
    assert not problems, "\n".join(problems)
    keys = {query.key for query in panel_queries(dashboard)}
    assert runs >= len(keys)
    assert with_rows == keys, f"panels that never returned a row: {sorted(keys - with_rows)}"


def test_the_checker_catches_a_broken_panel(test_stack: StackHandle, dash_db: str) -> None:
    """A panel naming a column the query does not return, one querying a missing column, and a time series
    without `time` all fail, as the suite would for a real panel."""
    dashboard = committed("channel_performance.json")
    league = next(q for q in panel_queries(dashboard) if q.title.startswith("Channel league"))
    daily = next(q for q in panel_queries(dashboard) if q.format == "time_series")
    broken = [
        PanelQuery(
            **{**league.__dict__, "sql": league.sql.replace("    rpm_tier\n", "    rpm_usd as rpm_tier_x\n")}
        ),
        PanelQuery(**{**league.__dict__, "sql": league.sql.replace("rpm_tier", "rpm_grade")}),
        PanelQuery(
            **{
                **daily.__dict__,
                "sql": daily.sql.replace(" as time,", " as day,").replace("order by time", "order by day"),
            }
        ),
    ]
    conn = reporter(test_stack, dash_db)
    try:
        with conn.cursor() as cur:
            variables = selections(cur, dashboard)[0][0]
            found = [run_panel(cur, query, "24h", NOW, variables)[2] for query in broken]
    finally:
        conn.close()
    assert "which the query does not return" in " ".join(found[0]) and "rpm_tier" in " ".join(found[0])
    assert "rpm_grade" in " ".join(found[1]) and "does not exist" in " ".join(found[1])
    assert "without a `time` column" in " ".join(found[2])


def test_the_reporter_reads_analytics_only(test_stack: StackHandle, dash_db: str) -> None:
    conn = reporter(test_stack, dash_db)
    try:
        with conn.cursor() as cur:
            cur.execute("select count(*) from analytics.run_history")
            assert cur.fetchone()[0] >= 2  # the build recorded through the CLI and the refresh above
            for relation in ("ops.run_history", "raw.video_costs"):
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cur.execute(f"select 1 from {relation} limit 1")
    finally:
        conn.close()


# --------------------------------------------------------------------------- the marts agree with the facts


def test_the_dashboard_marts_agree_with_the_facts(test_stack: StackHandle, dash_db: str) -> None:
    conn = test_stack.connect(dash_db)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select as_of, as_of_date, window_start_date, revenue_7d_usd, cost_7d_usd, avg_cost_per_video_usd,"
                " videos_produced_7d, active_channels, videos_published_today"
                " from analytics.mart_executive_overview"
            )
            as_of, as_of_date, start, revenue_7d, cost_7d, avg_cost, produced, active, published = (
                cur.fetchone()
            )
            cur.execute(
                "select count(*), min(date_day), max(date_day), count(distinct as_of) from analytics.mart_platform_daily"
            )
            assert cur.fetchone() == (90, as_of_date - timedelta(days=89), as_of_date, 1)
            cur.execute(
                "select round(sum(revenue_cents) / 100.0, 2), round(sum(cost_cents) / 100.0, 2)"
                " from analytics.mart_platform_daily where date_day between %s and %s",
                (start, as_of_date),
            )
            assert cur.fetchone() == (revenue_7d, cost_7d)
            assert revenue_7d > 0 and cost_7d > 0
            # every day against the facts
            cur.execute(
                """
                select count(*) from analytics.mart_platform_daily as daily
                left join (
                    select revenue_date as day, sum(total_revenue_cents) as cents
                    from analytics.fact_revenue group by revenue_date
                ) as revenue on daily.date_day = revenue.day
                left join (
                    select cast(incurred_at at time zone 'UTC' as date) as day, sum(total_cost_cents) as cents
                    from analytics.fact_costs where incurred_at <= %s group by 1
                ) as costs on daily.date_day = costs.day
                where daily.revenue_cents <> coalesce(revenue.cents, 0) or daily.cost_cents <> coalesce(costs.cents, 0)
                """,
                (as_of,),
            )
            assert cur.fetchone()[0] == 0
            cur.execute(
                "select active_channels, videos_published from analytics.mart_platform_daily where date_day = %s",
                (as_of_date,),
            )
            assert cur.fetchone() == (active, published)
            # the cost marts: the executive's videos produced in 7 days, by day and by method
            cur.execute(
                "select sum(videos), round(sum(total_cost_cents) / sum(videos) / 100.0, 2)"
                " from analytics.mart_cost_breakdown_daily where cost_date between %s and %s",
                (start, as_of_date),
            )
            assert cur.fetchone() == (produced, avg_cost)
            cur.execute("select sum(videos) from analytics.mart_cost_by_method_7d")
            assert cur.fetchone()[0] == produced
            cur.execute(
                "select count(*) from analytics.mart_cost_by_method_7d"
                " where not (min_cost_usd <= median_cost_usd and median_cost_usd <= p90_cost_usd"
                " and p90_cost_usd <= max_cost_usd)"
            )
            assert cur.fetchone()[0] == 0
            cur.execute(
                "select sum(videos_under_1 + videos_1_to_2 + videos_2_to_3 + videos_over_3) = sum(videos)"
                " from analytics.mart_cost_breakdown_daily"
            )
            assert cur.fetchone()[0] is True
            cur.execute("select round(sum(total_cost_usd), 2) from analytics.mart_cost_by_provider_7d")
            providers_total = cur.fetchone()[0]
            cur.execute("select round(sum(total_cost_usd), 2) from analytics.mart_cost_by_method_7d")
            assert abs(providers_total - cur.fetchone()[0]) <= 0.01 * 12  # each provider's total rounded once
            # the league: views of the window and of the same window a week earlier
            cur.execute(
                "select sum(views), count(*) filter (where rpm_usd is not null and rpm_tier is null)"
                " from analytics.mart_channel_performance"
            )
            views, untiered = cur.fetchone()
            assert untiered == 0
            cur.execute(
                "select sum(views_gained) from analytics.mart_platform_daily where date_day between %s and %s",
                (start, as_of_date),
            )
            assert cur.fetchone()[0] == views
    finally:
        conn.close()


def test_views_7d_earlier_equal_the_polls_of_the_window_a_week_before(
    test_stack: StackHandle, warehouse: Warehouse
) -> None:
    """At an as_of 5 days after the data's end, the window a week earlier ends on the data's second day at
    12:00: whole days, whole hours and the polls of the last hour all count, as the polls themselves do."""
    dbname = clone_database(test_stack, warehouse.dbname, "earlier")
    later = (NOW + timedelta(days=5)).isoformat()
    built = run_dbt(
        ["run", "--select", "mart_channel_performance", "--vars", f"{{as_of: '{later}'}}"],
        test_stack.db_env(dbname),
    )
    assert built.returncode == 0, built.stdout[-3000:]
    earlier_as_of = NOW + timedelta(days=5) - timedelta(hours=168)
    conn = test_stack.connect(dbname)
    try:
        with conn.cursor() as cur:
            cur.execute(
                """
                with polls as (
                    select channel_id, sum(views_delta) as views
                    from analytics.fact_video_performance
                    where captured_at >= %(start)s and captured_at <= %(end)s
                    group by channel_id
                )
                select channel.channel_id, channel.views_7d_earlier, coalesce(polls.views, 0)
                from analytics.mart_channel_performance as channel
                left join polls on channel.channel_id = polls.channel_id
                """,
                {"start": datetime(2026, 11, 12, tzinfo=UTC), "end": earlier_as_of},
            )
            rows = cur.fetchall()
    finally:
        conn.close()
    assert rows and sum(row[2] for row in rows) > 0
    assert [row for row in rows if row[1] != row[2]] == []


# --------------------------------------------------------------------------- export


def export_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YTEMPIRE_", "DBT_"))}
    env.update({"YTEMPIRE_PROJECT_DIR": str(PROJECT_DIR), "YTEMPIRE_HOME": str(tmp_path / "home")})
    env.update(overrides)
    return env


def test_export_writes_the_provisioning_set_without_a_password(tmp_path: Path) -> None:
    secret, reporter_secret = "s3cret-builder-pw", "s3cret-reporter-pw"
    env = export_env(
        tmp_path,
        YTEMPIRE_PG_HOST="db.internal",
        YTEMPIRE_PG_PORT="6543",
        YTEMPIRE_PG_DBNAME="warehouse",
        YTEMPIRE_PG_PASSWORD=secret,
        YTEMPIRE_REPORTER_PASSWORD=reporter_secret,
        YTEMPIRE_TARGET="prod",
    )
    out = tmp_path / "grafana"
    result = run_cli(["dashboards", "export", "--out", str(out)], env)
    assert result.returncode == 0, result.stdout + result.stderr
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert {p.relative_to(out) for p in files} == set(provisioning_files())
    for path in files:
        text = path.read_text()
        assert secret not in text and reporter_secret not in text, path
    assert secret not in result.stdout + result.stderr
    datasource = yaml.safe_load((out / DATASOURCE_FILE).read_text())["datasources"][0]
    assert datasource["url"] == "db.internal:6543"
    assert datasource["jsonData"]["database"] == "warehouse"
    assert datasource["jsonData"]["sslmode"] == "require"
    assert datasource["secureJsonData"] == {"password": PASSWORD_REFERENCE}
    for spec in DASHBOARDS:
        assert (out / "dashboards" / spec.file_name).read_text() == (
            DEPLOY / "dashboards" / spec.file_name
        ).read_text()


def test_export_to_a_directory_it_cannot_write_is_one_sentence_and_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = run_cli(["dashboards", "export", "--out", str(blocker / "grafana")], export_env(tmp_path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: cannot write the dashboards to"), result.stderr
