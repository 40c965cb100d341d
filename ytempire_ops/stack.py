"""The local stack: a project-owned PostgreSQL cluster and Redis server.

Both run from the machine's binaries, on free (or configured) loopback ports, with
their data under one state directory (default `<project>/.ytempire`). The test
suite starts its throwaway stack through the same `up()` in a temporary directory.

As root, PostgreSQL runs as the `postgres` user. When that user cannot reach the
state directory (a clone under /root or under a mode-700 directory), the cluster's
directory moves to a fresh mode-700 directory it owns under /var/tmp (else the
system temp directory); stack.json records where, `up` says so, and
`down --purge` removes it with the rest of the stack's files.
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
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import redis
from psycopg2 import sql

from ytempire_ops import daemons
from ytempire_ops.config import STATE_FILE, Settings, project_dir, read_stack_state, stack_home
from ytempire_ops.errors import UserError

DBNAME = "ytempire"
BUILDER = "ytempire"
REPORTER = "reporter"
SUPERUSER = "postgres"
WAREHOUSE_SCHEMAS = ("raw", "staging", "intermediate", "analytics", "snapshots")
# Where the cluster goes when the postgres user cannot reach the state directory.
RELOCATION_PREFIX = "ytempire-pg-"
RELOCATION_BASES = (Path("/var/tmp"),)


@dataclass
class StackStatus:
    home: Path
    postgres_running: bool = False
    postgres_port: int | None = None
    postgres_version: str | None = None
    postgres_dir: Path | None = None
    timescaledb_version: str | None = None
    timescaledb_license: str | None = None
    redis_running: bool = False
    redis_port: int | None = None
    redis_version: str | None = None
    # name -> {"running", "port", "url", "version", "installed"} of each daemon (daemons.DAEMONS)
    daemons: dict[str, dict[str, object]] = field(default_factory=dict)
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
                "dir": str(self.postgres_dir) if self.postgres_dir else None,
            },
            "redis": {"running": self.redis_running, "port": self.redis_port, "version": self.redis_version},
            **self.daemons,
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


def load_state(home: Path) -> dict:
    """The stack's state file ({} when there is none): config.read_stack_state."""
    return read_stack_state(home)


def _save_state(home: Path, state: dict) -> None:
    """Write stack.json (mode 600) atomically, so a reader never sees half of it."""
    path = home / STATE_FILE
    partial = path.with_name(f".{STATE_FILE}.{os.getpid()}")
    partial.write_text(json.dumps(state, indent=2) + "\n")
    partial.chmod(0o600)
    partial.replace(path)


def superuser_kwargs(state: dict, dbname: str = "postgres") -> dict[str, object]:
    """Connection arguments of the stack's superuser."""
    return Settings.from_state(state, superuser=True).pg_kwargs(dbname)


def builder_kwargs(state: dict, dbname: str | None = None) -> dict[str, object]:
    """Connection arguments of the stack's builder role."""
    return Settings.from_state(state).pg_kwargs(dbname)


def pg_dir(home: Path, state: dict) -> Path:
    """The cluster's directory (data, log): the one stack.json records, else <home>/pg."""
    recorded = state.get("postgres", {}).get("dir")
    return Path(recorded) if recorded else home / "pg"


def _pg_running(pgdir: Path, bindir: Path) -> bool:
    data = pgdir / "data"
    if not (data / "PG_VERSION").exists():
        return False
    result = _run_as_pg([str(bindir / "pg_ctl"), "-D", str(data), "status"])
    return result.returncode == 0


def _redis_client(state: dict) -> redis.Redis:
    return Settings.from_state(state).redis_client()


def _redis_running(state: dict) -> bool:
    if not state.get("redis", {}).get("url"):
        return False
    try:
        with contextlib.closing(_redis_client(state)) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


# --------------------------------------------------------------------------- postgres


def _postgres_uid() -> int:
    try:
        return pwd.getpwnam("postgres").pw_uid
    except KeyError as exc:
        raise UserError(
            "PostgreSQL refuses to run as root and there is no `postgres` user; run as a normal user."
        ) from exc


def _postgres_can_write(path: Path) -> bool:
    return _run_as_pg(["test", "-w", str(path), "-a", "-x", str(path)]).returncode == 0


def _relocation_base() -> Path:
    for base in RELOCATION_BASES:
        if base.is_dir() and _postgres_can_write(base):
            return base
    return Path(tempfile.gettempdir())


def _cluster_dir(home: Path, state: dict) -> Path:
    """The directory a new cluster goes in, made and owned by the postgres user when running as root.

    <home>/pg when the postgres user can write it; otherwise the directory stack.json recorded, or a
    fresh mode-700 directory under /var/tmp (else the temp directory), recorded in `state`.
    """
    default = home / "pg"
    if not _as_root():
        default.mkdir(parents=True, exist_ok=True)
        return default
    uid = _postgres_uid()
    recorded = state["postgres"].get("dir")
    if recorded and Path(recorded).is_dir() and Path(recorded).stat().st_uid == uid:
        return Path(recorded)
    default.mkdir(parents=True, exist_ok=True)
    os.chown(default, uid, -1)
    if _postgres_can_write(default):
        state["postgres"].pop("dir", None)
        return default
    with contextlib.suppress(OSError):
        default.rmdir()
    base = _relocation_base()
    relocated = Path(tempfile.mkdtemp(prefix=f"{RELOCATION_PREFIX}{home.parent.name}-{home.name}-", dir=base))
    os.chown(relocated, uid, -1)
    if not _postgres_can_write(relocated):
        shutil.rmtree(relocated, ignore_errors=True)
        raise UserError(
            f"the postgres user can reach neither {default} nor {base}; "
            "choose a state directory it can reach with YTEMPIRE_HOME."
        )
    state["postgres"]["dir"] = str(relocated)
    return relocated


def _init_cluster(pgdir: Path, bindir: Path, superuser_password: str) -> None:
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


def _write_pg_conf(pgdir: Path, port: int, preload: bool, ephemeral: bool) -> None:
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
    conf = pgdir / "data" / "ytempire.conf"
    conf.write_text("\n".join(lines) + "\n")
    main_conf = pgdir / "data" / "postgresql.conf"
    text = main_conf.read_text()
    if "include_if_exists = 'ytempire.conf'" not in text:
        main_conf.write_text(text + "\ninclude_if_exists = 'ytempire.conf'\n")
    if _as_root():
        os.chown(conf, pwd.getpwnam("postgres").pw_uid, -1)


def _start_pg(pgdir: Path, bindir: Path) -> None:
    data = pgdir / "data"
    log = pgdir / "postgres.log"
    result = _run_as_pg([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "start"])
    if result.returncode != 0:
        tail = ""
        if log.exists():
            tail = " ".join(log.read_text(errors="replace").strip().splitlines()[-2:])
        raise UserError(f"PostgreSQL did not start: {tail or result.stderr.strip()}")


def _superuser_connect(state: dict, dbname: str = "postgres") -> psycopg2.extensions.connection:
    return Settings.from_state(state, superuser=True).connect(dbname, autocommit=True)


def _bootstrap_database(state: dict, with_timescaledb: bool) -> list[str]:
    """Roles, database, extension, schemas and grants; safe to run again."""
    pg = state["postgres"]
    done: list[str] = []
    with contextlib.closing(_superuser_connect(state)) as conn, conn.cursor() as cur:
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
    done += prepare_database(state, DBNAME, with_timescaledb)
    return done


def prepare_database(state: dict, dbname: str, with_timescaledb: bool) -> list[str]:
    """Extension, warehouse schemas owned by the builder, and the reporter's read-only grants."""
    done: list[str] = []
    with contextlib.closing(_superuser_connect(state, dbname)) as conn, conn.cursor() as cur:
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
    return done


def create_database(state: dict, dbname: str) -> dict[str, object]:
    """A fresh database on the stack (owned by the builder, prepared like the main one)."""
    with contextlib.closing(_superuser_connect(state)) as conn, conn.cursor() as cur:
        cur.execute(
            sql.SQL("create database {} owner {}").format(sql.Identifier(dbname), sql.Identifier(BUILDER))
        )
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
    with contextlib.closing(
        Settings(redis_url=f"redis://127.0.0.1:{port}/0").redis_client(timeout=1)
    ) as client:
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
    if _pg_running(pg_dir(home, state), bindir):
        if pg_port and pg_port != pg_state["port"]:
            raise UserError(
                f"the stack's PostgreSQL already runs on port {pg_state['port']}; run `ytempire-ops local down` first."
            )
    else:
        port = _choose_port(pg_port, pg_state.get("port"), "PostgreSQL", "--pg-port or YTEMPIRE_PG_PORT")
        pg_state["port"] = port
        pg_state["timescaledb"] = with_tsdb
        if not (pg_dir(home, state) / "data" / "PG_VERSION").exists():
            pgdir = _cluster_dir(home, state)
            _save_state(home, state)
            _init_cluster(pgdir, bindir, pg_state["superuser_password"])
            where = f"initialised a PostgreSQL cluster in {pgdir / 'data'}"
            if pgdir != home / "pg":
                where += (
                    f" (the postgres user cannot reach {home}; "
                    "`ytempire-ops local down --purge` removes it with the rest of the stack)"
                )
            actions.append(where)
        pgdir = pg_dir(home, state)
        _write_pg_conf(pgdir, port, with_tsdb, ephemeral)
        _start_pg(pgdir, bindir)
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
    actions += _start_daemons(home, state)
    _save_state(home, state)
    _write_profiles(home)

    result = status(home)
    result.actions = actions or ["already running; nothing changed"]
    return result


def _start_daemons(home: Path, state: dict) -> list[str]:
    """Start Alertmanager and Pushgateway where installed; a missing one is a sentence, not an error."""
    actions = []
    for daemon in daemons.DAEMONS:
        recorded = state.get(daemon.name) or {}
        if daemons.ready(recorded.get("url")):
            continue  # running already
        if daemon.binary() is None:
            state.pop(daemon.name, None)
            actions.append(daemon.missing())
            continue
        # The port it had, else any free one: nothing is configured with it but the state file.
        port = recorded.get("port")
        if not port or port_in_use(port):
            port = free_port()
        state[daemon.name] = daemons.start(daemon, home, port)
        actions.append(f"started {daemon.label} on 127.0.0.1:{port}")
    return actions


def _write_profiles(home: Path) -> None:
    """profiles.yml for dbt in the state directory: the committed example, which reads only env vars."""
    target = home / "profiles.yml"
    example = project_dir() / "profiles.yml.example"
    if example.exists() and (not target.exists() or target.read_text() != example.read_text()):
        shutil.copyfile(example, target)


def down(home: Path | None = None, purge: bool = False) -> StackStatus:
    """Stop the stack; with purge=True also remove its files (the cluster's, wherever it lives)."""
    home = (home or stack_home()).resolve()
    state = load_state(home)
    result = StackStatus(home=home)
    if not state:
        result.actions = [f"no stack in {home}; nothing to stop"]
        if purge:
            result.actions += _purge(home, state)
        return result
    bindir = pg_bindir()
    pgdir = pg_dir(home, state)
    if _pg_running(pgdir, bindir):
        stop = _run_as_pg([str(bindir / "pg_ctl"), "-D", str(pgdir / "data"), "-m", "fast", "-w", "stop"])
        if stop.returncode != 0:
            raise UserError(f"PostgreSQL did not stop: {stop.stderr.strip()}")
        result.actions.append("stopped PostgreSQL")
    if _redis_running(state):
        # SHUTDOWN closes the connection it was sent on.
        with contextlib.suppress(redis.ConnectionError), contextlib.closing(_redis_client(state)) as client:
            client.shutdown(nosave=True)
        result.actions.append("stopped Redis")
    for daemon in daemons.DAEMONS:
        if daemons.stop(daemon, state.get(daemon.name) or {}):
            result.actions.append(f"stopped {daemon.label}")
    if not result.actions:
        result.actions.append("nothing was running")
    if purge:
        result.actions += _purge(home, state)
    return result


STACK_FILES = ("pg", "redis", *(d.name for d in daemons.DAEMONS), STATE_FILE, "profiles.yml")


def _purge(home: Path, state: dict) -> list[str]:
    """Remove the files `up` made: the cluster (also where it was relocated), Redis's, stack.json, profiles."""
    removed: list[str] = []
    relocated = state.get("postgres", {}).get("dir")
    if relocated and Path(relocated).name.startswith(RELOCATION_PREFIX) and Path(relocated).exists():
        shutil.rmtree(relocated)
        removed.append(f"removed {relocated}")
    for name in STACK_FILES:
        path = home / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        else:
            continue
        removed.append(f"removed {path}")
    with contextlib.suppress(OSError):
        home.rmdir()  # only when nothing else is in it
    return removed or [f"nothing to remove in {home}"]


def status(home: Path | None = None) -> StackStatus:
    home = (home or stack_home()).resolve()
    state = load_state(home)
    result = StackStatus(home=home)
    if not state:
        return result
    result.postgres_port = state["postgres"].get("port")
    result.postgres_dir = pg_dir(home, state)
    result.redis_port = state["redis"].get("port")
    try:
        conn = Settings.from_state(state, home).connect()
    except psycopg2.OperationalError:
        conn = None
    if conn is not None:
        result.postgres_running = True
        with contextlib.closing(conn), conn, conn.cursor() as cur:
            cur.execute("show server_version")
            result.postgres_version = cur.fetchone()[0]
            cur.execute("select extversion from pg_extension where extname = 'timescaledb'")
            row = cur.fetchone()
            if row:
                result.timescaledb_version = row[0]
                cur.execute("select current_setting('timescaledb.license', true)")
                result.timescaledb_license = cur.fetchone()[0]
    if _redis_running(state):
        result.redis_running = True
        with contextlib.closing(_redis_client(state)) as client:
            result.redis_version = str(client.info("server").get("redis_version"))
    for daemon in daemons.DAEMONS:
        recorded = state.get(daemon.name) or {}
        running = daemons.ready(recorded.get("url"))
        result.daemons[daemon.name] = {
            "running": running,
            "port": recorded.get("port"),
            "url": recorded.get("url"),
            "version": daemons.version(daemon, recorded["url"]) if running else None,
            "installed": daemon.binary() is not None,
        }
    return result


def client_env(state: dict, home: Path, dbname: str | None = None) -> dict[str, str]:
    """The variables that point dbt and the CLI at a stack: its builder role, database, Redis, profiles."""
    return {
        **Settings.from_state(state, home).connection_env(dbname),
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
