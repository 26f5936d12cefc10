"""Errors of the simulator and the verifier (leaves under :class:`ferry.errors.GatewayError`)."""

from __future__ import annotations

from typing import ClassVar

from ferry.errors import EXIT_FINDINGS, ExternalToolError, GatewayError

__all__ = ["BadRequestSpecError", "DataPlaneError", "RouteModelError", "VerificationFailedError"]


class BadRequestSpecError(GatewayError):
    """A request given to the simulator cannot be understood (bad URL, header, JSONL line)."""


class RouteModelError(GatewayError):
    """A Gateway API or Envoy Gateway object cannot be turned into routes (bad field value)."""


class DataPlaneError(GatewayError, ExternalToolError):
    """A real data plane (nginx, Envoy, echo backends) failed to render, validate, start or answer."""


class VerificationFailedError(GatewayError):
    """The replay found unexpected differences (exit 1)."""

    exit_code: ClassVar[int] = EXIT_FINDINGS
