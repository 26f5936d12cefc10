"""The ``juicefs`` runtime: datasets cached in a JuiceFS volume (Redis metadata + S3 data) shared by many nodes (I/O).

Select it with a Runtime of ``type: juicefs`` (options: ``name``, ``metaurl``, ``storage``, ``bucket``,
``mountPath``, ``mode``; credentials ``metaurl``, ``access-key``, ``secret-key`` through ``encryptOptions``). The
runtime formats the volume (or attaches to it), mounts it with FUSE (ferry owns the mount and always undoes it),
imports each dataset's files from its origin once into the volume (atomically: write, fsync, rename), warms this
node's block cache with ``juicefs warmup``, and reads what is cached from JuiceFS itself (``warmup --check`` and the
mount's metrics). Every node that mounts the volume sees the datasets another node imported; its first read fetches
the blocks from the object store into its own cache, later reads hit that cache.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from ferry.cache._credentials import secret_value
from ferry.cache._errors import DatasetError, NotCachedError
from ferry.cache._jfs_errors import MountError
from ferry.cache._jfs_gateway import GatewayAccess
from ferry.cache._jfs_import import TMP_MARK, import_file
from ferry.cache._jfs_metrics import CacheMetrics
from ferry.cache._jfs_plan import VolumeConfig, dataset_dir, manifest_path, volume_config
from ferry.cache._jfs_state import DatasetRecord, VolumeFile, dataset_status
from ferry.cache._jfs_volume import Mounted, Volume, fuse_available, mounted_at
from ferry.cache._model import DataLoad, Dataset, Mount, Runtime, Secret
from ferry.cache._origin import Origin, RemoteFile, origin_for
from ferry.cache._runtime import (
    CachedFile,
    CacheRuntime,
    DatasetStatus,
    GcResult,
    PrefetchResult,
    Progress,
)
from ferry.cache._store import default_cache_dir

__all__ = ["JuiceFSFile", "JuiceFSRuntime"]

_LOST = (errno.ENOTCONN, errno.EIO, errno.ECONNABORTED)


class JuiceFSFile:
    """A dataset file in the mounted volume (complete once :meth:`JuiceFSRuntime.open` returns)."""

    def __init__(self, mounted: Mounted, path: Path, size: int, origin_bytes: int) -> None:
        self._mounted = mounted
        self.path = path
        self.size = size
        self.origin_bytes = origin_bytes

    def wait(self, start: int = 0, end: int | None = None, timeout: float | None = None) -> None:
        self._mounted.check_alive()

    def open_fd(self) -> int:
        self._mounted.check_alive()
        try:
            return os.open(self.path, os.O_RDONLY)
        except OSError as exc:
            if exc.errno in _LOST:
                self._mounted.check_alive()
            raise MountError(
                f"cannot open {self.path} in volume {self._mounted.cfg.name}: {exc.strerror}",
                where=self._mounted.cfg.where,
                hint="check the mount (ferry cache status) and open the runtime again",
            ) from None

    def result(self) -> Path:
        self._mounted.check_alive()
        return self.path


def _credentials(spec: Runtime, secrets: Sequence[Secret], env: Mapping[str, str]) -> dict[str, str]:
    """``metaurl``, ``access-key``, ``secret-key`` from the Runtime's encryptOptions (a Secret beside it, or
    ``$FERRY_CACHE_SECRETS_DIR``), else JuiceFS's own variables ``META_PASSWORD``... are left to the environment."""
    holder = Mount("juicefs:///", name=f"Runtime {spec.namespace}/{spec.name}", encrypt_options=spec.encrypt_options)
    out = {}
    for key, names in (
        ("metaurl", ("metaurl",)),
        ("access-key", ("access-key", "aws.accessKeyId", "accessKeyId")),
        ("secret-key", ("secret-key", "aws.secretKey", "secretKey")),
    ):
        value = secret_value(holder, names, spec.namespace, secrets, env)
        if value is not None:
            out[key] = value
    if "access-key" not in out and env.get("ACCESS_KEY") and env.get("SECRET_KEY"):
        out["access-key"], out["secret-key"] = env["ACCESS_KEY"], env["SECRET_KEY"]
    return out


class JuiceFSRuntime(CacheRuntime):
    """Datasets in a JuiceFS volume. ``cache_dir`` (or the Runtime's ``cacheDir``) is this node's block cache."""

    type = "juicefs"

    def __init__(
        self,
        spec: Runtime,
        *,
        cache_dir: str | Path | None = None,
        secrets: Sequence[Secret] = (),
        env: Mapping[str, str] | None = None,
        import_threads: int = 4,
    ) -> None:
        super().__init__(spec, cache_dir=cache_dir, secrets=secrets, env=env)
        environ = os.environ if env is None else env
        root = Path(cache_dir) if cache_dir else (Path(spec.cache_dir) if spec.cache_dir else default_cache_dir())
        self.cfg: VolumeConfig = volume_config(spec, _credentials(spec, secrets, environ), cache_dir=str(root))
        self.volume = Volume(self.cfg)
        self.import_threads = import_threads
        self._mounted: Mounted | None = None
        self._gateway: GatewayAccess | None = None
        self._origins: dict[tuple[str, int], Origin] = {}

    # the mount -----------------------------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        return self.cfg.mode or ("fuse" if fuse_available() else "gateway")

    @property
    def mounted(self) -> Mounted:
        """The live mount (made on first use; an existing ``juicefs mount`` at ``mountPath`` is reused)."""
        if self._mounted is None or self._mounted.closed:
            if self.mode == "gateway":
                self._mounted = self.volume.mount(mode="gateway")
                self._gateway = GatewayAccess(self._mounted, self.spec, Path(self.cfg.cache_dir), self._origin)
                return self._mounted
            path = self.cfg.mount_path
            if path is not None and mounted_at(path) == "fuse.juicefs":
                self.volume.ensure_formatted()
                self._mounted = self.volume.attach(path)
            else:
                self._mounted = self.volume.mount(path)
        self._mounted.check_alive()
        return self._mounted

    @property
    def mountpoint(self) -> Path:
        """Where the volume is mounted (a :class:`MountError` in gateway mode)."""
        return Path(self.mounted.path(""))

    @property
    def gateway(self) -> GatewayAccess | None:
        """The S3 gateway access in gateway mode (None with a FUSE mount)."""
        self.mounted  # noqa: B018 - starts the mount or gateway
        return self._gateway

    def metrics(self) -> CacheMetrics:
        """This client's JuiceFS counters (block cache hits/misses, object store GET/PUT bytes)."""
        return self.mounted.metrics()

    def close(self) -> None:
        for origin in self._origins.values():
            origin.close()
        self._origins.clear()
        if self._gateway is not None:
            self._gateway.close()
            self._gateway = None
        if self._mounted is not None:
            self._mounted.close()
            self._mounted = None

    # records in the volume -----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self, namespace: str, name: str) -> Iterator[None]:
        """One writer per dataset across every client of the volume (JuiceFS keeps flock locks in Redis)."""
        if (gateway := self.gateway) is not None:
            with gateway.locked(namespace, name):
                yield
            return
        lock = self.mountpoint / ".ferry" / "locks" / f"{namespace}.{name}.lock"
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _record(self, namespace: str, name: str) -> DatasetRecord | None:
        if (gateway := self.gateway) is not None:
            return gateway.record(namespace, name)
        path = self.mountpoint / manifest_path(namespace, name)
        try:
            return DatasetRecord.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError) as exc:
            self.mounted.check_alive()
            raise DatasetError(
                f"the record of Dataset {namespace}/{name} in volume {self.cfg.name} is unreadable: {exc}",
                where=str(path),
                hint="apply the dataset again",
            ) from None

    def _save(self, namespace: str, name: str, record: DatasetRecord) -> None:
        if (gateway := self.gateway) is not None:
            gateway.save(namespace, name, record)
            return
        path = self.mountpoint / manifest_path(namespace, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}{TMP_MARK}{os.getpid()}"
        tmp.write_text(json.dumps(record.to_dict(), sort_keys=True), encoding="utf-8")
        os.rename(tmp, path)

    def apply(self, dataset: Dataset) -> None:
        self.volume.probe()
        with self._locked(dataset.namespace, dataset.name):
            old = self._record(dataset.namespace, dataset.name)
            manifest = dataset.to_manifest()
            if old is not None and old.manifest == manifest:
                return
            self._save(dataset.namespace, dataset.name, DatasetRecord(manifest, None, old.imported if old else {}))

    def datasets(self) -> list[Dataset]:
        if (gateway := self.gateway) is not None:
            return gateway.datasets()
        base = self.mountpoint / ".ferry" / "datasets"
        out = []
        for path in sorted(base.glob("*/*.json")) if base.is_dir() else []:
            record = self._record(path.parent.name, path.stem)
            if record is not None:
                out.append(record.dataset)
        return out

    def physical(self, dataset: Dataset) -> Dataset:
        """The dataset whose files a reference dataset reads (itself for a physical dataset)."""
        ref = dataset.reference
        if ref is None:
            return dataset
        record = self._record(*ref)
        if record is None:
            raise DatasetError(
                f"Dataset {dataset.key} references {ref[0]}/{ref[1]}, which volume {self.cfg.name} does not hold",
                hint="apply (and prefetch) the referenced dataset first, from any node of the volume",
            )
        target = record.dataset
        if target.reference is not None:
            raise DatasetError(
                f"Dataset {target.key} is itself a reference; references do not chain",
                hint="point the reference at the physical dataset",
            )
        return target

    # files ---------------------------------------------------------------------------------------------------
    def _origin(self, dataset: Dataset, index: int) -> Origin:
        key = (dataset.key, index)
        if key not in self._origins:
            self._origins[key] = origin_for(dataset.mounts[index], dataset.namespace, self.secrets, env=self.env)
        return self._origins[key]

    def _list(self, dataset: Dataset) -> tuple[VolumeFile, ...]:
        out = []
        for index, mount in enumerate(dataset.mounts):
            declared = {f.path: f.sha256 for f in mount.files if f.sha256}
            prefix = dataset.mount_prefix(mount)
            for listed in self._origin(dataset, index).list_files():
                path = f"{prefix}/{listed.path}" if prefix else listed.path
                sha = listed.sha256 or declared.get(listed.path)
                out.append(VolumeFile(path, index, listed.size, listed.source, listed.etag, sha))
        return tuple(out)

    def files(self, dataset: Dataset, *, refresh: bool = False) -> tuple[Dataset, list[VolumeFile]]:
        """The physical dataset and its files (listed at the origin when ``refresh`` or never listed)."""
        physical = self.physical(dataset)
        record = self._record(physical.namespace, physical.name)
        if record is not None and record.files is not None and not refresh:
            return physical, list(record.files)
        if physical is not dataset and record is not None and record.files is None:
            raise NotCachedError(
                f"Dataset {physical.key} was applied but never listed", hint=f"prefetch {physical.key} first"
            )
        listed = self._list(physical)
        with self._locked(physical.namespace, physical.name):
            current = self._record(physical.namespace, physical.name)
            base = current or DatasetRecord(physical.to_manifest())
            self._save(physical.namespace, physical.name, replace(base, files=listed))
        return physical, list(listed)

    def _import(self, physical: Dataset, files: Sequence[VolumeFile], progress: Progress | None) -> int:
        """Bring ``files`` into the volume (each once, whichever node asks first); bytes read from the origin."""
        if not files:
            return 0
        self.volume.probe(bucket=True)
        if (gateway := self.gateway) is not None:
            return gateway.import_files(physical, files, progress)
        moved = 0
        with self._locked(physical.namespace, physical.name):
            record = self._record(physical.namespace, physical.name) or DatasetRecord(
                physical.to_manifest(), tuple(files)
            )
            imported = dict(record.imported)
            try:
                for f in files:
                    if record.is_imported(f):  # another node did it while we waited for the lock
                        continue
                    mount = physical.mounts[f.mount]
                    prefix = dataset_dir(physical.namespace, physical.name)
                    remote = RemoteFile(_origin_path(physical, mount, f.path), f.size, f.etag, f.sha256, f.source)
                    moved += import_file(
                        self._origin(physical, f.mount),
                        remote,
                        self.mountpoint / prefix / f.path,
                        threads=self.import_threads,
                        progress=progress,
                    )
                    imported[f.path] = f.identity
                    self._save(physical.namespace, physical.name, replace(record, imported=imported, last_error=None))
            except Exception as exc:
                self.mounted.check_alive()
                with contextlib.suppress(OSError):
                    self._save(
                        physical.namespace, physical.name, replace(record, imported=imported, last_error=str(exc))
                    )
                raise
        return moved

    def _path(self, physical: Dataset, file: VolumeFile) -> Path:
        return self.mountpoint / dataset_dir(physical.namespace, physical.name) / file.path

    def open(self, dataset: Dataset, path: str, *, progress: Progress | None = None) -> CachedFile:
        self.volume.probe()
        clean = path.strip("/")
        physical, files = self.files(dataset)
        match = [f for f in files if f.path == clean]
        if not match and dataset.reference is None:
            physical, files = self.files(dataset, refresh=True)
            match = [f for f in files if f.path == clean]
        if not match:
            sample = ", ".join(f.path for f in files[:5])
            raise NotCachedError(f"Dataset {dataset.key} has no file {clean!r}", hint=f"its files include: {sample}")
        file = match[0]
        record = self._record(physical.namespace, physical.name)
        origin_bytes = 0
        if record is None or not record.is_imported(file):
            if dataset.reference is not None:
                raise NotCachedError(
                    f"{physical.key}:{clean} is not in volume {self.cfg.name} yet",
                    hint=f"prefetch {physical.key} (a reference reads, never imports)",
                )
            origin_bytes = self._import(physical, [file], progress)
        elif progress is not None and self.gateway is None:
            progress(file.size)
        if (gateway := self.gateway) is not None:
            return gateway.open(physical, file, progress)
        return JuiceFSFile(self.mounted, self._path(physical, file), file.size, origin_bytes)

    # operations ----------------------------------------------------------------------------------------------
    def prefetch(
        self,
        dataset: Dataset,
        load: DataLoad | None = None,
        *,
        progress: Progress | None = None,
        pin: bool | None = None,
    ) -> PrefetchResult:
        started = time.monotonic()
        self.volume.probe(bucket=True)  # a clear error now, not JuiceFS retrying a dead store for minutes
        physical, files = self.files(dataset, refresh=dataset.reference is None)
        selected = [f for f in files if load is None or load.selects(f.path)]
        if load is not None and not selected:
            raise DatasetError(
                f"DataLoad {load.namespace}/{load.name} selects no file of {physical.key}",
                hint=f"targets {list(load.targets)}; files: {', '.join(f.path for f in files[:5])}",
            )
        record = self._record(physical.namespace, physical.name)
        missing = [f for f in selected if record is None or not record.is_imported(f)]
        if missing and dataset.reference is not None:
            raise NotCachedError(
                f"{len(missing)} files of {physical.key} are not in volume {self.cfg.name} yet",
                hint=f"prefetch {physical.key} first (a reference reads, never imports)",
            )
        origin_bytes = self._import(physical, missing, progress)
        gateway = self.gateway
        if progress is not None and gateway is None:
            progress(sum(f.size for f in selected if f not in missing))
        paths = [] if gateway is not None else [self._path(physical, f) for f in selected]
        if gateway is not None:
            scope = DataLoad("juicefs", physical.namespace, physical.name, tuple(f.path for f in selected))
            cached = gateway.warm(physical, scope, progress)
        else:
            self.mounted.warmup(paths)
            cached = self.mounted.cached_bytes_of(paths, sum(f.size for f in selected))
        want_pin = pin if pin is not None else (load.pin if load is not None and load.pin else None)
        if want_pin is not None:
            with self._locked(physical.namespace, physical.name):
                current = self._record(physical.namespace, physical.name)
                if current is not None:
                    names = {f.path for f in selected}
                    pinned = current.pinned | names if want_pin else current.pinned - names
                    self._save(physical.namespace, physical.name, replace(current, pinned=frozenset(pinned)))
        return PrefetchResult(
            dataset.namespace,
            dataset.name,
            origin_bytes,
            cached,
            sum(f.size for f in selected),
            len(missing),
            time.monotonic() - started,
        )

    def status(self, datasets: Sequence[Dataset] | None = None) -> list[DatasetStatus]:
        self.volume.probe()
        engine = self.metrics().to_dict()
        out: list[DatasetStatus] = []
        for dataset in datasets if datasets is not None else self.datasets():
            ref = f"{dataset.reference[0]}/{dataset.reference[1]}" if dataset.reference else None
            try:
                physical = self.physical(dataset)
            except DatasetError as exc:
                out.append(
                    dataset_status(
                        dataset, None, {}, volume=self.cfg.name, engine=engine, reference=ref, error=str(exc)
                    )
                )
                continue
            record = self._record(physical.namespace, physical.name)
            cached: dict[str, int] = {}
            if (gateway := self.gateway) is not None:
                cached = gateway.cached(physical)
            elif record is not None:  # one `juicefs warmup --check` per file, a few at a time
                held = [f for f in record.files or () if record.is_imported(f)]
                jobs = [(self._path(physical, f), f.size) for f in held]
                with ThreadPoolExecutor(max_workers=4, thread_name_prefix="ferry-jfs-check") as pool:
                    counts = list(pool.map(self.mounted.cached_bytes, *zip(*jobs, strict=True))) if jobs else []
                cached.update(zip((f.path for f in held), counts, strict=True))
            own = self._record(dataset.namespace, dataset.name) if ref else None
            out.append(
                dataset_status(
                    dataset,
                    record,
                    cached,
                    volume=self.cfg.name,
                    engine=engine,
                    reference=ref,
                    error=own.last_error if own is not None else None,
                )
            )
        return out

    def gc(self, *, all_unpinned: bool = False, target_bytes: int | None = None) -> GcResult:
        """Remove leftovers of interrupted imports and files no dataset lists; with ``all_unpinned`` (or above
        ``target_bytes`` of local cache) evict unpinned files' blocks from this node's cache."""
        if (gateway := self.gateway) is not None:  # JuiceFS evicts its own block cache; ferry's store beside it
            return gateway.gc(all_unpinned, target_bytes)
        removed: list[str] = []
        freed = 0
        leftovers = 0
        known = {(d.namespace, d.name): d for d in self.datasets()}
        data = self.mountpoint / "datasets"
        for namespace_dir in sorted(data.iterdir()) if data.is_dir() else []:
            for dataset_root in sorted(namespace_dir.iterdir()):
                key = (namespace_dir.name, dataset_root.name)
                with self._locked(*key):
                    record = self._record(*key) if key in known else None
                    if record is not None and record.files is None:
                        continue  # re-applied, not listed again yet: which files it wants is not known
                    wanted = {f.path for f in record.selected(None)} if record is not None else set()
                    for entry in sorted(dataset_root.rglob("*"), reverse=True):
                        rel = str(entry.relative_to(dataset_root))
                        if entry.is_dir():
                            with contextlib.suppress(OSError):
                                entry.rmdir()  # empty directories only
                            continue
                        if TMP_MARK in entry.name:
                            leftovers += 1
                        elif record is not None and rel in wanted and record.imported.get(rel):
                            continue
                        else:
                            removed.append(f"{key[0]}/{key[1]}/{rel}")
                        freed += entry.stat().st_size
                        entry.unlink()
                    if record is not None and any(p not in wanted for p in record.imported):
                        self._save(
                            *key, replace(record, imported={p: i for p, i in record.imported.items() if p in wanted})
                        )
                with contextlib.suppress(OSError):
                    dataset_root.rmdir()
        used = self.metrics().cache_bytes
        if (
            all_unpinned
            or (target_bytes is not None and used > target_bytes)
            or (self.spec.quota is not None and used > self.spec.quota)
        ):
            victims = []
            for (namespace, name), _ in known.items():
                record = self._record(namespace, name)
                if record is None:
                    continue
                physical = known[(namespace, name)]
                victims += [
                    self._path(physical, f)
                    for f in record.selected(None)
                    if record.is_imported(f) and f.path not in record.pinned
                ]
            self.mounted.evict(victims)
            used = self.metrics().cache_bytes
        return GcResult(removed, freed, leftovers, used, self.spec.quota)

    def pin(self, dataset: Dataset, pinned: bool = True) -> int:
        """Pin (or unpin) the dataset's files against ``gc`` eviction; the number of files changed."""
        physical, files = self.files(dataset)
        with self._locked(physical.namespace, physical.name):
            record = self._record(physical.namespace, physical.name)
            if record is None:
                return 0
            names = {f.path for f in files}
            new = record.pinned | names if pinned else record.pinned - names
            self._save(physical.namespace, physical.name, replace(record, pinned=frozenset(new)))
            return len(new ^ record.pinned)


def _origin_path(dataset: Dataset, mount: Mount, path: str) -> str:
    prefix = dataset.mount_prefix(mount)
    return path[len(prefix) + 1 :] if prefix and path.startswith(prefix + "/") else path
