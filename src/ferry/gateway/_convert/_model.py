"""What a conversion is asked for and what it returns (pure data)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "DIFFERENCE_ANNOTATION",
    "Channel",
    "Conversion",
    "ConvertOptions",
    "Outcome",
    "Ownership",
    "Status",
    "Target",
]

DIFFERENCE_ANNOTATION = "gateway.ferry.dev/nginx-differences"
"""Annotation on emitted objects listing where they cannot express ingress-nginx's behaviour exactly."""


class Target(StrEnum):
    """Where the migration goes. ``standard`` is Gateway API only."""

    ENVOY_GATEWAY = "envoy-gateway"
    ISTIO = "istio"
    TRAEFIK = "traefik"
    NGINX_GATEWAY_FABRIC = "nginx-gateway-fabric"
    HIGRESS = "higress"
    STANDARD = "standard"


class Channel(StrEnum):
    STANDARD = "standard"
    EXPERIMENTAL = "experimental"


class Status(StrEnum):
    """How an annotation carries over to a target, best first."""

    EXACT = "exact"
    APPROXIMATE = "approximate"
    MANUAL = "manual"
    NONE = "none"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {status: rank for rank, status in enumerate(Status)}  # declaration order is best first


@dataclass(frozen=True)
class ConvertOptions:
    """How to convert.

    Attributes:
        target: ``envoy-gateway`` (Gateway API + Envoy Gateway policies) or ``standard`` (Gateway API only).
        channel: Gateway API release channel; ``experimental`` unlocks retry and session persistence fields.
        gateway_namespace: where the shared Gateway per ingress class lives (platform team's namespace).
        gateway_per_namespace: one Gateway per application namespace instead of a shared one.
        gateway_class_name: GatewayClass of the emitted Gateways (default: ``eg`` for Envoy Gateway, else the
            ingress class name).
        max_listeners: listeners per Gateway before the hosts are spread over more Gateways (API limit 64).
    """

    target: Target = Target.ENVOY_GATEWAY
    channel: Channel = Channel.STANDARD
    gateway_namespace: str = "gateway-system"
    gateway_per_namespace: bool = False
    gateway_class_name: str | None = None
    max_listeners: int = 64

    def class_name_for(self, ingress_class: str) -> str:
        if self.gateway_class_name:
            return self.gateway_class_name
        return "eg" if self.target is Target.ENVOY_GATEWAY else ingress_class


@dataclass(frozen=True)
class Outcome:
    """What happened to one annotation of one Ingress in this conversion."""

    namespace: str
    name: str
    key: str
    value: str
    status: Status
    note: str = ""
    objects: tuple[str, ...] = ()  # the emitted objects that carry it (``Kind ns/name``)


@dataclass(frozen=True)
class Ownership:
    """Who owns an emitted object: ``platform`` (Gateways, cluster-wide policies) or ``application`` teams."""

    ref: str
    owner: str
    namespace: str
    reason: str


@dataclass(frozen=True)
class Conversion:
    """The result: objects (deterministically ordered), per-annotation outcomes, differences and ownership."""

    objects: Sequence[Mapping[str, Any]]
    outcomes: Sequence[Outcome] = ()
    differences: Sequence[tuple[str, str]] = ()  # (object ref, what differs from ingress-nginx)
    ownership: Sequence[Ownership] = ()
    warnings: Sequence[str] = ()
    options: ConvertOptions = field(default_factory=ConvertOptions)

    def of_kind(self, kind: str) -> list[Mapping[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def find(self, kind: str, namespace: str, name: str) -> Mapping[str, Any] | None:
        for obj in self.objects:
            meta = obj["metadata"]
            if obj["kind"] == kind and meta["name"] == name and meta.get("namespace", "") == namespace:
                return obj
        return None
