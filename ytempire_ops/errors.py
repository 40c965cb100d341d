"""Errors a user can cause and the exit codes the CLI maps them to."""

from __future__ import annotations


class UserError(Exception):
    """An error the user can fix; its message is one clear sentence."""

    exit_code = 1


class ServiceUnreachable(UserError):
    """PostgreSQL or Redis could not be reached."""


def first_line(exc: BaseException) -> str:
    """An exception in one line: its message's first line, else its type's name."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


# Exit codes of the CLI (README, "Cron"). 2 is Typer's own for bad usage.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_REDIS_UNAVAILABLE = 3
EXIT_SKIPPED_LOCKED = 75
EXIT_INTERRUPTED = 130
