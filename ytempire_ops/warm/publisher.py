"""Publishing a generation of dashboard keys to Redis: staged under generation-specific names, then
switched to the public names in ONE MULTI/EXEC (the package docstring tells the whole protocol).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

import redis

from ytempire_ops import errors
from ytempire_ops.config import Settings
from ytempire_ops.warm.contract import WarmConfig, env_prefix, ttl_class

REDIS_TIMEOUT_SECONDS = 5.0
# Staged keys live at least this long, so they cannot expire between staging and publication.
STAGING_TTL_FLOOR_SECONDS = 300
PUBLISH_ATTEMPTS = 10
STAGE_BATCH = 500


class RedisUnavailable(errors.UserError):
    """Redis could not be reached (or stopped answering) during a warm."""

    exit_code = errors.EXIT_REDIS_UNAVAILABLE


def redis_location(url: str) -> str:
    """host:port/db of a Redis URL, without credentials (for messages)."""
    try:
        parsed = urlparse(url)
        host = parsed.hostname or "localhost"
        port = parsed.port or 6379
    except ValueError:
        return "(an unparsable URL)"
    db = parsed.path.lstrip("/") or "0"
    return f"{host}:{port}/{db}"


def _first_line(exc: BaseException) -> str:
    return errors.first_line(exc).rstrip(".")


def unavailable(
    settings: Settings, exc: BaseException, consequence: str = "so the dashboard keys were not updated"
) -> RedisUnavailable:
    reason = _first_line(exc).replace(". ", ": ")  # redis-py's "connecting to h:p. Connection refused"
    return RedisUnavailable(
        f"cannot reach Redis at {redis_location(settings.redis_url)} ({reason}), {consequence}."
    )


def redis_client(settings: Settings) -> redis.Redis:
    """The settings' client, with the warm's longer timeouts (a loaded Redis may answer slowly)."""
    return settings.redis_client(REDIS_TIMEOUT_SECONDS)


def staged_name(prefix: str, generation_id: str, key: str) -> str:
    return f"{prefix}gen:{generation_id}:{key}"


def stage(client: redis.Redis, config: WarmConfig, generation_id: str, encoded: Mapping[str, bytes]) -> None:
    """Write every value under its generation-specific name, with a TTL that outlives publication."""
    ttl = max(config.max_ttl, STAGING_TTL_FLOOR_SECONDS)
    items = [(staged_name(config.prefix, generation_id, key), value) for key, value in encoded.items()]
    for start in range(0, len(items), STAGE_BATCH):
        pipe = client.pipeline(transaction=False)
        for name, value in items[start : start + STAGE_BATCH]:
            pipe.set(name, value, ex=ttl)
        pipe.execute()


def publish(
    client: redis.Redis,
    config: WarmConfig,
    generation_id: str,
    encoded: Mapping[str, bytes],
    pointer: bytes,
) -> tuple[int, int]:
    """Switch every public key to the staged generation in one MULTI/EXEC; (deleted keys, attempts)."""
    prefix = config.prefix
    current_key, index_key = f"{prefix}current", f"{prefix}index"
    staged = {key: staged_name(prefix, generation_id, key) for key in encoded}
    with client.pipeline(transaction=True) as pipe:
        for attempt in range(1, PUBLISH_ATTEMPTS + 1):
            try:
                # A concurrent warm publishing (current/index change) or a staged key vanishing aborts EXEC.
                pipe.watch(current_key, index_key, *staged.values())
                present = pipe.exists(*staged.values())
                if present != len(staged):
                    raise errors.UserError(
                        f"{len(staged) - present} staged Redis keys of generation {generation_id} disappeared "
                        "before publication (evicted or deleted), so the dashboard keys were not updated."
                    )
                previous = {member.decode() for member in pipe.smembers(index_key)}
                stale = sorted(previous - set(encoded))
                pipe.multi()
                pipe.set(current_key, pointer, ex=config.max_ttl)
                for key, name in staged.items():
                    public = f"{prefix}{key}"
                    pipe.rename(name, public)
                    pipe.expire(public, config.ttl(ttl_class(key)))
                if stale:
                    pipe.delete(*(f"{prefix}{key}" for key in stale))
                pipe.delete(index_key)
                pipe.sadd(index_key, *encoded)
                pipe.expire(index_key, config.max_ttl)
                pipe.execute()
                return len(stale), attempt
            except redis.WatchError:
                continue
    raise errors.UserError(
        f"another warm published to the prefix {prefix!r} {PUBLISH_ATTEMPTS} times while this one tried to, "
        "so this generation was dropped."
    )


def read_overview(settings: Settings) -> dict[str, Any]:
    """The decoded value of `{prefix}dashboard:overview` (the demo prints it)."""
    client = redis_client(settings)
    key = f"{env_prefix()}dashboard:overview"
    try:
        raw = client.get(key)
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise unavailable(settings, exc, "so the dashboard overview cannot be read") from None
    finally:
        client.close()
    if raw is None:
        raise errors.UserError(
            f"Redis has no {key} key (expired or never warmed); run `ytempire-ops warm` first."
        )
    return json.loads(raw)
