"""Pure routers: ingress-nginx and Gateway API (as Envoy Gateway programs Envoy). No I/O lives here."""

from ferry.gateway._simulate._errors import (
    BadRequestSpecError,
    DataPlaneError,
    RouteModelError,
    VerificationFailedError,
)
from ferry.gateway._simulate._gwapi_model import GatewayModel, parse_gateway_objects
from ferry.gateway._simulate._gwapi_router import GatewayRouter
from ferry.gateway._simulate._nginx_model import NginxLocation, NginxServer, ServerTable, build_server_table
from ferry.gateway._simulate._nginx_router import NginxRouter
from ferry.gateway._simulate._request import Decision, SimRequest, parse_header, parse_request_line, request_from_json
from ferry.gateway._simulate._simulate import SimulationResult, Simulator, simulate

__all__ = [
    "BadRequestSpecError",
    "DataPlaneError",
    "Decision",
    "GatewayModel",
    "GatewayRouter",
    "NginxLocation",
    "NginxRouter",
    "NginxServer",
    "RouteModelError",
    "ServerTable",
    "SimRequest",
    "SimulationResult",
    "Simulator",
    "VerificationFailedError",
    "build_server_table",
    "parse_gateway_objects",
    "parse_header",
    "parse_request_line",
    "request_from_json",
    "simulate",
]
