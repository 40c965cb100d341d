"""A refresh killed with SIGKILL (the OOM killer, a machine stopping) leaves nothing half done.

Killed during the dbt step or during the warm, the next refresh exits 0, the marts equal a rebuild
from scratch of the same raw data at the same as_of, and Redis serves one whole generation.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import redis
from conftest import AS_OF, StackHandle, Warehouse, clone_database, rebuild_from_raw, run_cli, table_digest

LATER = (datetime.fromisoformat(AS_OF) + timedelta(minutes=30)).isoformat()
FACTS_AND_MARTS_SQL = """
select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
where n.nspname = 'analytics' and c.relkind in ('r', 'p', 'm') and c.relname <> 'dbt_test_results'
order by 1
"""


class Refresh:
    """`ytempire-ops refresh` in the background, its progress lines read as they come."""

    def __init__(self, env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ytempire_ops.cli", "refresh", "--as-of", LATER],
            env=env,
            cwd=tempfile.gettempdir(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip())

    def wait_for(self, line: str, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while line not in self.lines:
            assert self.proc.poll() is None, f"the refresh ended before '{line}': {self.lines}"
            assert time.monotonic() < deadline, f"no '{line}' in {self.lines}"
            time.sleep(0.05)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=60)
        self._reader.join(timeout=10)
        assert self.proc.returncode == -signal.SIGKILL


def digests(test_stack: StackHandle, dbname: str) -> dict[str, tuple[int, str]]:
    conn = test_stack.connect(dbname)
    with conn.cursor() as cur:
        cur.execute(FACTS_AND_MARTS_SQL)
        names = [row[0] for row in cur.fetchall()]
        found = {name: table_digest(cur, "analytics", name) for name in names}
    conn.close()
    return found


def one_whole_generation(client: redis.Redis, prefix: str) -> dict[str, Any]:
    """The public generation: every key it counts is there, all of one as_of; no staged key is public."""
    pointer = json.loads(client.get(f"{prefix}current"))
    names = [
        name.decode()
        for name in client.scan_iter(match=f"{prefix}*", count=1000)
        if not name.decode().removeprefix(prefix).startswith(("gen:", "current", "index"))
    ]
    assert len(names) == pointer["keys"], (len(names), pointer)
    as_ofs = {json.loads(client.get(name))["as_of"] for name in names}
    assert as_ofs == {pointer["as_of"]}
    return pointer


def test_refreshes_killed_mid_step_are_repaired_by_the_next(
    test_stack: StackHandle, warehouse: Warehouse
) -> None:
    """One refresh killed inside dbt's nodes, the next killed in the warm while it publishes, a third
    finishes: it exits 0, Redis serves one whole generation, and the marts equal a rebuild."""
    assert warehouse.build.returncode == 0, warehouse.build.stdout[-3000:]
    dbname = clone_database(test_stack, warehouse.dbname, "kill")
    prefix = f"{dbname}:"
    env = test_stack.db_env(dbname, YTEMPIRE_REDIS_PREFIX=prefix)
    first = run_cli(["refresh", "--as-of", AS_OF], env)
    assert first.returncode == 0, first.stdout + first.stderr
    appended = run_cli(["generate", "--append-minutes", "30"], env)
    assert appended.returncode == 0, appended.stderr

    client = redis.Redis.from_url(test_stack.state["redis"]["url"], socket_timeout=10)
    try:
        in_dbt = Refresh(env)
        in_dbt.wait_for("refresh: dbt ...")
        time.sleep(1.5)  # inside dbt's nodes (several seconds at this scale)
        assert not [line for line in in_dbt.lines if line.startswith("refresh: dbt:")], in_dbt.lines
        in_dbt.kill()

        # Writes to Redis wait: the warm is parked mid-publication while reads still answer.
        client.execute_command("CLIENT", "PAUSE", "60000", "WRITE")
        try:
            in_warm = Refresh(env)
            in_warm.wait_for("refresh: warm ...")
            time.sleep(1.0)
            in_warm.kill()
        finally:
            client.execute_command("CLIENT", "UNPAUSE")
        # The generation published before both kills is still whole.
        assert one_whole_generation(client, prefix)["as_of"] == datetime.fromisoformat(AS_OF).isoformat()

        again = run_cli(["refresh", "--as-of", LATER], env)
        assert again.returncode == 0, again.stdout + again.stderr
        assert one_whole_generation(client, prefix)["as_of"] == datetime.fromisoformat(LATER).isoformat()
        after_kills = digests(test_stack, dbname)

        rebuild_from_raw(env, LATER)
        assert digests(test_stack, dbname) == after_kills
    finally:
        client.close()
