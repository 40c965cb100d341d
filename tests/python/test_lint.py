"""SQL lint (sqlfluff, dbt templater against the test stack) and Python lint are part of the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import PROJECT_DIR, StackHandle

BIN = Path(sys.executable).parent


def test_sqlfluff_lints_the_whole_project_clean(test_stack: StackHandle) -> None:
    result = subprocess.run(
        [
            str(BIN / "sqlfluff"),
            "lint",
            "models",
            "tests/singular",
            "analyses",
            "snapshots",
            "--processes",
            "2",
        ],
        cwd=PROJECT_DIR,
        env=test_stack.env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


def test_sqlfluff_rejects_a_house_style_violation(test_stack: StackHandle) -> None:
    """The configured rules bite: uppercase keywords, a leading comma and an implicit alias fail."""
    bad = "SELECT\n    a\n    , b c\nFROM t\n"
    result = subprocess.run(
        [str(BIN / "sqlfluff"), "lint", "-", "--templater", "jinja", "--format", "json"],
        cwd=PROJECT_DIR,
        env=test_stack.env(),
        input=bad,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    for rule in ("CP01", "LT04", "AL02"):
        assert f'"{rule}"' in result.stdout, rule
