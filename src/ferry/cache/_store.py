"""The embedded runtime's store: content-addressed blobs on node-local disk, metadata in SQLite (disk I/O).

Layout under the cache directory::

    meta.sqlite            blobs, datasets, their files, last errors (WAL: many processes read and write)
    blobs/ab/<id>          published files, read-only; a reader never sees a partial one (rename publishes)
    partial/<id>           files being fetched, with <id>.journal listing the finished chunks (resume)
    locks/<id>.lock        flock: one fetch per blob across every process of the node

A blob's id names its content: ``sha256-<hex>`` when the sha256 is known and verified, else a digest of the
origin's identity, size and ETag. Datasets that name the same content share one blob.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ferry.cache._errors import QuotaError

__all__ = ["BlobInfo", "FileRow", "Store", "default_cache_dir"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS blobs (
    id TEXT PRIMARY KEY, size INTEGER NOT NULL, sha256 TEXT, etag TEXT, source TEXT NOT NULL,
    pinned INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL, last_access REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS datasets (
    namespace TEXT NOT NULL, name TEXT NOT NULL, manifest TEXT NOT NULL, applied REAL NOT NULL,
    last_error TEXT, PRIMARY KEY (namespace, name)
);
CREATE TABLE IF NOT EXISTS files (
    namespace TEXT NOT NULL, name TEXT NOT NULL, path TEXT NOT NULL, mount INTEGER NOT NULL,
    size INTEGER NOT NULL, etag TEXT, sha256 TEXT, source TEXT NOT NULL, blob TEXT NOT NULL,
    last_error TEXT, PRIMARY KEY (namespace, name, path)
);
CREATE INDEX IF NOT EXISTS files_blob ON files (blob);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT);
"""
_SCHEMA_VERSION = 1


def default_cache_dir() -> Path:
    """``$FERRY_CACHE_DIR``, else ``$XDG_CACHE_HOME/ferry/cache``, else ``~/.cache/ferry/cache``."""
    if env := os.environ.get("FERRY_CACHE_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ferry" / "cache"


@dataclass(frozen=True)
class BlobInfo:
    id: str
    size: int
    sha256: str | None
    pinned: bool
    last_access: float
    source: str


@dataclass(frozen=True)
class FileRow:
    """A dataset file as last listed: where it is in the dataset, where it comes from, and which blob holds it."""

    path: str
    mount: int
    size: int
    etag: str | None
    sha256: str | None
    source: str
    blob: str
    last_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size": self.size,
            "etag": self.etag,
            "sha256": self.sha256,
            "source": self.source,
            "blob": self.blob,
            "last_error": self.last_error,
        }


class Store:
    """One cache directory. Safe to use from many threads (a connection per call) and many processes."""

    def __init__(self, root: str | os.PathLike[str], *, quota: int | None = None) -> None:
        self.root = Path(root)
        for sub in ("blobs", "partial", "locks"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        # Held open for the store's life and never used for queries: with it, the short connections below are
        # never the last one to close, so closing them does not checkpoint and delete the WAL (fsyncs) each time.
        self._anchor: sqlite3.Connection | None = sqlite3.connect(
            self.root / "meta.sqlite", timeout=30.0, isolation_level=None, check_same_thread=False
        )
        if self._anchor.execute("PRAGMA user_version").fetchone()[0] != _SCHEMA_VERSION:
            self._anchor.execute("PRAGMA journal_mode=WAL")  # persistent: set once, with the schema
            self._anchor.executescript(_SCHEMA)
            self._anchor.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
        self._quota: int | None = quota
        self._quota_known = quota is not None
        if quota is not None:
            with self._db() as db:
                db.execute("INSERT OR REPLACE INTO settings VALUES ('quota', ?)", (str(quota),))

    @property
    def quota(self) -> int | None:
        """The byte quota: as given, else as a previous process set it (read once, when first asked)."""
        if not self._quota_known:
            with self._read() as db:
                row = db.execute("SELECT value FROM settings WHERE key='quota'").fetchone()
            self._quota, self._quota_known = (int(row[0]) if row else None), True
        return self._quota

    def close(self) -> None:
        """Close the store's database handle (the store stays usable: later calls open their own)."""
        anchor, self._anchor = self._anchor, None
        if anchor is not None:
            anchor.close()

    def __del__(self) -> None:
        anchor, self._anchor = getattr(self, "_anchor", None), None  # no module globals: at exit they may be gone
        if anchor is not None:
            anchor.close()

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.root / "meta.sqlite", timeout=30.0, isolation_level=None)
        try:
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads: a deferred transaction, so readers never take the write lock."""
        db = sqlite3.connect(self.root / "meta.sqlite", timeout=30.0, isolation_level=None)
        try:
            db.execute("BEGIN")
            yield db
            db.execute("COMMIT")
        finally:
            db.close()

    # paths -----------------------------------------------------------------------------------------------------
    def blob_path(self, blob: str) -> Path:
        return self.root / "blobs" / blob[-2:] / blob

    def partial_path(self, blob: str) -> Path:
        return self.root / "partial" / blob

    def journal_path(self, blob: str) -> Path:
        return self.root / "partial" / (blob + ".journal")

    @contextlib.contextmanager
    def lock(self, blob: str, *, blocking: bool = True) -> Iterator[bool]:
        """Hold the blob's fetch lock (yields False when ``blocking`` is off and another process holds it)."""
        fd = os.open(self.root / "locks" / (blob + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)

    # blobs -----------------------------------------------------------------------------------------------------
    def has_blob(self, blob: str) -> bool:
        return self.blob_path(blob).is_file()

    def publish(self, blob: str, *, size: int, sha256: str | None, etag: str | None, source: str) -> Path:
        """Rename the finished partial file into place (atomic) and record it."""
        final = self.blob_path(blob)
        final.parent.mkdir(parents=True, exist_ok=True)
        partial = self.partial_path(blob)
        os.chmod(partial, 0o444)
        os.replace(partial, final)
        with contextlib.suppress(FileNotFoundError):
            self.journal_path(blob).unlink()
        now = time.time()
        with self._db() as db:
            db.execute(
                "INSERT INTO blobs VALUES (?, ?, ?, ?, ?, 0, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET last_access=excluded.last_access",
                (blob, size, sha256, etag, source, now, now),
            )
        return final

    def blobs_has(self, blob: str) -> bool:
        """True when the blob has a metadata record."""
        with self._read() as db:
            return db.execute("SELECT 1 FROM blobs WHERE id=?", (blob,)).fetchone() is not None

    def touch(self, blob: str) -> None:
        with self._db() as db:
            db.execute("UPDATE blobs SET last_access=? WHERE id=?", (time.time(), blob))

    def blobs(self) -> list[BlobInfo]:
        with self._read() as db:
            rows = db.execute("SELECT id, size, sha256, pinned, last_access, source FROM blobs ORDER BY last_access")
            return [BlobInfo(r[0], r[1], r[2], bool(r[3]), r[4], r[5]) for r in rows.fetchall()]

    def set_pinned(self, blobs: list[str], pinned: bool) -> None:
        with self._db() as db:
            db.executemany("UPDATE blobs SET pinned=? WHERE id=?", [(int(pinned), b) for b in blobs])

    def used_bytes(self) -> int:
        with self._read() as db:
            used = db.execute("SELECT COALESCE(SUM(size), 0) FROM blobs").fetchone()[0]
        for p in (self.root / "partial").iterdir():
            if not p.name.endswith(".journal"):
                with contextlib.suppress(FileNotFoundError):
                    used += p.stat().st_blocks * 512
        return int(used)

    def remove_blob(self, blob: str) -> bool:
        """Delete a blob unless a fetch holds its lock. Open maps of it stay valid (the inode lives on)."""
        with self.lock(blob, blocking=False) as held:
            if not held:
                return False
            with contextlib.suppress(FileNotFoundError):
                self.blob_path(blob).unlink()
            with self._db() as db:
                db.execute("DELETE FROM blobs WHERE id=?", (blob,))
            return True

    def make_room(self, size: int, *, keep: set[str] | None = None) -> list[str]:
        """Evict least recently used, unpinned blobs until ``size`` more bytes fit the quota; the evicted ids."""
        if self.quota is None:
            return []
        if size > self.quota:
            raise QuotaError(
                f"a {size}-byte file cannot fit a {self.quota}-byte cache quota", hint="raise the Runtime's quota"
            )
        evicted: list[str] = []
        used = self.used_bytes()
        for blob in self.blobs():
            if used + size <= self.quota:
                break
            if blob.pinned or (keep and blob.id in keep):
                continue
            if self.remove_blob(blob.id):
                used -= blob.size
                evicted.append(blob.id)
        if used + size > self.quota:
            raise QuotaError(
                f"cannot free {size} bytes under the {self.quota}-byte quota: the rest is pinned or in use",
                hint="unpin datasets (ferry cache prefetch --unpin) or raise the quota",
            )
        return evicted

    # datasets --------------------------------------------------------------------------------------------------
    def save_dataset(self, namespace: str, name: str, manifest: dict[str, Any]) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO datasets VALUES (?, ?, ?, ?, NULL) ON CONFLICT(namespace, name) "
                "DO UPDATE SET manifest=excluded.manifest, applied=excluded.applied",
                (namespace, name, json.dumps(manifest, sort_keys=True), time.time()),
            )

    def dataset_manifest(self, namespace: str, name: str) -> dict[str, Any] | None:
        with self._read() as db:
            row = db.execute("SELECT manifest FROM datasets WHERE namespace=? AND name=?", (namespace, name)).fetchone()
        return json.loads(row[0]) if row else None

    def dataset_keys(self) -> list[tuple[str, str]]:
        with self._read() as db:
            return [(r[0], r[1]) for r in db.execute("SELECT namespace, name FROM datasets ORDER BY 1, 2").fetchall()]

    def delete_dataset(self, namespace: str, name: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM datasets WHERE namespace=? AND name=?", (namespace, name))
            db.execute("DELETE FROM files WHERE namespace=? AND name=?", (namespace, name))

    def set_dataset_error(self, namespace: str, name: str, error: str | None) -> None:
        with self._db() as db:
            db.execute("UPDATE datasets SET last_error=? WHERE namespace=? AND name=?", (error, namespace, name))

    def dataset_error(self, namespace: str, name: str) -> str | None:
        with self._read() as db:
            row = db.execute(
                "SELECT last_error FROM datasets WHERE namespace=? AND name=?", (namespace, name)
            ).fetchone()
        return row[0] if row else None

    def save_files(self, namespace: str, name: str, rows: list[FileRow]) -> None:
        with self._db() as db:
            db.execute("DELETE FROM files WHERE namespace=? AND name=?", (namespace, name))
            db.executemany(
                "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                [(namespace, name, r.path, r.mount, r.size, r.etag, r.sha256, r.source, r.blob) for r in rows],
            )

    def files(self, namespace: str, name: str) -> list[FileRow] | None:
        """The dataset's files as last listed, or None when it was never listed."""
        with self._read() as db:
            rows = db.execute(
                "SELECT path, mount, size, etag, sha256, source, blob, last_error FROM files "
                "WHERE namespace=? AND name=? ORDER BY path",
                (namespace, name),
            ).fetchall()
            listed = db.execute("SELECT 1 FROM datasets WHERE namespace=? AND name=?", (namespace, name)).fetchone()
        if not rows and not listed:
            return None
        return [FileRow(*r) for r in rows] if rows else None

    def set_file_error(self, namespace: str, name: str, path: str, error: str | None) -> None:
        with self._db() as db:
            db.execute(
                "UPDATE files SET last_error=? WHERE namespace=? AND name=? AND path=?", (error, namespace, name, path)
            )

    def referenced_blobs(self) -> set[str]:
        with self._read() as db:
            return {r[0] for r in db.execute("SELECT DISTINCT blob FROM files").fetchall()}
