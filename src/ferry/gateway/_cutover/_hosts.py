"""Which hostnames a cutover moves, and which objects publish them (pure).

Ingresses (``spec.rules[].host``, ``spec.tls[].hosts``) are the old side; HTTPRoutes, GRPCRoutes and TLSRoutes
(``spec.hostnames``) the new one. external-dns publishes hostnames from exactly these fields, so these are the
records the cutover weighs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ferry._kernel._manifests import KubeObject
from ferry.gateway._cutover._errors import CutoverError

__all__ = ["HostSource", "derived_routes", "hostnames_of", "sources_of"]

_INGRESS_GROUPS = ("networking.k8s.io", "extensions")
_ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute")


@dataclass(frozen=True)
class HostSource:
    """An object that makes external-dns publish ``hosts`` (an Ingress for the old side, an HTTPRoute for the new)."""

    kind: str
    namespace: str
    name: str
    hosts: tuple[str, ...]
    where: str

    @property
    def ref(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "namespace": self.namespace, "name": self.name, "hosts": list(self.hosts)}


def _host(value: Any, obj: KubeObject, *path: str | int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise CutoverError(f"hostname must be a string, found {type(value).__name__}", where=obj.where(*path))
    host = value.strip().lower().rstrip(".")
    if not host:
        return None
    if host.startswith("*."):
        # A wildcard is published as a wildcard record; Route 53 weighs it like any other name.
        return host
    if any(not label or len(label) > 63 for label in host.split(".")) or len(host) > 253:
        raise CutoverError(f"'{value}' is not a valid DNS name", where=obj.where(*path))
    return host


def _ingress_hosts(obj: KubeObject) -> list[str]:
    spec = obj.body.get("spec")
    hosts: list[str] = []
    if not isinstance(spec, Mapping):
        return hosts
    rules = spec.get("rules")
    if isinstance(rules, list):
        for i, rule in enumerate(rules):
            if isinstance(rule, Mapping):
                host = _host(rule.get("host"), obj, "spec", "rules", i, "host")
                if host:
                    hosts.append(host)
    tls = spec.get("tls")
    if isinstance(tls, list):
        for i, entry in enumerate(tls):
            if isinstance(entry, Mapping) and isinstance(entry.get("hosts"), list):
                for j, value in enumerate(entry["hosts"]):
                    host = _host(value, obj, "spec", "tls", i, "hosts", j)
                    if host:
                        hosts.append(host)
    return hosts


def _route_hosts(obj: KubeObject) -> list[str]:
    spec = obj.body.get("spec")
    if not isinstance(spec, Mapping) or not isinstance(spec.get("hostnames"), list):
        return []
    found = (_host(value, obj, "spec", "hostnames", i) for i, value in enumerate(spec["hostnames"]))
    return [h for h in found if h]


def sources_of(objects: Iterable[KubeObject]) -> tuple[list[HostSource], list[HostSource]]:
    """The Ingresses (old side) and HTTPRoutes (new side) among ``objects`` that name at least one hostname."""
    old: list[HostSource] = []
    new: list[HostSource] = []
    for obj in objects:
        if obj.kind == "Ingress" and obj.group in _INGRESS_GROUPS:
            hosts, bucket = _ingress_hosts(obj), old
        elif obj.kind in _ROUTE_KINDS and obj.group == "gateway.networking.k8s.io":
            hosts, bucket = _route_hosts(obj), new
        else:
            continue
        unique = tuple(dict.fromkeys(hosts))
        if unique:
            bucket.append(HostSource(obj.kind, obj.namespace, obj.name, unique, obj.where()))
    return old, new


def hostnames_of(objects: Iterable[KubeObject]) -> tuple[str, ...]:
    """Every hostname the Ingresses and HTTPRoutes in ``objects`` publish, sorted, without duplicates."""
    old, new = sources_of(objects)
    return tuple(sorted({h for source in (*old, *new) for h in source.hosts}))


def _route_name(ingress: str, host: str) -> str:
    cleaned = "".join(c if c.isalnum() else "-" for c in host) if host not in ("", "*") else "all-hosts"
    return f"{ingress}-{cleaned}"


def derived_routes(old: Iterable[HostSource]) -> list[HostSource]:
    """The HTTPRoutes a conversion makes from these Ingresses: one per Ingress and host, ``<ingress>-<host>``."""
    routes: list[HostSource] = []
    for source in old:
        for host in source.hosts:
            name = _route_name(source.name, host)
            routes.append(HostSource("HTTPRoute", source.namespace, name, (host,), f"converted from {source.ref}"))
    return routes
