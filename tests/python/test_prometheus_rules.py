"""The Prometheus alerting rules the repo ships pass `promtool check rules` and their unit tests
(deploy/prometheus/rules_test.yml), and a rule with a typo or a wrong threshold fails them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import PROJECT_DIR

RULES_DIR = PROJECT_DIR / "deploy" / "prometheus"


def promtool() -> str:
    found = shutil.which("promtool") or "/usr/bin/promtool"
    assert Path(found).exists(), "promtool comes with Debian's prometheus package (make alerting)"
    return found


def run_promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *args], capture_output=True, text=True, timeout=120)


def test_the_rules_pass_promtool_check_and_their_unit_tests() -> None:
    checked = run_promtool("check", "rules", str(RULES_DIR / "rules.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 5 rules found" in checked.stdout
    tested = run_promtool("test", "rules", str(RULES_DIR / "rules_test.yml"))
    assert tested.returncode == 0, tested.stdout + tested.stderr


@pytest.mark.parametrize(
    ("old", "new", "command"),
    [
        # the dead man's switch a minute late: its alert at 16 minutes is missing
        (
            "time() - ytempire_refresh_last_success_timestamp_seconds > 15 * 60",
            "time() - ytempire_refresh_last_success_timestamp_seconds > 16 * 60",
            "test",
        ),
        # a typo in a metric's name: the switch never fires, the absence alert fires instead
        (
            "ytempire_refresh_last_success_timestamp_seconds > 15 * 60",
            "ytempire_refresh_last_sucess_timestamp_seconds > 15 * 60",
            "test",
        ),
        # a slow refresh at 60 s instead of over it
        ("ytempire_refresh_duration_seconds > 60", "ytempire_refresh_duration_seconds >= 60", "test"),
        # the poll warning without its upper bound: it goes on firing beside the critical one
        ("> 15 * 60 <= 60 * 60", "> 15 * 60", "test"),
        # the wrong severity
        ("      - alert: YtempirePollsStale\n", "      - alert: YtempirePollsStale\n", "severity"),
        # an expression that does not parse
        ("ytempire_refresh_duration_seconds > 60", "ytempire_refresh_duration_seconds > > 60", "check"),
    ],
    ids=["threshold", "metric-typo", "comparison", "missing-bound", "severity", "syntax"],
)
def test_a_broken_rule_fails_promtool(tmp_path: Path, old: str, new: str, command: str) -> None:
    rules = (RULES_DIR / "rules.yml").read_text()
    assert old in rules
    if command == "severity":
        head, tail = rules.split(old)
        broken = head + old + tail.replace("severity: critical", "severity: warning", 1)
    else:
        broken = rules.replace(old, new, 1)
    assert broken != rules
    (tmp_path / "rules.yml").write_text(broken)
    shutil.copy(RULES_DIR / "rules_test.yml", tmp_path / "rules_test.yml")
    if command == "check":
        done = run_promtool("check", "rules", str(tmp_path / "rules.yml"))
    else:
        assert run_promtool("check", "rules", str(tmp_path / "rules.yml")).returncode == 0
        done = run_promtool("test", "rules", str(tmp_path / "rules_test.yml"))
    assert done.returncode != 0, done.stdout + done.stderr
