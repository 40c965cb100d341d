"""A refresh's metrics, pushed to the Prometheus Pushgateway (prometheus_client).

Two groups per warehouse (grouping key `warehouse`, the database's name), each replaced whole by
its push:

- job `ytempire_refresh`, pushed after every refresh that ran (successful or not): the exit code,
  the end time, the total and each step's seconds, rows loaded per model, the newest poll's time
  and age, and the Redis keys published;
- job `ytempire_refresh_success`, pushed only after a successful refresh (exit 0): the last
  success time. A failed refresh never touches it, so it keeps the last success's value, which
  the dead man's switch of deploy/prometheus/rules.yml reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway

from ytempire_ops import errors
from ytempire_ops.redact import redact_url

JOB = "ytempire_refresh"
SUCCESS_JOB = "ytempire_refresh_success"
TIMEOUT_SECONDS = 10.0

# Metric names (deploy/prometheus/rules.yml reads them).
LAST_SUCCESS = "ytempire_refresh_last_success_timestamp_seconds"
LAST_RUN = "ytempire_refresh_last_run_timestamp_seconds"
EXIT_CODE = "ytempire_refresh_exit_code"
DURATION = "ytempire_refresh_duration_seconds"
STEP_DURATION = "ytempire_refresh_step_duration_seconds"
ROWS_LOADED = "ytempire_refresh_rows_loaded"
NEWEST_POLL = "ytempire_refresh_newest_poll_timestamp_seconds"
NEWEST_POLL_AGE = "ytempire_refresh_newest_poll_age_seconds"
KEYS_PUBLISHED = "ytempire_refresh_keys_published"


class PushgatewayUnavailable(errors.UserError):
    exit_code = errors.EXIT_PUSHGATEWAY_UNAVAILABLE


@dataclass
class RefreshMetrics:
    warehouse: str
    exit_code: int
    seconds: float
    finished_at: float  # Unix time
    steps: dict[str, float] = field(default_factory=dict)
    rows_loaded: dict[str, int] = field(default_factory=dict)
    newest_poll_at: float | None = None  # Unix time of the newest poll, None when unknown
    keys_published: int | None = None

    def registry(self) -> CollectorRegistry:
        """The run's group: everything but the last success."""
        registry = CollectorRegistry()
        Gauge(EXIT_CODE, "Exit code of the latest refresh (0: success).", registry=registry).set(
            self.exit_code
        )
        Gauge(LAST_RUN, "When the latest refresh ended (Unix time).", registry=registry).set(self.finished_at)
        Gauge(DURATION, "Seconds the latest refresh took.", registry=registry).set(self.seconds)
        steps = Gauge(
            STEP_DURATION, "Seconds each step of the latest refresh took.", ["step"], registry=registry
        )
        for name, seconds in self.steps.items():
            steps.labels(step=name).set(seconds)
        rows = Gauge(ROWS_LOADED, "Rows the latest refresh wrote per model.", ["model"], registry=registry)
        for model, count in self.rows_loaded.items():
            rows.labels(model=model).set(count)
        if self.newest_poll_at is not None:
            Gauge(NEWEST_POLL, "When the newest metrics poll arrived (Unix time).", registry=registry).set(
                self.newest_poll_at
            )
            Gauge(
                NEWEST_POLL_AGE,
                "Age in seconds of the newest metrics poll when the refresh ended.",
                registry=registry,
            ).set(max(0.0, self.finished_at - self.newest_poll_at))
        if self.keys_published is not None:
            Gauge(
                KEYS_PUBLISHED, "Redis dashboard keys the latest refresh published.", registry=registry
            ).set(self.keys_published)
        return registry

    def success_registry(self) -> CollectorRegistry:
        registry = CollectorRegistry()
        Gauge(LAST_SUCCESS, "When the latest successful refresh ended (Unix time).", registry=registry).set(
            self.finished_at
        )
        return registry


def push(url: str, metrics: RefreshMetrics, timeout: float = TIMEOUT_SECONDS) -> list[str]:
    """Push the run's group, and the success group after a success; the jobs pushed.

    PushgatewayUnavailable (one sentence, exit 5) when the Pushgateway cannot be reached or refuses.
    """
    grouping = {"warehouse": metrics.warehouse}
    pushes = [(JOB, metrics.registry())]
    if metrics.exit_code == errors.EXIT_OK:
        pushes.append((SUCCESS_JOB, metrics.success_registry()))
    done = []
    for job, registry in pushes:
        try:
            push_to_gateway(url, job=job, registry=registry, grouping_key=grouping, timeout=timeout)
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or errors.first_line(exc)
            raise PushgatewayUnavailable(
                f"cannot push the refresh's metrics to the Pushgateway at {redact_url(url)}: {reason}."
            ) from None
        done.append(job)
    return done
