"""Watching: an iterator (and async iterator) of values that yields the current one, then each real change."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from ferry.config._snapshot import Snapshot

__all__ = ["Watch"]

T = TypeVar("T")
log = logging.getLogger("ferry.config")
_NOTHING: Any = object()


class Watch(Generic[T], Iterator[T], AsyncIterator[T]):
    """Values of one key (or whole snapshots) as they change: the current one first, then only real changes.

    Iterate it (``for value in watch``) or ``async for`` it; a slow consumer gets the newest value, never a
    backlog. ``close()`` (or leaving a ``with`` block) ends the iteration and releases the subscription.
    """

    def __init__(self, compute: Callable[[Snapshot], T], release: Callable[[Watch[T]], None]) -> None:
        self._compute = compute
        self._release = release
        self._cond = threading.Condition()
        self._latest: T = _NOTHING
        self._pending = False
        self._closed = False
        self._generation = -1
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def _offer(self, snapshot: Snapshot) -> None:
        """Called on each publication (from the publishing thread)."""
        if snapshot.generation <= self._generation or self._closed:
            return
        value = self._compute(snapshot)
        with self._cond:
            if snapshot.generation <= self._generation:
                return
            self._generation = snapshot.generation
            if self._latest is not _NOTHING and value == self._latest:
                return
            self._latest = value
            self._pending = True
            self._cond.notify_all()
            waiters, self._waiters = self._waiters, []
        _wake(waiters)

    def __iter__(self) -> Watch[T]:
        return self

    def __next__(self) -> T:
        return self.next()

    def next(self, timeout: float | None = None) -> T:
        """The next value; raises TimeoutError after ``timeout`` seconds, StopIteration once closed."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._pending or self._closed, timeout):
                raise TimeoutError(f"no new value within {timeout}s")
            if self._pending:
                self._pending = False
                return self._latest
            raise StopIteration

    def __aiter__(self) -> Watch[T]:
        return self

    async def __anext__(self) -> T:
        loop = asyncio.get_running_loop()
        while True:
            with self._cond:
                if self._pending:
                    self._pending = False
                    return self._latest
                if self._closed:
                    raise StopAsyncIteration
                future: asyncio.Future[None] = loop.create_future()
                self._waiters.append((loop, future))
            await future

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
            waiters, self._waiters = self._waiters, []
        _wake(waiters)
        self._release(self)

    async def aclose(self) -> None:
        self.close()

    def __enter__(self) -> Watch[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Watch[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


def _wake(waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]) -> None:
    for loop, future in waiters:
        with contextlib.suppress(RuntimeError):  # that event loop is closed; nobody waits there any more
            loop.call_soon_threadsafe(_resolve, future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
