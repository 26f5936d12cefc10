"""The embedded runtime: a node-local, content-addressed store with quota, LRU eviction and pinning (I/O).

Datasets of any namespace on the node share one store, so a reference dataset (``dataset://ns/name``) reads the
referenced dataset's blobs: warm once, zero extra bytes from the origin for every other consumer.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ferry.cache._engine import Engine, Ready, Transfer
from ferry.cache._errors import DatasetError, NotCachedError
from ferry.cache._model import DataLoad, Dataset, Runtime, Secret
from ferry.cache._plan import RetryPolicy
from ferry.cache._remote import Origin, RemoteFile
from ferry.cache._runtime import (
    CachedFile,
    CacheRuntime,
    DatasetStatus,
    FileStatus,
    GcResult,
    PrefetchResult,
    Progress,
)
from ferry.cache._store import FileRow, Store, default_cache_dir

__all__ = ["EmbeddedRuntime"]


def _dataset_from_manifest(manifest: Mapping[str, Any]) -> Dataset:
    return Dataset.from_manifest(manifest)


class EmbeddedRuntime(CacheRuntime):
    """The default runtime. ``cache_dir`` (or ``spec.cache_dir``, ``$FERRY_CACHE_DIR``) holds the store."""

    type = "embedded"

    def __init__(
        self,
        spec: Runtime,
        *,
        cache_dir: str | Path | None = None,
        secrets: Sequence[Secret] = (),
        env: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(spec, cache_dir=cache_dir, secrets=secrets, env=env)
        root = Path(cache_dir) if cache_dir else (Path(spec.cache_dir) if spec.cache_dir else default_cache_dir())
        self.store = Store(root, quota=spec.quota)
        self.engine = Engine(self.store, concurrency=spec.concurrency, chunk_size=spec.chunk_size, retry=retry)
        self._origins: dict[tuple[str, int], Origin] = {}
        self._known: dict[str, Dataset] = {}

    @property
    def root(self) -> Path:
        return self.store.root

    def close(self) -> None:
        for origin in self._origins.values():
            origin.close()
        self._origins.clear()
        self.store.close()

    # declarations ----------------------------------------------------------------------------------------------
    def apply(self, dataset: Dataset) -> None:
        self.store.save_dataset(dataset.namespace, dataset.name, dataset.to_manifest())
        self._known[dataset.key] = dataset

    def datasets(self) -> list[Dataset]:
        out = []
        for namespace, name in self.store.dataset_keys():
            manifest = self.store.dataset_manifest(namespace, name)
            if manifest is not None:
                out.append(_dataset_from_manifest(manifest))
        return out

    def _lookup(self, namespace: str, name: str) -> Dataset:
        key = f"{namespace}/{name}"
        if key in self._known:
            return self._known[key]
        manifest = self.store.dataset_manifest(namespace, name)
        if manifest is None:
            raise DatasetError(
                f"Dataset {key} is not known to the cache at {self.root}",
                hint="apply it first: ferry cache apply -f its.yaml (same --cache-dir)",
            )
        dataset = _dataset_from_manifest(manifest)
        self._known[key] = dataset
        return dataset

    def physical(self, dataset: Dataset) -> Dataset:
        """The dataset whose files a reference dataset reads (itself for a physical dataset)."""
        seen = {dataset.key}
        while (ref := dataset.reference) is not None:
            dataset = self._lookup(*ref)
            if dataset.key in seen:
                raise DatasetError(f"reference cycle through Dataset {dataset.key}")
            if dataset.reference is not None:
                raise DatasetError(
                    f"Dataset {dataset.key} is itself a reference; references do not chain",
                    hint="point the reference at the physical dataset",
                )
            seen.add(dataset.key)
        return dataset

    # files -----------------------------------------------------------------------------------------------------
    def _origin(self, dataset: Dataset, index: int) -> Origin:
        key = (dataset.key, index)
        if key not in self._origins:
            from ferry.cache._origin import origin_for  # the HTTP stack loads only when an origin is needed

            self._origins[key] = origin_for(dataset.mounts[index], dataset.namespace, self.secrets, env=self.env)
        return self._origins[key]

    def _list(self, dataset: Dataset) -> list[FileRow]:
        rows: list[FileRow] = []
        declared = {}
        for index, mount in enumerate(dataset.mounts):
            declared.update({f.path: f.sha256 for f in mount.files if f.sha256})
            prefix = dataset.mount_prefix(mount)
            for listed in self._origin(dataset, index).list_files():
                path = f"{prefix}/{listed.path}" if prefix else listed.path
                sha = listed.sha256 or declared.get(listed.path)
                remote = RemoteFile(listed.path, listed.size, listed.etag, sha, listed.source)
                rows.append(FileRow(path, index, remote.size, remote.etag, sha, remote.source, remote.identity))
        self.store.save_files(dataset.namespace, dataset.name, rows)
        return rows

    def files(self, dataset: Dataset, *, refresh: bool = False) -> tuple[Dataset, list[FileRow]]:
        """The physical dataset and its files (listed at the origin when ``refresh`` or never listed)."""
        physical = self.physical(dataset)
        if physical.key not in self._known:
            self._known[physical.key] = physical
        rows = None if refresh else self.store.files(physical.namespace, physical.name)
        if rows is None:
            if self.store.dataset_manifest(physical.namespace, physical.name) is None:
                self.apply(physical)
            rows = self._list(physical)
        return physical, rows

    def _ensure(self, dataset: Dataset, row: FileRow, progress: Progress | None) -> Ready | Transfer:
        remote = RemoteFile(row.path, row.size, row.etag, row.sha256, row.source)
        try:
            return self.engine.ensure(lambda: self._origin(dataset, row.mount), remote, row.blob, progress)
        except Exception as exc:
            self.store.set_file_error(dataset.namespace, dataset.name, row.path, str(exc))
            raise

    def open(self, dataset: Dataset, path: str, *, progress: Progress | None = None) -> CachedFile:
        clean = path.strip("/")
        physical, rows = self.files(dataset)
        match = [r for r in rows if r.path == clean]
        if not match:
            physical, rows = self.files(dataset, refresh=True)
            match = [r for r in rows if r.path == clean]
        if not match:
            sample = ", ".join(r.path for r in rows[:5])
            raise NotCachedError(f"Dataset {dataset.key} has no file {clean!r}", hint=f"its files include: {sample}")
        return self._ensure(physical, match[0], progress)

    # operations ------------------------------------------------------------------------------------------------
    def prefetch(
        self,
        dataset: Dataset,
        load: DataLoad | None = None,
        *,
        progress: Progress | None = None,
        pin: bool | None = None,
    ) -> PrefetchResult:
        started = time.monotonic()
        # A reference reads what its physical dataset listed (its consumers need not hold the origin's credentials).
        physical, rows = self.files(dataset, refresh=dataset.reference is None)
        selected = [r for r in rows if load is None or load.selects(r.path)]
        if load is not None and not selected:
            raise DatasetError(
                f"DataLoad {load.namespace}/{load.name} selects no file of {physical.key}",
                hint=f"targets {list(load.targets)}; files: {', '.join(r.path for r in rows[:5])}",
            )
        origin_bytes = 0
        fetched = 0
        try:
            for row in selected:
                handle = self._ensure(physical, row, progress)
                if isinstance(handle, Transfer):
                    handle.result()
                    origin_bytes += handle.origin_bytes
                    fetched += 1
                elif progress is not None:
                    progress(row.size)
                self.store.set_file_error(physical.namespace, physical.name, row.path, None)
        except Exception as exc:
            self.store.set_dataset_error(dataset.namespace, dataset.name, str(exc))
            raise
        self.store.set_dataset_error(dataset.namespace, dataset.name, None)
        if pin is not None or (load is not None and load.pin):
            self.store.set_pinned([r.blob for r in selected], bool(pin if pin is not None else load and load.pin))
        total = sum(r.size for r in selected)
        cached = sum(r.size for r in selected if self.store.has_blob(r.blob))
        return PrefetchResult(
            dataset.namespace, dataset.name, origin_bytes, cached, total, fetched, time.monotonic() - started
        )

    def status(self, datasets: Sequence[Dataset] | None = None) -> list[DatasetStatus]:
        pinned = {b.id for b in self.store.blobs() if b.pinned}
        out = []
        for dataset in datasets if datasets is not None else self.datasets():
            try:
                physical = self.physical(dataset)
            except DatasetError as exc:
                out.append(DatasetStatus(dataset.namespace, dataset.name, 0, 0, (), _ref(dataset), False, str(exc)))
                continue
            rows = self.store.files(physical.namespace, physical.name)
            files = [
                FileStatus(r.path, r.size, self.store.has_blob(r.blob), r.blob in pinned, r.last_error)
                for r in rows or []
            ]
            out.append(
                DatasetStatus(
                    dataset.namespace,
                    dataset.name,
                    sum(f.size for f in files if f.cached),
                    sum(f.size for f in files),
                    files,
                    _ref(dataset),
                    rows is not None,
                    self.store.dataset_error(dataset.namespace, dataset.name),
                )
            )
        return out

    def gc(self, *, all_unpinned: bool = False, target_bytes: int | None = None) -> GcResult:
        referenced = self.store.referenced_blobs()
        removed: list[str] = []
        freed = 0
        partials = 0
        for entry in (self.store.root / "partial").iterdir():
            partial_blob = entry.name.removesuffix(".journal")
            # A leftover of an interrupted fetch: kept for resuming while a dataset needs it, unless --all.
            removable = all_unpinned or partial_blob not in referenced
            with self.store.lock(partial_blob, blocking=False) as held:
                if held and removable:  # held: nobody is fetching it right now
                    with contextlib.suppress(FileNotFoundError):
                        entry.unlink()
                        partials += not entry.name.endswith(".journal")
        blobs = self.store.blobs()
        used = sum(b.size for b in blobs)
        limit = target_bytes if target_bytes is not None else self.store.quota
        for blob in blobs:  # least recently used first
            orphan = blob.id not in referenced
            over = limit is not None and used > limit
            if blob.pinned and not orphan:
                continue
            if (orphan or all_unpinned or over) and self.store.remove_blob(blob.id):
                removed.append(blob.id)
                freed += blob.size
                used -= blob.size
        for entry in (self.store.root / "blobs").rglob("*"):  # files without a record (a crash before the insert)
            if entry.is_file() and not self.store.blobs_has(entry.name):
                with contextlib.suppress(FileNotFoundError):
                    freed += entry.stat().st_size
                    os.unlink(entry)
                    removed.append(entry.name)
        return GcResult(removed, freed, partials, self.store.used_bytes(), self.store.quota)

    def pin(self, dataset: Dataset, pinned: bool = True) -> int:
        """Pin (or unpin) the dataset's cached files; the number of blobs changed."""
        _, rows = self.files(dataset)
        blobs = [r.blob for r in rows if self.store.has_blob(r.blob)]
        self.store.set_pinned(blobs, pinned)
        return len(blobs)


def _ref(dataset: Dataset) -> str | None:
    ref = dataset.reference
    return f"{ref[0]}/{ref[1]}" if ref else None
