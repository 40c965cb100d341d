"""Errors a user can cause and the exit codes the CLI maps them to."""

from __future__ import annotations


class UserError(Exception):
    """An error the user can fix; its message is one clear sentence."""

    exit_code = 1


class BadValue(UserError):
    """An option, variable or setting the user gave is not one the command can use."""

    exit_code = 2


class ServiceUnreachable(UserError):
    """PostgreSQL or Redis could not be reached."""


def first_line(exc: BaseException) -> str:
    """An exception in one line: its message's first line, else its type's name."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


# Exit codes of the CLI. 2 is Typer's own for bad usage. EXIT_CODES is the
# documented table (docs/contract/cli.md and README are generated from it).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_REDIS_UNAVAILABLE = 3
EXIT_ALERTMANAGER_UNAVAILABLE = 4
EXIT_PUSHGATEWAY_UNAVAILABLE = 5
EXIT_SMTP_UNAVAILABLE = 6
EXIT_SKIPPED_LOCKED = 75
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "success"),
    (EXIT_FAILED, "a step failed; its name and the error are on stderr (a traceback only with `--debug`)"),
    (
        EXIT_USAGE,
        "bad usage: an unknown option, or an option or setting out of range "
        "(a statement timeout, a port, a dbt target, a `--select` that matches nothing, "
        "a malformed Alertmanager URL or a routing amtool rejects, report recipients or SMTP settings "
        "that are missing or malformed, a report `--as-of` other than the marts')",
    ),
    (
        EXIT_REDIS_UNAVAILABLE,
        "the database work succeeded but Redis was unreachable (the database work is kept)",
    ),
    (
        EXIT_ALERTMANAGER_UNAVAILABLE,
        "the database and Redis work succeeded but the alerts could not be delivered to Alertmanager "
        "(the next refresh delivers every alert still open)",
    ),
    (
        EXIT_PUSHGATEWAY_UNAVAILABLE,
        "the refresh's work succeeded but its metrics could not be pushed to the Pushgateway "
        "(the database, Redis and alerts work is kept; the next refresh pushes its own)",
    ),
    (
        EXIT_SMTP_UNAVAILABLE,
        "the report was written to its file but could not be e-mailed: the SMTP server could not be reached "
        "or refused TLS, the login or a recipient",
    ),
    (EXIT_SKIPPED_LOCKED, "skipped: another refresh or a build holds the warehouse's lock"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C): the running statements are cancelled"),
    (
        EXIT_TERMINATED,
        "terminated (SIGTERM, what cron's `timeout` and systemd send): handled as Ctrl-C",
    ),
)
