"""`make bench`: the warehouse's costs on a throwaway stack, each figure the median of --runs runs.

Starts its own PostgreSQL + Redis (`ytempire_ops.stack.up` in a temporary directory, durable settings
like the local stack) and measures: generation; the floor (PostgreSQL copying each raw table once);
a full `dbt build` and dbt's fixed overhead; `refresh` after 5-minute and 1-day appends (every step);
`warm`; a full rebuild of fact_video_performance; dashboard read latency (Redis vs the marts vs a
naive query on the raw tables); the peak memory of every CLI process. Every `ytempire-ops` step is a
separate process, as under cron. Prints tables (median, min, max beside the project's goals), writes
every sample to --results and the figures to a generated section of --doc. Asserts nothing about time.

    python benchmarks/bench.py --scale 1 --days 90 --runs 3
    python benchmarks/bench.py --scale 0.05 --days 3 --runs 3 --results /tmp/b.json --doc /tmp/b.md
    python benchmarks/bench.py --scale 0.1 --days 7 --parts refresh,warm --keep
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import dashboard_reads as reads
import disk_usage
import psycopg2
import psycopg2.errors
import redis
from psycopg2 import sql

from ytempire_ops import stack
from ytempire_ops.errors import UserError
from ytempire_ops.generator import META_SCHEMA, RAW_TABLES

PROJECT_DIR = Path(__file__).resolve().parents[1]
OPS = [sys.executable, "-m", "ytempire_ops.cli"]
PARTS = (
    "generate",
    "floor",
    "build",
    "overhead",
    "noop",
    "refresh",
    "boundary",
    "disk",
    "warm",
    "reads",
    "rebuild",
)
PART_HELP = {
    "generate": "fresh generations (raw schema dropped before each), rows/s",
    "floor": "create table ... as select * from raw.<t> for every raw table",
    "build": "full `build --json` after dropping every schema dbt built",
    "overhead": "dbt's fixed cost: a `build` that selects nothing",
    "noop": "`build --json` again with no new data (what an analyst's daily `dbt build` costs)",
    "refresh": "`generate --append-minutes 5` then `refresh --json`, then the same with 1440",
    "boundary": "5-minute refreshes across 23:55 UTC, whose batch holds the daily poll of every older video",
    "disk": "what every schema takes on disk (hypertables with their chunks), raw apart",
    "warm": "`warm --json`",
    "reads": "dashboard reads: Redis GET vs the marts' SELECT vs a naive query on raw",
    "rebuild": "`build --select fact_video_performance --full-refresh --json`",
}
RAW = "raw"
FLOOR_SCHEMA = "bench_floor"
KEEP_SCHEMAS = (RAW, META_SCHEMA, FLOOR_SCHEMA, "public")
FACT = "fact_video_performance"
DEFAULT_AS_OF = "2026-11-20T12:00:00+00:00"
NOTHING_SELECTOR = "tag:bench_selects_nothing"
STACK_PREFIX = "ytempire-bench-"
STARTED = time.monotonic()
# The generator's daily poll of every video older than a week is captured at 23:55 UTC.
DAILY_POLL_MINUTE = 23 * 60 + 55
BOUNDARY_STEPS = ("before the batch", "the batch", "its first re-read", "its second re-read")

# The project's goals (issue "make bench"), written beside the measured figures.
GOAL_REFRESH_SECONDS = 10.0
GOAL_REBUILD_RATIO = 20.0
GOAL_BUILD_FLOOR_FACTOR = 2.0
GOAL_REDIS_P99_MS = 1.0
GOAL_WARM_SECONDS = 1.0


class BenchError(Exception):
    """An expected failure: one sentence, no traceback."""


def progress(message: str) -> None:
    elapsed = time.monotonic() - STARTED
    stamp = f"{int(elapsed // 3600):d}:{int(elapsed % 3600 // 60):02d}:{int(elapsed % 60):02d}"
    print(f"bench [{stamp}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- statistics and tables


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), linear between the closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def seconds(value: float) -> str:
    return f"{value:,.3f}" if value < 10 else f"{value:,.2f}" if value < 1000 else f"{value:,.0f}"


def count(value: float) -> str:
    return f"{value:,.0f}"


def millis(value: float) -> str:
    return f"{value:,.3f}" if value < 100 else f"{value:,.1f}"


def ratio(value: float) -> str:
    return f"{value:,.1f}x" if value >= 1 else f"{value:,.3f}x"


def mib(kib: float) -> str:
    return f"{kib / 1024:,.0f}"


TEXT_COLUMNS = ("goal", "key", "read", "command", "target", "verdict")


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def left(self, i: int) -> bool:
        """Whether column i holds text (left-aligned) rather than figures."""
        return i == 0 or self.headers[i] in TEXT_COLUMNS

    def text(self) -> str:
        widths = [max(len(str(r[i])) for r in [self.headers, *self.rows]) for i in range(len(self.headers))]
        lines = [self.title, "-" * len(self.title)]
        for row in [self.headers, *self.rows]:
            cells = [
                str(c).ljust(w) if self.left(i) else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ]
            lines.append("  ".join(cells).rstrip())
        lines += [f"  {note}" for note in self.notes]
        return "\n".join(lines)

    def markdown(self, level: str = "####") -> str:
        def cell(value: str) -> str:
            return str(value).replace("|", "\\|")

        lines = [f"{level} {self.title}", ""]
        lines.append("| " + " | ".join(cell(h) for h in self.headers) + " |")
        lines.append(
            "|" + "|".join("---" if self.left(i) else "---:" for i in range(len(self.headers))) + "|"
        )
        lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in self.rows]
        if self.notes:
            lines.append("")
            lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines)


FIGURE_HEADERS = ["", "median", "min", "max", "runs", "goal"]


def figure_row(label: str, values: list[float], fmt: Callable[[float], str], goal: str = "") -> list[str]:
    s = summary(values)
    return [label, fmt(s["median"]), fmt(s["min"]), fmt(s["max"]), str(s["n"]), goal]


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


# --------------------------------------------------------------------------- processes


@dataclass
class CliRun:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_kib: int

    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except ValueError:
            raise BenchError(
                f"`ytempire-ops {shlex.join(self.args)}` printed no JSON: {self.stdout.strip()[-300:]!r}"
            ) from None


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a child the benchmark started (it got the terminal's Ctrl-C too): wait, then terminate, then kill."""
    for action, wait in ((None, 5.0), (proc.terminate, 10.0), (proc.kill, 10.0)):
        if action is not None:
            with contextlib.suppress(ProcessLookupError):
                action()
        with contextlib.suppress(subprocess.TimeoutExpired, ChildProcessError):
            proc.wait(timeout=wait)
            return


# --------------------------------------------------------------------------- the benchmark


@dataclass
class Samples:
    """part -> figure -> one value per run."""

    data: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def add(self, part: str, label: str, value: float) -> None:
        self.data.setdefault(part, {}).setdefault(label, []).append(float(value))

    def get(self, part: str, label: str) -> list[float]:
        return self.data.get(part, {}).get(label, [])

    def median(self, part: str, label: str) -> float | None:
        values = self.get(part, label)
        return statistics.median(values) if values else None


@dataclass
class Bench:
    """One benchmark: its throwaway stack, the samples measured so far, and the tables made of them."""

    opts: argparse.Namespace
    home: Path
    state: dict[str, Any] = field(default_factory=dict)
    dbname: str = stack.DBNAME
    samples: Samples = field(default_factory=Samples)
    nodes: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # part -> node -> seconds
    rss: dict[str, list[int]] = field(default_factory=dict)  # command -> KiB per run
    runs_log: list[dict[str, Any]] = field(default_factory=list)  # every CLI process
    reads: dict[str, Any] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    settled: bool = False
    processes: int = 0

    # ----------------------------------------------------------------- stack

    def start(self) -> None:
        progress(f"starting a throwaway stack in {self.home}")
        stack.up(self.home)
        self.state = stack.load_state(self.home)
        (self.home / "logs").mkdir(exist_ok=True)
        self.machine = self.describe_machine()
        progress(
            f"PostgreSQL on port {self.state['postgres']['port']}, Redis on port {self.state['redis']['port']}"
        )

    def env(self) -> dict[str, str]:
        """The environment of a CLI process pointed at the throwaway stack (the caller's YTEMPIRE_*/DBT_* dropped)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("YTEMPIRE_", "DBT_"))}
        env.update(stack.client_env(self.state, self.home, self.dbname))
        env.update(
            {
                "YTEMPIRE_PROJECT_DIR": str(PROJECT_DIR),
                # dbt's artifacts and logs stay in the throwaway directory, not in the project's target/
                "DBT_TARGET_PATH": str(self.home / "dbt-target"),
                "DBT_LOG_PATH": str(self.home / "dbt-logs"),
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            }
        )
        return env

    @contextlib.contextmanager
    def connect(self, superuser: bool = False) -> Iterator[Any]:
        kwargs = (
            stack.superuser_kwargs(self.state, self.dbname)
            if superuser
            else stack.builder_kwargs(self.state, self.dbname)
        )
        conn = psycopg2.connect(**{**kwargs, "application_name": "ytempire-bench"})
        conn.autocommit = True
        try:
            yield conn
        finally:
            conn.close()

    def query(
        self, statement: sql.Composable | str, params: Any = None, superuser: bool = False
    ) -> list[tuple]:
        with self.connect(superuser) as conn, conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else []

    def checkpoint(self) -> None:
        """Write out the previous step's dirty pages first, so a timed step does not pay for them."""
        self.query("checkpoint", superuser=True)

    def cli(self, command: str, args: list[str]) -> CliRun:
        """Run `ytempire-ops ARGS` as cron would; its wall clock and peak RSS (ru_maxrss of that child)."""
        self.processes += 1
        slug = "".join(c if c.isalnum() else "-" for c in command).strip("-")
        stem = self.home / "logs" / f"{self.processes:03d}-{slug}"
        with open(f"{stem}.out", "w+b") as out, open(f"{stem}.err", "w+b") as err:
            started = time.monotonic()
            proc = subprocess.Popen(
                [*OPS, *args], env=self.env(), cwd=self.home, stdin=subprocess.DEVNULL, stdout=out, stderr=err
            )
            try:
                _, status, usage = os.wait4(proc.pid, 0)
            except BaseException:
                _stop(proc)
                raise
            elapsed = time.monotonic() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            result = CliRun(
                args=args,
                returncode=proc.returncode,
                stdout=out.read().decode(errors="replace"),
                stderr=err.read().decode(errors="replace"),
                seconds=elapsed,
                max_rss_kib=usage.ru_maxrss,
            )
        self.rss.setdefault(command, []).append(result.max_rss_kib)
        self.runs_log.append(
            {
                "command": command,
                "args": args,
                "exit_code": result.returncode,
                "seconds": round(elapsed, 3),
                "max_rss_kib": result.max_rss_kib,
            }
        )
        if result.returncode != 0:
            detail = result.stderr.strip().splitlines()[-12:]
            with contextlib.suppress(ValueError, AttributeError, TypeError):
                report = json.loads(result.stdout)
                if report.get("failures"):
                    detail += [f"{f['status']}: {f['node']}: {f['message']}" for f in report["failures"][:5]]
                if report.get("error"):
                    detail.append(str(report["error"]))
            raise BenchError(
                f"`ytempire-ops {shlex.join(args)}` exited {result.returncode}:\n  "
                + "\n  ".join(detail or ["(no output)"])
                + (
                    f"\n(its output: {stem}.out and .err)"
                    if self.opts.keep
                    else "\n(run with --keep to keep its output and the stack)"
                )
            )
        return result

    # ----------------------------------------------------------------- facts about the warehouse

    def describe_machine(self) -> dict[str, Any]:
        meminfo = Path("/proc/meminfo")
        mem_kib = 0
        if meminfo.exists():
            for line in meminfo.read_text().splitlines():
                if line.startswith("MemTotal:"):
                    mem_kib = int(line.split()[1])
        cpu = ""
        cpuinfo = Path("/proc/cpuinfo")
        if cpuinfo.exists():
            for line in cpuinfo.read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        pg_version = self.query("select version()")[0][0]
        tsdb = self.query(
            "select extversion, current_setting('timescaledb.license', true) "
            "from pg_extension where extname = 'timescaledb'"
        )
        settings = ", ".join(
            f"{name} {self.query('select current_setting(%s)', (name,))[0][0]}"
            for name in ("fsync", "synchronous_commit", "shared_buffers", "work_mem", "max_wal_size", "jit")
        )
        client = redis.Redis.from_url(self.state["redis"]["url"])
        try:
            redis_version = str(client.info("server").get("redis_version"))
        finally:
            client.close()

        def version(package: str) -> str:
            try:
                return metadata.version(package)
            except metadata.PackageNotFoundError:
                return "not installed"

        return {
            "cores": os.cpu_count(),
            "cpu": cpu,
            "memory_gib": round(mem_kib / 1024 / 1024, 1),
            "kernel": platform.release(),
            "postgresql": pg_version,
            "timescaledb": tsdb[0][0] if tsdb else None,
            "timescaledb_license": tsdb[0][1] if tsdb else None,
            "redis": redis_version,
            "python": platform.python_version(),
            "dbt_core": version("dbt-core"),
            "dbt_postgres": version("dbt-postgres"),
            "postgresql_settings": settings,
        }

    def last_instant(self) -> str:
        rows = self.query(
            sql.SQL("select last_instant from {}.generator_state where raw_schema = %s").format(
                sql.Identifier(META_SCHEMA)
            ),
            (RAW,),
        )
        if not rows:
            raise BenchError("the raw schema has no generator state; generate first.")
        return rows[0][0].astimezone(UTC).isoformat()

    def raw_generated(self) -> bool:
        rows = self.query("select to_regclass(%s)", (f"{META_SCHEMA}.generator_state",))
        return bool(rows[0][0]) and bool(
            self.query(
                sql.SQL("select 1 from {}.generator_state where raw_schema = %s").format(
                    sql.Identifier(META_SCHEMA)
                ),
                (RAW,),
            )
        )

    def warehouse_built(self) -> bool:
        return bool(self.query("select to_regclass('analytics.mart_executive_overview')")[0][0])

    def drop_schemas(self, names: list[str]) -> None:
        with self.connect() as conn, conn.cursor() as cur:
            for name in names:
                cur.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(name)))
        stack.prepare_database(self.state, self.dbname, bool(self.state["postgres"].get("timescaledb")))

    def built_schemas(self) -> list[str]:
        """The schemas dbt built: the builder's, but raw, the generator's state and public."""
        rows = self.query(
            "select n.nspname from pg_namespace as n join pg_roles as r on r.oid = n.nspowner "
            "where r.rolname = %s and n.nspname <> all(%s) order by 1",
            (self.state["postgres"]["user"], list(KEEP_SCHEMAS)),
        )
        return [row[0] for row in rows]

    def drop_built(self) -> list[str]:
        """Drop every schema dbt built."""
        names = self.built_schemas()
        self.drop_schemas(names)
        return names

    def vacuum_analyze(self, relations: list[tuple[str, str]]) -> None:
        with self.connect() as conn, conn.cursor() as cur:
            for schema, name in relations:
                cur.execute(
                    sql.SQL("vacuum (analyze) {}.{}").format(sql.Identifier(schema), sql.Identifier(name))
                )

    def raw_counts(self) -> dict[str, int]:
        return {
            t: int(
                self.query(
                    sql.SQL("select count(*) from {}.{}").format(sql.Identifier(RAW), sql.Identifier(t))
                )[0][0]
            )
            for t in RAW_TABLES
        }

    def settle_raw(self, generated: dict[str, int]) -> None:
        """Count the raw rows (checked against what generate reported) and vacuum/analyse them once.

        Autovacuum would do the same shortly after a load; doing it here means the first floor and
        build runs do not pay for setting hint bits that later runs get for free.
        """
        counts = self.raw_counts()
        differ = [
            f"{t}: generate said {generated.get(t)}, the table holds {n}"
            for t, n in counts.items()
            if generated.get(t) != n
        ]
        if differ:
            self.warn("raw row counts differ from generate's report: " + "; ".join(differ))
        progress(f"raw tables hold {sum(counts.values()):,} rows; vacuum analyze")
        self.vacuum_analyze([(RAW, t) for t in RAW_TABLES])
        self.data.update(
            {
                "raw_rows": counts,
                "raw_rows_total": sum(counts.values()),
                "channels": counts.get("channels"),
                "as_of": self.last_instant(),
            }
        )

    def settle_built(self) -> None:
        """Vacuum and analyse every relation dbt built, once, after a full build (not measured).

        The state cron meets: autovacuum processes freshly loaded tables within minutes of a build,
        so measured refreshes should not depend on whether it has got round to them yet (a refresh
        that started while it was still analysing the new tables took 45% longer).
        """
        if self.settled:
            return
        rows = self.query(
            "select n.nspname, c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace "
            "where n.nspname = any(%s) and c.relkind in ('r', 'm') order by 1, 2",
            (self.built_schemas(),),
        )
        progress(f"settle: vacuum analyze of the {len(rows)} tables the build made (not measured)")
        started = time.perf_counter()
        self.vacuum_analyze([(schema, name) for schema, name in rows])
        progress(f"settle: {time.perf_counter() - started:.1f} s")
        self.settled = True

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        progress(f"WARNING: {message}")

    def emit(self, table: Table) -> None:
        print("\n" + table.text() + "\n", flush=True)

    # ----------------------------------------------------------------- parts

    def generate_args(self) -> list[str]:
        return [
            "generate",
            "--scale",
            f"{self.opts.scale:g}",
            "--days",
            str(self.opts.days),
            "--seed",
            str(self.opts.seed),
            "--as-of",
            self.opts.as_of,
            "--json",
        ]

    def ensure_raw(self) -> None:
        if not self.raw_generated():
            progress("setup: generate (not measured)")
            data = self.cli("generate", self.generate_args()).json()
            self.settle_raw(data["rows"])

    def ensure_built(self) -> None:
        self.ensure_raw()
        if not self.warehouse_built():
            progress("setup: full build (not measured)")
            self.cli("build", ["build", "--json", "--vars", f"{{as_of: '{self.last_instant()}'}}"])
        self.settle_built()

    def part_generate(self) -> None:
        runs = self.opts.runs
        generated: dict[str, int] = {}
        for run in range(1, runs + 1):
            # a fresh raw schema each time (and no generator state): a first load, not a reload
            self.drop_schemas([RAW, META_SCHEMA])
            self.checkpoint()
            progress(f"generate {run}/{runs}: scale {self.opts.scale:g}, {self.opts.days} days")
            result = self.cli("generate", self.generate_args())
            data = result.json()
            generated = data["rows"]
            total = sum(generated.values())
            self.samples.add("generate", "process wall clock (s)", result.seconds)
            self.samples.add("generate", "generator, in-process (s)", data["seconds"])
            self.samples.add("generate", "rows/s, in-process", total / data["seconds"])
            self.samples.add("generate", "rows/s, process", total / result.seconds)
            progress(f"generate {run}/{runs}: {total:,} rows in {result.seconds:.1f} s")
        self.settle_raw(generated)
        self.done.append("generate")
        self.emit(self.table_generate())

    def part_floor(self) -> None:
        self.ensure_raw()
        runs = self.opts.runs
        for run in range(1, runs + 1):
            self.checkpoint()
            progress(f"floor {run}/{runs}: copying every raw table")
            total = 0.0
            with self.connect() as conn, conn.cursor() as cur:
                cur.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(FLOOR_SCHEMA)))
                cur.execute(sql.SQL("create schema {}").format(sql.Identifier(FLOOR_SCHEMA)))
                for t in RAW_TABLES:
                    started = time.perf_counter()
                    cur.execute(
                        sql.SQL("create table {}.{} as select * from {}.{}").format(
                            sql.Identifier(FLOOR_SCHEMA),
                            sql.Identifier(t),
                            sql.Identifier(RAW),
                            sql.Identifier(t),
                        )
                    )
                    elapsed = time.perf_counter() - started
                    total += elapsed
                    self.samples.add("floor", f"raw.{t}", elapsed)
                cur.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(FLOOR_SCHEMA)))
            self.samples.add("floor", "total", total)
            progress(f"floor {run}/{runs}: {total:.1f} s")
        self.done.append("floor")
        self.emit(self.table_floor())

    def part_build(self) -> None:
        self.ensure_raw()
        runs = self.opts.runs
        as_of = self.last_instant()
        for run in range(1, runs + 1):
            dropped = self.drop_built()
            self.settled = False
            self.checkpoint()
            progress(f"build {run}/{runs}: full dbt build (dropped {', '.join(dropped) or 'nothing'})")
            result = self.cli("build", ["build", "--json", "--vars", f"{{as_of: '{as_of}'}}"])
            data = result.json()
            self.samples.add("build", "process wall clock (s)", result.seconds)
            self.samples.add("build", "dbt build, in-process (s)", data["seconds"])
            for node in data.get("slowest", []):
                self.add_node("build", node["node"], node["seconds"])
            self.data["build_counts"] = data.get("counts", {})
            progress(f"build {run}/{runs}: {result.seconds:.1f} s")
        self.done.append("build")
        self.emit(self.table_build())

    def part_overhead(self) -> None:
        self.ensure_raw()
        runs = self.opts.runs
        # The full build's arguments (same --vars, so dbt's partial parse applies as in the build's
        # runs after the first), selecting no node; one untimed run first writes the parse cache.
        args = [
            "build",
            "--json",
            "--vars",
            f"{{as_of: '{self.last_instant()}'}}",
            "--select",
            NOTHING_SELECTOR,
            "--allow-empty-selection",
        ]
        progress("overhead warm-up (not counted): a build that selects nothing")
        self.cli("build (nothing selected)", args)
        for run in range(1, runs + 1):
            progress(f"overhead {run}/{runs}: a build that selects nothing")
            result = self.cli("build (nothing selected)", args)
            data = result.json()
            self.samples.add("overhead", "process wall clock (s)", result.seconds)
            self.samples.add("overhead", "dbt build, in-process (s)", data["seconds"])
        self.done.append("overhead")
        self.emit(self.table_overhead())

    def add_node(self, part: str, node: str, seconds_taken: float) -> None:
        self.nodes.setdefault(part, {}).setdefault(node, []).append(seconds_taken)

    def append_and_refresh(self, minutes: int, part: str | None, label: str | None = None) -> None:
        """Append `minutes` of data and refresh. With `part`, record the refresh: every step's figures,
        or (with `label`, one refresh of a series) its total and rows under that label."""
        appended = self.cli(
            f"generate --append-minutes {minutes}", ["generate", "--append-minutes", str(minutes), "--json"]
        )
        data = appended.json()
        as_of = self.last_instant()
        result = self.cli("refresh", ["refresh", "--json", "--as-of", as_of])
        report = result.json()
        rows = sum(data["rows"].values())
        progress(f"  +{rows:,} rows, refresh {report['seconds']:.2f} s (process {result.seconds:.2f} s)")
        if part is None:
            return
        for step in report["steps"]:
            if step["name"] == "dbt":
                for node, value in (step.get("data") or {}).get("nodes", {}).items():
                    self.add_node(part, node, value)
        add = self.samples.add
        if label is not None:
            add(part, label, report["seconds"])
            add(part, f"  rows appended, {label.removeprefix('refresh, ').removesuffix(' (s)')}", rows)
            return
        add(part, "generate --append-minutes, process (s)", appended.seconds)
        add(part, "rows appended", rows)
        add(part, "refresh, process wall clock (s)", result.seconds)
        add(part, "refresh total, --json (s)", report["seconds"])
        for step in report["steps"]:
            add(part, f"step {step['name']} (s)", step["seconds"])
            step_data = step.get("data") or {}
            if step["name"] == "dbt":
                for name, value in step_data.get("timing", {}).items():
                    add(part, f"  dbt {name.replace('_', ' ')} (s)", value)
            elif step["name"] == "materialized views":
                for view, info in step_data.items():
                    if isinstance(info, dict) and "seconds" in info:
                        add(part, f"  view {view} (s)", info["seconds"])
            elif step["name"] == "warm" and "seconds" in step_data:
                add(part, "  warm, its own total (s)", step_data["seconds"].get("total", 0.0))

    def part_refresh(self) -> None:
        self.ensure_built()
        for n in range(1, self.opts.warmup + 1):
            progress(f"refresh warm-up {n}/{self.opts.warmup} (not counted): append 5 minutes, refresh")
            self.append_and_refresh(5, None)
        for minutes in (5, 1440):
            runs = self.opts.refresh_runs if minutes == 5 and self.opts.refresh_runs else self.opts.runs
            for run in range(1, runs + 1):
                progress(f"refresh after {minutes} minutes {run}/{runs}")
                self.append_and_refresh(minutes, f"refresh-{minutes}")
        self.done.append("refresh")
        for minutes in (5, 1440):
            self.emit(self.table_refresh(minutes))

    def part_noop(self) -> None:
        self.ensure_built()
        runs = self.opts.runs
        args = ["build", "--json", "--as-of", self.last_instant()]
        for run in range(1, runs + 1):
            self.checkpoint()
            progress(f"no-op build {run}/{runs}: `build` with no new data")
            result = self.cli("build (no new data)", args)
            data = result.json()
            self.samples.add("noop", "process wall clock (s)", result.seconds)
            self.samples.add("noop", "dbt build, in-process (s)", data["seconds"])
            for node in data.get("slowest", []):
                self.add_node("noop", node["node"], node["seconds"])
            progress(f"no-op build {run}/{runs}: {result.seconds:.1f} s")
        self.done.append("noop")
        self.emit(self.table_noop())

    def minutes_to_boundary(self) -> int:
        """Minutes to append so that the generator's last instant is 23:50 UTC. The daily poll is
        captured at 23:55 and delivered after it, so the append to 00:00 is the batch that carries it."""
        last = datetime.fromisoformat(self.last_instant()).astimezone(UTC)
        minute = last.hour * 60 + last.minute
        target = DAILY_POLL_MINUTE - 5
        return (target - minute) % 1440 or 1440

    def part_boundary(self) -> None:
        self.ensure_built()
        runs = self.opts.runs
        for run in range(1, runs + 1):
            catch_up = self.minutes_to_boundary()
            progress(
                f"boundary {run}/{runs}: catch-up to 23:50 UTC ({catch_up} minutes, refreshed, not measured)"
            )
            self.append_and_refresh(catch_up, None)
            for step in BOUNDARY_STEPS:
                progress(f"boundary {run}/{runs}: {step}")
                self.append_and_refresh(5, "boundary", label=f"refresh, {step} (s)")
        self.done.append("boundary")
        self.emit(self.table_boundary())

    def part_disk(self) -> None:
        self.ensure_built()
        self.checkpoint()
        schemas = [RAW, *self.built_schemas()]
        rows = self.query(disk_usage.RELATIONS, {"schemas": schemas})
        per_schema: dict[str, int] = {}
        for schema, _name, _kind, _rows, heap, indexes in rows:
            per_schema[schema] = per_schema.get(schema, 0) + int(heap) + int(indexes)
        built = sum(v for k, v in per_schema.items() if k != RAW)
        self.samples.add("disk", "every schema but raw (bytes)", built)
        self.samples.add("disk", "raw (bytes)", per_schema.get(RAW, 0))
        self.samples.add(
            "disk", "database (bytes)", self.query("select pg_database_size(current_database())")[0][0]
        )
        for schema, value in sorted(per_schema.items()):
            self.samples.add("disk", f"  schema {schema} (bytes)", value)
        self.done.append("disk")
        self.emit(self.table_disk())

    def part_warm(self) -> None:
        self.ensure_built()
        for run in range(1, self.opts.runs + 1):
            progress(f"warm {run}/{self.opts.runs}")
            result = self.cli("warm", ["warm", "--json"])
            data = result.json()
            self.samples.add("warm", "process wall clock (s)", result.seconds)
            for name, value in data["seconds"].items():
                self.samples.add("warm", f"warm {name}, in-process (s)", value)
            self.data["warm_keys"] = data["keys_written"]
            self.data["warm_bytes"] = data["bytes_written"]
        self.done.append("warm")
        self.emit(self.table_warm())

    def part_reads(self) -> None:
        self.ensure_built()
        # Keys that outlive the reads part (TTL = 2 x the refresh interval): one untimed warm first.
        progress("reads: one warm first (not measured) so that every key is fresh")
        self.cli("warm (before reads)", ["warm", "--json", "--refresh-interval", "86400"])
        client = redis.Redis.from_url(self.state["redis"]["url"], socket_timeout=5)
        queries = reads.naive_queries()
        prefix = "ytempire:"
        results: dict[str, Any] = {}
        try:
            with self.connect() as marts_conn, self.connect() as naive_conn:
                with marts_conn.cursor() as cur:
                    cur.execute("set statement_timeout = 0")
                with naive_conn.cursor() as cur:
                    cur.execute("set statement_timeout = %s", (f"{int(self.opts.naive_timeout_seconds)}s",))
                marts_cur = reads.dict_cursor(marts_conn)
                naive_cur = reads.dict_cursor(naive_conn)
                targets = reads.pick_targets(marts_cur)
                for target in targets:
                    results[target.key] = self.read_one(
                        client, prefix, target, queries[target.pattern], marts_cur, naive_cur
                    )
        finally:
            client.close()
        self.reads = results
        self.done.append("reads")
        self.emit(self.table_reads())

    def read_one(
        self,
        client: redis.Redis,
        prefix: str,
        target: reads.Target,
        naive_query: str,
        marts_cur: Any,
        naive_cur: Any,
    ) -> dict[str, Any]:
        name = prefix + target.key
        value = reads.decode(client.get(name))
        if value is None:
            raise BenchError(f"Redis has no {name} after a warm.")
        as_of = datetime.fromisoformat(value["as_of"])
        out: dict[str, Any] = {
            "key": target.key,
            "as_of": value["as_of"],
            "redis": [],
            "marts": [],
            "naive": [],
            "checks": {},
        }
        # One untimed read of each way, which also checks that they agree.
        marts = json.loads(reads.marts_value(marts_cur, target))
        if marts["data"] != value["data"]:
            self.warn(f"{name}: the marts' SELECT does not give the published payload")
        out["checks"]["marts equal the Redis payload"] = marts["data"] == value["data"]
        progress(f"reads {target.key}: one naive read first (also checks its figures)")
        try:
            started = time.monotonic()
            naive = reads.naive_rows(naive_cur, naive_query, target, as_of)
            progress(f"reads {target.key}: the naive read took {time.monotonic() - started:.2f} s")
        except psycopg2.errors.QueryCanceled:
            out["naive_timeout"] = True
            self.warn(
                f"{name}: the naive query ran longer than {self.opts.naive_timeout_seconds:g} s; not measured"
            )
            naive = None
        if naive is not None:
            expected = reads.figures_of_payload(target, value["data"])
            mismatches = reads.compare(expected, reads.figures_of_naive(target, naive))
            out["checks"]["naive figures compared"] = sorted(expected)
            out["checks"]["naive mismatches"] = mismatches
            if mismatches:
                self.warn(
                    f"{name}: the naive query disagrees with the Redis payload on " + "; ".join(mismatches)
                )
            else:
                progress(f"reads {target.key}: naive and Redis agree on {len(expected)} figures")
        for run in range(1, self.opts.runs + 1):
            progress(
                f"reads {target.key} {run}/{self.opts.runs}: {self.opts.reads} Redis GETs, {self.opts.reads} SELECTs on the marts"
            )
            out["redis"].append(reads.time_reads(lambda: client.get(name), self.opts.reads))
            out["marts"].append(
                reads.time_reads(lambda: reads.marts_value(marts_cur, target), self.opts.reads)
            )
            if naive is None:
                continue
            # The naive budget and minimum are per key, spread evenly over the runs.
            budget = self.opts.naive_budget_seconds / self.opts.runs
            at_least = math.ceil(self.opts.naive_min_reads / self.opts.runs)
            progress(
                f"reads {target.key} {run}/{self.opts.runs}: naive reads "
                f"(up to {self.opts.reads}, or {budget:g} s once {at_least} are made)"
            )
            started = time.monotonic()
            samples = reads.time_reads(
                lambda: reads.naive_rows(naive_cur, naive_query, target, as_of),
                self.opts.reads,
                budget_seconds=budget,
                min_reads=at_least,
            )
            out["naive"].append(samples)
            progress(
                f"reads {target.key} {run}/{self.opts.runs}: {len(samples):,} naive reads "
                f"in {time.monotonic() - started:.1f} s"
            )
        return out

    def part_rebuild(self) -> None:
        self.ensure_built()
        as_of = self.last_instant()
        for run in range(1, self.opts.runs + 1):
            self.checkpoint()
            progress(f"rebuild {run}/{self.opts.runs}: {FACT} --full-refresh")
            result = self.cli(
                "rebuild", ["build", "--select", FACT, "--full-refresh", "--json", "--as-of", as_of]
            )
            data = result.json()
            self.samples.add("rebuild", "process wall clock (s)", result.seconds)
            self.samples.add("rebuild", "dbt build, in-process (s)", data["seconds"])
            for node in data.get("slowest", []):
                self.add_node("rebuild", node["node"], node["seconds"])
            model = [
                n["seconds"]
                for n in data.get("slowest", [])
                if n["node"].startswith("model.") and n["node"].endswith(f".{FACT}")
            ]
            if model:
                self.samples.add("rebuild", f"model {FACT} alone (s)", model[0])
            progress(f"rebuild {run}/{self.opts.runs}: {result.seconds:.1f} s")
        self.done.append("rebuild")
        self.emit(self.table_rebuild())

    # ----------------------------------------------------------------- tables

    def rows_of(
        self, part: str, fmt: Callable[[float], str] = seconds, goals: dict[str, str] | None = None
    ) -> list[list[str]]:
        goals = goals or {}
        return [
            figure_row(label, values, fmt, goals.get(label, ""))
            for label, values in self.samples.data.get(part, {}).items()
        ]

    def table_generate(self) -> Table:
        formats = {"rows/s, in-process": count, "rows/s, process": count}
        rows = [
            figure_row(label, values, formats.get(label, seconds))
            for label, values in self.samples.data.get("generate", {}).items()
        ]
        return Table(
            "1. Generation",
            FIGURE_HEADERS,
            rows,
            [
                f"{self.data.get('raw_rows_total', 0):,} raw rows per generation "
                f"({self.data.get('raw_rows', {}).get('video_metrics', 0):,} of them metric polls); "
                "each run into a raw schema dropped just before; rows/s = rows / seconds."
            ],
        )

    def table_floor(self) -> Table:
        rows = []
        counts = self.data.get("raw_rows", {})
        for label, values in self.samples.data.get("floor", {}).items():
            name = label.removeprefix("raw.")
            shown = (
                f"{label} ({counts[name]:,} row{'' if counts[name] == 1 else 's'})"
                if name in counts
                else label
            )
            rows.append(figure_row(f"{shown} (s)", values, seconds))
        return Table(
            "2. Floor: PostgreSQL copying each raw table once",
            FIGURE_HEADERS,
            rows,
            [
                "`create table bench_floor.<t> as select * from raw.<t>` per table, timed in one session; dropped after each run."
            ],
        )

    def build_goal(self) -> tuple[str, float, float] | None:
        """(goal cell, build, limit) for 'full build <= 2 x floor + dbt's fixed overhead'."""
        build = self.samples.median("build", "process wall clock (s)")
        floor = self.samples.median("floor", "total")
        overhead = self.samples.median("overhead", "process wall clock (s)")
        if build is None or floor is None or overhead is None:
            return None
        limit = GOAL_BUILD_FLOOR_FACTOR * floor + overhead
        return f"<= 2 x floor + overhead = {seconds(limit)} s: {verdict(build <= limit)}", build, limit

    def table_build(self) -> Table:
        goal = self.build_goal()
        rows = self.rows_of("build", goals={"process wall clock (s)": goal[0] if goal else ""})
        for node, values in self.nodes.get("build", {}).items():
            if node.endswith(f".{FACT}") and node.startswith("model."):
                rows.append(figure_row(f"  of which {FACT} (s)", values, seconds))
        floor = self.samples.get("floor", "total")
        notes = []
        runs = len(self.samples.get("build", "process wall clock (s)"))
        for node, values in self.nodes.get("build", {}).items():
            if node.endswith(f".{FACT}") and node.startswith("model.") and len(values) < runs:
                notes.append(
                    f"{FACT} was among the 5 slowest nodes (what `build --json` lists) in {len(values)} of {runs} runs."
                )
        if floor:
            for label in ("process wall clock (s)", "dbt build, in-process (s)"):
                build = self.samples.get("build", label)
                if build:
                    rows.append(
                        figure_row(
                            f"ratio to the floor ({label.split(' (')[0]})",
                            [b / statistics.median(floor) for b in build],
                            ratio,
                        )
                    )
        counts = self.data.get("build_counts")
        if counts:
            notes.append(
                "last run's nodes: "
                + "; ".join(
                    f"{kind}: " + ", ".join(f"{n} {s}" for s, n in c.items()) for kind, c in counts.items()
                )
            )
        notes.append(
            'each run after dropping every schema dbt built (staging, intermediate, analytics, snapshots, ...); `ytempire-ops build --json --vars "{as_of: ...}"`'
        )
        return Table("3. Full dbt build", FIGURE_HEADERS, rows, notes)

    def table_overhead(self) -> Table:
        rows = self.rows_of("overhead")
        for minutes in (5, 1440):
            values = self.samples.get(f"refresh-{minutes}", "  dbt before first node (s)")
            if values:
                rows.append(
                    figure_row(f"refresh ({minutes} min): dbt before its first node (s)", values, seconds)
                )
        return Table(
            "dbt's fixed overhead",
            FIGURE_HEADERS,
            rows,
            [
                f'`ytempire-ops build --json --vars "{{as_of: ...}}" --select {NOTHING_SELECTOR} --allow-empty-selection` (no node, '
                "after one untimed run): Python and dbt imports, partial parse; the overhead in "
                "'full build <= 2 x floor + overhead'. The refresh rows are the same fixed cost inside "
                "`refresh` (parse and relation cache, measured in-process)."
            ],
        )

    def refresh_goal(self) -> str:
        value = self.samples.median("refresh-5", "refresh total, --json (s)")
        return (
            ""
            if value is None
            else f"<= {GOAL_REFRESH_SECONDS:g} s: {verdict(value <= GOAL_REFRESH_SECONDS)}"
        )

    def rebuild_ratios(self) -> list[tuple[str, float, float, float]]:
        """(label, rebuild / refresh, rebuild, refresh) of the two comparisons made."""
        out = []
        pairs = (
            (
                "process to process: rebuild command / refresh command",
                "process wall clock (s)",
                "refresh, process wall clock (s)",
            ),
            (
                f"model {FACT} alone / refresh total (--json)",
                f"model {FACT} alone (s)",
                "refresh total, --json (s)",
            ),
        )
        for label, rebuild_label, refresh_label in pairs:
            rebuild = self.samples.median("rebuild", rebuild_label)
            refresh = self.samples.median("refresh-5", refresh_label)
            if rebuild and refresh:
                out.append((label, rebuild / refresh, rebuild, refresh))
        return out

    def slowest_nodes(
        self, part: str, by: Callable[[list[float]], float] = statistics.median, label: str = "  node {} (s)"
    ) -> list[list[str]]:
        """One row per dbt node of the part, the --top-nodes slowest by `by` of their runs."""
        nodes = sorted(self.nodes.get(part, {}).items(), key=lambda item: -by(item[1]))
        return [
            figure_row(label.format(node), values, seconds) for node, values in nodes[: self.opts.top_nodes]
        ]

    def table_noop(self) -> Table:
        rows = self.rows_of("noop")
        rows += self.slowest_nodes("noop")
        return Table(
            "3b. `build` with no new data",
            FIGURE_HEADERS,
            rows,
            [
                "`ytempire-ops build --json --as-of <generator's last instant>` on the built warehouse, "
                "nothing appended: the daily `dbt build` of an analyst, with every test; "
                f"the {self.opts.top_nodes} slowest nodes (or tests) by median shown."
            ],
        )

    def table_boundary(self) -> Table:
        formats = {
            label: count for label in self.samples.data.get("boundary", {}) if "rows appended" in label
        }
        rows = [
            figure_row(label, values, formats.get(label, seconds))
            for label, values in self.samples.data.get("boundary", {}).items()
        ]
        rows += self.slowest_nodes("boundary", by=max, label="  node {}, any refresh of the series (s)")
        return Table(
            "4b. The day boundary: 5-minute refreshes across the daily poll",
            FIGURE_HEADERS,
            rows,
            [
                "each run: `generate --append-minutes` up to 23:50 UTC and one catch-up refresh (not measured), "
                "then four rounds of `generate --append-minutes 5` and `refresh --json`: to 23:55 (before the "
                "batch), 00:00 (the batch: the daily poll of every video older than a week, captured at 23:55 "
                "and delivered after it), 00:05 and 00:10 (the lookback reads the batch again)."
            ],
        )

    def table_disk(self) -> Table:
        return Table(
            "6. Disk",
            FIGURE_HEADERS,
            self.rows_of("disk", fmt=lambda value: f"{value / 2**30:,.2f} GiB"),
            [
                "after the parts run before it; pg_table_size + pg_indexes_size of every relation, a "
                "hypertable with its chunks (benchmarks/disk_usage.py's query); the database also holds "
                "the catalog and the generator's state."
            ],
        )

    def table_refresh(self, minutes: int) -> Table:
        part = f"refresh-{minutes}"
        goals = {"refresh total, --json (s)": self.refresh_goal()} if minutes == 5 else {}
        formats = {"rows appended": count}
        rows = [
            figure_row(label, values, formats.get(label, seconds), goals.get(label, ""))
            for label, values in self.samples.data.get(part, {}).items()
        ]
        rows += self.slowest_nodes(part)
        title = (
            "4. Incremental: refresh after a 5-minute append"
            if minutes == 5
            else "4. Incremental: refresh after a 1-day (1,440-minute) append"
        )
        return Table(
            title,
            FIGURE_HEADERS,
            rows,
            [
                f"each run: `generate --append-minutes {minutes}`, then `refresh --json --as-of <generator's last instant>` "
                f"(a new process each); {self.opts.warmup} warm-up refresh first, not counted; "
                f"the {self.opts.top_nodes} slowest dbt nodes by median shown."
            ],
        )

    def table_warm(self) -> Table:
        goal_value = self.samples.median("warm", "warm total, in-process (s)")
        goals = {}
        if goal_value is not None:
            goals["warm total, in-process (s)"] = (
                f"<= {GOAL_WARM_SECONDS:g} s: {verdict(goal_value <= GOAL_WARM_SECONDS)}"
            )
        rows = self.rows_of("warm", goals=goals)
        for minutes in (5, 1440):
            values = self.samples.get(f"refresh-{minutes}", "  warm, its own total (s)")
            if values:
                rows.append(
                    figure_row(f"warm inside refresh ({minutes} min), its own total (s)", values, seconds)
                )
        notes = [
            f"{self.data.get('warm_keys', 0):,} keys, {self.data.get('warm_bytes', 0):,} bytes per warm; `ytempire-ops warm --json`, its own timings (query, encode, stage, publish)."
        ]
        return Table("5. Warm", FIGURE_HEADERS, rows, notes)

    def table_views(self) -> Table | None:
        rows = []
        for minutes in (5, 1440):
            part = f"refresh-{minutes}"
            for label, values in self.samples.data.get(part, {}).items():
                if label.startswith("  view ") or label == "step materialized views (s)":
                    rows.append(figure_row(f"{label.strip()} after {minutes} min", values, seconds))
        if not rows:
            return None
        return Table(
            "5. Materialized views (REFRESH MATERIALIZED VIEW CONCURRENTLY inside refresh)",
            FIGURE_HEADERS,
            rows,
            ["per view, from the materialized views step of `refresh --json`."],
        )

    def table_reads(self) -> Table:
        headers = [
            "key",
            "read",
            "reads per run",
            "p50 ms (min-max)",
            "p99 ms (min-max)",
            "p50 / Redis",
            "p99 / Redis",
            "goal",
        ]
        table = Table("6. Dashboard read latency", headers)
        for result in self.reads.values():
            per_method: dict[str, tuple[list[float], list[float]]] = {}
            for method in ("redis", "marts", "naive"):
                runs = result.get(method) or []
                if not runs:
                    continue
                p50 = [percentile(r, 50) for r in runs]
                p99 = [percentile(r, 99) for r in runs]
                per_method[method] = (p50, p99)
                sizes = [len(r) for r in runs]
                shown = f"{min(sizes):,}" if min(sizes) == max(sizes) else f"{min(sizes):,}-{max(sizes):,}"
                if method == "naive" and min(sizes) < self.opts.reads:
                    shown += f" (not {self.opts.reads:,}: budget)"
                goal = ""
                if method == "redis":
                    goal = f"p99 < {GOAL_REDIS_P99_MS:g} ms: {verdict(statistics.median(p99) < GOAL_REDIS_P99_MS)}"
                base = per_method.get("redis")
                r50 = ratio(statistics.median(p50) / statistics.median(base[0])) if base else ""
                r99 = ratio(statistics.median(p99) / statistics.median(base[1])) if base else ""
                label = {"redis": "Redis GET", "marts": "SELECT on the marts", "naive": "naive query on raw"}[
                    method
                ]
                table.rows.append(
                    [
                        result["key"],
                        label,
                        shown,
                        f"{millis(statistics.median(p50))} ({millis(min(p50))}-{millis(max(p50))})",
                        f"{millis(statistics.median(p99))} ({millis(min(p99))}-{millis(max(p99))})",
                        r50,
                        r99,
                        goal,
                    ]
                )
            if result.get("naive_timeout"):
                table.notes.append(
                    f"{result['key']}: the naive query exceeded {self.opts.naive_timeout_seconds:g} s; not measured."
                )
            mismatches = result.get("checks", {}).get("naive mismatches")
            compared = result.get("checks", {}).get("naive figures compared", [])
            if mismatches:
                table.notes.append(f"{result['key']}: naive and Redis DISAGREE on: " + "; ".join(mismatches))
            elif compared:
                table.notes.append(
                    f"{result['key']}: naive and Redis agree on {len(compared)} figures ({', '.join(compared)})."
                )
        table.notes.insert(
            0,
            "Keys after the prefix `ytempire:`. "
            f"p50/p99 per run over the reads of that run, median over {self.opts.runs} runs (min-max). "
            "Redis: GET of the published key on one connection. Marts: the SELECT warm runs for that key, "
            "assembled and JSON-encoded by warm's functions. Naive: benchmarks/naive_reads.sql on the raw tables, "
            f"up to {self.opts.reads:,} reads per run, fewer when the naive budget of a key "
            f"({self.opts.naive_budget_seconds:g} s, at least {self.opts.naive_min_reads} reads, both spread "
            "over the runs) is spent first.",
        )
        return table

    def table_rebuild(self) -> Table:
        rows = self.rows_of("rebuild")
        for label, value, rebuild, refresh in self.rebuild_ratios():
            rows.append(
                [
                    f"ratio {label}",
                    ratio(value),
                    "",
                    "",
                    "",
                    f">= {GOAL_REBUILD_RATIO:g}x ({seconds(rebuild)} s / {seconds(refresh)} s): {verdict(value >= GOAL_REBUILD_RATIO)}",
                ]
            )
        return Table(
            f"4. Full rebuild of {FACT} (the rebuild-every-run approach)",
            FIGURE_HEADERS,
            rows,
            [
                f"`ytempire-ops build --select {FACT} --full-refresh --json --as-of <last instant>` (the model and its tests), "
                "after the refresh runs; ratios use the medians of the 5-minute refresh."
            ],
        )

    def table_memory(self) -> Table:
        rows = []
        for command, values in self.rss.items():
            rows.append(
                [
                    command,
                    mib(statistics.median(values)),
                    mib(min(values)),
                    mib(max(values)),
                    str(len(values)),
                ]
            )
        return Table(
            "7. Peak memory of the CLI process (MiB)",
            ["command", "median", "min", "max", "processes"],
            rows,
            [
                "ru_maxrss of each `ytempire-ops` child (os.wait4), setup runs included; max is the figure to plan for."
            ],
        )

    def table_goals(self) -> Table:
        rows = []
        refresh = self.samples.median("refresh-5", "refresh total, --json (s)")
        if refresh is not None:
            rows.append(
                [
                    "5-minute refresh (refresh --json total)",
                    f"<= {GOAL_REFRESH_SECONDS:g} s",
                    f"{seconds(refresh)} s",
                    verdict(refresh <= GOAL_REFRESH_SECONDS),
                ]
            )
        for label, value, _rebuild, _refresh in self.rebuild_ratios():
            rows.append(
                [
                    f"full rebuild / 5-minute refresh ({label})",
                    f">= {GOAL_REBUILD_RATIO:g}x",
                    ratio(value),
                    verdict(value >= GOAL_REBUILD_RATIO),
                ]
            )
        goal = self.build_goal()
        if goal:
            _, build, limit = goal
            rows.append(
                [
                    "full build (process) vs 2 x floor + dbt overhead",
                    f"<= {seconds(limit)} s",
                    f"{seconds(build)} s",
                    verdict(build <= limit),
                ]
            )
        p99s = []
        for result in self.reads.values():
            if result.get("redis"):
                p99s.append((statistics.median(percentile(r, 99) for r in result["redis"]), result["key"]))
        if p99s:
            worst, key = max(p99s)
            rows.append(
                [
                    f"Redis read p99 (worst key: {key})",
                    f"< {GOAL_REDIS_P99_MS:g} ms",
                    f"{millis(worst)} ms",
                    verdict(worst < GOAL_REDIS_P99_MS),
                ]
            )
        warm = self.samples.median("warm", "warm total, in-process (s)")
        if warm is not None:
            rows.append(
                [
                    "warm (its own total)",
                    f"<= {GOAL_WARM_SECONDS:g} s",
                    f"{seconds(warm)} s",
                    verdict(warm <= GOAL_WARM_SECONDS),
                ]
            )
        return Table("Goals", ["goal", "target", "measured (median)", "verdict"], rows)

    def all_tables(self) -> list[Table]:
        """Every table, in the issue's order (1-7), then the goals."""
        order: list[Table | None] = []
        if "generate" in self.done:
            order.append(self.table_generate())
        if "floor" in self.done:
            order.append(self.table_floor())
        if "build" in self.done:
            order.append(self.table_build())
        if "overhead" in self.done:
            order.append(self.table_overhead())
        if "noop" in self.done:
            order.append(self.table_noop())
        if "refresh" in self.done:
            order += [self.table_refresh(5), self.table_refresh(1440)]
        if "boundary" in self.done:
            order.append(self.table_boundary())
        if "disk" in self.done:
            order.append(self.table_disk())
        if "rebuild" in self.done:
            order.append(self.table_rebuild())
        if "refresh" in self.done:
            order.append(self.table_views())
        if "warm" in self.done:
            order.append(self.table_warm())
        if "reads" in self.done:
            order.append(self.table_reads())
        if self.rss:
            order.append(self.table_memory())
        order.append(self.table_goals())
        return [t for t in order if t is not None]

    # ----------------------------------------------------------------- run and report

    def run(self) -> None:
        parts = [p for p in PARTS if p in self.opts.parts]
        for part in parts:
            progress(f"== {part}: {PART_HELP[part]}")
            getattr(self, f"part_{part}")()

    def results(self, complete: bool, command: str, started_at: datetime) -> dict[str, Any]:
        summaries = {
            part: {label: {**summary(values), "samples": values} for label, values in figures.items()}
            for part, figures in self.samples.data.items()
        }
        reads_out = {}
        for key, result in self.reads.items():
            reads_out[key] = {
                **{k: v for k, v in result.items() if k not in ("redis", "marts", "naive")},
                **{
                    method: {
                        "p50_ms": [percentile(r, 50) for r in result[method]],
                        "p99_ms": [percentile(r, 99) for r in result[method]],
                        "samples_ms": [[round(x, 4) for x in r] for r in result[method]],
                    }
                    for method in ("redis", "marts", "naive")
                    if result.get(method)
                },
            }
        return {
            "complete": complete,
            "date": started_at.isoformat(timespec="seconds"),
            "command": command,
            "options": {k: v for k, v in vars(self.opts).items() if k not in ("results", "doc")},
            "machine": self.machine,
            "data": self.data,
            "wall_seconds": round(time.monotonic() - STARTED, 1),
            "figures": summaries,
            "nodes": self.nodes,
            "reads": reads_out,
            "peak_rss_kib": {command: {"max": max(v), "samples": v} for command, v in self.rss.items()},
            "goals": [
                dict(zip(["goal", "target", "measured", "verdict"], row, strict=True))
                for row in self.table_goals().rows
            ],
            "processes": self.runs_log,
            "warnings": self.warnings,
        }

    def section(self, command: str, started_at: datetime) -> str:
        m = self.machine
        tsdb = (
            f"TimescaleDB {m['timescaledb']} (license: {m['timescaledb_license']})"
            if m.get("timescaledb")
            else "no TimescaleDB"
        )
        wall = time.monotonic() - STARTED
        lines = [
            f"### Scale {self.opts.scale:g}, {self.opts.days} days",
            "",
            f"- Date: {started_at:%Y-%m-%d %H:%M} UTC; the whole benchmark took {wall / 60:,.1f} minutes.",
            f"- Command: `{command}`",
            f"- Machine: {m['cores']} cores ({m['cpu'] or 'unknown CPU'}), {m['memory_gib']} GiB memory, Linux {m['kernel']}; "
            f"{m['postgresql']}; {tsdb}; Redis {m['redis']}; Python {m['python']}, dbt-core {m['dbt_core']}, "
            f"dbt-postgres {m['dbt_postgres']}. PostgreSQL settings: {m['postgresql_settings']}.",
            f"- Data: scale {self.opts.scale:g} ({self.data.get('channels', '?')} channels), {self.opts.days} days "
            f"to {self.opts.as_of}, seed {self.opts.seed}: {self.data.get('raw_rows_total', 0):,} raw rows "
            f"({self.data.get('raw_rows', {}).get('video_metrics', 0):,} metric polls).",
            f"- Each figure: median of {self.opts.runs} runs, with min and max. Parts run: {', '.join(self.done)}.",
        ]
        if self.settled:
            lines.append(
                "- Before the parts that need a built warehouse: one VACUUM ANALYZE of every table the build "
                "made, not measured (the state cron meets once autovacuum has processed the new tables)."
            )
        lines.append("")
        if self.warnings:
            lines += ["Warnings:", "", *[f"- {w}" for w in self.warnings], ""]
        for table in self.all_tables():
            lines += [table.markdown(), ""]
        return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------- doc, results, teardown


def section_name(opts: argparse.Namespace) -> str:
    if opts.name:
        return str(opts.name)
    name = f"scale-{opts.scale:g}"
    return name if opts.days == 90 else f"{name}-{opts.days}d"


INSERT_MARKER = "<!-- bench:new sections go above this line -->"


def write_doc(path: Path, name: str, body: str) -> None:
    """Replace the generated section `name` of the doc (between its markers); add it if absent."""
    start, end = f"<!-- bench:{name} start -->", f"<!-- bench:{name} end -->"
    block = f"{start}\n{body}{end}"
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = before + block + after
    elif INSERT_MARKER in text:
        text = text.replace(INSERT_MARKER, f"{block}\n\n{INSERT_MARKER}")
    else:
        text = text.rstrip() + f"\n\n{block}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def command_line() -> str:
    argv = list(sys.argv)
    with contextlib.suppress(ValueError):
        argv[0] = str(Path(argv[0]).resolve().relative_to(PROJECT_DIR))
    return shlex.join(["python", *argv])


def remove_abandoned_stacks() -> None:
    """Stop and remove throwaway stacks of earlier benchmarks that were killed before their teardown."""
    for home in Path(tempfile.gettempdir()).glob(f"{STACK_PREFIX}*"):
        try:
            owner = int((home / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        try:
            os.kill(owner, 0)
            continue  # its benchmark still runs
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        if (home / "keep").exists():
            continue  # kept on purpose with --keep
        progress(f"removing the abandoned stack {home}")
        with contextlib.suppress(UserError, OSError):
            stack.down(home)
        shutil.rmtree(home, ignore_errors=True)


def teardown(home: Path, keep: bool) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if keep:
        (home / "keep").touch()
        progress(
            f"kept the stack in {home}; point the CLI at it with "
            f"`YTEMPIRE_HOME={home} ytempire-ops local env`, stop it with `ytempire-ops local down --home {home}`"
        )
        return
    progress("stopping and removing the throwaway stack")
    try:
        stack.down(home)
    except UserError as exc:
        progress(f"could not stop the stack cleanly ({exc}); removing its directory")
    shutil.rmtree(home, ignore_errors=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--scale", type=float, default=1.0, help="Generator scale (1 = 250 channels).")
    parser.add_argument("--days", type=int, default=90, help="Days of history.")
    parser.add_argument(
        "--runs", type=int, default=3, help="Runs of every figure (the median of them is reported)."
    )
    parser.add_argument("--seed", type=int, default=42, help="Generator seed.")
    parser.add_argument("--as-of", default=DEFAULT_AS_OF, help="End of the generated history.")
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help=f"Comma-separated parts to measure, run in this order: {', '.join(PARTS)}. A part that needs "
        "data or a built warehouse gets it first, unmeasured.",
    )
    parser.add_argument(
        "--warmup", type=int, default=1, help="Refreshes before the measured ones, not counted."
    )
    parser.add_argument(
        "--refresh-runs",
        type=int,
        default=None,
        help="Runs of the 5-minute refresh, when more than --runs (a refresh is cheap, a build is not).",
    )
    parser.add_argument("--reads", type=int, default=1000, help="Reads per key, way and run.")
    parser.add_argument(
        "--naive-budget-seconds",
        type=float,
        default=60.0,
        help="Time for the naive reads of one key, all runs together: once it is spent (and "
        "--naive-min-reads were made) a run's naive reads stop before --reads.",
    )
    parser.add_argument(
        "--naive-min-reads",
        type=int,
        default=20,
        help="Naive reads of one key, all runs together, whatever the budget.",
    )
    parser.add_argument(
        "--naive-timeout-seconds", type=float, default=600.0, help="statement_timeout of a naive read."
    )
    parser.add_argument("--top-nodes", type=int, default=5, help="Slowest dbt nodes shown per refresh table.")
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help="JSON of every sample; None: benchmarks/results/scale-<s>[-<d>d].json.",
    )
    parser.add_argument(
        "--doc",
        type=Path,
        default=PROJECT_DIR / "docs" / "benchmarks.md",
        help="Markdown file whose generated section is replaced.",
    )
    parser.add_argument(
        "--name",
        default=None,
        help="Name of the doc section and results file; None: scale-<s>[-<d>d]. A run of some parts "
        "under its own name leaves the section of a complete run as it is.",
    )
    parser.add_argument(
        "--keep", action="store_true", help="Leave the throwaway stack running (and its logs) at the end."
    )
    opts = parser.parse_args(argv)
    parts = [p.strip() for p in opts.parts.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    opts.parts = parts
    if opts.scale <= 0 or opts.days < 1 or opts.runs < 1 or opts.reads < 1 or opts.naive_min_reads < 1:
        parser.error("--scale must be > 0 and --days, --runs, --reads, --naive-min-reads at least 1")
    try:
        parsed = datetime.fromisoformat(opts.as_of)
    except ValueError:
        parser.error(f"--as-of {opts.as_of!r} is not an ISO 8601 timestamp")
    if parsed.tzinfo is None:
        parser.error("--as-of needs a time zone, e.g. 2026-11-20T12:00:00+00:00")
    if opts.results is None:
        opts.results = PROJECT_DIR / "benchmarks" / "results" / f"{section_name(opts)}.json"
    return opts


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    command = command_line()
    started_at = datetime.now(UTC)
    signal.signal(signal.SIGTERM, _interrupt)
    if opts.runs < 3:
        progress(f"note: {opts.runs} run(s) per figure; the figures of record are medians of at least 3")
    remove_abandoned_stacks()
    home = Path(tempfile.mkdtemp(prefix=STACK_PREFIX))
    (home / "owner.pid").write_text(str(os.getpid()))
    bench = Bench(opts=opts, home=home)
    complete = False
    code = 1
    try:
        bench.start()
        bench.run()
        complete = True
        code = 0
    except KeyboardInterrupt:
        progress("interrupted")
        code = 130
    except (BenchError, UserError) as exc:
        print(f"bench: error: {exc}", file=sys.stderr, flush=True)
    except psycopg2.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"bench: error: PostgreSQL: {first}", file=sys.stderr, flush=True)
    except redis.RedisError as exc:
        print(f"bench: error: Redis: {exc}", file=sys.stderr, flush=True)
    finally:
        try:
            if bench.samples.data or bench.reads:
                opts.results.parent.mkdir(parents=True, exist_ok=True)
                opts.results.write_text(
                    json.dumps(bench.results(complete, command, started_at), indent=2, default=str) + "\n"
                )
                progress(f"samples written to {opts.results}" + ("" if complete else " (incomplete run)"))
            if complete:
                for table in (bench.table_memory(), bench.table_goals()):
                    print("\n" + table.text() + "\n", flush=True)
                write_doc(opts.doc, section_name(opts), bench.section(command, started_at))
                progress(f"figures written to {opts.doc} (section bench:{section_name(opts)})")
        finally:
            teardown(home, opts.keep)
    return code


if __name__ == "__main__":
    sys.exit(main())
