"""The local stack: a project-owned PostgreSQL cluster and Redis server.

Both run from the machine's binaries, on free (or configured) loopback ports, with
their data under one state directory (default `<project>/.ytempire`). The test
suite starts its throwaway stack through the same `up()` in a temporary directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import secrets
import shlex
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import redis
from psycopg2 import sql

from ytempire_ops.config import project_dir, stack_home
from ytempire_ops.errors import UserError

DBNAME = "ytempire"
BUILDER = "ytempire"
REPORTER = "reporter"
SUPERUSER = "postgres"
WAREHOUSE_SCHEMAS = ("raw", "staging", "intermediate", "analytics", "snapshots")


@dataclass
class StackStatus:
    home: Path
    postgres_running: bool = False
    postgres_port: int | None = None
    postgres_version: str | None = None
    timescaledb_version: str | None = None
    timescaledb_license: str | None = None
    redis_running: bool = False
    redis_port: int | None = None
    redis_version: str | None = None
    actions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "home": str(self.home),
            "postgres": {
                "running": self.postgres_running,
                "port": self.postgres_port,
                "version": self.postgres_version,
                "timescaledb_version": self.timescaledb_version,
                "timescaledb_license": self.timescaledb_license,
            },
            "redis": {"running": self.redis_running, "port": self.redis_port, "version": self.redis_version},
            "actions": self.actions,
        }


# --------------------------------------------------------------------------- binaries


def pg_bindir() -> Path:
    """The PostgreSQL 15 server binaries: $YTEMPIRE_PG_BINDIR, else Debian's layout, else PATH."""
    env = os.environ.get("YTEMPIRE_PG_BINDIR")
    candidates = [Path(env)] if env else [Path("/usr/lib/postgresql/15/bin")]
    if not env and shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb") or "").resolve().parent)
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    raise UserError(
        "PostgreSQL 15 server binaries (initdb, pg_ctl) were not found; install them with "
        "`apt-get install postgresql-15` or point YTEMPIRE_PG_BINDIR at their directory."
    )


def redis_server_bin() -> str:
    found = os.environ.get("YTEMPIRE_REDIS_SERVER") or shutil.which("redis-server")
    if not found:
        raise UserError("redis-server was not found; install it with `apt-get install redis-server`.")
    return found


def timescaledb_available(bindir: Path) -> bool:
    sharedir = Path(
        subprocess.run(
            [str(bindir / "pg_config"), "--sharedir"], capture_output=True, text=True
        ).stdout.strip()
        if (bindir / "pg_config").exists()
        else "/usr/share/postgresql/15"
    )
    return (sharedir / "extension" / "timescaledb.control").exists()


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _as_root() -> bool:
    return os.geteuid() == 0


def _run_as_pg(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL server binary; as root it runs as the `postgres` system user."""
    if _as_root():
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]


def _state_path(home: Path) -> Path:
    return home / "stack.json"


def load_state(home: Path) -> dict:
    path = _state_path(home)
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def _save_state(home: Path, state: dict) -> None:
    path = _state_path(home)
    path.write_text(json.dumps(state, indent=2) + "\n")
    path.chmod(0o600)


def superuser_kwargs(state: dict, dbname: str = "postgres") -> dict[str, object]:
    pg = state["postgres"]
    return {
        "host": "127.0.0.1",
        "port": pg["port"],
        "user": SUPERUSER,
        "password": pg["superuser_password"],
        "dbname": dbname,
        "connect_timeout": 5,
    }


def builder_kwargs(state: dict, dbname: str | None = None) -> dict[str, object]:
    pg = state["postgres"]
    return {
        "host": pg["host"],
        "port": pg["port"],
        "user": pg["user"],
        "password": pg["password"],
        "dbname": dbname or pg["dbname"],
        "connect_timeout": 5,
    }


def _pg_running(home: Path, bindir: Path) -> bool:
    data = home / "pg" / "data"
    if not (data / "PG_VERSION").exists():
        return False
    result = _run_as_pg([str(bindir / "pg_ctl"), "-D", str(data), "status"])
    return result.returncode == 0


def _redis_client(state: dict) -> redis.Redis:
    return redis.Redis.from_url(state["redis"]["url"], socket_timeout=2, socket_connect_timeout=2)


def _redis_running(state: dict) -> bool:
    if not state.get("redis", {}).get("url"):
        return False
    try:
        return bool(_redis_client(state).ping())
    except redis.RedisError:
        return False


# --------------------------------------------------------------------------- postgres


def _init_cluster(home: Path, bindir: Path, superuser_password: str) -> None:
    pgdir = home / "pg"
    pgdir.mkdir(parents=True, exist_ok=True)
    if _as_root():
        try:
            uid = pwd.getpwnam("postgres").pw_uid
        except KeyError as exc:
            raise UserError(
                "PostgreSQL refuses to run as root and there is no `postgres` user; run as a normal user."
            ) from exc
        os.chown(pgdir, uid, -1)
        check = _run_as_pg(["test", "-w", str(pgdir)])
        if check.returncode != 0:
            raise UserError(
                f"the postgres user cannot write {pgdir}; choose a state directory it can reach with YTEMPIRE_HOME."
            )
    pwfile = pgdir / "superuser.pw"
    pwfile.write_text(superuser_password + "\n")
    if _as_root():
        os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
    pwfile.chmod(0o600)
    result = _run_as_pg(
        [
            str(bindir / "initdb"),
            "-D",
            str(pgdir / "data"),
            "-U",
            SUPERUSER,
            f"--pwfile={pwfile}",
            "--auth-local=scram-sha-256",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--no-locale",
        ]
    )
    pwfile.unlink()
    if result.returncode != 0:
        raise UserError(
            f"initdb failed: {result.stderr.strip().splitlines()[-1] if result.stderr else 'no output'}"
        )


def _write_pg_conf(home: Path, port: int, preload: bool, ephemeral: bool) -> None:
    lines = [
        "# managed by ytempire-ops local up",
        f"port = {port}",
        "listen_addresses = '127.0.0.1'",
        "unix_socket_directories = ''",
        "max_connections = 50",
        "shared_buffers = '1GB'",
        "work_mem = '64MB'",
        "maintenance_work_mem = '512MB'",
        "max_wal_size = '4GB'",
        "timezone = 'UTC'",
        "log_timezone = 'UTC'",
        # JIT compiles hundreds of functions for a query over many hypertable chunks (seconds) and
        # saves nothing on the warehouse's incremental statements.
        "jit = off",
    ]
    if preload:
        lines += ["shared_preload_libraries = 'timescaledb'", "timescaledb.telemetry_level = off"]
    if ephemeral:
        lines += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
    conf = home / "pg" / "data" / "ytempire.conf"
    conf.write_text("\n".join(lines) + "\n")
    main_conf = home / "pg" / "data" / "postgresql.conf"
    text = main_conf.read_text()
    if "include_if_exists = 'ytempire.conf'" not in text:
        main_conf.write_text(text + "\ninclude_if_exists = 'ytempire.conf'\n")
    if _as_root():
        os.chown(conf, pwd.getpwnam("postgres").pw_uid, -1)


def _start_pg(home: Path, bindir: Path) -> None:
    data = home / "pg" / "data"
    log = home / "pg" / "postgres.log"
    result = _run_as_pg([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "start"])
    if result.returncode != 0:
        tail = ""
        if log.exists():
            tail = " ".join(log.read_text(errors="replace").strip().splitlines()[-2:])
        raise UserError(f"PostgreSQL did not start: {tail or result.stderr.strip()}")


def _bootstrap_database(state: dict, with_timescaledb: bool) -> list[str]:
    """Roles, database, extension, schemas and grants; safe to run again."""
    pg = state["postgres"]
    done: list[str] = []
    conn = psycopg2.connect(**superuser_kwargs(state))
    conn.autocommit = True
    with conn.cursor() as cur:
        for role, password in ((BUILDER, pg["password"]), (REPORTER, pg["reporter_password"])):
            cur.execute("select 1 from pg_roles where rolname = %s", (role,))
            if cur.fetchone() is None:
                cur.execute(
                    sql.SQL("create role {} login password {}").format(
                        sql.Identifier(role), sql.Literal(password)
                    )
                )
                done.append(f"created role {role}")
        # The builder reads server settings (doctor, the TimescaleDB macros) and activity (refresh).
        cur.execute(sql.SQL("grant pg_monitor to {}").format(sql.Identifier(BUILDER)))
        cur.execute("select 1 from pg_database where datname = %s", (DBNAME,))
        if cur.fetchone() is None:
            cur.execute(
                sql.SQL("create database {} owner {}").format(sql.Identifier(DBNAME), sql.Identifier(BUILDER))
            )
            done.append(f"created database {DBNAME}")
    conn.close()
    done += prepare_database(state, DBNAME, with_timescaledb)
    return done


def prepare_database(state: dict, dbname: str, with_timescaledb: bool) -> list[str]:
    """Extension, warehouse schemas owned by the builder, and the reporter's read-only grants."""
    done: list[str] = []
    conn = psycopg2.connect(**superuser_kwargs(state, dbname))
    conn.autocommit = True
    with conn.cursor() as cur:
        if with_timescaledb:
            cur.execute("select 1 from pg_extension where extname = 'timescaledb'")
            if cur.fetchone() is None:
                cur.execute("create extension if not exists timescaledb")
                done.append(f"created extension timescaledb in {dbname}")
        for schema in WAREHOUSE_SCHEMAS:
            cur.execute(
                sql.SQL("create schema if not exists {} authorization {}").format(
                    sql.Identifier(schema), sql.Identifier(BUILDER)
                )
            )
        cur.execute(
            sql.SQL("grant connect on database {} to {}").format(
                sql.Identifier(dbname), sql.Identifier(REPORTER)
            )
        )
        cur.execute(sql.SQL("grant usage on schema analytics to {}").format(sql.Identifier(REPORTER)))
        cur.execute(
            sql.SQL("grant select on all tables in schema analytics to {}").format(sql.Identifier(REPORTER))
        )
        cur.execute(
            sql.SQL(
                "alter default privileges for role {} in schema analytics grant select on tables to {}"
            ).format(sql.Identifier(BUILDER), sql.Identifier(REPORTER))
        )
    conn.close()
    return done


def create_database(state: dict, dbname: str) -> dict[str, object]:
    """A fresh database on the stack (owned by the builder, prepared like the main one)."""
    conn = psycopg2.connect(**superuser_kwargs(state))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL("create database {} owner {}").format(sql.Identifier(dbname), sql.Identifier(BUILDER))
        )
    conn.close()
    prepare_database(state, dbname, state["postgres"].get("timescaledb", False))
    return builder_kwargs(state, dbname)


# --------------------------------------------------------------------------- redis


def _start_redis(home: Path, port: int) -> None:
    rdir = home / "redis"
    rdir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            redis_server_bin(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "yes",
            "--pidfile",
            str(rdir / "redis.pid"),
            "--logfile",
            str(rdir / "redis.log"),
            "--dir",
            str(rdir),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise UserError(f"redis-server did not start: {result.stderr.strip() or result.stdout.strip()}")
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1, socket_connect_timeout=1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if client.ping():
                return
        except redis.RedisError:
            time.sleep(0.05)
    raise UserError(f"redis-server did not answer on port {port}; see {rdir / 'redis.log'}.")


# --------------------------------------------------------------------------- commands


def _choose_port(requested: int | None, recorded: int | None, what: str, flag: str) -> int:
    port = requested or recorded or free_port()
    if port_in_use(port):
        raise UserError(f"port {port} for {what} is already in use; choose another with {flag}.")
    return port


def up(
    home: Path | None = None,
    pg_port: int | None = None,
    redis_port: int | None = None,
    ephemeral: bool = False,
) -> StackStatus:
    """Start the stack; a second call reports what runs and changes nothing."""
    home = (home or stack_home()).resolve()
    bindir = pg_bindir()
    redis_server_bin()
    home.mkdir(parents=True, exist_ok=True)
    if _as_root():
        home.chmod(0o755)
    state = load_state(home)
    actions: list[str] = []
    with_tsdb = timescaledb_available(bindir)

    if not state:
        state = {
            "postgres": {
                "host": "127.0.0.1",
                "port": None,
                "user": BUILDER,
                "password": secrets.token_urlsafe(18),
                "dbname": DBNAME,
                "reporter_user": REPORTER,
                "reporter_password": secrets.token_urlsafe(18),
                "superuser_password": secrets.token_urlsafe(18),
                "timescaledb": with_tsdb,
            },
            "redis": {"port": None, "url": None},
        }

    pg_state = state["postgres"]
    if _pg_running(home, bindir):
        if pg_port and pg_port != pg_state["port"]:
            raise UserError(
                f"the stack's PostgreSQL already runs on port {pg_state['port']}; run `ytempire-ops local down` first."
            )
    else:
        port = _choose_port(pg_port, pg_state.get("port"), "PostgreSQL", "--pg-port or YTEMPIRE_PG_PORT")
        pg_state["port"] = port
        pg_state["timescaledb"] = with_tsdb
        if not (home / "pg" / "data" / "PG_VERSION").exists():
            _init_cluster(home, bindir, pg_state["superuser_password"])
            actions.append(f"initialised a PostgreSQL cluster in {home / 'pg' / 'data'}")
        _write_pg_conf(home, port, with_tsdb, ephemeral)
        _start_pg(home, bindir)
        actions.append(f"started PostgreSQL on 127.0.0.1:{port}")
    _save_state(home, state)
    actions += _bootstrap_database(state, with_tsdb)

    if _redis_running(state):
        if redis_port and redis_port != state["redis"]["port"]:
            raise UserError(
                f"the stack's Redis already runs on port {state['redis']['port']}; run `ytempire-ops local down` first."
            )
    else:
        port = _choose_port(
            redis_port, state["redis"].get("port"), "Redis", "--redis-port or YTEMPIRE_REDIS_URL"
        )
        _start_redis(home, port)
        state["redis"] = {"port": port, "url": f"redis://127.0.0.1:{port}/0"}
        actions.append(f"started Redis on 127.0.0.1:{port}")
    _save_state(home, state)
    _write_profiles(home)

    result = status(home)
    result.actions = actions or ["already running; nothing changed"]
    return result


def _write_profiles(home: Path) -> None:
    """profiles.yml for dbt in the state directory: the committed example, which reads only env vars."""
    target = home / "profiles.yml"
    example = project_dir() / "profiles.yml.example"
    if example.exists() and (not target.exists() or target.read_text() != example.read_text()):
        shutil.copyfile(example, target)


def down(home: Path | None = None) -> StackStatus:
    home = (home or stack_home()).resolve()
    state = load_state(home)
    result = StackStatus(home=home)
    if not state:
        result.actions = [f"no stack in {home}; nothing to stop"]
        return result
    bindir = pg_bindir()
    if _pg_running(home, bindir):
        stop = _run_as_pg(
            [str(bindir / "pg_ctl"), "-D", str(home / "pg" / "data"), "-m", "fast", "-w", "stop"]
        )
        if stop.returncode != 0:
            raise UserError(f"PostgreSQL did not stop: {stop.stderr.strip()}")
        result.actions.append("stopped PostgreSQL")
    if _redis_running(state):
        # SHUTDOWN closes the connection it was sent on.
        with contextlib.suppress(redis.ConnectionError):
            _redis_client(state).shutdown(nosave=True)
        result.actions.append("stopped Redis")
    if not result.actions:
        result.actions.append("nothing was running")
    return result


def status(home: Path | None = None) -> StackStatus:
    home = (home or stack_home()).resolve()
    state = load_state(home)
    result = StackStatus(home=home)
    if not state:
        return result
    result.postgres_port = state["postgres"].get("port")
    result.redis_port = state["redis"].get("port")
    try:
        conn = psycopg2.connect(**builder_kwargs(state))
    except psycopg2.OperationalError:
        conn = None
    if conn is not None:
        result.postgres_running = True
        with conn, conn.cursor() as cur:
            cur.execute("show server_version")
            result.postgres_version = cur.fetchone()[0]
            cur.execute("select extversion from pg_extension where extname = 'timescaledb'")
            row = cur.fetchone()
            if row:
                result.timescaledb_version = row[0]
                cur.execute("select current_setting('timescaledb.license', true)")
                result.timescaledb_license = cur.fetchone()[0]
        conn.close()
    if _redis_running(state):
        result.redis_running = True
        result.redis_version = str(_redis_client(state).info("server").get("redis_version"))
    return result


def client_env(state: dict, home: Path, dbname: str | None = None) -> dict[str, str]:
    """The variables that point dbt and the CLI at a stack: its builder role, database, Redis, profiles."""
    pg = state["postgres"]
    return {
        "YTEMPIRE_PG_HOST": pg["host"],
        "YTEMPIRE_PG_PORT": str(pg["port"]),
        "YTEMPIRE_PG_USER": pg["user"],
        "YTEMPIRE_PG_PASSWORD": pg["password"],
        "YTEMPIRE_PG_DBNAME": dbname or pg["dbname"],
        "YTEMPIRE_REDIS_URL": state["redis"]["url"],
        "YTEMPIRE_HOME": str(home),
        "DBT_PROFILES_DIR": str(home),
    }


def env_exports(home: Path | None = None) -> list[str]:
    """Shell lines that point dbt and the CLI at the stack."""
    home = (home or stack_home()).resolve()
    state = load_state(home)
    if not state:
        raise UserError(f"no local stack in {home}; start one with `ytempire-ops local up`.")
    return [f"export {key}={shlex.quote(value)}" for key, value in client_env(state, home).items()]
