"""Dataset, Runtime and DataLoad: the declarations ferry.cache acts on (pure: text and mappings in, objects out).

Declared in YAML as ``cache.ferry.dev/v1alpha1`` objects, shaped like Fluid's so that ``ferry cache render --fluid``
maps them one to one, or built in Python::

    Dataset("qwen", namespace="ml", mounts=[Mount("s3://models/qwen/", options={"endpoint": "http://s3:8333"})])
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ferry.cache._errors import DatasetError
from ferry.cache._units import parse_quantity

if TYPE_CHECKING:  # the kernel (YAML and all) is imported when a file is parsed, not to use a Dataset
    from ferry._kernel import KubeObject

__all__ = [
    "API_VERSION",
    "DataLoad",
    "Dataset",
    "EncryptOption",
    "FileSpec",
    "Mount",
    "Runtime",
    "Secret",
    "Spec",
    "parse_spec",
]

API_VERSION = "cache.ferry.dev/v1alpha1"
SCHEMES = ("s3", "http", "https", "local", "dataset")
_DATASET_KEYS = {
    "mounts",
    "accessModes",
    "nodeAffinity",
    "tolerations",
    "placement",
    "owner",
    "sharedOptions",
    "sharedEncryptOptions",
}
_MOUNT_KEYS = {"mountPoint", "name", "path", "options", "encryptOptions", "readOnly", "shared", "files"}
_RUNTIME_KEYS = {
    "type",
    "cacheDir",
    "quota",
    "concurrency",
    "chunkSize",
    "options",
    "mediumType",
    "replicas",
    "encryptOptions",
}
_DATALOAD_KEYS = {"dataset", "target", "policy", "schedule", "loadMetadata", "options", "pin"}


@dataclass(frozen=True)
class FileSpec:
    """A file a mount names explicitly (HTTP origins have no listing): its path, and its size and sha256 when known."""

    path: str
    size: int | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class EncryptOption:
    """A credential taken from a Kubernetes Secret: option ``name`` = ``secret[key]``. The value is never kept here."""

    name: str
    secret: str
    key: str


@dataclass(frozen=True)
class Mount:
    """One source of a dataset.

    Attributes:
        mount_point: ``s3://bucket/prefix``, ``http(s)://base/``, ``local:///path`` (or an absolute path), or
            ``dataset://namespace/name`` (a reference to another dataset: its warm cache is shared, not refetched).
        name: the mount's name; with several mounts its files live under ``/{name}``.
        path: where the mount's files live in the dataset (default ``/`` for a single mount, else ``/{name}``).
        options: ``endpoint``, ``region``, ``profile`` (S3); ``index`` (an HTTP ``model.safetensors.index.json``).
        encrypt_options: credentials from Secrets (``aws.accessKeyId``, ``aws.secretKey``, ``aws.sessionToken``,
            ``token`` for an HTTP bearer token).
        files: explicit files (HTTP), with size and sha256 when known.
    """

    mount_point: str
    name: str = ""
    path: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    encrypt_options: Sequence[EncryptOption] = ()
    files: Sequence[FileSpec] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "encrypt_options", tuple(self.encrypt_options))
        object.__setattr__(self, "files", tuple(self.files))
        object.__setattr__(self, "options", dict(self.options))

    @property
    def scheme(self) -> str:
        if self.mount_point.startswith("/"):
            return "local"
        return self.mount_point.split("://", 1)[0].lower() if "://" in self.mount_point else ""

    @property
    def reference(self) -> tuple[str, str] | None:
        """``(namespace, name)`` of the referenced dataset for ``dataset://`` mounts."""
        if self.scheme != "dataset":
            return None
        rest = self.mount_point.split("://", 1)[1].strip("/")
        namespace, _, name = rest.partition("/")
        return namespace, name


@dataclass(frozen=True)
class Dataset:
    """A named set of files from one or more origins, cached by a runtime and shared by reference."""

    name: str
    namespace: str = "default"
    mounts: Sequence[Mount] = ()
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mounts", tuple(self.mounts))

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def reference(self) -> tuple[str, str] | None:
        """The dataset this one points at when it is a reference dataset."""
        return self.mounts[0].reference if len(self.mounts) == 1 else None

    def mount_prefix(self, mount: Mount) -> str:
        """Where ``mount``'s files live inside the dataset, without slashes at the ends ("" for the root)."""
        if mount.path is not None:
            return mount.path.strip("/")
        return "" if len(self.mounts) == 1 else mount.name.strip("/")

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> Dataset:
        """The dataset :meth:`to_manifest` wrote (trusted input: the cache's own metadata)."""
        meta = manifest["metadata"]
        mounts = []
        for m in manifest["spec"]["mounts"]:
            encrypt = [
                EncryptOption(e["name"], e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
                for e in m.get("encryptOptions", [])
            ]
            files = [FileSpec(f["path"], f.get("size"), f.get("sha256")) for f in m.get("files", [])]
            mounts.append(
                Mount(m["mountPoint"], m.get("name", ""), m.get("path"), m.get("options", {}), encrypt, files)
            )
        return cls(meta["name"], meta.get("namespace", "default"), mounts, meta.get("labels", {}))

    def to_manifest(self) -> dict[str, Any]:
        """The ``cache.ferry.dev/v1alpha1`` Dataset (credential values are never part of it)."""
        mounts = []
        for m in self.mounts:
            item: dict[str, Any] = {"mountPoint": m.mount_point, "name": m.name}
            if m.path is not None:
                item["path"] = m.path
            if m.options:
                item["options"] = dict(m.options)
            if m.encrypt_options:
                item["encryptOptions"] = [
                    {"name": e.name, "valueFrom": {"secretKeyRef": {"name": e.secret, "key": e.key}}}
                    for e in m.encrypt_options
                ]
            if m.files:
                item["files"] = [
                    {k: v for k, v in (("path", f.path), ("size", f.size), ("sha256", f.sha256)) if v is not None}
                    for f in m.files
                ]
            mounts.append(item)
        meta: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        if self.labels:
            meta["labels"] = dict(self.labels)
        return {"apiVersion": API_VERSION, "kind": "Dataset", "metadata": meta, "spec": {"mounts": mounts}}


@dataclass(frozen=True)
class Runtime:
    """Where a dataset's cache lives and how it is filled.

    ``type`` picks the implementation from the ``ferry.cache.runtimes`` entry-point group (``embedded`` ships with
    ferry). ``cache_dir`` and ``quota`` configure the store; ``concurrency`` and ``chunk_size`` the transfers
    (``None``: adaptive defaults).
    """

    name: str = "default"
    namespace: str = "default"
    type: str = "embedded"
    cache_dir: str | None = None
    quota: int | None = None
    concurrency: int | None = None
    chunk_size: int | None = None
    medium: str = "SSD"
    options: Mapping[str, str] = field(default_factory=dict)
    encrypt_options: Sequence[EncryptOption] = ()  # credentials of an engine runtime (juicefs: metaurl, access-key)


@dataclass(frozen=True)
class DataLoad:
    """Prefetch all of a dataset or the files matching ``targets`` (paths or globs), once or on a cron schedule."""

    name: str
    namespace: str
    dataset: str
    targets: Sequence[str] = ()
    policy: str = "Once"
    schedule: str | None = None
    pin: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "targets", tuple(self.targets))

    def selects(self, path: str) -> bool:
        """True when the dataset file ``path`` is part of this load."""
        if not self.targets:
            return True
        clean = path.strip("/")
        for target in self.targets:
            pattern = target.strip("/")
            if pattern in ("", "*") or clean == pattern or clean.startswith(pattern + "/"):
                return True
            if fnmatch.fnmatchcase(clean, pattern):
                return True
        return False


@dataclass(frozen=True)
class Secret:
    """A Kubernetes Secret read beside the datasets (its values feed ``encryptOptions``; never printed)."""

    name: str
    namespace: str
    data: Mapping[str, str] = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class Spec:
    """Everything one file declares."""

    datasets: tuple[Dataset, ...] = ()
    runtimes: tuple[Runtime, ...] = ()
    dataloads: tuple[DataLoad, ...] = ()
    secrets: tuple[Secret, ...] = ()
    others: tuple[KubeObject, ...] = ()

    def dataset(self, ref: str | None = None) -> Dataset:
        """The dataset named ``ref`` (``namespace/name`` or ``name``), or the only one when ``ref`` is None."""
        if ref is None:
            if len(self.datasets) != 1:
                names = ", ".join(d.key for d in self.datasets) or "none"
                raise DatasetError(
                    f"expected exactly one Dataset, found {len(self.datasets)} ({names})",
                    hint="name one with --dataset NAMESPACE/NAME",
                )
            return self.datasets[0]
        for d in self.datasets:
            if ref in (d.key, d.name):
                return d
        raise DatasetError(f"no Dataset {ref} is declared", hint="check the name and namespace")


def _fail(obj: KubeObject, message: str, *path: str | int, hint: str | None = None) -> DatasetError:
    return DatasetError(message, where=obj.where(*path), hint=hint)


def _mapping(obj: KubeObject, value: Any, *path: str | int) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(obj, f"expected a mapping, found {type(value).__name__}", *path)
    return value


def _strings(obj: KubeObject, value: Any, *path: str | int) -> dict[str, str]:
    out = {}
    for key, item in _mapping(obj, value, *path).items():
        if isinstance(item, (Mapping, list)) or item is None:
            raise _fail(obj, f"option {key} must be a string", *path, str(key))
        out[str(key)] = str(item).lower() if isinstance(item, bool) else str(item)
    return out


def _unknown(obj: KubeObject, body: Mapping[str, Any], allowed: set[str], *path: str | int) -> None:
    for key in body:
        if key not in allowed:
            raise _fail(
                obj, f"unknown field {key!r}", *path, str(key), hint=f"known fields: {', '.join(sorted(allowed))}"
            )


def _encrypt(obj: KubeObject, value: Any, *path: str | int) -> list[EncryptOption]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(obj, "encryptOptions must be a list", *path)
    out = []
    for i, item in enumerate(value):
        ref = _mapping(
            obj,
            _mapping(obj, _mapping(obj, item, *path, i).get("valueFrom"), *path, i, "valueFrom").get("secretKeyRef"),
            *path,
            i,
            "valueFrom",
            "secretKeyRef",
        )
        name, secret, key = item.get("name"), ref.get("name"), ref.get("key")
        if not (isinstance(name, str) and isinstance(secret, str) and isinstance(key, str)):
            raise _fail(obj, "an encryptOption needs name and valueFrom.secretKeyRef.{name,key}", *path, i)
        out.append(EncryptOption(name, secret, key))
    return out


def _files(obj: KubeObject, value: Any, *path: str | int) -> list[FileSpec]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(obj, "files must be a list of paths or {path, size, sha256}", *path)
    out = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            out.append(FileSpec(item.strip("/")))
            continue
        entry = _mapping(obj, item, *path, i)
        _unknown(obj, entry, {"path", "size", "sha256"}, *path, i)
        fpath, size, digest = entry.get("path"), entry.get("size"), entry.get("sha256")
        if not isinstance(fpath, str) or not fpath.strip("/"):
            raise _fail(obj, "a file needs a path", *path, i)
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
            raise _fail(obj, "size must be a non-negative integer", *path, i, "size")
        if digest is not None and (not isinstance(digest, str) or len(digest) != 64):
            raise _fail(obj, "sha256 must be 64 hex digits", *path, i, "sha256")
        out.append(FileSpec(fpath.strip("/"), size, digest.lower() if digest else None))
    return out


def _mount(obj: KubeObject, raw: Any, index: int, shared: Mapping[str, str]) -> Mount:
    path = ("spec", "mounts", index)
    body = _mapping(obj, raw, *path)
    _unknown(obj, body, _MOUNT_KEYS, *path)
    point = body.get("mountPoint")
    if not isinstance(point, str) or len(point) < 5:
        raise _fail(
            obj,
            "mountPoint must be a URI of at least 5 characters",
            *path,
            "mountPoint",
            hint="use s3://bucket/prefix, https://host/base/, local:///path or dataset://namespace/name",
        )
    mount = Mount(
        mount_point=point,
        name=str(body.get("name") or f"mount{index}"),
        path=str(body["path"]) if body.get("path") is not None else None,
        options={**shared, **_strings(obj, body.get("options"), *path, "options")},
        encrypt_options=_encrypt(obj, body.get("encryptOptions"), *path, "encryptOptions"),
        files=_files(obj, body.get("files"), *path, "files"),
    )
    if mount.scheme not in SCHEMES:
        raise _fail(
            obj,
            f"unsupported mountPoint scheme in {point!r}",
            *path,
            "mountPoint",
            hint="use s3://, http(s)://, local:// or dataset://",
        )
    if mount.scheme == "dataset":
        ref = mount.reference
        if ref is None or not ref[0] or not ref[1] or "/" in ref[1]:
            raise _fail(obj, f"a reference must be dataset://namespace/name, got {point!r}", *path, "mountPoint")
    if mount.scheme in ("http", "https") and not mount.files and "index" not in mount.options:
        raise _fail(
            obj,
            "an HTTP mount needs files or options.index (e.g. model.safetensors.index.json)",
            *path,
            hint="HTTP servers have no listing; name the files or the safetensors index",
        )
    return mount


def _dataset(obj: KubeObject) -> Dataset:
    spec = _mapping(obj, obj.body.get("spec"), "spec")
    _unknown(obj, spec, _DATASET_KEYS, "spec")
    raw = spec.get("mounts")
    if not isinstance(raw, list) or not raw:
        raise _fail(obj, "a Dataset needs at least one mount", "spec", "mounts")
    shared = _strings(obj, spec.get("sharedOptions"), "spec", "sharedOptions")
    mounts = [_mount(obj, m, i, shared) for i, m in enumerate(raw)]
    if any(m.scheme == "dataset" for m in mounts) and len(mounts) != 1:
        raise _fail(obj, "a reference (dataset://) must be the dataset's only mount", "spec", "mounts")
    if (ref := mounts[0].reference) is not None and ref == (obj.namespace or "default", obj.name):
        raise _fail(obj, "a dataset cannot reference itself", "spec", "mounts", 0, "mountPoint")
    names = [m.name for m in mounts]
    if len(set(names)) != len(names):
        raise _fail(obj, "mount names must be unique", "spec", "mounts")
    return Dataset(obj.name, obj.namespace or "default", tuple(mounts), dict(obj.labels))


def _positive(obj: KubeObject, value: Any, *path: str) -> int | None:
    if value is None:
        return None
    try:
        number = parse_quantity(value)
    except ValueError as exc:
        raise _fail(obj, str(exc), *path) from None
    if number <= 0:
        raise _fail(obj, "must be positive", *path)
    return number


def _runtime(obj: KubeObject) -> Runtime:
    spec = _mapping(obj, obj.body.get("spec"), "spec")
    _unknown(obj, spec, _RUNTIME_KEYS, "spec")
    concurrency = spec.get("concurrency")
    if concurrency is not None and (not isinstance(concurrency, int) or not 1 <= concurrency <= 256):
        raise _fail(obj, "concurrency must be an integer from 1 to 256", "spec", "concurrency")
    medium = str(spec.get("mediumType", "SSD"))
    if medium not in ("MEM", "SSD", "HDD"):
        raise _fail(obj, "mediumType must be MEM, SSD or HDD", "spec", "mediumType")
    return Runtime(
        name=obj.name,
        namespace=obj.namespace or "default",
        type=str(spec.get("type", "embedded")),
        cache_dir=str(spec["cacheDir"]) if spec.get("cacheDir") else None,
        quota=_positive(obj, spec.get("quota"), "spec", "quota"),
        concurrency=concurrency,
        chunk_size=_positive(obj, spec.get("chunkSize"), "spec", "chunkSize"),
        medium=medium,
        options=_strings(obj, spec.get("options"), "spec", "options"),
        encrypt_options=tuple(_encrypt(obj, spec.get("encryptOptions"), "spec", "encryptOptions")),
    )


def _dataload(obj: KubeObject) -> DataLoad:
    spec = _mapping(obj, obj.body.get("spec"), "spec")
    _unknown(obj, spec, _DATALOAD_KEYS, "spec")
    ds = _mapping(obj, spec.get("dataset"), "spec", "dataset")
    name = ds.get("name")
    if not isinstance(name, str) or not name:
        raise _fail(obj, "a DataLoad needs spec.dataset.name", "spec", "dataset")
    namespace = obj.namespace or "default"
    if ds.get("namespace") not in (None, namespace):
        raise _fail(obj, "a DataLoad's dataset must be in the DataLoad's namespace", "spec", "dataset", "namespace")
    targets = []
    raw_targets = spec.get("target") or []
    if not isinstance(raw_targets, list):
        raise _fail(obj, "target must be a list of {path}", "spec", "target")
    for i, item in enumerate(raw_targets):
        tpath = _mapping(obj, item, "spec", "target", i).get("path")
        if not isinstance(tpath, str):
            raise _fail(obj, "a target needs a path (a file, a directory or a glob)", "spec", "target", i)
        targets.append(tpath)
    policy = str(spec.get("policy", "Once"))
    if policy not in ("Once", "Cron", "OnEvent"):
        raise _fail(obj, "policy must be Once, Cron or OnEvent", "spec", "policy")
    schedule = spec.get("schedule")
    if policy == "Cron":
        from ferry.cache._cron import CronSchedule

        if not isinstance(schedule, str):
            raise _fail(obj, "policy Cron needs a schedule", "spec", "schedule")
        try:
            CronSchedule.parse(schedule)
        except ValueError as exc:
            raise _fail(obj, str(exc), "spec", "schedule") from None
    return DataLoad(
        obj.name,
        namespace,
        name,
        tuple(targets),
        policy,
        schedule if isinstance(schedule, str) else None,
        bool(spec.get("pin", False)),
    )


def _secret(obj: KubeObject) -> Secret:
    import base64
    import binascii

    data: dict[str, str] = {}
    for key, value in _mapping(obj, obj.body.get("data"), "data").items():
        try:
            data[str(key)] = base64.b64decode(str(value), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise _fail(obj, f"data.{key} is not base64 of UTF-8 text", "data", str(key)) from None
    data.update(_strings(obj, obj.body.get("stringData"), "stringData"))
    return Secret(obj.name, obj.namespace or "default", data)


def parse_spec(text: str, path: str = "<string>") -> Spec:
    """Datasets, Runtimes, DataLoads and Secrets declared in YAML (other objects are kept in ``others``).

    Raises :class:`DatasetError` naming the file, line, object and field of the first problem.
    """
    from ferry._kernel import parse_manifests

    datasets: list[Dataset] = []
    runtimes: list[Runtime] = []
    loads: list[DataLoad] = []
    secrets: list[Secret] = []
    others: list[KubeObject] = []
    for obj in parse_manifests(text, path):
        if obj.group == "cache.ferry.dev":
            if obj.api_version != API_VERSION:
                raise _fail(obj, f"unsupported apiVersion {obj.api_version}", "apiVersion", hint=f"use {API_VERSION}")
            if not obj.name:
                raise _fail(obj, "metadata.name is required", "metadata")
            if obj.kind == "Dataset":
                datasets.append(_dataset(obj))
            elif obj.kind == "Runtime":
                runtimes.append(_runtime(obj))
            elif obj.kind == "DataLoad":
                loads.append(_dataload(obj))
            else:
                raise _fail(obj, f"unknown kind {obj.kind}", "kind", hint="use Dataset, Runtime or DataLoad")
        elif obj.kind == "Secret" and obj.api_version == "v1":
            secrets.append(_secret(obj))
        else:
            others.append(obj)
    keys = [d.key for d in datasets]
    for key in keys:
        if keys.count(key) > 1:
            raise DatasetError(f"Dataset {key} is declared twice", where=path)
    return Spec(tuple(datasets), tuple(runtimes), tuple(loads), tuple(secrets), tuple(others))
