"""Settings and the stack's state file: one reader, one builder of connection arguments and environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ytempire_ops.config import Settings, read_stack_state, session_options
from ytempire_ops.errors import UserError


def test_a_corrupt_state_file_is_one_sentence_for_the_stack_and_ignored_by_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "stack.json").write_text("{not json")
    monkeypatch.setenv("YTEMPIRE_HOME", str(tmp_path))
    monkeypatch.setenv("YTEMPIRE_PG_PORT", "6543")
    with pytest.raises(UserError, match=r"stack\.json cannot be read"):
        read_stack_state(tmp_path)
    assert Settings.load().pg_port == 6543


def test_one_builder_for_connection_arguments_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGOPTIONS", raising=False)
    state = {
        "postgres": {
            "host": "127.0.0.1",
            "port": 5999,
            "user": "ytempire",
            "password": "builder-pw",
            "dbname": "ytempire",
            "superuser_password": "super-pw",
        },
        "redis": {"url": "redis://127.0.0.1:6999/0"},
    }
    builder = Settings.from_state(state)
    assert builder.pg_kwargs("other") == {
        "host": "127.0.0.1",
        "port": 5999,
        "user": "ytempire",
        "password": "builder-pw",
        "dbname": "other",
        "connect_timeout": 5,
        "application_name": "ytempire-ops",
        "options": "-c jit=off",
    }
    superuser = Settings.from_state(state, superuser=True).pg_kwargs("postgres")
    assert (superuser["user"], superuser["password"], superuser["dbname"]) == (
        "postgres",
        "super-pw",
        "postgres",
    )
    assert builder.connection_env()["YTEMPIRE_PG_PORT"] == "5999"
    assert builder.connection_env("x")["YTEMPIRE_PG_DBNAME"] == "x"
    assert Settings(redis_url="redis://:r3dis@h:1/0", pg_password="pg").secrets() == ["pg", "r3dis"]


def test_a_bad_redis_url_is_one_sentence() -> None:
    with pytest.raises(UserError, match="is not a valid Redis URL"):
        Settings(redis_url="http://nowhere").redis_client()


def test_session_options_add_the_defaults_pgoptions_does_not_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGOPTIONS", raising=False)
    assert session_options() == "-c jit=off"
    assert session_options(2.5) == "-c jit=off -c statement_timeout=2500"
    monkeypatch.setenv("PGOPTIONS", "-c jit=on -c work_mem=8MB")
    assert session_options() == "-c jit=on -c work_mem=8MB"
    assert Settings().pg_kwargs()["options"] == "-c jit=on -c work_mem=8MB"


def test_the_cli_leaves_the_process_environment_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Session options reach connections as arguments; only dbt_environment writes os.environ."""
    from typer.testing import CliRunner

    from ytempire_ops.cli import app

    monkeypatch.delenv("PGOPTIONS", raising=False)
    before = dict(os.environ)
    result = CliRunner().invoke(app, ["local", "env", "--help"])
    assert result.exit_code == 0, result.output
    assert dict(os.environ) == before
