"""The runtime seam: what every cache runtime offers, and how one is found by type.

A runtime decides where a dataset's cache lives and how it is filled. ``embedded`` (node-local store, this
package) ships with ferry; others (JuiceFS over Redis + S3, ...) plug in through the ``ferry.cache.runtimes``
entry-point group, whose names are the ``spec.type`` of a Runtime::

    [project.entry-points."ferry.cache.runtimes"]
    juicefs = "ferry_juicefs:JuiceFSRuntime"

A runtime hands out :class:`CachedFile` objects: a local file descriptor to read or map, and ``wait`` for byte
ranges still arriving. The loader and the CLI need nothing else, so a FUSE- or gateway-backed runtime fits by
returning descriptors of files under its mount.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from ferry.cache._errors import RuntimeNotFoundError
from ferry.cache._model import DataLoad, Dataset, Runtime, Secret

__all__ = [
    "RUNTIME_GROUP",
    "CacheRuntime",
    "CachedFile",
    "DatasetStatus",
    "FileStatus",
    "GcResult",
    "PrefetchResult",
    "load_runtime",
    "runtime_types",
]

RUNTIME_GROUP = "ferry.cache.runtimes"
Progress = Callable[[int], None]


class CachedFile(Protocol):
    """A dataset file as a runtime hands it out."""

    size: int
    origin_bytes: int

    def wait(self, start: int = 0, end: int | None = None, timeout: float | None = None) -> None:
        """Block until bytes ``[start, end)`` can be read (returns at once for a complete file)."""

    def open_fd(self) -> int:
        """A new read-only descriptor of the file (the caller closes it)."""

    def result(self) -> Path:
        """Wait until the file is complete; its path."""


@dataclass(frozen=True)
class FileStatus:
    path: str
    size: int
    cached: bool
    pinned: bool = False
    last_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size": self.size,
            "cached": self.cached,
            "pinned": self.pinned,
            "last_error": self.last_error,
        }


@dataclass(frozen=True)
class DatasetStatus:
    """What ``ferry cache status`` shows for a dataset (Fluid's cacheStates, per file)."""

    namespace: str
    name: str
    cached_bytes: int
    total_bytes: int
    files: Sequence[FileStatus] = ()
    reference: str | None = None
    listed: bool = True
    last_error: str | None = None

    @property
    def percentage(self) -> float:
        return 100.0 * self.cached_bytes / self.total_bytes if self.total_bytes else (100.0 if self.listed else 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "name": self.name,
            "cached_bytes": self.cached_bytes,
            "total_bytes": self.total_bytes,
            "cached_percentage": round(self.percentage, 1),
            "reference": self.reference,
            "last_error": self.last_error,
            "files": [f.to_dict() for f in self.files],
        }


@dataclass(frozen=True)
class PrefetchResult:
    """What one prefetch did: ``origin_bytes`` counts only what this run fetched from the origin."""

    namespace: str
    name: str
    origin_bytes: int
    cached_bytes: int
    total_bytes: int
    files: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "name": self.name,
            "origin_bytes": self.origin_bytes,
            "cached_bytes": self.cached_bytes,
            "total_bytes": self.total_bytes,
        }


@dataclass(frozen=True)
class GcResult:
    removed: Sequence[str] = field(default_factory=list)
    freed_bytes: int = 0
    partials_removed: int = 0
    used_bytes: int = 0
    quota: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "removed_blobs": len(self.removed),
            "freed_bytes": self.freed_bytes,
            "partials_removed": self.partials_removed,
            "used_bytes": self.used_bytes,
            "quota": self.quota,
        }


class ListedFile(Protocol):
    @property
    def path(self) -> str: ...

    @property
    def size(self) -> int: ...


@runtime_checkable
class ListsFiles(Protocol):
    """A runtime that lists a dataset's files (path, size) before fetching them (the CLI sizes its work by it)."""

    def files(self, dataset: Dataset, *, refresh: bool = False) -> tuple[Dataset, Sequence[ListedFile]]: ...


class CacheRuntime(ABC):
    """A cache runtime. Construct through :func:`load_runtime`; use as a context manager to close it."""

    type: ClassVar[str]

    def __init__(
        self,
        spec: Runtime,
        *,
        cache_dir: str | Path | None = None,
        secrets: Sequence[Secret] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.spec = spec
        self.secrets = tuple(secrets)
        self.env = env

    @abstractmethod
    def apply(self, dataset: Dataset) -> None:
        """Record (or update) a dataset's declaration."""

    @abstractmethod
    def datasets(self) -> list[Dataset]:
        """Every dataset applied to this runtime."""

    @abstractmethod
    def prefetch(
        self,
        dataset: Dataset,
        load: DataLoad | None = None,
        *,
        progress: Progress | None = None,
        pin: bool | None = None,
    ) -> PrefetchResult:
        """Warm the dataset (or the files ``load`` selects)."""

    @abstractmethod
    def open(self, dataset: Dataset, path: str, *, progress: Progress | None = None) -> CachedFile:
        """One file of the dataset, fetched on demand (single flight) when it is not cached."""

    @abstractmethod
    def status(self, datasets: Sequence[Dataset] | None = None) -> list[DatasetStatus]:
        """Cached and total bytes per dataset and file."""

    @abstractmethod
    def gc(self, *, all_unpinned: bool = False, target_bytes: int | None = None) -> GcResult:
        """Remove what no dataset needs, evict LRU down to the quota (or ``target_bytes``)."""

    def close(self) -> None:  # noqa: B027 - optional hook; runtimes without resources keep it
        """Release connections and handles."""

    def __enter__(self) -> CacheRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def runtime_types() -> dict[str, str]:
    """Registered runtime types and the objects that implement them."""
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=RUNTIME_GROUP)}


def load_runtime(
    spec: Runtime | None = None,
    *,
    cache_dir: str | Path | None = None,
    secrets: Sequence[Secret] = (),
    env: Mapping[str, str] | None = None,
) -> CacheRuntime:
    """The runtime ``spec.type`` names, from the ``ferry.cache.runtimes`` entry points."""
    from importlib.metadata import entry_points

    spec = spec or Runtime()
    if spec.type == "embedded":  # ferry's own runtime: no entry-point scan on the hot path of every load
        from ferry.cache._embedded import EmbeddedRuntime

        return EmbeddedRuntime(spec, cache_dir=cache_dir, secrets=secrets, env=env)
    found = [ep for ep in entry_points(group=RUNTIME_GROUP) if ep.name == spec.type]
    if not found:
        known = ", ".join(sorted(runtime_types())) or "none"
        raise RuntimeNotFoundError(
            f"no cache runtime of type {spec.type!r} is installed (registered: {known})",
            where=f"Runtime {spec.namespace}/{spec.name}",
            hint="install the package that provides it, or use type: embedded",
        )
    cls = found[0].load()
    if not (isinstance(cls, type) and issubclass(cls, CacheRuntime)):
        raise RuntimeNotFoundError(f"entry point {found[0].value} is not a CacheRuntime")
    return cls(spec, cache_dir=cache_dir, secrets=secrets, env=env)
