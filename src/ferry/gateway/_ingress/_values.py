"""Typed annotation and ConfigMap values, parsed the way ingress-nginx parses them (pure)."""

from __future__ import annotations

import ipaddress
import re

from ferry.gateway._catalogue import AnnotationSpec, ValueKind

__all__ = ["AnnotationValueError", "parse_duration", "parse_size", "typed_value"]

TypedValue = bool | int | str | tuple[str, ...] | tuple[int, ...]

_SIZE = re.compile(r"^\s*(\d+)\s*([bkmg]?)\s*$", re.IGNORECASE)
_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|M|y)?")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "M": 2592000, "y": 31536000}
_BOOL = {"true": True, "1": True, "t": True, "false": False, "0": False, "f": False}


class AnnotationValueError(ValueError):
    """A value that ingress-nginx would reject (it then ignores the annotation and uses its default)."""


def parse_size(text: str) -> int:
    """An nginx size (``8k``, ``1m``, ``2g``, ``512``) in bytes; k/m/g are binary units."""
    match = _SIZE.match(text)
    if not match:
        raise AnnotationValueError(f"'{text}' is not an nginx size (like 512, 8k, 1m, 2g)")
    number, unit = int(match.group(1)), match.group(2).lower()
    return number * {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]


def parse_duration(text: str) -> float:
    """An nginx time (``10s``, ``1m30s``, ``500ms``, bare seconds) in seconds."""
    value = text.strip()
    if not value:
        raise AnnotationValueError("empty duration")
    pos, total = 0, 0.0
    while pos < len(value):
        match = _DURATION_PART.match(value, pos)
        if not match or match.end() == pos:
            raise AnnotationValueError(f"'{text}' is not an nginx time (like 60, 10s, 1m, 500ms)")
        total += int(match.group(1)) * _UNIT_SECONDS[match.group(2) or ""]
        pos = match.end()
    return total


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


_TYPED: dict[tuple[ValueKind, tuple[str, ...], str], tuple[TypedValue | None, str]] = {}
_TYPED_MAX = 50_000


def typed_value(spec: AnnotationSpec, raw: str) -> TypedValue:
    """The value of ``raw`` typed by ``spec.kind``; raises :class:`AnnotationValueError` when invalid.

    Outcomes are remembered by (kind, choices, value): estates repeat the same few values thousands of times, and
    typing some of them (CIDR lists) is costly. Typed values are immutable, so sharing them is safe.
    """
    key = (spec.kind, spec.choices, raw)
    found = _TYPED.get(key)
    if found is None:
        try:
            found = (_typed(spec, raw), "")
        except AnnotationValueError as exc:
            found = (None, str(exc))
        if len(_TYPED) < _TYPED_MAX:
            _TYPED[key] = found
    value, error = found
    if value is None:
        raise AnnotationValueError(error)
    return value


def _typed(spec: AnnotationSpec, raw: str) -> TypedValue:
    kind = spec.kind
    text = raw.strip()
    if kind is ValueKind.BOOL:
        if text.lower() not in _BOOL:
            raise AnnotationValueError(f"'{raw}' is not a boolean (true or false)")
        return _BOOL[text.lower()]
    if kind in (ValueKind.INT, ValueKind.SECONDS):
        try:
            return int(text)
        except ValueError:
            raise AnnotationValueError(f"'{raw}' is not an integer") from None
    if kind is ValueKind.SIZE:
        return parse_size(text)
    if kind is ValueKind.DURATION:
        return int(parse_duration(text))
    if kind is ValueKind.CSV:
        return _csv(text)
    if kind is ValueKind.CIDRS:
        cidrs = _csv(text)
        for cidr in cidrs:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise AnnotationValueError(f"'{cidr}' is not an IP address or CIDR") from None
        return tuple(str(ipaddress.ip_network(c, strict=False)) for c in cidrs)
    if kind is ValueKind.ENUM:
        if text.lower() not in spec.choices:
            raise AnnotationValueError(f"'{raw}' is not one of {', '.join(spec.choices)}")
        return text.lower()
    if kind is ValueKind.STATUS_CODES:
        codes = []
        for part in _csv(text):
            if not part.isdigit() or not 100 <= int(part) <= 599:
                raise AnnotationValueError(f"'{part}' is not an HTTP status code")
            codes.append(int(part))
        return tuple(codes)
    if kind is ValueKind.URL:
        if not text:
            raise AnnotationValueError("empty URL")
        return text
    if kind is ValueKind.NAMESPACED_NAME:
        if not text or text.count("/") > 1 or text.startswith("/") or text.endswith("/"):
            raise AnnotationValueError(f"'{raw}' is not a name or namespace/name")
        return text
    return raw
