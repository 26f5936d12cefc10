"""The errors of ferry.gateway (leaves under :class:`ferry.errors.GatewayError`)."""

from __future__ import annotations

from ferry.errors import GatewayError, manifest_where

__all__ = ["ClusterReadError", "IngressInputError", "SchemaValidationError"]


class IngressInputError(GatewayError):
    """An Ingress, IngressClass or controller ConfigMap that cannot be understood.

    Args:
        path: the file it was read from.
        document: 0-based document index in that file.
        obj: ``Kind namespace/name``.
        field: the field, e.g. ``spec.rules[0].http.paths[1].pathType``.
        line: 1-based line, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str,
        document: int | None = None,
        obj: str | None = None,
        field: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, where=manifest_where(path, line, document, obj, field), hint=hint)
        self.path = path
        self.document = document
        self.obj = obj
        self.field = field
        self.line = line


class SchemaValidationError(GatewayError):
    """An emitted object does not validate against its CRD schema (a bug in the converter)."""


class ClusterReadError(GatewayError):
    """Reading Ingresses from a live cluster failed (kubeconfig, connection, permissions)."""
