"""Import a dataset file from its origin into the JuiceFS volume, atomically (I/O: origin reads, file writes).

The bytes are read in ranged chunks by a few threads and written at their offsets into a hidden temporary file
beside the destination; only a complete (and, when a sha256 is declared, verified) file is renamed into place,
so a reader on any node sees the whole file or none of it. A failed import leaves no temporary behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ferry.cache._errors import FetchError, IntegrityError
from ferry.cache._origin import Origin, RemoteFile, RetryableError

__all__ = ["TMP_MARK", "import_file"]

TMP_MARK = ".ferry-tmp-"
CHUNK = 16 << 20
ATTEMPTS = 5


def _read_chunk(
    origin: Origin, remote: RemoteFile, fd: int, start: int, length: int, tick: Callable[[int], None]
) -> None:
    buffer = bytearray(length)
    view = memoryview(buffer)
    for attempt in range(ATTEMPTS):
        try:
            origin.read_into(remote, start, view, lambda n: None)
            break
        except RetryableError as exc:
            if attempt == ATTEMPTS - 1:
                raise FetchError(
                    f"{remote.source}: bytes {start}-{start + length - 1} failed {ATTEMPTS} times ({exc})",
                    hint="check the origin and run the prefetch again; nothing partial was published",
                ) from None
            time.sleep(0.2 * 2**attempt)
    written = 0
    while written < length:
        written += os.pwrite(fd, view[written:], start + written)
    tick(length)


def import_file(
    origin: Origin,
    remote: RemoteFile,
    dest: Path,
    *,
    threads: int = 4,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Copy ``remote`` to ``dest`` (write, fsync, rename); the bytes read from the origin."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}{TMP_MARK}{socket.gethostname()}-{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    done = False
    try:
        tick = progress or (lambda n: None)
        ranges = [(s, min(CHUNK, remote.size - s)) for s in range(0, remote.size, CHUNK)]
        if len(ranges) <= 1 or threads <= 1:
            for start, length in ranges:
                _read_chunk(origin, remote, fd, start, length, tick)
        else:
            with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ferry-jfs-import") as pool:
                for future in [pool.submit(_read_chunk, origin, remote, fd, s, n, tick) for s, n in ranges]:
                    future.result()
        os.fsync(fd)
        os.close(fd)
        fd = -1
        if remote.sha256:
            digest = _sha256(tmp)
            if digest != remote.sha256:
                raise IntegrityError(
                    f"{remote.source}: sha256 {digest} does not match the declared {remote.sha256}",
                    hint="the origin's file changed or the dataset declares a wrong sha256; nothing was published",
                )
        os.chmod(tmp, 0o444)
        os.rename(tmp, dest)
        done = True
        return remote.size
    finally:
        if fd >= 0:
            os.close(fd)
        if not done:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(8 << 20):
            digest.update(chunk)
    return digest.hexdigest()
