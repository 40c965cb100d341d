"""Where the CLI finds the dbt project, the profiles and the services.

Precedence for every connection value: the documented environment variable, then
the local stack's state file (written by `ytempire-ops local up`), then a default.
`Settings` is the one place that builds PostgreSQL connection arguments and Redis
clients; `read_stack_state` is the one reader of the state file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psycopg2
import redis
import yaml

from ytempire_ops.errors import BadValue, UserError, first_line

PACKAGE_DIR = Path(__file__).resolve().parent
STATE_FILE = "stack.json"
APPLICATION_NAME = "ytempire-ops"
CONNECT_TIMEOUT_SECONDS = 5
REDIS_TIMEOUT_SECONDS = 2.0


def project_dir() -> Path:
    """The dbt project: $YTEMPIRE_PROJECT_DIR, else the checkout this package lives in."""
    env = os.environ.get("YTEMPIRE_PROJECT_DIR")
    if env:
        return Path(env).resolve()
    candidate = PACKAGE_DIR.parent
    if (candidate / "dbt_project.yml").exists():
        return candidate
    return Path.cwd().resolve()


def stack_home() -> Path:
    env = os.environ.get("YTEMPIRE_HOME")
    return Path(env).resolve() if env else project_dir() / ".ytempire"


def read_stack_state(home: Path | None = None, strict: bool = True) -> dict[str, Any]:
    """The local stack's state file as a dict; {} when there is none.

    A file that cannot be read or parsed is one sentence (UserError) when `strict`, the stack's own
    commands' case; otherwise {}, so that settings given in the environment still work.
    """
    path = (home or stack_home()) / STATE_FILE
    if not path.exists():
        return {}
    try:
        state = json.loads(path.read_text())
        if not isinstance(state, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        if not strict:
            return {}
        raise UserError(f"the stack's state file {path} cannot be read ({first_line(exc)}).") from None
    return state


def pg_connect_kwargs(
    host: str,
    port: int,
    user: str,
    password: str,
    dbname: str,
    application_name: str = APPLICATION_NAME,
) -> dict[str, object]:
    """Keyword arguments for psycopg2.connect: the one builder of PostgreSQL connection arguments."""
    return {
        "host": host,
        "port": port,
        "user": user,
        "password": password,
        "dbname": dbname,
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "application_name": application_name,
        "options": session_options(),
    }


@dataclass
class Settings:
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "ytempire"
    pg_password: str = ""
    pg_dbname: str = "ytempire"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Prometheus Alertmanager and Pushgateway (None: not configured; `local up` starts both)
    alertmanager_url: str | None = None
    pushgateway_url: str | None = None
    target: str = "local"
    project_dir: Path = field(default_factory=project_dir)
    profiles_dir: Path = field(default_factory=stack_home)
    # The SMTP relay of the scheduled reports (README, "Reports"), kept as given: `report --email`
    # checks them (reports/mail.py), no other command needs them.
    smtp_host: str = ""
    smtp_port: str = ""
    smtp_security: str = ""
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    smtp_ca_file: str = ""
    report_recipients: str = ""
    # Where `report` writes its files when --out is not given
    reports_dir: Path = field(default_factory=lambda: stack_home() / "reports")

    @classmethod
    def load(cls) -> Settings:
        """The environment, then the local stack's state file, then the defaults."""
        state = read_stack_state(strict=False)
        pg = state.get("postgres", {})
        redis_state = state.get("redis", {})
        env = os.environ
        profiles = env.get("DBT_PROFILES_DIR")
        port = env.get("YTEMPIRE_PG_PORT") or pg.get("port") or 5432
        try:
            pg_port = int(port)
        except ValueError:
            pg_port = 0
        if not 1 <= pg_port <= 65535:
            raise BadValue(f"YTEMPIRE_PG_PORT {port!r} is not a port number (1-65535).")
        return cls(
            pg_host=env.get("YTEMPIRE_PG_HOST") or pg.get("host", "127.0.0.1"),
            pg_port=pg_port,
            pg_user=env.get("YTEMPIRE_PG_USER") or pg.get("user", "ytempire"),
            pg_password=env.get("YTEMPIRE_PG_PASSWORD") or pg.get("password", ""),
            pg_dbname=env.get("YTEMPIRE_PG_DBNAME") or pg.get("dbname", "ytempire"),
            redis_url=env.get("YTEMPIRE_REDIS_URL") or redis_state.get("url") or "redis://127.0.0.1:6379/0",
            alertmanager_url=env.get("YTEMPIRE_ALERTMANAGER_URL") or _daemon_url(state, "alertmanager"),
            pushgateway_url=env.get("YTEMPIRE_PUSHGATEWAY_URL") or _daemon_url(state, "pushgateway"),
            target=env.get("YTEMPIRE_TARGET", "local"),
            project_dir=project_dir(),
            profiles_dir=Path(profiles).resolve() if profiles else stack_home(),
            smtp_host=env.get("YTEMPIRE_SMTP_HOST", "").strip(),
            smtp_port=env.get("YTEMPIRE_SMTP_PORT", "").strip(),
            smtp_security=env.get("YTEMPIRE_SMTP_SECURITY", "").strip(),
            smtp_user=env.get("YTEMPIRE_SMTP_USER", ""),
            smtp_password=env.get("YTEMPIRE_SMTP_PASSWORD", ""),
            smtp_from=env.get("YTEMPIRE_SMTP_FROM", "").strip(),
            smtp_ca_file=env.get("YTEMPIRE_SMTP_CA_FILE", "").strip(),
            report_recipients=env.get("YTEMPIRE_REPORT_RECIPIENTS", ""),
            reports_dir=(
                Path(env["YTEMPIRE_REPORT_DIR"]).expanduser().resolve()
                if env.get("YTEMPIRE_REPORT_DIR")
                else stack_home() / "reports"
            ),
        )

    @classmethod
    def from_state(cls, state: dict[str, Any], home: Path | None = None, superuser: bool = False) -> Settings:
        """The settings of a local stack's state: its builder role, or with superuser=True its superuser."""
        pg = state["postgres"]
        redis_state = state.get("redis") or {}
        settings = cls(
            pg_host=pg.get("host", "127.0.0.1"),
            pg_port=int(pg["port"]),
            pg_user=pg["user"],
            pg_password=pg["password"],
            pg_dbname=pg["dbname"],
            redis_url=redis_state.get("url") or "redis://127.0.0.1:6379/0",
            alertmanager_url=_daemon_url(state, "alertmanager"),
            pushgateway_url=_daemon_url(state, "pushgateway"),
            profiles_dir=home or stack_home(),
        )
        if superuser:
            settings = replace(
                settings, pg_host="127.0.0.1", pg_user="postgres", pg_password=pg["superuser_password"]
            )
        return settings

    def pg_kwargs(
        self, dbname: str | None = None, application_name: str = APPLICATION_NAME
    ) -> dict[str, object]:
        """Keyword arguments for psycopg2.connect (to `dbname` instead of the configured database if given)."""
        return pg_connect_kwargs(
            self.pg_host,
            self.pg_port,
            self.pg_user,
            self.pg_password,
            dbname or self.pg_dbname,
            application_name,
        )

    def connect(
        self, dbname: str | None = None, autocommit: bool = False, statement_timeout: float | None = None
    ) -> psycopg2.extensions.connection:
        """A PostgreSQL connection; use it as `with closing(settings.connect()) as conn:`.

        `statement_timeout` (seconds) is the one dbt's sessions get (dbt_ops.dbt_environment).
        """
        kwargs = self.pg_kwargs(dbname)
        if statement_timeout:
            kwargs["options"] = session_options(statement_timeout)
        conn = psycopg2.connect(**kwargs)
        if autocommit:
            conn.autocommit = True
        return conn

    def redis_client(self, timeout: float = REDIS_TIMEOUT_SECONDS) -> redis.Redis:
        """A Redis client with explicit timeouts, so an unreachable Redis fails in seconds rather than hangs."""
        try:
            return redis.Redis.from_url(
                self.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout
            )
        except ValueError as exc:
            raise BadValue(f"YTEMPIRE_REDIS_URL is not a valid Redis URL ({first_line(exc)}).") from None

    def secrets(self) -> list[str]:
        """The passwords these settings carry, for redaction."""
        from ytempire_ops.redact import url_password

        urls = (self.redis_url, self.alertmanager_url or "", self.pushgateway_url or "")
        return [value for value in (self.pg_password, self.smtp_password, *map(url_password, urls)) if value]

    def connection_env(self, dbname: str | None = None) -> dict[str, str]:
        """The connection values as the environment variables dbt's profile and the CLI read."""
        return {
            "YTEMPIRE_PG_HOST": self.pg_host,
            "YTEMPIRE_PG_PORT": str(self.pg_port),
            "YTEMPIRE_PG_USER": self.pg_user,
            "YTEMPIRE_PG_PASSWORD": self.pg_password,
            "YTEMPIRE_PG_DBNAME": dbname or self.pg_dbname,
            "YTEMPIRE_REDIS_URL": self.redis_url,
            **({"YTEMPIRE_ALERTMANAGER_URL": self.alertmanager_url} if self.alertmanager_url else {}),
            **({"YTEMPIRE_PUSHGATEWAY_URL": self.pushgateway_url} if self.pushgateway_url else {}),
        }

    def export_env(self) -> None:
        """Put the resolved values where dbt's env_var() reads them."""
        os.environ.update({**self.connection_env(), "YTEMPIRE_TARGET": self.target})


# Session settings every PostgreSQL connection of the CLI (its own and dbt's) starts with, through
# libpq's options. JIT compilation costs seconds on queries that touch many hypertable chunks and
# saves nothing on the warehouse's short incremental statements. A setting already in PGOPTIONS wins.
SESSION_DEFAULTS = {"jit": "off"}


def _daemon_url(state: dict[str, Any], name: str) -> str | None:
    """The URL the stack's state records for one of its HTTP daemons (daemons.DAEMONS)."""
    recorded = state.get(name)
    return recorded.get("url") if isinstance(recorded, dict) else None


# The dbt profile the project uses (dbt_project.yml `profile:`).
PROFILE_NAME = "ytempire"

# A statement timeout a user can give, in seconds: at least a millisecond (PostgreSQL counts in
# milliseconds; less would be 0, which disables it) and at most a day.
STATEMENT_TIMEOUT_RANGE = (0.001, 86400.0)


def check_statement_timeout(seconds: float | None) -> float | None:
    """The timeout when it is a number of seconds in STATEMENT_TIMEOUT_RANGE, else BadValue."""
    if seconds is None:
        return None
    low, high = STATEMENT_TIMEOUT_RANGE
    if not (low <= seconds <= high):  # also false for NaN
        raise BadValue(
            f"--statement-timeout {seconds!r} is out of range: give seconds from {low:g} to {high:g}."
        )
    return seconds


def check_target(settings: Settings) -> None:
    """BadValue unless the profile in profiles.yml has an output named settings.target."""
    path = settings.profiles_dir / "profiles.yml"
    try:
        profiles = yaml.safe_load(path.read_text()) or {}
        outputs = sorted((profiles.get(PROFILE_NAME) or {}).get("outputs") or {})
    except (OSError, ValueError, AttributeError, yaml.YAMLError):
        return  # dbt reports an unreadable profiles.yml in its own words
    if outputs and settings.target not in outputs:
        raise BadValue(
            f"dbt target {settings.target!r} is not in {path} (its targets: {', '.join(outputs)})."
        )


def session_options(statement_timeout: float | None = None) -> str:
    """libpq options of a session: $PGOPTIONS, SESSION_DEFAULTS it does not name, the statement timeout.

    Given to our own connections as their `options` and to dbt's through PGOPTIONS (set only around
    a dbt invocation, dbt_ops.dbt_environment); the process environment is never changed for it.
    """
    current = os.environ.get("PGOPTIONS", "").strip()
    parts = [current] if current else []
    parts += [f"-c {name}={value}" for name, value in SESSION_DEFAULTS.items() if f"{name}=" not in current]
    if statement_timeout:
        parts.append(f"-c statement_timeout={int(statement_timeout * 1000)}")
    return " ".join(parts)
