"""The reload seam: something that calls back when watched files change (I/O).

:class:`PollingWatcher` is the minimal file watch the webhook ships with: it polls (mtime, size, inode) of each
path, which also catches the symlink swap Kubernetes uses to update mounted Secrets and ConfigMaps. Anything with
the same two methods can replace it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Sequence
from typing import Protocol

__all__ = ["FileWatcher", "PollingWatcher"]


class FileWatcher(Protocol):
    """Calls ``on_change(changed_paths)`` after watched files change; ``start`` runs in the server's event loop."""

    def start(self, paths: Sequence[str], on_change: Callable[[list[str]], None]) -> None: ...

    async def stop(self) -> None: ...


def _stamp(path: str) -> tuple[float, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime, st.st_size, st.st_ino)


class PollingWatcher:
    """Polls every ``interval`` seconds; a change is reported once the file is stable for one poll."""

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self, paths: Sequence[str], on_change: Callable[[list[str]], None]) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(list(paths), on_change))

    async def _run(self, paths: list[str], on_change: Callable[[list[str]], None]) -> None:
        seen = {p: _stamp(p) for p in paths}
        pending: dict[str, tuple[float, int, int] | None] = {}
        while True:
            await asyncio.sleep(self.interval)
            ready = []
            for p in paths:
                now = _stamp(p)
                if p in pending:
                    if pending[p] == now:
                        ready.append(p)
                        seen[p] = now
                        del pending[p]
                    else:
                        pending[p] = now
                elif now != seen[p]:
                    pending[p] = now
            if ready:
                on_change(ready)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
