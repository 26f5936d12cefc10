"""What JuiceFS says about its cache and its failures, parsed (pure).

The counters come from the mount's Prometheus endpoint (``--metrics``) or its ``.stats`` file: block cache hits and
misses (bytes served from this node's cache vs fetched), and ``juicefs_object_request_data_bytes`` by method (bytes
moved to and from the object store). ``juicefs warmup --check`` says how much of a file is in this node's cache.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from ferry.cache._jfs_errors import JuiceFSError, MetadataEngineError, MountError, ObjectStoreError, VolumeError
from ferry.cache._jfs_plan import VolumeConfig

__all__ = [
    "CacheMetrics",
    "classify_failure",
    "parse_check",
    "parse_metrics",
    "parse_size",
    "parse_volume_status",
]

_METRICS = {
    "juicefs_blockcache_hits": "hits",
    "juicefs_blockcache_miss": "misses",
    "juicefs_blockcache_hit_bytes": "hit_bytes",
    "juicefs_blockcache_miss_bytes": "miss_bytes",
    "juicefs_blockcache_bytes": "cache_bytes",
    "juicefs_blockcache_blocks": "cache_blocks",
    "juicefs_blockcache_evicts": "evicts",
    "juicefs_blockcache_write_bytes": "cache_write_bytes",
}
_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
_CHECK = re.compile(r"(\d+) files checked, ([\d.]+ ?[KMGTPE]?i?B) of ([\d.]+ ?[KMGTPE]?i?B) \(([\d.]+)%\) cached")
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50, "E": 1 << 60}


@dataclass(frozen=True)
class CacheMetrics:
    """One client's JuiceFS counters: what it served from its local cache and what it moved to/from the store."""

    hits: int = 0
    misses: int = 0
    hit_bytes: int = 0
    miss_bytes: int = 0
    cache_bytes: int = 0
    cache_blocks: int = 0
    evicts: int = 0
    cache_write_bytes: int = 0
    object_get_bytes: int = 0
    object_put_bytes: int = 0

    def __sub__(self, other: CacheMetrics) -> CacheMetrics:
        """Counters accrued since ``other`` (gauges — cache bytes and blocks — keep the newer value)."""
        gauges = {"cache_bytes", "cache_blocks"}
        return CacheMetrics(
            **{
                f.name: getattr(self, f.name) if f.name in gauges else getattr(self, f.name) - getattr(other, f.name)
                for f in fields(self)
            }
        )

    def to_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def parse_metrics(text: str, mountpoint: str | None = None) -> CacheMetrics:
    """Counters from Prometheus text (only samples whose ``mp`` label is ``mountpoint``, when given) or ``.stats``."""
    values: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            continue
        name, raw_labels, raw_value = match.groups()
        labels = dict(_LABEL.findall(raw_labels or ""))
        if mountpoint is not None and "mp" in labels and labels["mp"] != mountpoint:
            continue
        try:
            value = float(raw_value)
        except ValueError:
            continue
        if name == "juicefs_object_request_data_bytes":
            name = f"{name}_{labels.get('method', '')}"
        if name in _METRICS:
            values[_METRICS[name]] = values.get(_METRICS[name], 0.0) + value
        elif name == "juicefs_object_request_data_bytes_GET":
            values["object_get_bytes"] = values.get("object_get_bytes", 0.0) + value
        elif name == "juicefs_object_request_data_bytes_PUT":
            values["object_put_bytes"] = values.get("object_put_bytes", 0.0) + value
    return CacheMetrics(**{k: int(v) for k, v in values.items()})


def parse_size(text: str) -> int:
    """``20 MiB`` / ``1.5 GiB`` / ``0 B`` (as JuiceFS prints sizes) in bytes."""
    match = re.fullmatch(r"\s*([\d.]+)\s*([KMGTPE]?)i?B\s*", text)
    if match is None:
        raise ValueError(f"not a size: {text!r}")
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def parse_check(text: str, total: int) -> int | None:
    """Bytes of a file (of ``total`` bytes) in this node's cache, from ``juicefs warmup --check`` output."""
    found = _CHECK.findall(text)
    if not found:
        return None
    _, cached, _, percent = found[-1]
    if float(percent) >= 100.0:
        return total
    return min(total, parse_size(cached))


def parse_volume_status(text: str) -> Mapping[str, Any] | None:
    """The ``Setting`` object of ``juicefs status`` (None when the metadata engine holds no volume)."""
    if "database is not formatted" in text:
        return None
    start = text.find("{")
    if start < 0:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError:
        return None
    setting = value.get("Setting") if isinstance(value, dict) else None
    return setting if isinstance(setting, dict) else None


def classify_failure(output: str, cfg: VolumeConfig, action: str) -> JuiceFSError:
    """The error a failed ``juicefs`` command's output points at: metadata engine, object store, mount or volume."""
    lines = [ln for ln in output.splitlines() if "<FATAL>" in ln or "<ERROR>" in ln] or output.splitlines()[-3:]
    detail = re.sub(r"\s*\[[\w@./]+:\d+\]\s*$", "", lines[-1] if lines else "(no output)")
    detail = re.sub(r"^\S+ \S+ juicefs\[\d+\] <\w+>: ", "", detail).strip()
    lowered = output.lower()
    meta = cfg.meta_endpoint
    bucket = cfg.bucket_endpoint
    if meta is not None and f"{meta[0]}:{meta[1]}" in output and ("refused" in lowered or "timeout" in lowered):
        return metadata_unreachable(cfg, action, detail)
    if "redis" in lowered and ("connection refused" in lowered or "i/o timeout" in lowered):
        return metadata_unreachable(cfg, action, detail)
    if "name is different" in lowered or "different name" in lowered:
        return VolumeError(
            f"{action}: the metadata engine holds another volume ({detail})",
            where=f"{cfg.where}, field spec.options.name",
            hint="use the existing volume's name, or another metaurl database",
        )
    if bucket is not None and f"{bucket[0]}:{bucket[1]}" in output:
        return object_store_unreachable(cfg, action, detail)
    if any(word in lowered for word in ("bucket", "s3", "object storage", "storage")):
        return object_store_unreachable(cfg, action, detail)
    if "fuse" in lowered or "mount" in lowered:
        return MountError(
            f"{action}: {detail}", where=cfg.where, hint="mounting needs root and /dev/fuse; or mode: gateway"
        )
    return JuiceFSError(
        f"{action}: {detail}", where=cfg.where, hint="run the juicefs command by hand for its full output"
    )


def metadata_unreachable(cfg: VolumeConfig, action: str, detail: str) -> MetadataEngineError:
    meta = cfg.meta_endpoint
    at = f"{meta[0]}:{meta[1]}" if meta else cfg.metaurl
    return MetadataEngineError(
        f"{action}: the metadata engine at {at} is not answering ({detail})",
        where=f"{cfg.where}, field spec.options.metaurl",
        hint="start Redis (or fix metaurl) and run the command again; nothing was changed",
    )


def object_store_unreachable(cfg: VolumeConfig, action: str, detail: str) -> ObjectStoreError:
    bucket = cfg.bucket_endpoint
    at = f"{bucket[0]}:{bucket[1]}" if bucket else (cfg.bucket or "the volume's bucket")
    return ObjectStoreError(
        f"{action}: the object store at {at} is not answering ({detail})",
        where=f"{cfg.where}, field spec.options.bucket",
        hint="start the S3 service (or fix bucket and its credentials) and run the command again",
    )
