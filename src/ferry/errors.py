"""The one error tree of ferry.

Every failure ferry reports on purpose is a :class:`FerryError`. The CLI turns one into a single line and an exit
code; library users catch the base of the system they call, or the leaf they can handle::

    FerryError                      exit 2 unless a leaf says otherwise
    ├── UsageError                  bad flags or arguments
    ├── InputError                  a file or object that cannot be read or understood
    │   └── ManifestError           malformed Kubernetes manifest (file, document, line, field)
    ├── MissingExtraError           an optional dependency is not installed (also an ImportError)
    ├── ExternalToolError           a program ferry drives (nginx, envoy, juicefs, qemu, ...) failed
    ├── FindingsError               exit 1: a check found problems, a verification failed
    ├── InternalError               exit 3: a bug in ferry
    ├── ConfigError                 ferry.config
    │   ├── MissingKeyError
    │   └── ConversionError
    ├── GatewayError                ferry.gateway
    ├── CacheError                  ferry.cache
    ├── CocoError                   ferry.coco
    ├── GenAIError                  ferry.genai
    ├── BootError                   ferry.boot
    └── AssessError                 ferry.assess

Systems add their own leaves under their base. A message says what happened; ``where`` says where (file, object,
field, line) and ``hint`` what to do about it.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "EXIT_FINDINGS",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_USAGE",
    "AssessError",
    "BootError",
    "CacheError",
    "CocoError",
    "ConfigError",
    "ConversionError",
    "ExternalToolError",
    "FerryError",
    "FindingsError",
    "GatewayError",
    "GenAIError",
    "InputError",
    "InternalError",
    "ManifestError",
    "MissingExtraError",
    "MissingKeyError",
    "UsageError",
    "manifest_where",
]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class FerryError(Exception):
    """Root of every error ferry raises on purpose.

    Args:
        message: what happened, in one sentence.
        where: where it happened (``file.yaml:12``, ``Ingress shop/web``, ``field spec.rules[0].host``).
        hint: what to do about it.
    """

    exit_code: ClassVar[int] = EXIT_USAGE

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        parts = [f"{self.where}: {self.message}" if self.where else self.message]
        if self.hint:
            parts.append(f"({self.hint})")
        return " ".join(parts)


class UsageError(FerryError):
    """Bad command-line usage: unknown flag value, missing argument, conflicting options."""


class InputError(FerryError):
    """An input file or object that cannot be read or understood."""


class ManifestError(InputError):
    """A malformed Kubernetes manifest.

    Args:
        path: the file.
        line: 1-based line of the problem, when known.
        document: 0-based index of the YAML document in a multi-document file, when known.
        obj: the object, as ``Kind namespace/name``, when known.
        field: the dotted field path, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str,
        line: int | None = None,
        document: int | None = None,
        obj: str | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, where=manifest_where(path, line, document, obj, field), hint=hint)
        self.path = path
        self.line = line
        self.document = document
        self.obj = obj
        self.field = field


def manifest_where(
    path: str, line: int | None = None, document: int | None = None, obj: str | None = None, field: str | None = None
) -> str:
    """``file:line (document N, Kind ns/name, field a.b[0])``: where a problem in a manifest is, for messages."""
    where = path + (f":{line}" if line is not None else "")
    details = []
    if document is not None:
        details.append(f"document {document}")
    if obj:
        details.append(obj)
    if field:
        details.append(f"field {field}")
    return where + (f" ({', '.join(details)})" if details else "")


class MissingExtraError(FerryError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""

    def __init__(self, extra: str, module: str, *, feature: str | None = None) -> None:
        what = feature or f"this feature of ferry.{extra}"
        super().__init__(
            f"{what} needs the Python package '{module}', which is not installed",
            hint=f"install it with: pip install 'ferry[{extra}]'",
        )
        self.extra = extra
        self.module = module


class ExternalToolError(FerryError):
    """A program ferry drives failed to start, exited badly or is missing."""


class FindingsError(FerryError):
    """A check found problems or a verification failed (exit 1)."""

    exit_code: ClassVar[int] = EXIT_FINDINGS


class InternalError(FerryError):
    """A bug in ferry (exit 3). Please report it with the command that caused it."""

    exit_code: ClassVar[int] = EXIT_INTERNAL


class ConfigError(FerryError):
    """Base of ferry.config errors."""


class MissingKeyError(ConfigError):
    """A required configuration key has no value in any provider."""


class ConversionError(ConfigError):
    """A configuration value cannot be converted to the requested type."""


class GatewayError(FerryError):
    """Base of ferry.gateway errors."""


class CacheError(FerryError):
    """Base of ferry.cache errors."""


class CocoError(FerryError):
    """Base of ferry.coco errors."""


class GenAIError(FerryError):
    """Base of ferry.genai errors."""


class BootError(FerryError):
    """Base of ferry.boot errors."""


class AssessError(FerryError):
    """Base of ferry.assess errors."""
