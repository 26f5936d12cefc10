"""The JuiceFS runtime's plan: Runtime options to a volume config, and the ``juicefs`` command lines (pure).

A ``Runtime`` with ``type: juicefs`` names its volume in ``spec.options`` — the same keys ``ferry cache render
--fluid --runtime juicefs`` maps to a JuiceFSRuntime and its Secret::

    options: {name: models, metaurl: "redis://10.0.0.5:6379/1", storage: s3, bucket: "http://s3:8333/jfs"}
    encryptOptions: [{name: access-key, ...}, {name: secret-key, ...}, {name: metaurl, ...}]

Credentials never reach a command line: the metadata password travels as ``META_PASSWORD`` and the object store
keys as ``ACCESS_KEY`` / ``SECRET_KEY`` in the child's environment, which ``ps`` does not show to other users.
``cacheDir`` and ``quota`` become ``--cache-dir`` and ``--cache-size``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from ferry.cache._jfs_errors import VolumeError
from ferry.cache._model import Runtime

__all__ = [
    "MODES",
    "OPTION_KEYS",
    "VolumeConfig",
    "dataset_dir",
    "endpoint_of",
    "format_argv",
    "gateway_argv",
    "manifest_path",
    "mount_argv",
    "split_meta_password",
    "status_argv",
    "umount_argv",
    "volume_config",
    "warmup_argv",
]

OPTION_KEYS = ("name", "metaurl", "storage", "bucket", "mountPath", "mode")
MODES = ("fuse", "gateway")
META_SCHEMES = ("redis", "rediss", "sqlite3")
STORAGES = ("s3", "minio")
MIB = 1 << 20
STATE_DIR = ".ferry"  # inside the volume: dataset declarations and file listings, shared by every client
DATA_DIR = "datasets"  # inside the volume: the imported files, one directory per dataset


@dataclass(frozen=True)
class VolumeConfig:
    """One JuiceFS volume as a Runtime declares it. Secrets are kept out of ``repr`` and of every argv."""

    name: str
    metaurl: str
    cache_dir: str
    storage: str = "s3"
    bucket: str | None = None
    mount_path: str | None = None
    mode: str | None = None  # None: FUSE where it is available, else the S3 gateway
    cache_size_mib: int | None = None
    where: str = "Runtime"
    meta_password: str | None = field(default=None, repr=False)
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)

    def env(self) -> dict[str, str]:
        """The environment ``juicefs`` reads credentials from (never argv)."""
        out = {}
        if self.meta_password:
            out["META_PASSWORD"] = self.meta_password
        if self.access_key:
            out["ACCESS_KEY"] = self.access_key
        if self.secret_key:
            out["SECRET_KEY"] = self.secret_key
        return out

    @property
    def meta_scheme(self) -> str:
        return self.metaurl.split("://", 1)[0].lower()

    @property
    def meta_endpoint(self) -> tuple[str, int] | None:
        """``(host, port)`` of a networked metadata engine (None for SQLite)."""
        if self.meta_scheme not in ("redis", "rediss"):
            return None
        return endpoint_of(self.metaurl, 6379)

    @property
    def bucket_endpoint(self) -> tuple[str, int] | None:
        return endpoint_of(self.bucket, 80) if self.bucket else None


def endpoint_of(url: str, default_port: int) -> tuple[str, int] | None:
    """``(host, port)`` of a URL, None when it names no host."""
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    if port is None:
        port = 443 if parts.scheme in ("https", "rediss") else default_port
    return parts.hostname, port


def split_meta_password(metaurl: str) -> tuple[str, str | None]:
    """``redis://:pw@host/1`` -> (``redis://host/1``, ``pw``): the password goes to ``META_PASSWORD``."""
    parts = urlsplit(metaurl)
    if parts.password is None:
        return metaurl, None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = (f"{parts.username}@" if parts.username else "") + host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), parts.password


def volume_config(spec: Runtime, credentials: Mapping[str, str], *, cache_dir: str) -> VolumeConfig:
    """The volume a Runtime declares; ``credentials`` are the resolved ``encryptOptions`` (``metaurl``,
    ``access-key``, ``secret-key``) and ``cache_dir`` this client's block cache (``--cache-dir``).
    Raises :class:`VolumeError` naming the Runtime and field."""
    where = f"Runtime {spec.namespace}/{spec.name}"
    options = dict(spec.options)
    for key in options:
        if key not in OPTION_KEYS:
            raise VolumeError(
                f"unknown JuiceFS option {key!r}",
                where=f"{where}, field spec.options.{key}",
                hint=f"known options: {', '.join(OPTION_KEYS)}",
            )
    if "metaurl" in options and "metaurl" in credentials:
        raise VolumeError(
            "metaurl is given both in options and in encryptOptions",
            where=f"{where}, field spec.options.metaurl",
            hint="keep it in encryptOptions when it holds a password, else in options",
        )
    metaurl = credentials.get("metaurl") or options.get("metaurl")
    if not metaurl:
        raise VolumeError(
            "a juicefs Runtime needs the metadata engine's URL",
            where=f"{where}, field spec.options.metaurl",
            hint="e.g. metaurl: redis://127.0.0.1:6379/1 (sqlite3:///path/meta.db for a single node)",
        )
    scheme = metaurl.split("://", 1)[0].lower() if "://" in metaurl else ""
    if scheme not in META_SCHEMES:
        raise VolumeError(
            f"unsupported metadata engine {scheme or metaurl!r}",
            where=f"{where}, field spec.options.metaurl",
            hint="use redis://host:port/db (several nodes) or sqlite3:///path/meta.db (one node)",
        )
    name = options.get("name", spec.name)
    if not name or not all(c.isalnum() or c == "-" for c in name) or not 3 <= len(name) <= 63:
        raise VolumeError(
            f"volume name {name!r} must be 3-63 letters, digits or '-'",
            where=f"{where}, field spec.options.name",
        )
    storage = options.get("storage", "s3").lower()
    if storage not in STORAGES:
        raise VolumeError(
            f"unsupported storage {storage!r}", where=f"{where}, field spec.options.storage", hint="use storage: s3"
        )
    bucket = options.get("bucket")
    if bucket is not None and (not bucket.startswith(("http://", "https://")) or endpoint_of(bucket, 80) is None):
        raise VolumeError(
            f"bucket must be an endpoint URL with the bucket name, got {bucket!r}",
            where=f"{where}, field spec.options.bucket",
            hint="e.g. bucket: http://127.0.0.1:8333/jfs",
        )
    mode = options.get("mode")
    if mode is not None and mode not in MODES:
        raise VolumeError(
            f"mode must be fuse or gateway, got {mode!r}",
            where=f"{where}, field spec.options.mode",
        )
    mount_path = options.get("mountPath")
    if mount_path is not None and not mount_path.startswith("/"):
        raise VolumeError("mountPath must be an absolute path", where=f"{where}, field spec.options.mountPath")
    plain, password = split_meta_password(metaurl)
    size = None
    if spec.quota is not None:
        size = max(1, spec.quota // MIB)
    return VolumeConfig(
        name=name,
        metaurl=plain,
        cache_dir=cache_dir,
        storage=storage,
        bucket=bucket,
        mount_path=mount_path,
        mode=mode,
        cache_size_mib=size,
        where=where,
        meta_password=password,
        access_key=credentials.get("access-key"),
        secret_key=credentials.get("secret-key"),
    )


def status_argv(tool: str, cfg: VolumeConfig) -> list[str]:
    return [tool, "status", cfg.metaurl]


def format_argv(tool: str, cfg: VolumeConfig) -> list[str]:
    """Format the volume (``--no-update``: an existing volume's settings are never changed by ferry)."""
    if not cfg.bucket:
        raise VolumeError(
            f"volume {cfg.name} is not formatted yet and the Runtime names no bucket",
            where=f"{cfg.where}, field spec.options.bucket",
            hint="add bucket: http(s)://endpoint/bucket (and storage: s3) so ferry can format it",
        )
    return [tool, "format", "--storage", cfg.storage, "--bucket", cfg.bucket, "--no-update", cfg.metaurl, cfg.name]


def _cache_flags(cfg: VolumeConfig, metrics: str) -> list[str]:
    flags = ["--cache-dir", cfg.cache_dir, "--metrics", metrics, "--no-usage-report"]
    if cfg.cache_size_mib is not None:
        flags += ["--cache-size", str(cfg.cache_size_mib)]
    return flags


def mount_argv(tool: str, cfg: VolumeConfig, mountpoint: str, metrics: str) -> list[str]:
    """A foreground FUSE mount (ferry owns the process); written blocks stay in this node's cache."""
    return [tool, "mount", *_cache_flags(cfg, metrics), "--cache-large-write", "--no-bgjob", cfg.metaurl, mountpoint]


def gateway_argv(tool: str, cfg: VolumeConfig, address: str, metrics: str) -> list[str]:
    """The S3 gateway (no FUSE needed); ``--keep-etag`` so readers can check what they get."""
    return [tool, "gateway", *_cache_flags(cfg, metrics), "--keep-etag", "--no-banner", cfg.metaurl, address]


def warmup_argv(tool: str, list_file: str, *, threads: int = 50, check: bool = False, evict: bool = False) -> list[str]:
    argv = [tool, "warmup", "-f", list_file, "-p", str(threads)]
    if check:
        argv.append("--check")
    if evict:
        argv.append("--evict")
    return argv


def umount_argv(tool: str, mountpoint: str) -> list[str]:
    return [tool, "umount", "--force", mountpoint]


def manifest_path(namespace: str, name: str) -> str:
    """Where a dataset's declaration and file listing live inside the volume."""
    return posixpath.join(STATE_DIR, "datasets", namespace, f"{name}.json")


def dataset_dir(namespace: str, name: str) -> str:
    """Where a dataset's files live inside the volume (the same for every client)."""
    return posixpath.join(DATA_DIR, namespace, name)
