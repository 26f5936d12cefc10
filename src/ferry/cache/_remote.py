"""What an origin is to the engine: a file it serves, the transient-failure signal, the interface (no I/O here).

Kept apart from :mod:`ferry.cache._origin` (HTTP, S3, local origins) so that a process that only reads the warm
cache never imports the HTTP client stack.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Origin", "RemoteFile", "RetryableError"]


class RetryableError(Exception):
    """A failure worth another try (5xx, reset, timeout, short read); carries how many bytes did arrive."""

    def __init__(self, message: str, received: int = 0) -> None:
        super().__init__(message)
        self.received = received


@dataclass(frozen=True)
class RemoteFile:
    """A file at an origin: its path inside the mount, size, ETag and sha256 (when the origin or dataset says)."""

    path: str
    size: int
    etag: str | None
    sha256: str | None
    source: str

    @property
    def identity(self) -> str:
        """What names the file's content: its sha256 when known, else source + size + ETag."""
        import hashlib

        if self.sha256:
            return "sha256-" + self.sha256
        key = f"{self.source}\0{self.size}\0{self.etag or ''}"
        return "o-" + hashlib.sha256(key.encode()).hexdigest()[:40]


class Origin(ABC):
    """A source of files. Implementations are thread-safe: the engine calls :meth:`read_into` from many threads."""

    @abstractmethod
    def list_files(self) -> list[RemoteFile]:
        """Every file of the mount."""

    @abstractmethod
    def read_into(self, file: RemoteFile, start: int, view: memoryview, progress: Callable[[int], None]) -> None:
        """Fill ``view`` with the file's bytes from ``start``; report arriving bytes to ``progress``.

        Raises :class:`RetryableError` (with the bytes that did arrive) for transient failures, :class:`OriginError`
        or :class:`IntegrityError` for the rest.
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Drop pooled connections."""

    def release_thread(self) -> None:  # noqa: B027 - optional hook
        """Drop the calling thread's connections (a worker thread is about to end)."""
