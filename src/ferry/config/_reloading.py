"""Reloading sources: read off to the side, publish only good and changed content, watch with inotify or polling."""

from __future__ import annotations

import abc
import hashlib
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ferry.config._errors import SourceNotFoundError
from ferry.config._inotify import Inotify
from ferry.config._layer import Layer
from ferry.config._provider import Provider
from ferry.config._values import Entry
from ferry.errors import ConfigError

__all__ = ["ReloadStatus", "ReloadingProvider"]

log = logging.getLogger("ferry.config")

_MISSING = b"\x00missing"


@dataclass
class ReloadStatus:
    """How a reloading provider is doing. ``errors`` counts failed reloads; ``last_error`` says why the last failed."""

    mechanism: str = "none"
    checks: int = 0
    reloads: int = 0
    errors: int = 0
    last_error: str | None = None
    last_error_at: float | None = None
    last_reload_at: float | None = None


class ReloadingProvider(Provider, abc.ABC):
    """Base of :class:`File` and :class:`Directory`: reading, change detection by content digest, watching."""

    def __init__(
        self,
        name: str,
        *,
        watch: bool,
        allow_missing: bool,
        poll_interval: float,
        force_polling: bool,
        debounce: float,
    ) -> None:
        self.name = name
        self.allow_missing = allow_missing
        self.status = ReloadStatus()
        self._reload_lock = threading.RLock()  # a subscriber may trigger a check
        self._bad_digest: bytes | None = None
        raw = self._read_raw()
        if raw is None:
            if not allow_missing:
                raise self._missing_error()
            self._digest = _MISSING
            table: dict[str, Entry] = {}
        else:
            self._digest = _digest(raw)
            table = self._parse(raw)
        super().__init__(name, self._make_layer(name, table))
        self._stop = threading.Event()
        self._inotify: Inotify | None = None
        self._thread: threading.Thread | None = None
        if watch:
            if not force_polling:
                try:
                    self._inotify = Inotify()
                except OSError as exc:
                    log.info("config %s: inotify unavailable (%s); polling every %ss", name, exc, poll_interval)
            self.status.mechanism = "inotify" if self._inotify else "polling"
            if self._inotify is not None:
                self._add_watches(self._inotify)  # before the thread starts: no change can slip past unseen
            self._thread = threading.Thread(
                target=self._run, args=(poll_interval, debounce), name=f"ferry-config-{name}", daemon=True
            )
            self._thread.start()

    # -- what subclasses provide ------------------------------------------------------------------------------
    @abc.abstractmethod
    def _read_raw(self) -> dict[str, bytes] | None:
        """The source's bytes by relative name, or None when it is missing. Raises ConfigError when unreadable."""

    @abc.abstractmethod
    def _parse(self, raw: dict[str, bytes]) -> dict[str, Entry]:
        """The entries of the source's bytes. Raises ConfigError (the last good values stay) when unparsable."""

    @abc.abstractmethod
    def _watch_dirs(self) -> Iterable[Path]:
        """The directories whose changes may change the source."""

    def _missing_error(self) -> ConfigError:
        return SourceNotFoundError(f"{self.name}: not found", hint="create it, or pass allow_missing=True")

    def _make_layer(self, name: str, table: dict[str, Entry]) -> Layer:
        return Layer(name, table)

    # -- reloading ----------------------------------------------------------------------------------------------
    def reload(self) -> bool:
        """Check the source now; publish a new layer when its content changed and parses. True when published."""
        with self._reload_lock:
            self.status.checks += 1
            try:
                raw = self._read_raw()
            except ConfigError as exc:
                return self._failed(exc, _MISSING + b"unreadable")
            if raw is None:
                if not self.allow_missing:
                    return self._failed(self._missing_error(), _MISSING)
                digest, table = _MISSING, {}
            else:
                digest = _digest(raw)
                if digest in (self._digest, self._bad_digest):
                    return False
                try:
                    table = self._parse(raw)
                except ConfigError as exc:
                    return self._failed(exc, digest)
            self._digest = digest
            self._bad_digest = None
            published = self._publish(self._make_layer(self.name, table))
            if published:
                self.status.reloads += 1
                self.status.last_reload_at = time.time()
                log.info("config %s: reloaded (%d values)", self.name, len(table))
            return published

    def _failed(self, exc: ConfigError, digest: bytes) -> bool:
        if digest == self._bad_digest:
            return False
        self._bad_digest = digest
        self.status.errors += 1
        self.status.last_error = str(exc)
        self.status.last_error_at = time.time()
        log.warning("config %s: reload failed, keeping the last good values: %s", self.name, exc)
        return False

    def _add_watches(self, ino: Inotify) -> None:
        for directory in self._watch_dirs():
            ino.add(directory)

    def _run(self, poll_interval: float, debounce: float) -> None:
        ino = self._inotify
        first = True
        while not self._stop.is_set():
            try:
                if first:
                    first = False  # catch what changed between the first read and the watches being in place
                elif ino is None:
                    if self._stop.wait(poll_interval):
                        return
                elif ino.wait(poll_interval):
                    while not self._stop.is_set() and ino.wait(debounce):
                        pass  # one reload per burst: wait until the events stop
                if ino is not None:
                    self._add_watches(ino)  # new subdirectories, a directory that appeared, a new ..data target
                if not self._stop.is_set():
                    self.reload()
            except Exception:  # the watcher must outlive any one bad check
                log.exception("config %s: watcher check failed", self.name)
                self._stop.wait(poll_interval)

    def close(self) -> None:
        """Stop watching (idempotent). The last published values stay readable."""
        self._stop.set()
        if self._inotify is not None:
            self._inotify.wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        if self._inotify is not None:
            self._inotify.close()
            self._inotify = None


def _digest(raw: dict[str, bytes]) -> bytes:
    h = hashlib.sha256()
    for name in sorted(raw):
        h.update(name.encode("utf-8", "surrogateescape") + b"\x00")
        h.update(len(raw[name]).to_bytes(8, "big") + raw[name])
    return h.digest()
