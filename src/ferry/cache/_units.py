"""Byte quantities as Kubernetes writes them (``16Mi``, ``50Gi``, ``1G``) and as people read them (pure)."""

from __future__ import annotations

import re

__all__ = ["format_bytes", "parse_quantity"]

_SUFFIX = {
    "": 1,
    "k": 10**3,
    "K": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
}
_QUANTITY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKMGTP]i?)?[bB]?\s*$")


def parse_quantity(value: str | int) -> int:
    """Bytes in ``value``: an integer, or a Kubernetes quantity such as ``16Mi`` or ``1.5Gi``.

    Raises ValueError with the accepted forms when ``value`` is neither.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a byte quantity")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{value} is negative")
        return value
    match = _QUANTITY.match(str(value))
    if match is None:
        raise ValueError(f"{value!r} is not a byte quantity (use e.g. 1048576, 16Mi, 50Gi or 1G)")
    number, suffix = match.group(1), match.group(2) or ""
    return int(float(number) * _SUFFIX[suffix])


def format_bytes(size: float) -> str:
    """``1.50GiB``-style text, the way ``kubectl get dataset`` prints sizes."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.2f}{unit}"
        value /= 1024
    return f"{value:.2f}PiB"  # pragma: no cover - the loop returns at TiB
