"""Reading cached files: a file object, and safetensors as numpy arrays mapped from the cache (I/O).

Arrays are views of a read-only memory map of the cache file: no copy, no allocation, shared by every process on
the node through the page cache. While a file is still arriving, :func:`stream_safetensors` hands out each tensor
as soon as its byte range is in.
"""

from __future__ import annotations

import io
import mmap
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ferry.cache._errors import SafetensorsError
from ferry.cache._model import Dataset
from ferry.cache._runtime import CachedFile, CacheRuntime
from ferry.cache._safetensors import DTYPES, SafetensorsHeader, TensorInfo, header_length, parse_header

if TYPE_CHECKING:
    pass

__all__ = ["CacheReader", "TensorStream", "open_file", "stream_safetensors"]

_RAW = {1: "uint8", 2: "<u2"}


def require(module: str, *, extra: str, feature: str) -> Any:
    """Import an optional dependency, or raise the error naming the extra (without loading the kernel)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        from ferry.errors import MissingExtraError

        raise MissingExtraError(extra, module, feature=feature) from exc


class CacheReader(io.RawIOBase):
    """A read-only, seekable file object over a cached (or still arriving) file."""

    def __init__(self, handle: CachedFile, name: str) -> None:
        super().__init__()
        self._handle = handle
        self._fd = handle.open_fd()
        self._pos = 0
        self.name = name
        self.size = handle.size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        end = min(self.size, self._pos + len(view))
        if end <= self._pos:
            return 0
        self._handle.wait(self._pos, end)
        n = os.preadv(self._fd, [view[: end - self._pos]], self._pos)
        self._pos += n
        return n

    def mmap(self) -> mmap.mmap:
        """The whole file mapped read-only (waits until it is complete)."""
        self._handle.wait(0, self.size)
        return mmap.mmap(self._fd, self.size, prot=mmap.PROT_READ)

    def close(self) -> None:
        if not self.closed and self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        super().close()


def open_file(runtime: CacheRuntime, dataset: Dataset, path: str) -> CacheReader:
    """:class:`CacheReader` of one dataset file, fetching it (once, node-wide) when not cached."""
    return CacheReader(runtime.open(dataset, path), f"{dataset.key}:{path}")


def _numpy_dtype(np: Any, info: TensorInfo) -> Any:
    width, name = DTYPES[info.dtype]
    if name is not None:
        return np.dtype(name)
    if width in _RAW:  # BF16 and FP8: numpy has no such type; the raw bits, same width
        return np.dtype(_RAW[int(width)])
    raise SafetensorsError(
        f"tensor {info.name!r}: {info.dtype} has no numpy equivalent",
        hint="load it with the torch path (ferry.cache.load_safetensors(..., framework='torch'))",
    )


class TensorStream:
    """Tensors of a safetensors file in file order, each yielded once its bytes are in the cache.

    ``header`` is available after the first bytes arrive; ``origin_bytes`` after iteration says how much this
    process fetched from the origin.
    """

    def __init__(self, handle: CachedFile, name: str, *, framework: str = "numpy", populate: bool = False) -> None:
        self._handle = handle
        self.name = name
        self.framework = framework
        self._fd = handle.open_fd()
        size = handle.size
        if size < 8:
            os.close(self._fd)
            raise SafetensorsError(f"{name} is {size} bytes; too short for a safetensors file")
        shared = getattr(handle, "shared_view", None)
        view = shared() if framework == "numpy" and callable(shared) else None
        self._map: Any
        if view is not None:  # arriving in this process: read the engine's own mapping (the pages count once)
            self._map = view
            self._readonly = True
        elif framework == "torch":  # torch wants a writable buffer: a private (copy-on-write) map, still zero-copy
            self._map = mmap.mmap(self._fd, size, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
            self._readonly = False
        else:
            flags = mmap.MAP_SHARED | (getattr(mmap, "MAP_POPULATE", 0) if populate else 0)
            self._map = mmap.mmap(self._fd, size, flags=flags, prot=mmap.PROT_READ)
            self._readonly = False
        os.close(self._fd)
        if framework == "numpy":  # while the first bytes are on their way (a cold load), not after they are in
            require("numpy", extra="cache", feature="loading safetensors as numpy arrays")
        handle.wait(0, 8)
        try:
            length = header_length(bytes(self._map[:8]))
            handle.wait(0, 8 + length)
            self.header: SafetensorsHeader = parse_header(bytes(self._map[: 8 + length]), size)
        except SafetensorsError as exc:
            raise SafetensorsError(f"{name}: {exc.message}") from None

    @property
    def origin_bytes(self) -> int:
        return self._handle.origin_bytes

    def tensor(self, info: TensorInfo) -> Any:
        """One tensor as an array (waits for its bytes)."""
        self._handle.wait(info.start, info.end)
        if self.framework == "torch":
            return _torch_tensor(self._map, info)
        np = require("numpy", extra="cache", feature="loading safetensors as numpy arrays")
        dtype = _numpy_dtype(np, info)
        count = info.nbytes // dtype.itemsize
        array = np.frombuffer(self._map, dtype=dtype, count=count, offset=info.start)
        if self._readonly:
            array.flags.writeable = False  # a view of the cache itself: never written through
        return array.reshape(info.shape)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        for info in self.header.tensors:
            yield info.name, self.tensor(info)
        # The end of the stream is the end of the fetch: its integrity checks (size, ETag, sha256) pass or raise.
        self._handle.result()

    def load(self) -> dict[str, Any]:
        """Every tensor, by name (file order)."""
        return dict(iter(self))


_TORCH_DTYPES = {
    "BOOL": "bool",
    "U8": "uint8",
    "I8": "int8",
    "I16": "int16",
    "U16": "uint16",
    "F16": "float16",
    "BF16": "bfloat16",
    "I32": "int32",
    "U32": "uint32",
    "F32": "float32",
    "F64": "float64",
    "I64": "int64",
    "U64": "uint64",
    "C64": "complex64",
    "F8_E5M2": "float8_e5m2",
    "F8_E4M3": "float8_e4m3fn",
}


def _torch_tensor(buffer: mmap.mmap, info: TensorInfo) -> Any:
    torch = require("torch", extra="cache", feature="loading safetensors as torch tensors")
    name = _TORCH_DTYPES.get(info.dtype)
    dtype = getattr(torch, name, None) if name else None
    if dtype is None:
        raise SafetensorsError(f"tensor {info.name!r}: torch has no dtype for {info.dtype}")
    count = info.nbytes // dtype.itemsize if info.nbytes else 0
    if count == 0:
        return torch.empty(info.shape, dtype=dtype)
    return torch.frombuffer(buffer, dtype=dtype, count=count, offset=info.start).reshape(info.shape)


def stream_safetensors(runtime: CacheRuntime, dataset: Dataset, path: str, *, framework: str = "numpy") -> TensorStream:
    """A :class:`TensorStream` of one dataset file; starts the fetch when the file is not cached."""
    if framework not in ("numpy", "torch"):
        raise SafetensorsError(f"framework must be numpy or torch, not {framework!r}")
    handle = runtime.open(dataset, path)
    complete = handle.origin_bytes == 0 and isinstance(getattr(handle, "path", None), Path)
    return TensorStream(handle, f"{dataset.key}:{path}", framework=framework, populate=complete)
