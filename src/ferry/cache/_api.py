"""The Python entry points: open a dataset file, load safetensors, prefetch — with a default runtime (I/O)."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from ferry.cache._loader import CacheReader, TensorStream, open_file
from ferry.cache._loader import stream_safetensors as _stream
from ferry.cache._model import DataLoad, Dataset, Runtime, Spec, parse_spec
from ferry.cache._runtime import CacheRuntime, PrefetchResult, load_runtime
from ferry.cache._store import default_cache_dir

__all__ = ["get_runtime", "load_safetensors", "load_spec", "open", "prefetch", "stream_safetensors"]

_runtimes: dict[tuple[str, str], CacheRuntime] = {}
_lock = threading.Lock()


def load_spec(path: str | os.PathLike[str]) -> Spec:
    """Datasets, Runtimes, DataLoads and Secrets declared in a YAML file."""
    from ferry.cache._errors import DatasetError

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}", where=str(path)) from None
    return parse_spec(text, str(path))


def get_runtime(cache_dir: str | os.PathLike[str] | None = None, spec: Runtime | None = None) -> CacheRuntime:
    """The process-wide runtime for a cache directory (created once; default ``$FERRY_CACHE_DIR``)."""
    spec = spec or Runtime()
    root = str(Path(cache_dir or spec.cache_dir or default_cache_dir()).resolve())
    key = (spec.type, root)
    with _lock:
        if key not in _runtimes:
            _runtimes[key] = load_runtime(spec, cache_dir=root)
        return _runtimes[key]


def _resolve(dataset: Dataset | str, runtime: CacheRuntime) -> Dataset:
    if isinstance(dataset, Dataset):
        return dataset
    namespace, _, name = dataset.rpartition("/")
    for known in runtime.datasets():
        if known.name == name and known.namespace == (namespace or "default"):
            return known
    from ferry.cache._errors import DatasetError

    raise DatasetError(f"Dataset {dataset} is not known to the cache", hint="apply it first: ferry cache apply -f")


def open(  # noqa: A001 - the file-like entry point is called open, like io.open
    dataset: Dataset | str,
    path: str,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    runtime: CacheRuntime | None = None,
) -> CacheReader:
    """A read-only file object of ``path`` in ``dataset`` (``Dataset`` or ``"namespace/name"``)."""
    runtime = runtime or get_runtime(cache_dir)
    return open_file(runtime, _resolve(dataset, runtime), path)


def stream_safetensors(
    dataset: Dataset | str,
    path: str,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    runtime: CacheRuntime | None = None,
    framework: str = "numpy",
) -> TensorStream:
    """Tensors of a safetensors file, each as soon as its bytes are in the cache (iterate the result)."""
    runtime = runtime or get_runtime(cache_dir)
    return _stream(runtime, _resolve(dataset, runtime), path, framework=framework)


def load_safetensors(
    dataset: Dataset | str,
    path: str,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    runtime: CacheRuntime | None = None,
    framework: str = "numpy",
) -> dict[str, Any]:
    """Every tensor of a safetensors file: numpy arrays mapped zero-copy from the cache (read-only), or torch
    tensors with ``framework="torch"`` (copy-on-write, needs torch installed)."""
    return stream_safetensors(dataset, path, cache_dir=cache_dir, runtime=runtime, framework=framework).load()


def prefetch(
    dataset: Dataset | str,
    *,
    targets: list[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    runtime: CacheRuntime | None = None,
    pin: bool | None = None,
) -> PrefetchResult:
    """Warm a dataset (or the files matching ``targets``) in the cache."""
    runtime = runtime or get_runtime(cache_dir)
    resolved = _resolve(dataset, runtime)
    runtime.apply(resolved)
    load = DataLoad("python", resolved.namespace, resolved.name, tuple(targets)) if targets else None
    return runtime.prefetch(resolved, load, pin=pin)
