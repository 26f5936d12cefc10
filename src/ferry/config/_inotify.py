"""Linux inotify through ctypes: directory watches and a wait that can be woken up."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import select
import sys
from pathlib import Path

__all__ = ["Inotify", "inotify_available"]

IN_MODIFY = 0x002
IN_ATTRIB = 0x004
IN_CLOSE_WRITE = 0x008
IN_MOVED_FROM = 0x040
IN_MOVED_TO = 0x080
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_DELETE_SELF = 0x400
IN_MOVE_SELF = 0x800
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
MASK = (
    IN_MODIFY
    | IN_ATTRIB
    | IN_CLOSE_WRITE
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_CREATE
    | IN_DELETE
    | IN_DELETE_SELF
    | IN_MOVE_SELF
)


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.inotify_init1.argtypes = [ctypes.c_int]
        libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        return libc
    except (OSError, AttributeError):
        return None


_LIBC = _libc()


def inotify_available() -> bool:
    return _LIBC is not None


class Inotify:
    """An inotify instance. :meth:`wait` returns True when events arrived, False on timeout or :meth:`wake`."""

    def __init__(self) -> None:
        if _LIBC is None:
            raise OSError("inotify is not available on this system")
        fd = _LIBC.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
        self.fd: int = fd
        self._wake_r, self._wake_w = os.pipe()
        self._watched: set[str] = set()
        self._poll = select.poll()  # not select(): no FD_SETSIZE limit in processes with many open files
        self._poll.register(self.fd, select.POLLIN)
        self._poll.register(self._wake_r, select.POLLIN)

    def add(self, path: Path) -> bool:
        """Watch the directory ``path`` (again); False when it cannot be watched (missing, no permission)."""
        assert _LIBC is not None
        wd = _LIBC.inotify_add_watch(self.fd, os.fsencode(path), MASK)
        if wd < 0:
            self._watched.discard(str(path))
            return False
        self._watched.add(str(path))
        return True

    def wait(self, timeout: float) -> bool:
        ready = {fd for fd, _ in self._poll.poll(max(timeout, 0.0) * 1000)}
        if self._wake_r in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(self._wake_r, 4096)
            return False
        if self.fd in ready:
            self._drain()
            return True
        return False

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return
            if not data:
                return

    def wake(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")

    def close(self) -> None:
        for fd in (self.fd, self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
