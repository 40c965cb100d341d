"""No command prints a password: URLs and DSNs in output and errors carry `***` instead.

The PostgreSQL password is the test stack's; Redis is a server of this module's own
that requires a password, so the URL every command is given carries one. Every
command's stdout and stderr, in working and failing configurations, are searched
for both. `local env` is the one command that prints passwords (its help says so).
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from conftest import StackHandle, new_database, run_cli

from ytempire_ops import stack
from ytempire_ops.redact import redact, redact_url, url_password

REDIS_PASSWORD = "redis-Pa55-w0rd-never-printed"


@pytest.fixture(scope="module")
def redis_with_password() -> Iterator[str]:
    """A Redis server that requires REDIS_PASSWORD; its URL (with the password)."""
    port = stack.free_port()
    with tempfile.TemporaryDirectory(prefix="ytempire-redis-auth-") as workdir:
        options = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", workdir]
        server = subprocess.Popen(
            [stack.redis_server_bin(), *options, "--requirepass", REDIS_PASSWORD],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"redis://:{REDIS_PASSWORD}@127.0.0.1:{port}/0"
        try:
            with redis.Redis.from_url(url, socket_connect_timeout=1) as client:
                deadline = time.monotonic() + 10
                while True:
                    try:
                        assert client.ping()
                        break
                    except redis.ConnectionError:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.05)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=10)


@pytest.fixture(scope="module")
def secret_env(test_stack: StackHandle, redis_with_password: str) -> dict[str, str]:
    dbname, _ = new_database(test_stack, "secrets")
    return test_stack.db_env(
        dbname, YTEMPIRE_REDIS_URL=redis_with_password, YTEMPIRE_HOME=str(test_stack.home)
    )


def _assert_no_secret(result: subprocess.CompletedProcess[str], secrets: list[str]) -> str:
    printed = result.stdout + result.stderr
    for secret in secrets:
        assert secret not in printed, f"a password was printed:\n{printed}"
    assert "Traceback" not in printed
    return printed


COMMANDS = [
    ["local", "status"],
    ["local", "status", "--json"],
    ["doctor"],
    ["doctor", "--json"],
    ["check"],
    ["check", "--json"],
    ["warm"],
    ["refresh", "--dry-run"],
    ["refresh", "--dry-run", "--json"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_no_password_in_any_output(
    command: list[str], secret_env: dict[str, str], test_stack: StackHandle
) -> None:
    secrets = [test_stack.state["postgres"]["password"], REDIS_PASSWORD]
    printed = _assert_no_secret(run_cli(command, secret_env), secrets)
    if command[0] == "doctor":
        # The Redis it reached is shown, without its password.
        assert f"redis://:***@127.0.0.1:{secret_env['YTEMPIRE_REDIS_URL'].rsplit(':', 1)[1]}" in printed


WRONG_PG_PASSWORD = "wrong-Pg-pa55word-never-printed"
WRONG_REDIS_PASSWORD = "wrong-Redis-pa55word"
PG_COMMANDS = [["doctor"], ["warm"], ["refresh", "--dry-run"], ["refresh", "--dry-run", "--json"], ["check"]]
REDIS_COMMANDS = [["doctor"], ["warm"]]
FAILING = [
    *(("postgres on a closed port", command) for command in PG_COMMANDS),
    *(("a wrong postgres password", command) for command in PG_COMMANDS),
    *(("redis on a closed port", command) for command in REDIS_COMMANDS),
    *(("a wrong redis password", command) for command in REDIS_COMMANDS),
]


def _failing_env(case: str, env: dict[str, str]) -> dict[str, str]:
    redis_port = env["YTEMPIRE_REDIS_URL"].rsplit(":", 1)[1].split("/")[0]
    overrides = {
        "postgres on a closed port": {"YTEMPIRE_PG_PORT": str(stack.free_port())},
        "a wrong postgres password": {"YTEMPIRE_PG_PASSWORD": WRONG_PG_PASSWORD},
        "redis on a closed port": {
            "YTEMPIRE_REDIS_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:{stack.free_port()}/0"
        },
        "a wrong redis password": {
            "YTEMPIRE_REDIS_URL": f"redis://:{WRONG_REDIS_PASSWORD}@127.0.0.1:{redis_port}/0"
        },
    }[case]
    return {**env, **overrides}


@pytest.mark.parametrize(("case", "command"), FAILING, ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_no_password_in_failures(
    case: str, command: list[str], secret_env: dict[str, str], test_stack: StackHandle
) -> None:
    secrets = [
        test_stack.state["postgres"]["password"],
        REDIS_PASSWORD,
        WRONG_PG_PASSWORD,
        WRONG_REDIS_PASSWORD,
    ]
    result = run_cli(command, _failing_env(case, secret_env))
    _assert_no_secret(result, secrets)
    assert result.returncode != 0, result.stdout + result.stderr


def test_redaction_of_urls_dsns_and_known_values() -> None:
    assert redact_url("redis://:s3cret@127.0.0.1:6379/0") == "redis://:***@127.0.0.1:6379/0"
    assert (
        redact_url("postgresql://ytempire:p@ss@db:5432/ytempire")
        == "postgresql://ytempire:***@db:5432/ytempire"
    )
    assert redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert url_password("redis://:s3cr%40t@h:1/0") == "s3cr@t"
    assert redact("host=h password='a b' user=u dbname=d") == "host=h password=*** user=u dbname=d"
    assert redact("the server said: bad token hunter2!", ["hunter2"]) == "the server said: bad token ***!"
    assert redact("nothing secret here", ["", "absent"]) == "nothing secret here"


def test_local_env_still_prints_the_exports(test_stack: StackHandle) -> None:
    """Producing the exports is the command's point: its output keeps the password."""
    result = run_cli(["local", "env", "--home", str(Path(test_stack.home))], test_stack.env())
    assert result.returncode == 0, result.stderr
    assert test_stack.state["postgres"]["password"] in result.stdout
