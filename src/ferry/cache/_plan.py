"""How a file is split into ranged GETs, how many run at once, and how long to wait between retries (pure)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

__all__ = ["ChunkPlan", "RetryPolicy", "plan_chunks"]

MiB = 1024 * 1024
DEFAULT_MAX_CONCURRENCY = 16
MIN_CHUNK = 1 * MiB
MAX_CHUNK = 64 * MiB
RAMP_MIN = 256 * 1024


def _ramp(size: int, chunk_size: int, concurrency: int, smallest: int) -> tuple[int, ...]:
    """Range boundaries that grow with the offset and shrink towards the end: a range starting at ``x`` is
    ``min(x, size - x) / concurrency`` bytes (a multiple of ``smallest``, between ``smallest`` and ``chunk_size``).

    Workers take ranges in file order, so the bytes before ``x`` are complete about ``2 x / link`` after the start
    (the file's head — a safetensors header and its first tensors — arrives at the whole link's rate, not one
    connection's), and the last ranges are small, so no connection is left alone with a big tail.
    """
    offsets = [0]
    x = 0
    while x < size:
        step = min(chunk_size, x // concurrency, (size - x) // concurrency)
        x += max(smallest, step - step % smallest)
        if size - x < smallest:  # no sliver of a range at the end
            x = size
        offsets.append(x)
    return tuple(offsets)


@dataclass(frozen=True)
class ChunkPlan:
    """A file of ``size`` bytes in ranges, ``concurrency`` at once. Uniform ranges of ``chunk_size`` (the last may
    be shorter), or, when ``ramp`` is set, ranges that start at ``ramp`` bytes, grow to ``chunk_size`` and shrink
    again towards the end of the file (see :func:`_ramp`)."""

    size: int
    chunk_size: int
    concurrency: int
    ramp: int = 0
    _offsets: tuple[int, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        if self.ramp:
            object.__setattr__(self, "_offsets", _ramp(self.size, self.chunk_size, self.concurrency, self.ramp))

    @property
    def count(self) -> int:
        if not self.size:
            return 0
        if self.ramp:
            return len(self._offsets) - 1
        return -(-self.size // self.chunk_size)

    def bounds(self, index: int) -> tuple[int, int]:
        """``[start, end)`` of chunk ``index``."""
        if self.ramp:
            return self._offsets[index], self._offsets[index + 1]
        start = index * self.chunk_size
        return start, min(self.size, start + self.chunk_size)

    def index_of(self, offset: int) -> int:
        """The chunk that holds byte ``offset``."""
        if self.ramp:
            return bisect.bisect_right(self._offsets, offset) - 1
        return offset // self.chunk_size

    def covering(self, start: int, end: int) -> range:
        """The chunk indexes that hold bytes ``[start, end)``."""
        if end <= start:
            return range(0)
        return range(self.index_of(start), self.index_of(end - 1) + 1)


def plan_chunks(size: int, *, concurrency: int | None = None, chunk_size: int | None = None) -> ChunkPlan:
    """The plan for one file; ``None`` picks adaptive defaults.

    Defaults: ranges of up to 16 MiB for big files (the size object stores and SeaweedFS's 4 MiB chunking like:
    enough bytes in flight to cover the link's bandwidth-delay product with 16 connections), shrinking for small
    files so that every connection gets work (at least 1 MiB, in 1 MiB steps), and as many connections as there
    are chunks up to 16. When the chunk size is adaptive and the file spans more than one round, the ranges
    ramp: from ``chunk_size / (2 concurrency)`` (at least 256 KiB; 512 KiB for big files) at the start of the
    file, growing with the offset to 16 MiB, and shrinking again over the last part, so the head arrives first at
    the full link rate and the tail finishes on every connection at once.
    """
    if size < 0:
        raise ValueError("size must be non-negative")
    adaptive = chunk_size is None
    if chunk_size is None:
        workers = concurrency or DEFAULT_MAX_CONCURRENCY
        per_worker = -(-size // (workers * 2)) if size else MIN_CHUNK
        chunk_size = min(16 * MiB, max(MIN_CHUNK, -(-per_worker // MiB) * MiB))
    if chunk_size < 1:
        raise ValueError("chunk size must be positive")
    chunks = max(1, -(-size // chunk_size))
    if concurrency is None:
        concurrency = min(DEFAULT_MAX_CONCURRENCY, chunks)
    concurrency = max(1, min(concurrency, chunks))
    if adaptive and concurrency > 1 and size > concurrency * chunk_size:
        return ChunkPlan(size, chunk_size, concurrency, ramp=max(RAMP_MIN, chunk_size // (2 * concurrency)))
    return ChunkPlan(size, chunk_size, concurrency)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with a cap: attempt ``n`` (from 1) waits ``min(cap, base * 2**(n-1))`` seconds first."""

    attempts: int = 6
    base: float = 0.2
    cap: float = 5.0
    timeout: float = 30.0

    def delay(self, attempt: int) -> float:
        if attempt <= 1:
            return 0.0
        return float(min(self.cap, self.base * 2 ** (attempt - 2)))

    @staticmethod
    def retryable_status(status: int) -> bool:
        """5xx, 429 and 408 are worth retrying; other 4xx answers will not change."""
        return status >= 500 or status in (408, 429)
