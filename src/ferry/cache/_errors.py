"""The leaves of ``CacheError``: every failure ferry.cache reports on purpose."""

from __future__ import annotations

from ferry.errors import CacheError, InputError

__all__ = [
    "DatasetError",
    "FetchError",
    "IntegrityError",
    "NotCachedError",
    "OriginError",
    "QuotaError",
    "RuntimeNotFoundError",
    "SafetensorsError",
]


class DatasetError(CacheError, InputError):
    """A Dataset, Runtime or DataLoad declaration that cannot be understood (file, field, line)."""


class OriginError(CacheError):
    """The origin (S3, HTTP, a local path) refused a request or does not have what the dataset names."""


class FetchError(CacheError):
    """A download failed after every retry; nothing partial was published and the next run resumes."""


class IntegrityError(CacheError):
    """Downloaded bytes do not match the size, ETag or sha256 the origin or the dataset declared."""


class QuotaError(CacheError):
    """The cache cannot make room: the file is larger than the quota or every resident blob is pinned or in use."""


class NotCachedError(CacheError):
    """A file was asked for offline and is not in the cache."""


class RuntimeNotFoundError(CacheError):
    """No cache runtime of the requested type is registered in the ``ferry.cache.runtimes`` entry-point group."""


class SafetensorsError(CacheError, InputError):
    """A file that is not a well-formed safetensors file (header length, JSON, offsets, dtype)."""
