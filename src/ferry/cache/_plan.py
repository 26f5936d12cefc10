"""How a file is split into ranged GETs, how many run at once, and how long to wait between retries (pure)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ChunkPlan", "RetryPolicy", "plan_chunks"]

MiB = 1024 * 1024
DEFAULT_MAX_CONCURRENCY = 16
MIN_CHUNK = 1 * MiB
MAX_CHUNK = 64 * MiB


@dataclass(frozen=True)
class ChunkPlan:
    """A file of ``size`` bytes in ranges of ``chunk_size`` (the last may be shorter), ``concurrency`` at once."""

    size: int
    chunk_size: int
    concurrency: int

    @property
    def count(self) -> int:
        return max(1, -(-self.size // self.chunk_size)) if self.size else 0

    def bounds(self, index: int) -> tuple[int, int]:
        """``[start, end)`` of chunk ``index``."""
        start = index * self.chunk_size
        return start, min(self.size, start + self.chunk_size)

    def covering(self, start: int, end: int) -> range:
        """The chunk indexes that hold bytes ``[start, end)``."""
        if end <= start:
            return range(0)
        return range(start // self.chunk_size, (end - 1) // self.chunk_size + 1)


def plan_chunks(size: int, *, concurrency: int | None = None, chunk_size: int | None = None) -> ChunkPlan:
    """The plan for one file; ``None`` picks adaptive defaults.

    Defaults: ranges of 16 MiB for big files (the size object stores and SeaweedFS's 4 MiB chunking like: enough
    bytes in flight to cover the link's bandwidth-delay product with 16 connections), shrinking for small files
    so that every connection gets work (at least 1 MiB, in 1 MiB steps), and as many connections as there are
    chunks up to 16.
    """
    if size < 0:
        raise ValueError("size must be non-negative")
    if chunk_size is None:
        workers = concurrency or DEFAULT_MAX_CONCURRENCY
        per_worker = -(-size // (workers * 2)) if size else MIN_CHUNK
        chunk_size = min(16 * MiB, max(MIN_CHUNK, -(-per_worker // MiB) * MiB))
    if chunk_size < 1:
        raise ValueError("chunk size must be positive")
    chunks = max(1, -(-size // chunk_size))
    if concurrency is None:
        concurrency = min(DEFAULT_MAX_CONCURRENCY, chunks)
    return ChunkPlan(size, chunk_size, max(1, min(concurrency, chunks)))


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
