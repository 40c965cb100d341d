"""The one level vocabulary and the one finding/report type of `check`, `doctor` and `refresh`.

A finding is one line of a report: what was looked at, how it stands (a `Level`),
and what to do about it. A report's level is its worst finding's; it is ok while
no finding is an error. Each command keeps its own printed words for a level
(`check` prints ok/warn/error, `doctor` OK/WARN/FAIL): `Level.word` and
`Level.doctor_word` are the one mapping between them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Level(StrEnum):
    """ok < warn < error; a Level is its own word (`Level.WARN == "warn"`), so JSON prints it as is."""

    OK = "ok"
    WARN = "warn"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    @property
    def word(self) -> str:
        """ok, warn or error: check's JSON and table."""
        return self.value

    @property
    def doctor_word(self) -> str:
        """OK, WARN or FAIL: doctor's JSON and lines."""
        return "FAIL" if self is Level.ERROR else self.name

    @property
    def colour(self) -> str:
        return ("green", "yellow", "red")[self.rank]

    @classmethod
    def worst(cls, levels: Iterable[Level]) -> Level:
        """The highest of `levels` (ok for none)."""
        return max(levels, key=lambda level: level.rank, default=cls.OK)

    @classmethod
    def parse(cls, word: str) -> Level:
        """The level of any of its words (ok/warn/error, OK/WARN/FAIL, and refresh's step statuses)."""
        key = word.strip().lower()
        try:
            return _WORDS[key]
        except KeyError:
            raise ValueError(f"{word!r} is not a level (ok, warn, error).") from None


_RANKS: dict[str, int] = {"ok": 0, "warn": 1, "error": 2}

_WORDS: dict[str, Level] = {
    "ok": Level.OK,
    "pass": Level.OK,
    "success": Level.OK,
    "skipped": Level.OK,
    "dry-run": Level.OK,
    "warn": Level.WARN,
    "warning": Level.WARN,
    "error": Level.ERROR,
    "fail": Level.ERROR,
    "failed": Level.ERROR,
    "interrupted": Level.ERROR,
}


@dataclass
class Finding:
    name: str
    level: Level
    detail: str
    fix: str = ""
    section: str = ""
    # The figures behind the detail, for JSON (check's alert history and morning figures); {} for the others.
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)

    def add(self, name: str, level: Level, detail: str, fix: str = "", section: str = "") -> Finding:
        finding = Finding(name=name, level=level, detail=detail, fix=fix, section=section)
        self.findings.append(finding)
        return finding

    @property
    def level(self) -> Level:
        return Level.worst(finding.level for finding in self.findings)

    @property
    def ok(self) -> bool:
        return self.level is not Level.ERROR

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level.word,
            "findings": [
                {
                    "section": f.section,
                    "name": f.name,
                    "level": f.level.word,
                    "detail": f.detail,
                    "fix": f.fix,
                }
                for f in self.findings
            ],
        }
