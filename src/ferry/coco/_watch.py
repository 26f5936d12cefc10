"""Hot reload of the webhook's certificate and profile through ferry.config's watching (I/O).

The seam is :class:`FileWatcher`: something that calls back with the paths that changed. :class:`ConfigWatcher`
implements it with ferry.config: a :class:`ferry.config.Reader` over one ``Directory(..., watch=True)`` provider
per directory holding a watched file (a mounted Secret or ConfigMap volume in a cluster), so kubelet's ``..data``
symlink swap, editors' rename-over and in-place writes are all seen (inotify, polling as the fallback). Each
publication of the reader is a signal; the watcher then compares the content of the watched files and reports
the ones that changed, in the server's event loop.

Keep the certificate, key and profile in their own directories (as volumes are): every file of a watched
directory is read on each change.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

__all__ = ["ConfigWatcher", "FileWatcher", "fingerprint"]


class FileWatcher(Protocol):
    """Calls ``on_change(changed_paths)`` in the running event loop after watched files change.

    ``baseline`` maps each path to :func:`fingerprint` of the content the caller loaded, so a change made before
    the watch began is reported too.
    """

    def start(
        self,
        paths: Sequence[str],
        on_change: Callable[[list[str]], None],
        baseline: Mapping[str, str | None] | None = None,
    ) -> None: ...

    async def stop(self) -> None: ...


def fingerprint(path: str) -> str | None:
    """sha256 of a file's content (None when unreadable)."""
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


class ConfigWatcher:
    """A :class:`FileWatcher` on ferry.config's ``Directory`` watching (``poll_interval`` when inotify is unusable)."""

    def __init__(self, poll_interval: float = 1.0) -> None:
        self.poll_interval = poll_interval
        self._reader: Any = None
        self._remove: Callable[[], None] | None = None

    def start(
        self,
        paths: Sequence[str],
        on_change: Callable[[list[str]], None],
        baseline: Mapping[str, str | None] | None = None,
    ) -> None:
        from ferry.config import Directory, Reader

        loop = asyncio.get_running_loop()
        watched = [os.path.abspath(p) for p in paths]
        given = {os.path.abspath(p): v for p, v in (baseline or {}).items()}
        seen = {p: given[p] if p in given else fingerprint(p) for p in watched}
        directories = sorted({os.path.dirname(p) for p in watched})
        providers = [
            Directory(d, watch=True, secret=True, poll_interval=self.poll_interval, name=f"coco-webhook:{d}")
            for d in directories
        ]
        self._reader = Reader(providers)

        def published(_snapshot: Any) -> None:  # runs in ferry.config's watching thread
            changed = []
            for p in watched:
                now = fingerprint(p)
                if now != seen[p]:
                    seen[p] = now
                    changed.append(p)
            if changed and not loop.is_closed():
                loop.call_soon_threadsafe(on_change, changed)

        self._remove = self._reader.on_change(published)
        published(None)  # what changed between loading and the first read of the watch

    async def stop(self) -> None:
        if self._remove is not None:
            self._remove()
            self._remove = None
        if self._reader is not None:
            reader, self._reader = self._reader, None
            await asyncio.to_thread(reader.close)
