"""COPY encoders: PostgreSQL's binary COPY format from numpy records, and CSV for the small tables.

Every binary column here has a fixed width (ids are zero-padded, numerics are written with a fixed
four base-10000 digits that PostgreSQL normalises on input), so a whole batch of rows is one numpy
structured array: no per-row Python work.
"""

from __future__ import annotations

import contextlib
import csv
import io
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg2
from numpy.typing import NDArray
from psycopg2 import sql

BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8
BINARY_TRAILER = b"\xff\xff"


@dataclass(frozen=True)
class Col:
    """One column of a binary layout.

    kind: 'int4', 'int8', 'ts' (int64 microseconds), 'date' (int32 days), 'uuid' (16 raw bytes),
    'bytes' (fixed `width`), 'numeric' (int64 scaled by 10**dscale, non-negative), 'const' (the same
    bytes in every row), 'null'.
    """

    name: str
    kind: str
    width: int = 0
    dscale: int = 0
    const: bytes = b""


_DTYPES = {"int4": ">i4", "int8": ">i8", "ts": ">i8", "date": ">i4", "uuid": "V16"}


class Layout:
    """A binary COPY row layout whose rows all have the same width."""

    def __init__(self, cols: Sequence[Col]) -> None:
        self.cols = tuple(cols)
        fields: list[tuple[str, str]] = [("_count", ">i2")]
        for i, col in enumerate(self.cols):
            fields.append((f"_len{i}", ">i4"))
            if col.kind in _DTYPES:
                fields.append((col.name, _DTYPES[col.kind]))
            elif col.kind == "bytes":
                fields.append((col.name, f"S{col.width}"))
            elif col.kind == "numeric":
                fields.append((f"_head{i}", ">u8"))
                fields.append((col.name, ">u8"))
            elif col.kind == "const":
                if col.const:
                    fields.append((f"_const{i}", f"V{len(col.const)}"))
            elif col.kind != "null":
                raise ValueError(f"unknown column kind {col.kind!r}")
        self.dtype = np.dtype(fields)
        template = np.zeros(1, dtype=self.dtype)
        template["_count"] = len(self.cols)
        for i, col in enumerate(self.cols):
            if col.kind == "null":
                length = -1
            elif col.kind == "numeric":
                length = 16
                # ndigits 4, weight 2 (the first digit counts 10000**2), sign +, dscale.
                template[f"_head{i}"] = (4 << 48) | (2 << 32) | col.dscale
            elif col.kind == "const":
                length = len(col.const)
                if col.const:
                    template[f"_const{i}"] = np.frombuffer(col.const, dtype=f"V{length}")
            elif col.kind == "bytes":
                length = col.width
            else:
                length = np.dtype(_DTYPES[col.kind]).itemsize
            template[f"_len{i}"] = length
        self._template = template
        self._filled = template

    def _blank(self, n: int) -> NDArray[np.void]:
        """n rows holding only the constant parts (copied as raw bytes: structured copies are slow)."""
        if self._filled.shape[0] < n:
            self._filled = np.frombuffer(self._template.tobytes() * max(n, 1024), dtype=self.dtype)
        out = np.empty(n, dtype=self.dtype)
        out.view(np.uint8)[:] = self._filled[:n].view(np.uint8)
        return out

    def blank(self, n: int) -> NDArray[np.void]:
        """A reusable buffer of n rows for `encode(out=...)` (only the variable fields get overwritten)."""
        return self._blank(n)

    def encode(
        self, values: Mapping[str, NDArray[Any]], out: NDArray[np.void] | None = None
    ) -> NDArray[np.void]:
        """Rows as a structured array whose bytes are binary COPY tuples (in `out[:n]` when given)."""
        n = len(next(iter(values.values())))
        out = self._blank(n) if out is None or out.shape[0] < n else out[:n]
        for col in self.cols:
            if col.kind in ("const", "null"):
                continue
            value = values[col.name]
            out[col.name] = numeric_digits(value, col.dscale) if col.kind == "numeric" else value
        return out


def numeric_digits(scaled: NDArray[np.int64], dscale: int) -> NDArray[np.uint64]:
    """Four base-10000 digits (weight 2) of non-negative values given as integers scaled by 10**dscale."""
    scaled = np.asarray(scaled, dtype=np.int64)
    if scaled.size and (scaled.min() < 0 or scaled.max() >= 10**12 * 10**dscale):
        raise ValueError("numeric value out of the generator's encodable range [0, 1e12)")
    integral, fraction = np.divmod(scaled, 10**dscale)
    fraction *= 10 ** (4 - dscale)
    high, d2 = np.divmod(integral, 10_000)
    d0, d1 = np.divmod(high, 10_000)
    word = d0.astype(np.uint64) << np.uint64(48)
    word |= d1.astype(np.uint64) << np.uint64(32)
    word |= d2.astype(np.uint64) << np.uint64(16)
    word |= fraction.astype(np.uint64)
    return word


def scaled(values: NDArray[np.float64], dscale: int) -> NDArray[np.int64]:
    """Round floats to `dscale` decimals as integers scaled by 10**dscale."""
    return np.rint(values * 10**dscale).astype(np.int64)


# Chunks queued between the producer thread and COPY; a producer that reuses its buffers needs
# PREFETCH + 2 of them (queued, being sent, being filled) for none to be overwritten while in use.
PREFETCH = 2
REUSABLE_BUFFERS = PREFETCH + 3


class ChunkStream(io.RawIOBase):
    """A file for `copy_expert` that streams binary COPY data produced by a background thread.

    The producer yields (rows, bytes-like) chunks; generating the next chunk overlaps with PostgreSQL
    parsing the previous one. A chunk is no longer referenced once the next one has been taken.
    `on_rows` is called from the reading (main) thread.
    """

    _END = object()

    def __init__(
        self, chunks: Iterable[tuple[int, Any]], on_rows: Callable[[int], None], prefetch: int = PREFETCH
    ) -> None:
        super().__init__()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=prefetch)
        self._stop = threading.Event()
        self._on_rows = on_rows
        self._buffer = memoryview(BINARY_HEADER)
        self._pos = 0
        self._done = False
        self.error: BaseException | None = None  # what the producer raised, re-raised by copy_binary
        self._thread = threading.Thread(target=self._produce, args=(iter(chunks),), daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self, chunks: Iterator[tuple[int, Any]]) -> None:
        try:
            for chunk in chunks:
                if not self._put(chunk):
                    return
            self._put(self._END)
        except BaseException as exc:  # handed to the reading thread, which re-raises it
            self._put(exc)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while self._pos >= len(self._buffer):
            if self._done:
                return b""
            item = self._queue.get()
            if item is self._END:
                self._done = True
                self._buffer, self._pos = memoryview(BINARY_TRAILER), 0
            elif isinstance(item, BaseException):
                self.error = item
                raise item
            else:
                rows, data = item
                if isinstance(data, np.ndarray):
                    data = data.view(np.uint8)
                self._buffer, self._pos = memoryview(data).cast("B"), 0
                self._on_rows(rows)
        if size is None or size < 0:
            size = len(self._buffer) - self._pos
        out = bytes(self._buffer[self._pos : self._pos + size])
        self._pos += len(out)
        return out

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
            self._thread.join(timeout=0.05)
        super().close()


def copy_binary(
    cur: Any,
    table: sql.Composable,
    columns: Sequence[str],
    chunks: Iterable[tuple[int, Any]],
    on_rows: Callable[[int], None],
    freeze: bool = False,
) -> None:
    """COPY binary chunks into `table` (a composed, quoted name)."""
    statement = sql.SQL("copy {} ({}) from stdin with (format binary{})").format(
        table,
        sql.SQL(", ").join(sql.Identifier(c) for c in columns),
        sql.SQL(", freeze") if freeze else sql.SQL(""),
    )
    stream = ChunkStream(chunks, on_rows)
    try:
        cur.copy_expert(statement, stream, size=1 << 22)
    except psycopg2.Error:
        if stream.error is not None:  # psycopg2 reports a failed read() as a cancelled COPY
            raise stream.error from None
        raise
    finally:
        stream.close()


def copy_csv(
    cur: Any,
    table: sql.Composable,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    freeze: bool = False,
) -> None:
    """COPY rows (None = NULL; no empty strings) into `table` as CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    buffer.seek(0)
    statement = sql.SQL("copy {} ({}) from stdin with (format csv{})").format(
        table,
        sql.SQL(", ").join(sql.Identifier(c) for c in columns),
        sql.SQL(", freeze") if freeze else sql.SQL(""),
    )
    cur.copy_expert(statement, buffer)
