"""`ytempire-ops demo` (what `make demo` ends with) from an empty state directory.

It starts a stack of its own there, generates the small dataset, builds, refreshes and prints the
executive overview read back from Redis; a second run finds the data and generates nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import redis
from conftest import PROJECT_DIR, dbt_paths, run_cli

from ytempire_ops import stack


@pytest.mark.stack
def test_demo_builds_refreshes_and_prints_the_overview_from_redis() -> None:
    # The "ytempire-test-" prefix and owner.pid let conftest remove it if this session is killed.
    home = Path(tempfile.mkdtemp(prefix="ytempire-test-demo-"))
    (home / "owner.pid").write_text(str(os.getpid()))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YTEMPIRE_", "DBT_"))}
    env.update(
        {
            "YTEMPIRE_HOME": str(home),
            "YTEMPIRE_PROJECT_DIR": str(PROJECT_DIR),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "COLUMNS": "200",  # rich tables at full width: titles and values on one line each
            **dbt_paths(),
        }
    )
    try:
        first = run_cli(["demo"], env, timeout=1200)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        assert "generating 7 days of data at scale 0.2" in first.stderr
        assert "executive overview read back from Redis" in first.stdout
        for step in ("lock", "dbt", "materialized views", "retention", "warm"):
            assert f"refresh {step:<20} ok" in first.stdout, step

        state = stack.load_state(home)
        client = redis.Redis.from_url(state["redis"]["url"], socket_timeout=5)
        overview = json.loads(client.get("ytempire:dashboard:overview"))
        client.close()
        assert overview["data"], overview
        assert f"as_of {overview['as_of']}" in first.stdout
        for name, value in overview["data"].items():
            assert name in first.stdout and str(value) in first.stdout, name
        (report,) = (home / "reports").glob("daily-*.html")
        assert f"daily report: {report}" in first.stdout
        assert report.read_text().startswith("<!DOCTYPE html>")

        again = run_cli(["demo"], env, timeout=1200)
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
        assert "raw data already present: generating nothing" in again.stderr
    finally:
        try:
            stack.down(home)
        finally:
            shutil.rmtree(home, ignore_errors=True)
