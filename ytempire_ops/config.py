"""Where the CLI finds the dbt project, the profiles and the services.

Precedence for every connection value: the documented environment variable, then
the local stack's state file (written by `ytempire-ops local up`), then a default.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent

ENV_VARS = {
    "YTEMPIRE_PG_HOST": "PostgreSQL host (default 127.0.0.1)",
    "YTEMPIRE_PG_PORT": "PostgreSQL port (default: the local stack's, else 5432)",
    "YTEMPIRE_PG_USER": "PostgreSQL role that builds the warehouse (default ytempire)",
    "YTEMPIRE_PG_PASSWORD": "its password (default: the local stack's)",
    "YTEMPIRE_PG_DBNAME": "database (default ytempire)",
    "YTEMPIRE_REDIS_URL": "Redis URL (default: the local stack's, else redis://127.0.0.1:6379/0)",
    "YTEMPIRE_TARGET": "dbt target: local (default), ci or prod",
    "YTEMPIRE_HOME": "state directory of the local stack (default <project>/.ytempire)",
    "YTEMPIRE_PROJECT_DIR": "the dbt project directory (default: the checkout holding ytempire_ops)",
    "DBT_PROFILES_DIR": "directory of profiles.yml (default: the local stack's state directory)",
}


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


def read_stack_state(home: Path | None = None) -> dict:
    path = (home or stack_home()) / "stack.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


@dataclass
class Settings:
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "ytempire"
    pg_password: str = ""
    pg_dbname: str = "ytempire"
    redis_url: str = "redis://127.0.0.1:6379/0"
    target: str = "local"
    project_dir: Path = field(default_factory=project_dir)
    profiles_dir: Path = field(default_factory=stack_home)

    @classmethod
    def load(cls) -> Settings:
        state = read_stack_state()
        pg = state.get("postgres", {})
        redis = state.get("redis", {})
        env = os.environ
        profiles = env.get("DBT_PROFILES_DIR")
        return cls(
            pg_host=env.get("YTEMPIRE_PG_HOST") or pg.get("host", "127.0.0.1"),
            pg_port=int(env.get("YTEMPIRE_PG_PORT") or pg.get("port", 5432)),
            pg_user=env.get("YTEMPIRE_PG_USER") or pg.get("user", "ytempire"),
            pg_password=env.get("YTEMPIRE_PG_PASSWORD") or pg.get("password", ""),
            pg_dbname=env.get("YTEMPIRE_PG_DBNAME") or pg.get("dbname", "ytempire"),
            redis_url=env.get("YTEMPIRE_REDIS_URL") or redis.get("url", "redis://127.0.0.1:6379/0"),
            target=env.get("YTEMPIRE_TARGET", "local"),
            project_dir=project_dir(),
            profiles_dir=Path(profiles).resolve() if profiles else stack_home(),
        )

    def pg_kwargs(self) -> dict[str, object]:
        """Keyword arguments for psycopg2.connect."""
        return {
            "host": self.pg_host,
            "port": self.pg_port,
            "user": self.pg_user,
            "password": self.pg_password,
            "dbname": self.pg_dbname,
            "connect_timeout": 5,
            "application_name": "ytempire-ops",
        }

    def export_env(self) -> None:
        """Put the resolved values where dbt's env_var() reads them."""
        os.environ.update(
            {
                "YTEMPIRE_PG_HOST": self.pg_host,
                "YTEMPIRE_PG_PORT": str(self.pg_port),
                "YTEMPIRE_PG_USER": self.pg_user,
                "YTEMPIRE_PG_PASSWORD": self.pg_password,
                "YTEMPIRE_PG_DBNAME": self.pg_dbname,
                "YTEMPIRE_REDIS_URL": self.redis_url,
                "YTEMPIRE_TARGET": self.target,
            }
        )


# Session settings every PostgreSQL connection of the CLI (its own and dbt's) starts with, through
# libpq's PGOPTIONS. JIT compilation costs seconds on queries that touch many hypertable chunks and
# saves nothing on the warehouse's short incremental statements. A setting already in PGOPTIONS wins.
SESSION_DEFAULTS = {"jit": "off"}


def session_defaults() -> None:
    """Add SESSION_DEFAULTS to PGOPTIONS for this process and the dbt it runs."""
    current = os.environ.get("PGOPTIONS", "")
    extra = [f"-c {name}={value}" for name, value in SESSION_DEFAULTS.items() if f"{name}=" not in current]
    if extra:
        os.environ["PGOPTIONS"] = " ".join([current, *extra]).strip()
