"""Deterministic randomness: seeded numpy Generators per entity and a counter-based hash per row.

A Generator seeded from (seed, stream, entity index) draws an entity's attributes (a day's videos, the
users); a row-level value (a poll's ingestion lag) is a pure function of (seed, stream, entity, row index)
through the splitmix64 finaliser, so any time window can be computed on its own and gives the same rows.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

_MASK64 = (1 << 64) - 1
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_GOLDEN = 0x9E3779B97F4A7C15
_SECOND = 0xD1B54A32D192ED03


def _mix_int(x: int) -> int:
    x &= _MASK64
    x ^= x >> 30
    x = (x * _M1) & _MASK64
    x ^= x >> 27
    x = (x * _M2) & _MASK64
    x ^= x >> 31
    return x


def _mix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """splitmix64's finaliser, in place on a fresh uint64 array."""
    x ^= x >> np.uint64(30)
    x *= np.uint64(_M1)
    x ^= x >> np.uint64(27)
    x *= np.uint64(_M2)
    x ^= x >> np.uint64(31)
    return x


def stream_key(seed: int, stream: int) -> int:
    """A 64-bit key for one named stream of one seed."""
    return _mix_int(_mix_int(seed * _GOLDEN + 0x5EED) ^ (stream * _SECOND))


def hash64(
    key: int, a: NDArray[np.int64] | int, b: NDArray[np.int64] | int | None = None
) -> NDArray[np.uint64]:
    """64 pseudo-random bits for each (a, b) of a stream; a pure function, vectorised."""
    x = np.asarray(a, dtype=np.int64).astype(np.uint64) * np.uint64(_GOLDEN)
    x += np.uint64(key)
    x = _mix(x)
    if b is not None:
        x ^= np.asarray(b, dtype=np.int64).astype(np.uint64) * np.uint64(_SECOND)
        x = _mix(x)
    return x


def rehash(h: NDArray[np.uint64], salt: int) -> NDArray[np.uint64]:
    """Another independent 64 bits derived from `h`."""
    return _mix(h ^ np.uint64(salt & _MASK64))


def unit(h: NDArray[np.uint64], shift: int, bits: int = 20) -> NDArray[np.float64]:
    """A uniform [0, 1) float from `bits` bits of `h` starting at bit `shift`."""
    field = (h >> np.uint64(shift)) & np.uint64((1 << bits) - 1)
    return field.astype(np.float64) * (1.0 / (1 << bits))


def generator(seed: int, stream: int, index: int = 0) -> np.random.Generator:
    """A numpy Generator for entity `index` of a stream; independent of every other entity."""
    return np.random.default_rng([seed, stream, index])


def uuids(key: int, a: NDArray[np.int64], b: NDArray[np.int64] | int | None = None) -> NDArray[np.void]:
    """Version-4-shaped UUIDs (16 raw bytes each) as a pure function of (stream, a, b)."""
    hi = hash64(key, a, b)
    lo = rehash(hi, 0x0DDBA11)
    hi = (hi & np.uint64(0xFFFFFFFFFFFF0FFF)) | np.uint64(0x4000)
    lo = (lo & np.uint64(0x3FFFFFFFFFFFFFFF)) | np.uint64(0x8000000000000000)
    pair = np.empty((hi.shape[0], 2), dtype=">u8")
    pair[:, 0] = hi
    pair[:, 1] = lo
    return pair.view("V16").reshape(-1)


_ALPHABET = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", dtype=np.uint8)


def token(key: int, a: NDArray[np.int64], length: int, prefix: bytes = b"") -> NDArray[np.bytes_]:
    """Fixed-length base64url-alphabet strings (YouTube-style ids) as a pure function of (stream, a)."""
    n = np.asarray(a).shape[0]
    chars = np.empty((n, len(prefix) + length), dtype=np.uint8)
    if prefix:
        chars[:, : len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
    for position in range(length):
        h = hash64(key, a, position)
        chars[:, len(prefix) + position] = _ALPHABET[(h >> np.uint64(58)).astype(np.intp)]
    return chars.view(f"S{len(prefix) + length}").reshape(-1)
