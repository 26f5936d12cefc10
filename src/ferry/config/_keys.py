"""Dotted keys and how each provider spells them (pure).

A key is a dotted string of non-empty components (``http.serverTimeout``). Providers encode it their own way:
``HTTP_SERVER_TIMEOUT`` for the environment, ``--http-server-timeout`` on the command line, the dotted path in
structured files, ``http.serverTimeout`` or ``http/serverTimeout`` in a directory of files.
"""

from __future__ import annotations

import functools
import re

from ferry.config._errors import InvalidKeyError

__all__ = ["cli_flag", "env_name", "join_key", "normalize_key", "secret_by_name", "words"]

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_ALNUM = re.compile(r"[^A-Za-z0-9]+")
_SECRET_WORDS = frozenset({"password", "passwd", "passphrase", "secret", "secrets", "token", "credential", "apikey"})


@functools.lru_cache(maxsize=4096)
def normalize_key(key: str) -> str:
    """Validate a dotted key and return it. Empty components (``a..b``, ``.a``, ``a.``) are rejected."""
    if not isinstance(key, str):
        raise InvalidKeyError(f"a configuration key must be a string, not {type(key).__name__}")
    parts = key.split(".")
    if not key or any(not p or p != p.strip() for p in parts):
        raise InvalidKeyError(
            f"invalid key {key!r}: keys are dot-separated, non-empty components without surrounding spaces",
            hint="write keys like 'http.serverTimeout'",
        )
    return key


def join_key(prefix: str, key: str) -> str:
    """``prefix.key``, both validated (``prefix`` may be empty)."""
    return normalize_key(f"{prefix}.{key}" if prefix else key)


@functools.lru_cache(maxsize=4096)
def words(component: str) -> tuple[str, ...]:
    """The words of one key component: camelCase and non-alphanumeric characters split (``serverTimeout``)."""
    return tuple(w for w in _NON_ALNUM.split(_CAMEL.sub("_", component)) if w)


@functools.lru_cache(maxsize=4096)
def env_name(key: str, prefix: str = "") -> str:
    """``http.serverTimeout`` → ``HTTP_SERVER_TIMEOUT`` (with ``prefix`` prepended as given)."""
    return prefix + "_".join(w.upper() for part in key.split(".") for w in words(part))


@functools.lru_cache(maxsize=4096)
def cli_flag(key: str) -> str:
    """``http.serverTimeout`` → ``--http-server-timeout``."""
    return "--" + "-".join(w.lower() for part in key.split(".") for w in words(part))


@functools.lru_cache(maxsize=4096)
def secret_by_name(key: str) -> bool:
    """True when the key's last component names a secret (``password``, ``apiKey``, ``client_secret``, ``token``)."""
    found = {w.lower() for w in words(key.rsplit(".", 1)[-1])}
    if found & _SECRET_WORDS:
        return True
    return "key" in found and bool(found & {"api", "private", "access", "signing", "encryption"})
