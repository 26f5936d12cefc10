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
    """A file of ``size`` bytes in ranges, ``concurrency`` at once: ``head_count`` small ranges of ``head_chunk``
    bytes first (so the file's beginning — a safetensors header and first tensors — arrives at the whole link's
    rate, not one connection's), then ranges of ``chunk_size`` (the last may be shorter)."""

    size: int
    chunk_size: int
    concurrency: int
    head_chunk: int = 0
    head_count: int = 0

    @property
    def _head_end(self) -> int:
        return min(self.size, self.head_chunk * self.head_count)

    @property
    def count(self) -> int:
        if not self.size:
            return 0
        head = -(-self._head_end // self.head_chunk) if self.head_count else 0
        return head + -(-(self.size - self._head_end) // self.chunk_size)

    def bounds(self, index: int) -> tuple[int, int]:
        """``[start, end)`` of chunk ``index``."""
        if index < self.head_count:
            start = index * self.head_chunk
            return start, min(self._head_end, start + self.head_chunk)
        start = self._head_end + (index - self.head_count) * self.chunk_size
        return start, min(self.size, start + self.chunk_size)

    def index_of(self, offset: int) -> int:
        """The chunk that holds byte ``offset``."""
        if offset < self._head_end:
            return offset // self.head_chunk
        return self.head_count + (offset - self._head_end) // self.chunk_size

    def covering(self, start: int, end: int) -> range:
        """The chunk indexes that hold bytes ``[start, end)``."""
        if end <= start:
            return range(0)
        return range(self.index_of(start), self.index_of(end - 1) + 1)


def plan_chunks(size: int, *, concurrency: int | None = None, chunk_size: int | None = None) -> ChunkPlan:
    """The plan for one file; ``None`` picks adaptive defaults.

    Defaults: ranges of 16 MiB for big files (the size object stores and SeaweedFS's 4 MiB chunking like: enough
    bytes in flight to cover the link's bandwidth-delay product with 16 connections), shrinking for small files
    so that every connection gets work (at least 1 MiB, in 1 MiB steps), and as many connections as there are
    chunks up to 16. When the chunk size is adaptive and the file spans many rounds, the first chunk's bytes go
    out as one small range per connection (16 x 1 MiB), so that they arrive first and at the full link rate.
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
    if adaptive and concurrency > 1 and size >= 4 * concurrency * chunk_size:
        head_chunk = max(256 * 1024, chunk_size // concurrency)
        return ChunkPlan(size, chunk_size, concurrency, head_chunk, chunk_size // head_chunk)
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
