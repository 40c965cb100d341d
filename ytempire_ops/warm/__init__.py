"""`ytempire-ops warm`: the Redis dashboard keys, computed from the analytics marts.

One warm reads every mart in ONE read-only REPEATABLE READ transaction (one
snapshot, so the keys agree with each other), encodes every value, then
publishes atomically:

1. stage: every value is written under a generation-specific name
   `{prefix}gen:{generation_id}:{key}` with a safety TTL (a warm that dies here
   leaves nothing public behind, and its staged keys expire by themselves);
2. publish: WATCH the pointer, the key index and the staged keys, then ONE
   MULTI/EXEC that points `{prefix}current` at the new generation, RENAMEs every
   staged key onto its public name `{prefix}{key}` and sets its TTL, deletes the
   public keys of channels and users the new generation no longer has (from the
   index set `{prefix}index` of the previous generation) and replaces that index.

Redis runs a MULTI/EXEC block without interleaving any other client's command,
so a reader that fetches several public keys with ONE MGET (or inside one
MULTI/EXEC, or one Lua script) sees them all from the same warm. Separate GETs
are each whole values but may straddle a warm; such a reader compares the
`generated_at` of the values (or reads `{prefix}current` in the same MGET) and
retries on a mismatch. docs/redis_keys.md is the reference.

One module per job: `contract` (key patterns, TTL classes, payload shapes and the mart columns
derived from them, the prefix and TTL configuration), `reader` (the marts, in one snapshot),
`payloads` (the `data` of every key and its encoding), `publisher` (the Redis client, staging and
the switch to the public names); `warm()` here runs them in that order.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis

from ytempire_ops.config import Settings
from ytempire_ops.warm import payloads, publisher
from ytempire_ops.warm.contract import (
    CHANNEL_KEY,
    DEFAULT_CLASS_TTLS,
    KEY_CLASSES,
    PAYLOAD_SHAPES,
    SCHEMA_VERSION,
    USER_KEY,
    WarmConfig,
    key_pattern,
    load_config,
    ttl_class,
    validate_payload,
)
from ytempire_ops.warm.payloads import PersonalDataError
from ytempire_ops.warm.publisher import STAGING_TTL_FLOOR_SECONDS, RedisUnavailable, read_overview
from ytempire_ops.warm.reader import Snapshot, read_snapshot

__all__ = [
    "CHANNEL_KEY",
    "KEY_CLASSES",
    "PAYLOAD_SHAPES",
    "SCHEMA_VERSION",
    "STAGING_TTL_FLOOR_SECONDS",
    "USER_KEY",
    "PersonalDataError",
    "RedisUnavailable",
    "Snapshot",
    "WarmConfig",
    "WarmResult",
    "key_pattern",
    "load_config",
    "read_overview",
    "validate_payload",
    "warm",
]


@dataclass
class WarmResult:
    generation_id: str
    prefix: str
    as_of: datetime
    generated_at: datetime
    keys: dict[str, int]  # keys written per TTL class
    ttls: dict[str, int]  # effective TTL per class, seconds
    deleted_keys: int  # public keys of channels/users that no longer exist
    bytes_written: int  # bytes of the values (JSON, UTF-8)
    publish_attempts: int
    seconds: dict[str, float] = field(default_factory=dict)  # query, encode, stage, publish, total

    @property
    def keys_written(self) -> int:
        return sum(self.keys.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "generation_id": self.generation_id,
            "prefix": self.prefix,
            "as_of": self.as_of.isoformat(),
            "generated_at": self.generated_at.isoformat(),
            "keys_written": self.keys_written,
            "keys": dict(self.keys),
            "ttls": dict(self.ttls),
            "deleted_keys": self.deleted_keys,
            "bytes_written": self.bytes_written,
            "publish_attempts": self.publish_attempts,
            "seconds": {name: round(value, 4) for name, value in self.seconds.items()},
        }


def warm(
    settings: Settings,
    *,
    prefix: str | None = None,
    refresh_interval_seconds: int | None = None,
    statement_timeout: float | None = None,
) -> WarmResult:
    """Compute every dashboard key from the marts (one snapshot) and publish them atomically to Redis.

    `statement_timeout` (seconds) bounds every statement of the read.
    """
    config = load_config(prefix=prefix, refresh_interval_seconds=refresh_interval_seconds)
    client = publisher.redis_client(settings)
    started = time.perf_counter()
    try:
        # Fail fast, before the database work, when Redis is not there.
        client.ping()
        snapshot = read_snapshot(settings, statement_timeout=statement_timeout)
        queried = time.perf_counter()
        generated_at = datetime.now(UTC)
        generation_id = f"{generated_at:%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"
        encoded = payloads.encode_values(snapshot, generated_at)
        pointer = payloads.encode_pointer(snapshot, generated_at, generation_id, len(encoded))
        encoded_at = time.perf_counter()
        publisher.stage(client, config, generation_id, encoded)
        staged_at = time.perf_counter()
        deleted, attempts = publisher.publish(client, config, generation_id, encoded, pointer)
        published_at = time.perf_counter()
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise publisher.unavailable(settings, exc) from None
    finally:
        client.close()

    per_class = dict.fromkeys(DEFAULT_CLASS_TTLS, 0)
    for key in encoded:
        per_class[ttl_class(key)] += 1
    return WarmResult(
        generation_id=generation_id,
        prefix=config.prefix,
        as_of=snapshot.as_of.astimezone(UTC),
        generated_at=generated_at,
        keys=per_class,
        ttls=config.ttls,
        deleted_keys=deleted,
        bytes_written=sum(len(v) for v in encoded.values()),
        publish_attempts=attempts,
        seconds={
            "query": queried - started,
            "encode": encoded_at - queried,
            "stage": staged_at - encoded_at,
            "publish": published_at - staged_at,
            "total": published_at - started,
        },
    )
