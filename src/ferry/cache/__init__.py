"""ferry.cache: model weights and datasets as first-class cached resources.

Declare a :class:`Dataset` (S3, HTTP(S), local paths, or a ``dataset://namespace/name`` reference), let a runtime
cache it (the embedded runtime: a node-local, content-addressed store with quota, LRU eviction and pinning),
prefetch it with parallel ranged GETs, and load safetensors straight from the cache::

    import ferry.cache as fc

    spec = fc.load_spec("qwen.yaml")
    fc.prefetch(spec.dataset())
    tensors = fc.load_safetensors(spec.dataset(), "model.safetensors")   # numpy arrays, zero-copy

Runtimes plug in through the ``ferry.cache.runtimes`` entry-point group (see :class:`CacheRuntime`).
"""

import typing as _typing

from ferry.cache._api import get_runtime, load_safetensors, load_spec, prefetch, stream_safetensors
from ferry.cache._api import open as open  # noqa: A004 - ferry.cache.open is the documented name
from ferry.cache._embedded import EmbeddedRuntime
from ferry.cache._errors import (
    DatasetError,
    FetchError,
    IntegrityError,
    NotCachedError,
    OriginError,
    QuotaError,
    RuntimeNotFoundError,
    SafetensorsError,
)
from ferry.cache._loader import CacheReader, TensorStream
from ferry.cache._model import (
    API_VERSION,
    DataLoad,
    Dataset,
    EncryptOption,
    FileSpec,
    Mount,
    Runtime,
    Secret,
    Spec,
    parse_spec,
)
from ferry.cache._plan import ChunkPlan, RetryPolicy, plan_chunks
from ferry.cache._runtime import (
    RUNTIME_GROUP,
    CachedFile,
    CacheRuntime,
    DatasetStatus,
    FileStatus,
    GcResult,
    PrefetchResult,
    load_runtime,
    runtime_types,
)
from ferry.cache._safetensors import SafetensorsHeader, TensorInfo, parse_header
from ferry.cache._sigv4 import Credentials

__all__ = [
    "API_VERSION",
    "RUNTIME_GROUP",
    "CacheMetrics",
    "CacheReader",
    "CacheRuntime",
    "CachedFile",
    "ChunkPlan",
    "Credentials",
    "CronSchedule",
    "DataLoad",
    "Dataset",
    "DatasetError",
    "DatasetStatus",
    "EmbeddedRuntime",
    "EncryptOption",
    "FetchError",
    "FileSpec",
    "FileStatus",
    "GcResult",
    "IntegrityError",
    "JuiceFSDatasetStatus",
    "JuiceFSError",
    "JuiceFSRuntime",
    "MetadataEngineError",
    "Mount",
    "MountError",
    "NotCachedError",
    "ObjectStoreError",
    "OriginError",
    "PrefetchResult",
    "QuotaError",
    "RetryPolicy",
    "Runtime",
    "RuntimeNotFoundError",
    "SafetensorsError",
    "SafetensorsHeader",
    "Secret",
    "Spec",
    "TensorInfo",
    "TensorStream",
    "VolumeError",
    "assess_cache",
    "get_runtime",
    "load_runtime",
    "load_safetensors",
    "load_spec",
    "open",
    "parse_header",
    "parse_spec",
    "plan_chunks",
    "prefetch",
    "render_fluid",
    "runtime_types",
    "stream_safetensors",
]

# What a warm embedded load never touches (the JuiceFS runtime and its fetch machinery, Fluid rendering, cron,
# the assessor) is imported on first use: `import ferry.cache` stays small for a serving process's start-up.
_LAZY = {
    "CacheMetrics": "_jfs_metrics",
    "CronSchedule": "_cron",
    "JuiceFSDatasetStatus": "_jfs_state",
    "JuiceFSError": "_jfs_errors",
    "JuiceFSRuntime": "_juicefs",
    "MetadataEngineError": "_jfs_errors",
    "MountError": "_jfs_errors",
    "ObjectStoreError": "_jfs_errors",
    "VolumeError": "_jfs_errors",
    "assess_cache": "_entry",
    "render_fluid": "_fluid",
}

if _typing.TYPE_CHECKING:
    from ferry.cache._cron import CronSchedule
    from ferry.cache._entry import assess_cache
    from ferry.cache._fluid import render_fluid
    from ferry.cache._jfs_errors import JuiceFSError, MetadataEngineError, MountError, ObjectStoreError, VolumeError
    from ferry.cache._jfs_metrics import CacheMetrics
    from ferry.cache._jfs_state import JuiceFSDatasetStatus
    from ferry.cache._juicefs import JuiceFSRuntime


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"ferry.cache.{module}"), name)
    globals()[name] = value
    return value
