"""The leaves of ferry.config's errors, under :class:`ferry.errors.ConfigError`."""

from __future__ import annotations

from ferry.errors import ConfigError

__all__ = ["InvalidKeyError", "KeyCollisionError", "ParseError", "SourceNotFoundError", "UnknownFlagError"]


class InvalidKeyError(ConfigError):
    """A dotted key that is empty or has an empty component (``a..b``, ``.a``, ``a.``)."""


class KeyCollisionError(ConfigError):
    """Two entries of one source map to the same key (``log.level`` and ``log/level`` in a directory)."""


class ParseError(ConfigError):
    """A source that cannot be parsed (bad JSON/YAML/TOML/.env syntax, or a shape the model does not allow)."""


class SourceNotFoundError(ConfigError):
    """A file or directory that must exist does not (pass ``allow_missing=True`` to make it optional)."""


class UnknownFlagError(ConfigError):
    """A command-line flag that names no known key, when the provider was told to reject unknown flags."""
