"""The stack from a clone in a directory the `postgres` user cannot traverse (a clone under /root).

As root, PostgreSQL runs as `postgres`; when that user cannot reach the state
directory, `local up` puts the cluster in a mode-700 directory it owns elsewhere and
says where, and `local down --purge` removes it. Not as root, the same commands
simply work in the private directory.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from conftest import PROJECT_DIR, run_cli

from ytempire_ops import stack

pytestmark = pytest.mark.stack  # it starts a stack of its own

# What a clone holds that `local up` reads: the repository without its local state and build output.
NOT_CLONED = (".git", ".venv", ".ytempire", "target", "logs", "dbt_packages", ".pytest_cache", ".ruff_cache")


@pytest.fixture
def private_clone() -> Iterator[Path]:
    """A copy of the repository inside a fresh mode-700 directory (mkdtemp's mode)."""
    private = Path(tempfile.mkdtemp(prefix="ytempire-private-"))
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    clone = private / "ytempire"
    shutil.copytree(PROJECT_DIR, clone, ignore=shutil.ignore_patterns(*NOT_CLONED, "*.egg-info"))
    try:
        yield clone
    finally:
        try:
            stack.down(clone / ".ytempire", purge=True)
        finally:
            shutil.rmtree(private, ignore_errors=True)


def test_up_query_down_from_a_private_directory(private_clone: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YTEMPIRE_", "DBT_"))}
    env["YTEMPIRE_PROJECT_DIR"] = str(private_clone)
    home = private_clone / ".ytempire"

    up = run_cli(["local", "up"], env, timeout=300)
    assert up.returncode == 0, up.stderr
    state = stack.load_state(home)
    pgdir = stack.pg_dir(home, state)
    if os.geteuid() == 0:
        # postgres cannot traverse the mode-700 parent: the cluster lives where it can, and up says so.
        assert not pgdir.is_relative_to(private_clone.parent)
        assert pgdir.stat().st_uid != 0 and stat.S_IMODE(pgdir.stat().st_mode) == 0o700
        assert str(pgdir / "data") in up.stdout
        assert "local down --purge" in up.stdout
    else:
        assert pgdir == home / "pg"
    assert (pgdir / "data" / "PG_VERSION").exists()

    with psycopg2.connect(**stack.builder_kwargs(state)) as conn, conn.cursor() as cur:
        cur.execute("create table analytics.here as select 7 as answer")
        cur.execute("select answer from analytics.here")
        assert cur.fetchone() == (7,)
    conn.close()

    status = run_cli(["local", "status", "--json"], env)
    assert status.returncode == 0, status.stderr
    assert '"running": true' in status.stdout and str(pgdir) in status.stdout

    down = run_cli(["local", "down", "--purge"], env, timeout=120)
    assert down.returncode == 0, down.stderr
    assert "stopped PostgreSQL" in down.stdout and "stopped Redis" in down.stdout
    assert not pgdir.exists() and not home.exists()
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(**stack.builder_kwargs(state))
