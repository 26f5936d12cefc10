"""The Gateway API side of an estate that has only Ingresses: what ``ferry gateway convert`` makes of them (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from ferry._kernel._manifests import KubeObject, SourceRef
from ferry.errors import FerryError
from ferry.gateway._convert import convert, services_from
from ferry.gateway._ingress import read_ingress_input

__all__ = ["converted_objects"]

_SOURCE = SourceRef("<ferry gateway convert>")


def converted_objects(objects: Sequence[KubeObject]) -> tuple[list[KubeObject], str | None]:
    """The Gateways, routes and policies the converter makes from the Ingresses in ``objects``; on a conversion
    error, no objects and the reason (the caller falls back and says so)."""
    try:
        conversion = convert(read_ingress_input(list(objects)), services=services_from(objects))
    except FerryError as exc:
        return [], str(exc)
    return [KubeObject(body=body, source=_SOURCE) for body in conversion.objects], None
