"""A ferry Dataset on Fluid's JuiceFS engine: JuiceFSRuntime, a ``juicefs:///`` Dataset, and the imports (pure).

JuiceFS is a POSIX file system (metadata in Redis or another database, blocks in an object store), not a cache in
front of the dataset's origin. So a physical dataset becomes:

- a Dataset with one mount ``juicefs:///datasets/<namespace>/<name>`` — the directory where ferry's own JuiceFS
  runtime keeps the dataset's files, so a volume filled on a node serves the cluster and the other way round —
  named after the JuiceFS volume (Fluid formats and mounts the volume by that name), reading ``metaurl`` — and,
  when the Runtime names a ``bucket`` so that Fluid may format a new volume, ``access-key`` and ``secret-key`` —
  from the Secret the Runtime's ``encryptOptions`` name, else from the Secret ``juicefs-<volume>``;
- a JuiceFSRuntime whose one tiered-store level is the client cache (``cacheDir`` → ``--cache-dir``, ``quota`` →
  ``--cache-size``, ``low`` → ``--free-space-ratio``);
- one import per origin, chained with ``runAfter``: a DataMigrate (``juicefs sync``) for S3, a DataProcess running
  :data:`~ferry.cache._fluid_import.IMPORT_SCRIPT` for HTTP(S) and host paths (Fluid's DataMigrate reads neither).

The ferry Runtime (``type: juicefs``) carries ``options``: ``name`` (the volume, default the Runtime's name),
``metaurl``, ``storage`` (default ``s3``), ``bucket``, ``mountPath`` and ``mode``. ``metaurl`` is never rendered
(it may hold a password): the cluster's value lives in a Secret. ``mountPath`` and ``mode`` (FUSE or the S3
gateway) describe a node-local mount; on Kubernetes Fluid mounts through its CSI plugin or a FUSE sidecar, so they
have no counterpart.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ferry.cache._errors import DatasetError
from ferry.cache._fluid_common import dns_label, fluid_object, quantity, secret_ref
from ferry.cache._fluid_import import import_operations
from ferry.cache._model import Dataset, Runtime

__all__ = [
    "DATA_DIR",
    "DEFAULT_CACHE_DIR",
    "JuiceFSVolume",
    "juicefs_objects",
    "juicefs_volume",
    "warmup_targets",
]

DATA_DIR = "datasets"  # the volume directory holding one directory per dataset (as ferry's JuiceFS runtime lays it out)
DEFAULT_CACHE_DIR = "/var/jfsCache"
FREE_SPACE_RATIO = "0.1"  # JuiceFS's own default for --free-space-ratio
_LOOPBACK = ("127.", "localhost", "[::1]", "0.0.0.0")
# Fluid's JuiceFS key <- the names a ferry Runtime's encryptOptions may use for it
_VOLUME_KEYS = {
    "metaurl": ("metaurl",),
    "access-key": ("access-key", "aws.accessKeyId", "accessKeyId"),
    "secret-key": ("secret-key", "aws.secretKey", "secretKey"),
}

Note = Callable[[str], None]


@dataclass(frozen=True)
class JuiceFSVolume:
    """The JuiceFS volume a ferry Runtime names, and where its credentials live (never their values).

    ``refs`` maps a Fluid key (``metaurl``, ``access-key``, ``secret-key``) to the ``(secret, key)`` the Runtime's
    ``encryptOptions`` name; a key without one is read from the Secret :attr:`secret` under its own name.
    """

    name: str
    storage: str = "s3"
    bucket: str | None = None
    refs: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def secret(self) -> str:
        """The Secret for keys the Runtime does not point at: ``juicefs-<volume>`` in each dataset's namespace."""
        return dns_label("juicefs", self.name)

    @property
    def formats(self) -> bool:
        """True when Fluid may format the volume (a bucket is named), so it needs the bucket's keys."""
        return self.bucket is not None

    def ref(self, key: str) -> tuple[str, str]:
        return self.refs.get(key, (self.secret, key))


def _loopback(url: str) -> bool:
    host = urlsplit(url if "://" in url else "//" + url).netloc.rpartition("@")[2]
    return host.startswith(_LOOPBACK)


def _refs(runtime: Runtime) -> dict[str, tuple[str, str]]:
    declared = {e.name: (e.secret, e.key) for e in getattr(runtime, "encrypt_options", ())}
    out = {}
    for key, names in _VOLUME_KEYS.items():
        found = next((declared[n] for n in names if n in declared), None)
        if found is not None:
            out[key] = found
    return out


def juicefs_volume(runtime: Runtime | None, dataset: Dataset, note: Note) -> JuiceFSVolume:
    """The volume of a ``type: juicefs`` Runtime, checked for use on a cluster.

    Any other Runtime (or none) stands for an already formatted volume named after the Runtime (or the dataset).
    """
    if runtime is None or runtime.type != "juicefs":
        name = dns_label(runtime.name if runtime is not None else dataset.name)
        if len(name) < 3:
            raise DatasetError(
                f"Dataset {dataset.key}: no Runtime of type juicefs names the volume, and {name!r} is too short "
                "for a JuiceFS volume name",
                hint="declare a Runtime (type: juicefs) with options.name, metaurl and bucket",
            )
        note(
            f"Dataset {dataset.key}: no Runtime of type juicefs; the volume is taken to be {name!r}, already "
            "formatted (declare a juicefs Runtime to name it and its bucket)"
        )
        return JuiceFSVolume(name)
    where = f"Runtime {runtime.namespace}/{runtime.name}"
    options = runtime.options
    name = options.get("name", runtime.name)
    if not (3 <= len(name) <= 63) or dns_label(name) != name:
        raise DatasetError(
            f"{where}: options.name {name!r} is not a JuiceFS volume name",
            hint="use 3 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
        )
    storage, bucket = options.get("storage", "s3"), options.get("bucket")
    if storage == "file":
        raise DatasetError(
            f"{where}: storage 'file' keeps the volume's blocks on one node's disk, which no other node can read",
            hint="render from a Runtime whose storage is an object store every node reaches (s3, minio, ...), "
            "or leave out storage and bucket when the volume is already formatted",
        )
    if bucket is not None and _loopback(bucket):
        note(f"{where}: bucket {bucket} is a loopback address; pods on other nodes cannot reach it")
    metaurl = options.get("metaurl", "")
    if metaurl.startswith("sqlite3://") or (metaurl and _loopback(metaurl)):
        note(
            f"{where}: options.metaurl is node-local (SQLite or a loopback address); the Secret's metaurl must "
            "name a metadata engine every node reaches (Redis, MySQL, TiKV, ...)"
        )
    return JuiceFSVolume(name, storage, bucket, _refs(runtime))


def _subdir(dataset: Dataset) -> str:
    """The dataset's directory in the volume (``/datasets/<namespace>/<name>``)."""
    return "/" + posixpath.join(DATA_DIR, dataset.namespace, dataset.name)


def _level(runtime: Runtime | None) -> dict[str, Any]:
    spec = runtime or Runtime()
    level: dict[str, Any] = {
        "mediumtype": spec.medium,
        "path": "/dev/shm" if spec.medium == "MEM" else (spec.cache_dir or DEFAULT_CACHE_DIR),
        "quota": quantity(spec.quota or 100 * 1024**3),
        "low": FREE_SPACE_RATIO,
    }
    if spec.medium == "MEM":
        level["volumeType"] = "emptyDir"
    return level


def juicefs_objects(dataset: Dataset, runtime: Runtime | None, note: Note) -> list[dict[str, Any]]:
    """Dataset, JuiceFSRuntime and imports (in the order to apply them) for the physical ``dataset``."""
    volume = juicefs_volume(runtime, dataset, note)
    imports = import_operations(dataset, _subdir(dataset), note)
    mount: dict[str, Any] = {"name": volume.name, "mountPoint": "juicefs://" + _subdir(dataset)}
    keys = ["metaurl"]
    if volume.formats:
        mount["options"] = {"storage": volume.storage, "bucket": str(volume.bucket)}
        keys += ["access-key", "secret-key"]
    mount["encryptOptions"] = [secret_ref(key, *volume.ref(key)) for key in keys]
    writes = any(op["kind"] == "DataProcess" for op in imports)  # a DataProcess writes through the dataset's PVC
    ds = fluid_object(
        "Dataset",
        dataset.name,
        dataset.namespace,
        {"mounts": [mount], "accessModes": ["ReadWriteMany" if writes else "ReadOnlyMany"]},
    )
    if dataset.labels:
        ds["metadata"]["labels"] = dict(dataset.labels)
    rt = fluid_object(
        "JuiceFSRuntime", dataset.name, dataset.namespace, {"replicas": 1, "tieredstore": {"levels": [_level(runtime)]}}
    )
    return [ds, rt, *imports]


def warmup_targets(load: dict[str, Any], note: Note) -> None:
    """Make a rendered DataLoad's targets paths ``juicefs warmup`` can take: a glob becomes its directory.

    Fluid's JuiceFS loader hands each target to ``juicefs warmup`` through ``kubectl exec``, where no shell expands
    a glob; so ``weights/*.safetensors`` warms ``/weights`` (a superset) and render says so.
    """
    targets = load["spec"].get("target")
    if not targets:
        return
    paths: list[str] = []
    widened: list[str] = []
    for target in targets:
        path = target["path"]
        if any(c in path for c in "*?["):
            head = path[: min(path.index(c) for c in "*?[" if c in path)]
            path = head.rpartition("/")[0] or "/"
            widened.append(path)
            note(
                f"DataLoad {load['metadata']['namespace']}/{load['metadata']['name']}: JuiceFS warms paths, not "
                f"globs; target {target['path']} warms {path}"
            )
        paths.append(path)

    def covered(path: str) -> bool:  # inside a directory a widened glob warms anyway
        return any(d != path and (d == "/" or path.startswith(d + "/")) for d in widened)

    kept = [p for i, p in enumerate(paths) if p not in paths[:i] and not covered(p)]
    load["spec"]["target"] = [{"path": p, "replicas": 1} for p in kept]
