"""Raw values as providers hold them, typed conversion, and redaction (pure).

Text sources (environment, .env, command line, directory files) hold strings; structured sources (JSON, YAML,
TOML, in-memory) hold native scalars and lists of scalars. :func:`convert` turns either into the requested type
with one strict rule set, so ``int`` means the same thing whichever layer answered.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final, get_args, get_origin

__all__ = [
    "Base64",
    "Entry",
    "Hex",
    "Mismatch",
    "convert",
    "redact",
    "shown",
    "type_name",
]

_INT = re.compile(r"[+-]?[0-9]+")
_TRUE: Final = frozenset({"true", "yes", "on", "1"})
_FALSE: Final = frozenset({"false", "no", "off", "0"})

Converter = Callable[[Any], Any]


class Base64(bytes):
    """Request type for bytes written as base64 (the default for ``bytes``)."""


class Hex(bytes):
    """Request type for bytes written as hexadecimal (even length)."""


class Entry:
    """One value a provider holds: the raw value, the provider's spelling of its key, and whether it is secret.

    ``value`` is a ``str`` (text sources), ``bytes`` (directory files: raw, untrimmed), a native scalar or list
    (structured sources), or a tuple of strings / a bool (command-line flags).
    """

    __slots__ = ("encoded", "secret", "value")

    def __init__(self, value: Any, encoded: str, secret: bool = False) -> None:
        self.value = value
        self.encoded = encoded
        self.secret = secret

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Entry):
            return NotImplemented
        return (self.value, self.encoded, self.secret) == (other.value, other.encoded, other.secret)

    def __hash__(self) -> int:
        return hash((self.encoded, self.secret))

    def __repr__(self) -> str:
        return f"Entry({shown(self.value, self.secret)}, {self.encoded!r})"


class Mismatch(ValueError):
    """A raw value that cannot become the requested type; the message never contains the value."""


def type_name(target: Any) -> str:
    if get_origin(target) is list:
        (inner,) = get_args(target) or (str,)
        return f"list[{type_name(inner)}]"
    return getattr(target, "__name__", repr(target))


def redact(value: Any) -> str:
    """The redacted form: the type only, never a length, hash or prefix (``<redacted str>``)."""
    if isinstance(value, tuple):  # command-line values
        value = value[0] if len(value) == 1 else list(value)
    return f"<redacted {type(value).__name__}>"


def shown(value: Any, secret: bool) -> str:
    """How a value appears in messages, logs and dumps."""
    if secret:
        return redact(value)
    if isinstance(value, tuple):
        value = value[0] if len(value) == 1 else list(value)
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def _text(raw: Any) -> str:
    """The string form of a scalar raw value (bytes are decoded and trimmed: directory files end with newlines)."""
    if isinstance(raw, bytes):
        try:
            return raw.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            raise Mismatch("not UTF-8 text") from exc
    if isinstance(raw, tuple):
        if len(raw) != 1:
            raise Mismatch(f"expected one value, got {len(raw)}")
        return str(raw[0])
    if isinstance(raw, str):
        return raw.strip()
    raise Mismatch(f"expected text, got {type(raw).__name__}")


def _to_str(raw: Any) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int | float):
        return str(raw)
    if isinstance(raw, list):
        raise Mismatch("a list is not a string")
    return _text(raw)


def _to_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise Mismatch("a boolean is not an integer")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw.is_integer():
            return int(raw)
        raise Mismatch("not an exact integer")
    text = _text(raw)
    if not _INT.fullmatch(text):
        raise Mismatch("not an integer (digits with an optional sign)")
    return int(text)


def _to_float(raw: Any) -> float:
    if isinstance(raw, bool):
        raise Mismatch("a boolean is not a number")
    if isinstance(raw, int | float):
        return float(raw)
    text = _text(raw)
    try:
        return float(text)
    except ValueError:
        raise Mismatch("not a number") from None


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, int | float | list):
        raise Mismatch("not a boolean")
    text = _text(raw).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Mismatch("not a boolean (true/false, yes/no, on/off, 1/0)")


def _to_bytes(raw: Any, *, hex_: bool = False) -> bytes:
    if isinstance(raw, bytes) and not hex_:
        return bytes(raw)  # directory files: the raw content, untrimmed
    text = _text(raw)
    if hex_:
        if len(text) % 2:
            raise Mismatch("hex needs an even number of digits")
        try:
            return bytes.fromhex(text)
        except ValueError:
            raise Mismatch("not hexadecimal") from None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Mismatch("not base64") from None


def _elements(raw: Any) -> list[Any]:
    """The elements of a list value: native lists as they are; text split on commas, each element trimmed."""
    if isinstance(raw, list):
        return raw
    if isinstance(raw, tuple):  # command line: repeated flags and space-separated values, each split on commas
        return [part.strip() for value in raw for part in str(value).split(",")]
    text = _text(raw)
    if text == "":
        return []
    return [part.strip() for part in text.split(",")]


def _to_enum(raw: Any, target: type[enum.Enum]) -> enum.Enum:
    candidate: Any = raw if isinstance(raw, int | float) and not isinstance(raw, bool) else _to_str(raw)
    for member in target:
        if member.value == candidate or (isinstance(member.value, int) and str(member.value) == candidate):
            return member
    if isinstance(candidate, str):
        for member in target:
            if member.name.lower() == candidate.lower():
                return member
    raise Mismatch(f"not one of {', '.join(str(m.value) for m in target)}")


_BUILTIN: Final[Mapping[Any, Converter]] = {
    str: _to_str,
    int: _to_int,
    float: _to_float,
    bool: _to_bool,
    bytes: _to_bytes,
    Base64: _to_bytes,
    Hex: lambda raw: _to_bytes(raw, hex_=True),
    Path: lambda raw: Path(_to_str(raw)),
}


def convert(raw: Any, target: Any, converters: Mapping[Any, Converter] | None = None) -> Any:
    """``raw`` as ``target`` (str, int, float, bool, bytes, Base64, Hex, Path, enums, ``list[T]``, or a type with a
    registered converter). Raises :class:`Mismatch` saying why, without the value."""
    if converters and target in converters:
        try:
            return converters[target](raw if not isinstance(raw, tuple | bytes) else _to_str(raw))
        except Mismatch:
            raise
        except Exception as exc:
            raise Mismatch(f"the {type_name(target)} converter refused it ({type(exc).__name__})") from None
    if get_origin(target) is list:
        (inner,) = get_args(target) or (str,)
        out = []
        for i, element in enumerate(_elements(raw)):
            if element == "" and inner is not str:
                raise Mismatch(f"element {i} is empty")
            try:
                out.append(convert(element, inner, converters))
            except Mismatch as exc:
                raise Mismatch(f"element {i}: {exc}") from None
        return out
    if isinstance(raw, list):
        raise Mismatch(f"a list is not a {type_name(target)}")
    builtin = _BUILTIN.get(target)
    if builtin is not None:
        return builtin(raw)
    if isinstance(target, type) and issubclass(target, enum.Enum):
        return _to_enum(raw, target)
    raise Mismatch(f"no converter for {type_name(target)}; pass converters={{{type_name(target)}: function}}")
