"""Both routers side by side for a list of requests (pure): the ``ferry gateway simulate`` API."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ferry._kernel import KubeObject
from ferry.gateway._ingress import IngressInput, read_ingress_input
from ferry.gateway._simulate._gwapi_model import parse_gateway_objects, secrets_of, service_ports_of
from ferry.gateway._simulate._gwapi_router import GatewayRouter
from ferry.gateway._simulate._nginx_router import NginxRouter
from ferry.gateway._simulate._request import Decision, SimRequest

__all__ = ["SimulationResult", "Simulator", "simulate"]


@dataclass(frozen=True)
class SimulationResult:
    request: SimRequest
    nginx: Decision | None
    gateway: Decision | None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"request": self.request.to_dict()}
        if self.nginx is not None:
            out["nginx"] = self.nginx.to_dict()
        if self.gateway is not None:
            out["gateway"] = self.gateway.to_dict()
        return out


class Simulator:
    """The ingress-nginx router, the Gateway API router, or both. Build once; :meth:`run` is pure and fast."""

    def __init__(
        self,
        ingress: IngressInput | NginxRouter | Iterable[KubeObject] | None = None,
        gateway: Iterable[KubeObject] | None = None,
    ) -> None:
        self.nginx: NginxRouter | None = None
        self.gateway: GatewayRouter | None = None
        if ingress is not None:
            if isinstance(ingress, NginxRouter):
                self.nginx = ingress
            elif isinstance(ingress, IngressInput):
                self.nginx = NginxRouter(ingress)
            else:
                objects = list(ingress)
                self.nginx = NginxRouter(read_ingress_input(objects), secrets_of(objects), service_ports_of(objects))
        if gateway is not None:
            self.gateway = GatewayRouter(parse_gateway_objects(gateway))

    def run_one(self, request: SimRequest) -> SimulationResult:
        return SimulationResult(
            request,
            self.nginx.route(request) if self.nginx is not None else None,
            self.gateway.route(request) if self.gateway is not None else None,
        )

    def run(self, requests: Sequence[SimRequest]) -> list[SimulationResult]:
        return [self.run_one(r) for r in requests]


def simulate(
    requests: Sequence[SimRequest],
    *,
    ingress: Iterable[KubeObject] | None = None,
    gateway: Iterable[KubeObject] | None = None,
) -> list[SimulationResult]:
    """Route ``requests`` through the routers whose manifests are given."""
    return Simulator(ingress, gateway).run(requests)
