"""The transfer engine: parallel ranged GETs into a memory-mapped partial file, then an atomic publish (I/O).

One :class:`Transfer` per blob. Worker threads take chunks in file order, each filling its slice of the mapping
straight from the socket; a finished chunk is appended to a journal, so an interrupted fetch resumes where it
stopped. Transient failures (5xx, resets, timeouts, short reads) are retried with exponential backoff from the
byte where they stopped. When a sha256 is known it is computed in order while the chunks arrive. Readers can wait
for any byte range (tensors are handed out while the rest is still arriving); nobody sees the blob's final path
until every byte is in and verified.

Single flight: a transfer holds the blob's ``flock``; another process asking for the same blob waits on the lock
and then finds the published file. Within one process, concurrent callers share the running transfer.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import mmap
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ferry.cache._errors import FetchError, IntegrityError, QuotaError
from ferry.cache._plan import ChunkPlan, RetryPolicy, plan_chunks
from ferry.cache._remote import Origin, RemoteFile, RetryableError
from ferry.cache._store import Store

# hashlib and json are imported where a fetch needs them: a process that only maps warm blobs never loads them.

__all__ = ["Engine", "Ready", "Transfer"]

Progress = Callable[[int], None]
MADV_POPULATE_WRITE = getattr(mmap, "MADV_POPULATE_WRITE", 23)  # Linux 5.14+: fault a range in with one call


class _Cancelled(Exception):
    """Another worker failed; stop this one."""


@dataclass
class Ready:
    """A blob that is already complete on disk."""

    path: Path
    size: int
    origin_bytes: int = 0

    def wait(self, start: int = 0, end: int | None = None, timeout: float | None = None) -> None:
        """Complete: nothing to wait for."""

    def open_fd(self) -> int:
        return os.open(self.path, os.O_RDONLY)

    def result(self) -> Path:
        return self.path


class Transfer:
    """Fetching one blob. Created and started by :class:`Engine`; readers call :meth:`wait` and :meth:`open_fd`."""

    def __init__(
        self,
        store: Store,
        origin: Origin,
        file: RemoteFile,
        blob: str,
        plan: ChunkPlan,
        retry: RetryPolicy,
        progress: Progress | None,
        lock_fd: int,
        on_done: Callable[[Transfer], None],
    ) -> None:
        self.store, self.origin, self.file, self.blob = store, origin, file, blob
        self.plan, self.retry, self.progress = plan, retry, progress
        self.size = file.size
        self._lock_fd = lock_fd
        self._on_done = on_done
        self._cond = threading.Condition()
        self._done: set[int] = set()
        self._pending: Iterator[int] = iter([])
        self._error: BaseException | None = None
        self._published: Path | None = None
        self._finished = threading.Event()
        self.origin_bytes = 0
        self.resumed_bytes = 0
        self._bytes_lock = threading.Lock()
        self.partial = store.partial_path(blob)
        self.journal = store.journal_path(blob)
        self._fd = -1
        self._map: mmap.mmap | None = None
        self._view: memoryview | None = None
        self._threads: list[threading.Thread] = []

    # setup -----------------------------------------------------------------------------------------------------
    def _journal_header(self) -> str:
        import json

        return json.dumps(
            {
                "size": self.size,
                "chunk": self.plan.chunk_size,
                "ramp": self.plan.ramp,
                "count": self.plan.count,
                "etag": self.file.etag,
                "source": self.file.source,
            },
            sort_keys=True,
        )

    def _resume(self) -> set[int]:
        try:
            lines = self.journal.read_text().splitlines()
        except OSError:
            return set()
        if not lines or lines[0] != self._journal_header() or not self.partial.exists():
            return set()
        done = set()
        for line in lines[1:]:
            if line.isdigit() and int(line) < self.plan.count:
                done.add(int(line))
        return done

    def start(self) -> None:
        done = self._resume()
        if not done:
            with contextlib.suppress(FileNotFoundError):
                self.partial.unlink()
            self.journal.write_text(self._journal_header() + "\n")
        self._fd = os.open(self.partial, os.O_RDWR | os.O_CREAT, 0o644)
        if os.fstat(self._fd).st_size != self.size:
            os.ftruncate(self._fd, self.size)
        try:  # reserve the blocks: writing a mapped file on a full disk would kill the process with SIGBUS
            os.posix_fallocate(self._fd, 0, self.size)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                os.close(self._fd)
                raise QuotaError(
                    f"no space left under {self.store.root} for {self.size} bytes",
                    hint="free disk space, lower the Runtime's quota or run ferry cache gc",
                ) from None
            if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                raise
        self._journal_fd = os.open(self.journal, os.O_WRONLY | os.O_APPEND)
        self._done = done
        self.resumed_bytes = sum(self.plan.bounds(i)[1] - self.plan.bounds(i)[0] for i in done)
        if self.size:
            self._map = mmap.mmap(self._fd, self.size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
            self._view = memoryview(self._map)
        todo = [i for i in range(self.plan.count) if i not in done]
        self._pending = iter(todo)
        self._todo_lock = threading.Lock()
        workers = min(self.plan.concurrency, len(todo))
        for n in range(workers):
            t = threading.Thread(target=self._work, name=f"ferry-fetch-{n}", daemon=True)
            self._threads.append(t)
            t.start()
        finisher = threading.Thread(target=self._finish, name="ferry-publish", daemon=True)
        finisher.start()

    # workers ---------------------------------------------------------------------------------------------------
    def _next(self) -> int | None:
        with self._todo_lock:
            return next(self._pending, None)

    def _count(self, n: int) -> None:
        if self._error is not None:
            raise _Cancelled
        with self._bytes_lock:
            self.origin_bytes += n
        if self.progress is not None:
            self.progress(n)

    def _work(self) -> None:
        try:
            while (index := self._next()) is not None:
                if self._error is not None:
                    return
                self._fetch_chunk(index)
                os.write(self._journal_fd, f"{index}\n".encode())
                with self._cond:
                    self._done.add(index)
                    self._cond.notify_all()
        except _Cancelled:
            return
        except BaseException as exc:
            self._fail(exc)
        finally:
            self.origin.release_thread()

    _populate = True

    def _prefault(self, start: int, end: int) -> None:
        """Allocate the chunk's page-cache pages in one call rather than one fault per 4 KiB page (less CPU)."""
        if not Transfer._populate or self._map is None:
            return
        page = mmap.PAGESIZE
        first = start - start % page
        try:
            self._map.madvise(MADV_POPULATE_WRITE, first, end - first)
        except (OSError, ValueError):
            Transfer._populate = False  # an older kernel: page faults do the same work

    def _fetch_chunk(self, index: int) -> None:
        start, end = self.plan.bounds(index)
        assert self._view is not None
        self._prefault(start, end)
        offset = start
        last: RetryableError | None = None
        for attempt in range(1, self.retry.attempts + 1):
            if self._error is not None:
                raise _Cancelled
            time.sleep(self.retry.delay(attempt))
            target = self._view[offset:end]
            try:
                self.origin.read_into(self.file, offset, target, self._count)
                return
            except RetryableError as exc:
                last = exc
                offset += exc.received
                if offset >= end:
                    return
            finally:
                target.release()
        raise FetchError(
            f"{self.file.source}: bytes {offset}-{end - 1} failed {self.retry.attempts} times: {last}",
            hint="run the same command again: finished chunks are kept and the fetch resumes",
        )

    def _fail(self, exc: BaseException) -> None:
        with self._cond:
            if self._error is None:
                self._error = exc
            self._cond.notify_all()

    # completion ------------------------------------------------------------------------------------------------
    def _hash(self) -> str:
        import hashlib

        digest = hashlib.sha256()
        assert self._view is not None or self.size == 0
        for index in range(self.plan.count):
            with self._cond:
                while index not in self._done and self._error is None:
                    self._cond.wait()
                if self._error is not None:
                    raise _Cancelled
            start, end = self.plan.bounds(index)
            assert self._view is not None
            with self._view[start:end] as part:
                digest.update(part)
        return digest.hexdigest()

    def _finish(self) -> None:
        import hashlib

        try:
            digest = self._hash() if self.file.sha256 and self.size else None
            with self._cond:
                while len(self._done) < self.plan.count and self._error is None:
                    self._cond.wait()
            for t in self._threads:
                t.join()
            if self._error is not None:
                raise self._error
            if self.size == 0 and self.file.sha256 and self.file.sha256 != hashlib.sha256(b"").hexdigest():
                digest = hashlib.sha256(b"").hexdigest()
            if digest is not None and digest != self.file.sha256:
                self._discard()
                raise IntegrityError(
                    f"{self.file.source}: sha256 of the downloaded bytes is {digest}, expected {self.file.sha256}",
                    hint="the origin served corrupted or different bytes; nothing was published. Check the origin",
                )
            self._close_map()
            with self._cond:
                self._published = self.store.publish(
                    self.blob, size=self.size, sha256=self.file.sha256, etag=self.file.etag, source=self.file.source
                )
        except _Cancelled:
            pass
        except BaseException as exc:
            self._fail(exc)
        finally:
            self._close_map()
            with contextlib.suppress(OSError):
                os.close(self._journal_fd)
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
            self._finished.set()
            with self._cond:
                self._cond.notify_all()
            self._on_done(self)

    def _close_map(self) -> None:
        with self._cond:
            if self._view is not None:
                with contextlib.suppress(BufferError):  # readers' views keep the mapping alive
                    self._view.release()
                self._view = None
            if self._map is not None:
                with contextlib.suppress(BufferError):
                    self._map.close()
                self._map = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _discard(self) -> None:
        self._close_map()
        for path in (self.partial, self.journal):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    # readers ---------------------------------------------------------------------------------------------------
    def wait(self, start: int = 0, end: int | None = None, timeout: float | None = None) -> None:
        """Block until bytes ``[start, end)`` are in (the whole file when ``end`` is None); raise the fetch's error."""
        end = self.size if end is None else min(end, self.size)
        needed = set(self.plan.covering(start, end))
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                if self._error is not None:
                    raise self._error
                if needed <= self._done:
                    return
                if self._finished.is_set() and self._published is not None:
                    return
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise FetchError(f"{self.file.source}: bytes {start}-{end} did not arrive in {timeout} s")
                self._cond.wait(remaining)

    def shared_view(self) -> memoryview | None:
        """A view of the mapping the workers fill (None once the file is published): readers in this process use
        it instead of mapping the file a second time, so the file's pages count once in memory."""
        with self._cond:
            if self._view is None or self._error is not None:
                return None
            return self._view[:]

    def open_fd(self) -> int:
        """A read-only descriptor of the file's inode, whether it is still partial or already published."""
        with self._cond:
            if self._error is not None:
                raise self._error
            path = self._published or self.partial
            return os.open(path, os.O_RDONLY)

    def result(self) -> Path:
        """Wait for the publish; the final path."""
        self._finished.wait()
        if self._error is not None:
            raise self._error
        assert self._published is not None
        return self._published


class Engine:
    """Fetches blobs into a :class:`Store`, once per blob across threads and processes."""

    def __init__(
        self,
        store: Store,
        *,
        concurrency: int | None = None,
        chunk_size: int | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.store = store
        self.concurrency = concurrency
        self.chunk_size = chunk_size
        self.retry = retry or RetryPolicy()
        self._active: dict[str, Transfer] = {}
        self._lock = threading.Lock()

    def ensure(
        self, origin: Callable[[], Origin], file: RemoteFile, blob: str, progress: Progress | None = None
    ) -> Ready | Transfer:
        """The blob, complete (:class:`Ready`) or arriving (:class:`Transfer`, already started).

        ``origin`` is called only when the blob must be fetched, so a cache hit needs no credentials.
        """
        while True:
            with self._lock:
                running = self._active.get(blob)
                if running is not None:
                    return running
                if self.store.has_blob(blob):
                    self.store.touch(blob)
                    return Ready(self.store.blob_path(blob), file.size)
                fd = os.open(self.store.root / "locks" / (blob + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as exc:
                    os.close(fd)
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    fd = -1
                if fd >= 0:
                    if self.store.has_blob(blob):  # published between our check and the lock
                        fcntl.flock(fd, fcntl.LOCK_UN)
                        os.close(fd)
                        continue
                    return self._start(origin, file, blob, progress, fd)
            self._wait_other_process(blob)

    def _wait_other_process(self, blob: str) -> None:
        """Another process fetches this blob: wait for its lock, then look again."""
        fd = os.open(self.store.root / "locks" / (blob + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _start(
        self, origin: Callable[[], Origin], file: RemoteFile, blob: str, progress: Progress | None, fd: int
    ) -> Transfer:
        try:
            self.store.make_room(file.size, keep={blob} | set(self._active))
            plan = plan_chunks(file.size, concurrency=self.concurrency, chunk_size=self.chunk_size)
            transfer = Transfer(self.store, origin(), file, blob, plan, self.retry, progress, fd, self._forget)
            self._active[blob] = transfer
            transfer.start()
        except BaseException:
            self._active.pop(blob, None)
            with contextlib.suppress(OSError):
                os.close(fd)
            raise
        return transfer

    def _forget(self, transfer: Transfer) -> None:
        with self._lock:
            if self._active.get(transfer.blob) is transfer:
                del self._active[transfer.blob]
