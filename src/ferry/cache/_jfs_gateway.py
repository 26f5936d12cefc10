"""The juicefs runtime without FUSE: the volume served by ``juicefs gateway`` on 127.0.0.1 (I/O: HTTP, files).

Datasets are imported by PUTting each file through the gateway (an S3 PUT is atomic: readers see the old object or
the new one), records live at the same keys as under a mount (``.ferry/datasets/<ns>/<name>.json``), and reads go
through ferry's embedded engine with the gateway as an S3 origin: parallel ranged GETs that JuiceFS serves from its
block cache (``cacheDir``), into a node-local store beside it — the loader needs a local file to map.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.client
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

from ferry.cache._errors import DatasetError
from ferry.cache._jfs_errors import MountError
from ferry.cache._jfs_import import import_file
from ferry.cache._jfs_metrics import CacheMetrics
from ferry.cache._jfs_plan import dataset_dir, manifest_path
from ferry.cache._jfs_state import DatasetRecord, VolumeFile, dataset_status
from ferry.cache._jfs_volume import Mounted
from ferry.cache._model import DataLoad, Dataset, EncryptOption, Mount, Runtime, Secret
from ferry.cache._origin import Origin, RemoteFile
from ferry.cache._runtime import CachedFile, DatasetStatus, GcResult, Progress
from ferry.cache._sigv4 import Credentials, sign

__all__ = ["GatewayAccess"]

_SECRET = "ferry-juicefs-gateway"


class GatewayAccess:
    """The runtime's operations over a ``juicefs gateway`` (one per runtime; closed with it)."""

    def __init__(
        self, served: Mounted, spec: Runtime, cache_dir: Path, origin: Callable[[Dataset, int], Origin]
    ) -> None:
        from ferry.cache._embedded import EmbeddedRuntime

        if served.gateway is None or served.gateway_credentials is None:
            raise MountError("the JuiceFS gateway is not running", where=served.cfg.where)
        self.served = served
        self.cfg = served.cfg
        self.endpoint = served.gateway
        self.host = urlsplit(self.endpoint).netloc
        self.bucket = self.cfg.name
        self.credentials = Credentials(*served.gateway_credentials)
        self._origin = origin
        self.root = cache_dir / "gateway-store"
        self.store = EmbeddedRuntime(
            Runtime(quota=spec.quota, concurrency=spec.concurrency, chunk_size=spec.chunk_size),
            cache_dir=self.root,
            secrets=[],
        )
        self._locks = cache_dir / "gateway-locks"
        self._locks.mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        self.store.close()

    # S3 through the gateway ----------------------------------------------------------------------------------
    def _request(self, method: str, key: str, body: Path | bytes | None = None) -> tuple[int, bytes]:
        path = f"/{self.bucket}/{quote(key)}"
        length = 0 if body is None else (body.stat().st_size if isinstance(body, Path) else len(body))
        payload = "UNSIGNED-PAYLOAD" if isinstance(body, Path) else hashlib.sha256(body or b"").hexdigest()
        headers = sign(
            method,
            self.host,
            path,
            credentials=self.credentials,
            region="us-east-1",
            now=datetime.now(UTC),
            payload_sha256=payload,
            headers={"Content-Length": str(length)} if body is not None else None,
        )
        conn = http.client.HTTPConnection(self.host, timeout=300)
        try:
            if isinstance(body, Path):
                with body.open("rb") as handle:
                    conn.request(method, path, body=handle, headers=headers)
                    resp = conn.getresponse()
            else:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
            return resp.status, resp.read()
        except OSError as exc:
            self.served.check_alive()
            raise MountError(f"{method} {self.endpoint}{path}: {exc}", where=self.cfg.where) from None
        finally:
            conn.close()

    def _put(self, key: str, body: Path | bytes) -> None:
        status, reply = self._request("PUT", key, body)
        if status != 200:
            raise MountError(
                f"the JuiceFS gateway refused PUT {key}: HTTP {status} {reply[:200]!r}",
                where=self.cfg.where,
                hint="check the object store and the metadata engine behind the volume",
            )

    # records -------------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self, namespace: str, name: str) -> Iterator[None]:
        """One writer per dataset on this node (S3 has no locks; concurrent imports write the same bytes)."""
        fd = os.open(self._locks / f"{namespace}.{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def record(self, namespace: str, name: str) -> DatasetRecord | None:
        status, body = self._request("GET", manifest_path(namespace, name))
        if status == 404:
            return None
        if status != 200:
            raise MountError(
                f"the JuiceFS gateway answered HTTP {status} for the record of {namespace}/{name}", where=self.cfg.where
            )
        try:
            return DatasetRecord.from_dict(json.loads(body))
        except (ValueError, KeyError) as exc:
            raise DatasetError(
                f"the record of Dataset {namespace}/{name} is unreadable: {exc}", hint="apply the dataset again"
            ) from None

    def save(self, namespace: str, name: str, record: DatasetRecord) -> None:
        self._put(manifest_path(namespace, name), json.dumps(record.to_dict(), sort_keys=True).encode())

    def datasets(self) -> list[Dataset]:
        status, body = self._request("GET", "")
        if status != 200:
            return []
        import xml.etree.ElementTree as ET

        out = []
        for key in ET.fromstring(body).iter():
            text = key.text or ""
            if key.tag.endswith("Key") and text.startswith(".ferry/datasets/") and text.endswith(".json"):
                namespace, file = text.removeprefix(".ferry/datasets/").split("/", 1)
                record = self.record(namespace, file.removesuffix(".json"))
                if record is not None:
                    out.append(record.dataset)
        return out

    # files ---------------------------------------------------------------------------------------------------
    def import_files(self, physical: Dataset, files: Sequence[VolumeFile], progress: Progress | None) -> int:
        moved = 0
        with self.locked(physical.namespace, physical.name):
            record = self.record(physical.namespace, physical.name) or DatasetRecord(
                physical.to_manifest(), tuple(files)
            )
            imported = dict(record.imported)
            staging = Path(tempfile.mkdtemp(prefix="import-", dir=self.root.parent))
            try:
                for f in files:
                    if record.is_imported(f):
                        continue
                    mount = physical.mounts[f.mount]
                    prefix = physical.mount_prefix(mount)
                    rel = f.path[len(prefix) + 1 :] if prefix and f.path.startswith(prefix + "/") else f.path
                    local = staging / "file"
                    moved += import_file(
                        self._origin(physical, f.mount),
                        RemoteFile(rel, f.size, f.etag, f.sha256, f.source),
                        local,
                        progress=progress,
                    )
                    self._put(f"{dataset_dir(physical.namespace, physical.name)}/{f.path}", local)
                    local.unlink()
                    imported[f.path] = f.identity
                    self.save(physical.namespace, physical.name, replace(record, imported=imported, last_error=None))
            except Exception as exc:
                with contextlib.suppress(Exception):
                    self.save(
                        physical.namespace, physical.name, replace(record, imported=imported, last_error=str(exc))
                    )
                raise
            finally:
                for leftover in staging.iterdir():
                    leftover.unlink()
                staging.rmdir()
        return moved

    def _view(self, physical: Dataset) -> Dataset:
        """The dataset as the gateway serves it: an S3 prefix of the volume's bucket."""
        option = [EncryptOption("aws.accessKeyId", _SECRET, "ak"), EncryptOption("aws.secretKey", _SECRET, "sk")]
        mount = Mount(
            f"s3://{self.bucket}/{dataset_dir(physical.namespace, physical.name)}/",
            name="juicefs",
            options={"endpoint": self.endpoint, "region": "us-east-1"},
            encrypt_options=option,
        )
        view = Dataset(physical.name, f"jfs-{physical.namespace}", [mount])
        self.store.secrets = (
            Secret(_SECRET, view.namespace, {"ak": self.credentials.access_key, "sk": self.credentials.secret_key}),
        )
        return view

    def open(self, physical: Dataset, file: VolumeFile, progress: Progress | None) -> CachedFile:
        view = self._view(physical)
        self.store.apply(view)
        return self.store.open(view, file.path, progress=progress)

    def warm(self, physical: Dataset, load: DataLoad | None, progress: Progress | None) -> int:
        view = self._view(physical)
        self.store.apply(view)
        scoped = None if load is None else replace(load, namespace=view.namespace, dataset=view.name)
        return self.store.prefetch(view, scoped, progress=progress).cached_bytes

    def cached(self, physical: Dataset) -> dict[str, int]:
        view = self._view(physical)
        statuses = self.store.status([view])
        return {f.path: f.size for f in statuses[0].files if f.cached} if statuses else {}

    def status(self, dataset: Dataset, physical: Dataset, reference: str | None) -> DatasetStatus:
        record = self.record(physical.namespace, physical.name)
        return dataset_status(
            dataset,
            record,
            self.cached(physical),
            volume=self.cfg.name,
            engine=self.served.metrics().to_dict(),
            reference=reference,
        )

    def gc(self, all_unpinned: bool, target_bytes: int | None) -> GcResult:
        return self.store.gc(all_unpinned=all_unpinned, target_bytes=target_bytes)

    def metrics(self) -> CacheMetrics:
        return self.served.metrics()
