"""Providers of environment-style names: the process environment, .env files, and command-line arguments."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal

from ferry.config._argv import parse_argv
from ferry.config._dotenv import parse_dotenv
from ferry.config._errors import SourceNotFoundError, UnknownFlagError
from ferry.config._keys import cli_flag, env_name
from ferry.config._layer import Layer
from ferry.config._provider import Provider
from ferry.config._tree import SecretSpec, secret_predicate
from ferry.config._values import Entry
from ferry.errors import ConfigError

__all__ = ["CommandLine", "DotEnv", "Environment"]

log = logging.getLogger("ferry.config")


def _normal_prefix(prefix: str) -> str:
    return prefix if not prefix or prefix.endswith("_") else prefix + "_"


def _env_layer(name: str, values: Mapping[str, str], prefix: str, secret: SecretSpec) -> Layer:
    is_secret = secret_predicate(secret)
    table = {k: Entry(v, k, is_secret(k)) for k, v in values.items() if k.startswith(prefix)}
    return Layer(name, table, encode=functools.partial(_encode, prefix=prefix))


def _encode(key: str, prefix: str) -> str:
    return env_name(key, prefix)


class Environment(Provider):
    """Environment variables: ``http.serverTimeout`` is ``HTTP_SERVER_TIMEOUT`` (``PREFIX_HTTP_SERVER_TIMEOUT``).

    The environment is captured once, at construction; :meth:`refresh` reads it again. Lookup is exact and
    case-sensitive: ``log_level`` does not answer for ``LOG_LEVEL``. ``secret`` names variables by their own names.
    ferry.config never writes to ``os.environ``.
    """

    def __init__(
        self,
        prefix: str = "",
        environ: Mapping[str, str] | None = None,
        *,
        secret: SecretSpec = False,
        name: str = "env",
    ) -> None:
        self.prefix = _normal_prefix(prefix)
        self._source = environ
        self._secret = secret
        super().__init__(name, _env_layer(name, dict(os.environ if environ is None else environ), self.prefix, secret))

    def refresh(self) -> bool:
        """Read the environment again; True when a value changed (and a new layer was published)."""
        current = dict(os.environ if self._source is None else self._source)
        return self._publish(_env_layer(self.name, current, self.prefix, self._secret))


class DotEnv(Provider):
    """A ``.env`` file, looked up with the environment's names (``LOG_LEVEL``). List it below :class:`Environment`
    so that real environment variables win."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        prefix: str = "",
        allow_missing: bool = False,
        secret: SecretSpec = False,
        name: str | None = None,
    ) -> None:
        self.path = Path(path)
        label = name or f"dotenv:{self.path}"
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            if not allow_missing:
                raise SourceNotFoundError(
                    f"{self.path}: .env file not found", hint="create it, or pass allow_missing=True"
                ) from None
            text = ""
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{self.path}: cannot read the .env file: {exc}") from None
        values = parse_dotenv(text, str(self.path))
        super().__init__(label, _env_layer(label, values, _normal_prefix(prefix), secret))


class CommandLine(Provider):
    """Command-line flags: ``log.level`` is ``--log-level``.

    ``argv`` excludes the program name (default ``sys.argv[1:]``). ``--k=v`` and ``--k v`` are the same; repeated
    flags and space- or comma-separated values make lists; a bare ``--x`` is true and ``--no-x`` false; after
    ``--`` nothing is a flag. ``unknown`` decides what a flag that names none of the ``known`` keys does:
    ``ignore`` (default), ``warn`` (logged) or ``error`` (:class:`UnknownFlagError`).
    """

    def __init__(
        self,
        argv: Sequence[str] | None = None,
        *,
        known: Iterable[str] | None = None,
        unknown: Literal["ignore", "warn", "error"] = "ignore",
        secret: SecretSpec = False,
        name: str = "cli",
    ) -> None:
        parsed = parse_argv(list(sys.argv[1:] if argv is None else argv))
        self.positionals = tuple(parsed.positionals)
        known_flags = None if known is None else {cli_flag(k) for k in known}
        self.unknown_flags = tuple(
            sorted(f for f in parsed.flags if known_flags is not None and f not in known_flags) + parsed.short_flags
        )
        if self.unknown_flags and unknown != "ignore":
            message = f"unknown command-line flag(s): {', '.join(self.unknown_flags)}"
            if unknown == "error":
                raise UnknownFlagError(message, hint="check the spelling; flags are --dotted-key-in-dash-case")
            log.warning("%s", message)
        is_secret = secret_predicate(secret)
        table = {flag: Entry(value, flag, is_secret(flag)) for flag, value in parsed.flags.items()}
        super().__init__(name, Layer(name, table, encode=cli_flag))
