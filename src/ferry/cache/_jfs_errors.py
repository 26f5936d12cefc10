"""The JuiceFS runtime's leaves of ``CacheError``: each says what failed, where, and what to do (pure)."""

from __future__ import annotations

from ferry.errors import CacheError, InputError

__all__ = ["JuiceFSError", "MetadataEngineError", "MountError", "ObjectStoreError", "VolumeError"]


class JuiceFSError(CacheError):
    """A JuiceFS runtime failure (the ``juicefs`` program, its metadata engine, object store or mount)."""


class MetadataEngineError(JuiceFSError):
    """The metadata engine (Redis, SQLite) the Runtime's ``metaurl`` names cannot be reached or refused a request."""


class ObjectStoreError(JuiceFSError):
    """The object store (S3) behind the volume cannot be reached or refused a request."""


class MountError(JuiceFSError):
    """The volume could not be mounted (FUSE) or served (S3 gateway), or its mount was lost while in use."""


class VolumeError(JuiceFSError, InputError):
    """A Runtime whose JuiceFS options cannot work: a missing or unknown option, or another volume at ``metaurl``."""
