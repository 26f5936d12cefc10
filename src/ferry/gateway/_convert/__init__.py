"""Ingress → Gateway API conversion (pure): :func:`convert` returns a :class:`Conversion`."""

from ferry.gateway._convert._convert import convert, services_from
from ferry.gateway._convert._model import (
    DIFFERENCE_ANNOTATION,
    Channel,
    Conversion,
    ConvertOptions,
    Outcome,
    Ownership,
    Status,
    Target,
)

__all__ = [
    "DIFFERENCE_ANNOTATION",
    "Channel",
    "Conversion",
    "ConvertOptions",
    "Outcome",
    "Ownership",
    "Status",
    "Target",
    "convert",
    "services_from",
]
