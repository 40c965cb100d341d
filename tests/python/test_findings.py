"""The one level vocabulary and report type of check and doctor, and their unchanged JSON shapes."""

from __future__ import annotations

import json

import pytest

from ytempire_ops.check import CheckReport
from ytempire_ops.doctor import Check, DoctorReport
from ytempire_ops.findings import Level, Report


def test_levels_order_and_spell_one_way_per_command() -> None:
    assert [level.rank for level in (Level.OK, Level.WARN, Level.ERROR)] == [0, 1, 2]
    assert [level.word for level in Level] == ["ok", "warn", "error"]
    assert [level.doctor_word for level in Level] == ["OK", "WARN", "FAIL"]
    assert Level.WARN == "warn" and json.dumps(Level.ERROR) == '"error"'
    for word, level in {
        "pass": Level.OK,
        "skipped": Level.OK,
        "FAIL": Level.ERROR,
        "failed": Level.ERROR,
    }.items():
        assert Level.parse(word) is level
    with pytest.raises(ValueError, match="is not a level"):
        Level.parse("fine")


def test_a_report_is_as_bad_as_its_worst_finding() -> None:
    report = Report()
    assert report.level is Level.OK and report.ok
    report.add("a", Level.WARN, "so-so")
    report.add("b", Level.OK, "fine")
    assert report.level is Level.WARN and report.ok
    report.add("c", Level.ERROR, "broken", fix="mend it")
    assert report.level is Level.ERROR and not report.ok


def test_check_and_doctor_json_keep_their_shapes() -> None:
    check = CheckReport()
    check.item("alerts", "open alerts", Level.OK, "none")
    check.item("tests", "t1", Level.WARN, "warning")
    assert check.as_dict() == {
        "level": "warn",
        "items": [
            {"section": "alerts", "name": "open alerts", "level": "ok", "detail": "none"},
            {"section": "tests", "name": "t1", "level": "warn", "detail": "warning"},
        ],
    }
    doctor = DoctorReport()
    doctor.checks.append(Check("postgres", Level.OK, "PostgreSQL 15"))
    doctor.checks.append(Check("redis", Level.ERROR, "cannot reach", "start it"))
    assert doctor.as_dict() == {
        "ok": False,
        "checks": [
            {"name": "postgres", "level": "OK", "detail": "PostgreSQL 15", "fix": ""},
            {"name": "redis", "level": "FAIL", "detail": "cannot reach", "fix": "start it"},
        ],
    }


def test_refresh_steps_speak_the_same_levels() -> None:
    from ytempire_ops.refresh import RefreshResult, Step

    result = RefreshResult(steps=[Step("lock", "ok"), Step("dbt", "skipped"), Step("views", "dry-run")])
    assert result.level is Level.OK and result.as_dict()["level"] == "ok"
    result.steps.append(Step("warm", "failed"))
    assert [step["level"] for step in result.as_dict()["steps"]] == ["ok", "ok", "ok", "error"]
    assert result.level is Level.ERROR
    assert RefreshResult(steps=[Step("lock", "skipped")], exit_code=75).level is Level.WARN
    assert RefreshResult(steps=[Step("dbt", "ok")], exit_code=1).level is Level.ERROR
