"""`ytempire-ops doctor`: is everything the warehouse needs reachable and sane?"""

from __future__ import annotations

from contextlib import closing
from typing import Any

import psycopg2
import redis

from ytempire_ops.config import Settings
from ytempire_ops.errors import UserError, first_line
from ytempire_ops.findings import Finding, Level, Report
from ytempire_ops.redact import redact, redact_url

OK, WARN, FAIL = Level.OK, Level.WARN, Level.ERROR


# The doctor's word for a finding: Check(name, level, detail, fix).
Check = Finding


class DoctorReport(Report):
    """What the doctor found; JSON {"ok", "checks": [{"name", "level": OK|WARN|FAIL, "detail", "fix"}]}."""

    @property
    def checks(self) -> list[Finding]:
        return self.findings

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "checks": [
                {"name": f.name, "level": f.level.doctor_word, "detail": f.detail, "fix": f.fix}
                for f in self.checks
            ],
        }


def check_postgres(settings: Settings, report: DoctorReport) -> None:
    where = f"{settings.pg_host}:{settings.pg_port}/{settings.pg_dbname} as {settings.pg_user}"
    try:
        conn = settings.connect(autocommit=True)
    except psycopg2.Error as exc:
        report.checks.append(
            Check(
                "postgres",
                FAIL,
                f"cannot connect to {where}: {redact(first_line(exc), settings.secrets())}",
                "Start the local stack with `ytempire-ops local up`, or set YTEMPIRE_PG_* to a reachable server.",
            )
        )
        report.checks.append(
            Check("timescaledb", FAIL, "not checked: PostgreSQL is unreachable", "Fix PostgreSQL first.")
        )
        return
    with closing(conn), conn.cursor() as cur:
        cur.execute("show server_version")
        version = cur.fetchone()[0]
        report.checks.append(Check("postgres", OK, f"PostgreSQL {version} at {where}"))
        cur.execute("select extversion from pg_extension where extname = 'timescaledb'")
        row = cur.fetchone()
        if row is None:
            report.checks.append(
                Check(
                    "timescaledb",
                    WARN,
                    "extension not installed in this database: facts build as plain tables",
                    "Run `make timescaledb`, then `ytempire-ops local down && ytempire-ops local up`.",
                )
            )
        else:
            cur.execute("select current_setting('timescaledb.license', true)")
            license_ = cur.fetchone()[0]
            if license_ == "timescale":
                report.checks.append(Check("timescaledb", OK, f"TimescaleDB {row[0]}, license timescale"))
            else:
                report.checks.append(
                    Check(
                        "timescaledb",
                        WARN,
                        f"TimescaleDB {row[0]}, license {license_}: compression, policies and continuous "
                        "aggregates are unavailable; retention runs through drop_chunks",
                        "Use Timescale's community build ('timescale' license) in production.",
                    )
                )
            report.checks.extend(hypertable_checks(cur))


def hypertable_checks(cur: Any) -> list[Check]:
    """One line per hypertable: chunk interval, chunk count, compression and jobs (timescaledb_information)."""
    cur.execute(
        """
        select h.hypertable_schema || '.' || h.hypertable_name,
               d.column_name, d.time_interval::text, h.num_chunks, h.compression_enabled,
               coalesce((select string_agg(j.proc_name || ' ' || coalesce(j.config::text, ''), '; ' order by j.job_id)
                         from timescaledb_information.jobs as j
                         where j.hypertable_schema = h.hypertable_schema
                           and j.hypertable_name = h.hypertable_name), 'none')
        from timescaledb_information.hypertables as h
        join timescaledb_information.dimensions as d
          on d.hypertable_schema = h.hypertable_schema and d.hypertable_name = h.hypertable_name
        order by 1
        """
    )
    return [
        Check(
            f"hypertable {name}",
            OK,
            f"time column {column}, chunk interval {interval}, {chunks} chunks, "
            f"compression {'on' if compressed else 'off'}, jobs: {jobs}",
        )
        for name, column, interval, chunks, compressed, jobs in cur.fetchall()
    ]


def check_redis(settings: Settings, report: DoctorReport) -> None:
    shown = redact_url(settings.redis_url)
    try:
        with closing(settings.redis_client()) as client:
            version = client.info("server").get("redis_version")
    except (redis.RedisError, UserError) as exc:
        report.checks.append(
            Check(
                "redis",
                FAIL,
                f"cannot reach {shown}: {redact(first_line(exc), settings.secrets())}",
                "Start the local stack with `ytempire-ops local up`, or set YTEMPIRE_REDIS_URL.",
            )
        )
        return
    report.checks.append(Check("redis", OK, f"Redis {version} at {shown}"))


def check_daemons(settings: Settings, report: DoctorReport) -> None:
    """Alertmanager and Pushgateway: reachable where configured; a warning where not configured."""
    from ytempire_ops import daemons

    for daemon, url in (
        (daemons.ALERTMANAGER, settings.alertmanager_url),
        (daemons.PUSHGATEWAY, settings.pushgateway_url),
    ):
        name = daemon.name
        if not url:
            report.checks.append(
                Check(
                    name,
                    WARN,
                    f"not configured: {daemon.url_env} is not set and the local stack runs no {daemon.label}",
                    f"Install it (`apt-get install {daemon.package}`) and run `ytempire-ops local up`, "
                    f"or set {daemon.url_env}.",
                )
            )
        elif daemons.ready(url):
            version = daemons.version(daemon, url) or "version unknown"
            report.checks.append(Check(name, OK, f"{daemon.label} {version} at {redact_url(url)}"))
        else:
            report.checks.append(
                Check(
                    name,
                    FAIL,
                    f"{daemon.label} at {redact_url(url)} does not answer",
                    f"Start the local stack with `ytempire-ops local up`, or fix {daemon.url_env}.",
                )
            )


def check_dbt(settings: Settings, report: DoctorReport) -> None:
    profiles = settings.profiles_dir / "profiles.yml"
    if not profiles.exists():
        report.checks.append(
            Check(
                "profile",
                FAIL,
                f"no profiles.yml in {settings.profiles_dir}",
                "Run `ytempire-ops local up`, or point DBT_PROFILES_DIR at a copy of profiles.yml.example.",
            )
        )
        return
    report.checks.append(Check("profile", OK, f"profile ytempire, target {settings.target}, from {profiles}"))
    from ytempire_ops.dbt_ops import QUIET, ProjectDoesNotParse, load_manifest

    # The parse refresh keeps (manifest_cache): read back while no input of a parse has changed.
    try:
        load_manifest(settings, list(QUIET))
    except ProjectDoesNotParse as exc:
        report.checks.append(
            Check(
                "dbt project",
                FAIL,
                f"{settings.project_dir} does not parse" + (f": {exc.detail}." if exc.detail else "."),
                "Run `dbt parse` in the project directory and fix the file it names.",
            )
        )
    else:
        report.checks.append(Check("dbt project", OK, f"{settings.project_dir} parses"))


def timescaledb_ddl(
    settings: Settings, models: tuple[str, ...] = ("fact_video_performance", "fact_costs")
) -> str:
    """The statements the TimescaleDB macros would run for each model under each license, run nowhere."""
    from ytempire_ops.dbt_ops import QUIET, invoke, jinja_print_collector

    lines: list[str] = []
    for model in models:
        summary = invoke(
            ["run-operation", "timescaledb_show_ddl", "--args", f"{{model: {model}}}"],
            settings,
            list(QUIET),
            callbacks=[jinja_print_collector(lines)],
        )
        if not summary.success:
            raise UserError(f"could not render the TimescaleDB DDL of {model}: {summary.error}")
    return "\n".join(lines)


def run_doctor(settings: Settings | None = None) -> DoctorReport:
    settings = settings or Settings.load()
    report = DoctorReport()
    check_postgres(settings, report)
    check_redis(settings, report)
    check_daemons(settings, report)
    check_dbt(settings, report)
    return report
