"""A dataset's record inside the JuiceFS volume, and the status computed from it (pure).

Every client of the volume reads the same record (``.ferry/datasets/<namespace>/<name>.json``): the declaration,
the files as last listed at the origin, and which of them are imported (by content identity), so one node imports
and warms and the others read without listing or fetching again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ferry.cache._model import DataLoad, Dataset
from ferry.cache._runtime import DatasetStatus, FileStatus

__all__ = ["DatasetRecord", "JuiceFSDatasetStatus", "VolumeFile", "dataset_status"]


@dataclass(frozen=True)
class VolumeFile:
    """A dataset file: where it lives in the dataset, which mount it comes from, and what names its content."""

    path: str
    mount: int
    size: int
    source: str
    etag: str | None = None
    sha256: str | None = None

    @property
    def identity(self) -> str:
        return f"sha256-{self.sha256}" if self.sha256 else f"{self.source}\0{self.size}\0{self.etag or ''}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "mount": self.mount, "size": self.size, "source": self.source}
        if self.etag:
            out["etag"] = self.etag
        if self.sha256:
            out["sha256"] = self.sha256
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> VolumeFile:
        return cls(
            str(raw["path"]),
            int(raw["mount"]),
            int(raw["size"]),
            str(raw["source"]),
            raw.get("etag"),
            raw.get("sha256"),
        )


@dataclass(frozen=True)
class DatasetRecord:
    """What the volume knows about a dataset."""

    manifest: Mapping[str, Any]
    files: tuple[VolumeFile, ...] | None = None  # None: never listed
    imported: Mapping[str, str] = field(default_factory=dict)  # path -> identity of the imported content
    pinned: frozenset[str] = frozenset()
    last_error: str | None = None

    @property
    def dataset(self) -> Dataset:
        return Dataset.from_manifest(self.manifest)

    def to_dict(self) -> dict[str, Any]:
        return {
            "manifest": dict(self.manifest),
            "files": None if self.files is None else [f.to_dict() for f in self.files],
            "imported": dict(self.imported),
            "pinned": sorted(self.pinned),
            "last_error": self.last_error,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> DatasetRecord:
        files = raw.get("files")
        return cls(
            raw["manifest"],
            None if files is None else tuple(VolumeFile.from_dict(f) for f in files),
            dict(raw.get("imported") or {}),
            frozenset(raw.get("pinned") or ()),
            raw.get("last_error"),
        )

    def is_imported(self, file: VolumeFile) -> bool:
        return self.imported.get(file.path) == file.identity

    def selected(self, load: DataLoad | None) -> list[VolumeFile]:
        return [f for f in self.files or () if load is None or load.selects(f.path)]

    def missing(self, load: DataLoad | None) -> list[VolumeFile]:
        """Selected files the volume does not hold (or holds in an older version)."""
        return [f for f in self.selected(load) if not self.is_imported(f)]


@dataclass(frozen=True)
class JuiceFSDatasetStatus(DatasetStatus):
    """A dataset's status on one JuiceFS client: ``cached_bytes`` are in this node's block cache; the volume holds
    ``imported_bytes``; ``engine`` are this client's JuiceFS counters (cache hits, object store GETs)."""

    volume: str = ""
    imported_bytes: int = 0
    engine: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["juicefs"] = {"volume": self.volume, "imported_bytes": self.imported_bytes, "metrics": dict(self.engine)}
        return out


def dataset_status(
    dataset: Dataset,
    record: DatasetRecord | None,
    cached: Mapping[str, int],
    *,
    volume: str,
    engine: Mapping[str, int],
    reference: str | None = None,
    error: str | None = None,
) -> JuiceFSDatasetStatus:
    """Status from the record and the bytes of each file in this node's cache (``cached``: path -> bytes)."""
    files: Sequence[VolumeFile] = record.files or () if record is not None else ()
    statuses = [
        FileStatus(
            f.path,
            f.size,
            record is not None and record.is_imported(f) and cached.get(f.path, 0) >= f.size,
            record is not None and f.path in record.pinned,
        )
        for f in files
    ]
    imported = sum(f.size for f in files if record is not None and record.is_imported(f))
    return JuiceFSDatasetStatus(
        dataset.namespace,
        dataset.name,
        sum(min(cached.get(f.path, 0), f.size) for f in files if record is not None and record.is_imported(f)),
        sum(f.size for f in files),
        statuses,
        reference,
        record is not None and record.files is not None,
        error if error is not None else (record.last_error if record is not None else None),
        volume=volume,
        imported_bytes=imported,
        engine=dict(engine),
    )
