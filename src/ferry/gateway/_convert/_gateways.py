"""Infrastructure: Gateways with listeners per host and protocol, allowedRoutes, ReferenceGrants (pure).

By default one shared Gateway per ingress class lives in the platform team's namespace; each listener admits
exactly the application namespaces that had Ingresses for its host (label selector on
``kubernetes.io/metadata.name``); certificates stay in the application namespaces and are referenced through
ReferenceGrants. With ``gateway_per_namespace`` every application namespace gets its own Gateway.
A Gateway holds at most 64 listeners; more hosts spread over ``<name>-2``, ``<name>-3``... deterministically.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ferry.gateway._convert._context import GW, GW_V1, Context, new_object
from ferry.gateway._convert._naming import host_slug, join_name, section_name

__all__ = ["GatewayKey", "HostNeeds", "Layout", "ParentRef", "StreamNeeds", "build_gateways"]

GatewayKey = tuple[str, str | None]  # (ingress class, application namespace in per-namespace mode)


@dataclass
class HostNeeds:
    """What one host needs from its Gateway."""

    host: str
    namespaces: set[str] = field(default_factory=set)
    http: bool = True
    certificate: tuple[str, str] | None = None  # (namespace, secret name)
    passthrough: bool = False
    passthrough_namespaces: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class StreamNeeds:
    protocol: str  # TCP | UDP
    port: int
    namespace: str


@dataclass(frozen=True)
class ParentRef:
    namespace: str
    name: str
    section: str

    def to_dict(self, route_namespace: str) -> dict[str, Any]:
        ref: dict[str, Any] = {"group": GW, "kind": "Gateway", "name": self.name}
        if self.namespace != route_namespace:
            ref["namespace"] = self.namespace
        ref["sectionName"] = self.section
        return ref


@dataclass
class Layout:
    """Where each host's listeners ended up: (gateway key, host, protocol) → parent reference."""

    parents: dict[tuple[GatewayKey, str, str], ParentRef] = field(default_factory=dict)
    gateways: dict[GatewayKey, list[str]] = field(default_factory=dict)

    def parent(self, key: GatewayKey, host: str, protocol: str) -> ParentRef | None:
        return self.parents.get((key, host, protocol))


def _selector(namespaces: set[str], per_namespace: bool) -> dict[str, Any]:
    if per_namespace:
        return {"from": "Same"}
    return {
        "from": "Selector",
        "selector": {
            "matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": sorted(namespaces)}]
        },
    }


def _kinds(*kinds: str) -> list[dict[str, str]]:
    return [{"group": GW, "kind": k} for k in kinds]


def _host_listeners(needs: HostNeeds, per_namespace: bool, gw_namespace: str) -> list[tuple[str, dict[str, Any]]]:
    """(protocol tag, listener) pairs for one host."""
    slug = host_slug(needs.host)
    out: list[tuple[str, dict[str, Any]]] = []
    hostname = {"hostname": needs.host} if needs.host else {}
    if needs.http:
        name = "http" if not needs.host else section_name("http", slug)
        listener: dict[str, Any] = {"name": name, **hostname, "port": 80, "protocol": "HTTP"}
        listener["allowedRoutes"] = {
            "namespaces": _selector(needs.namespaces, per_namespace),
            "kinds": _kinds("HTTPRoute", "GRPCRoute"),
        }
        out.append(("HTTP", listener))
    if needs.passthrough and needs.host:
        listener = {
            "name": section_name("tls", slug),
            "hostname": needs.host,
            "port": 443,
            "protocol": "TLS",
            "tls": {"mode": "Passthrough"},
            "allowedRoutes": {
                "namespaces": _selector(needs.passthrough_namespaces or needs.namespaces, per_namespace),
                "kinds": _kinds("TLSRoute"),
            },
        }
        out.append(("TLS", listener))
    elif needs.certificate is not None and needs.host:
        secret_ns, secret = needs.certificate
        cert: dict[str, Any] = {"group": "", "kind": "Secret", "name": secret}
        if secret_ns != gw_namespace:
            cert["namespace"] = secret_ns
        listener = {
            "name": section_name("https", slug),
            "hostname": needs.host,
            "port": 443,
            "protocol": "HTTPS",
            "tls": {"mode": "Terminate", "certificateRefs": [cert]},
            "allowedRoutes": {
                "namespaces": _selector(needs.namespaces, per_namespace),
                "kinds": _kinds("HTTPRoute", "GRPCRoute"),
            },
        }
        out.append(("HTTPS", listener))
    return out


def build_gateways(
    ctx: Context,
    hosts: dict[GatewayKey, dict[str, HostNeeds]],
    streams: dict[GatewayKey, list[StreamNeeds]],
    gateway_class: dict[GatewayKey, str],
) -> Layout:
    """Emit the Gateways and ReferenceGrants; returns where every host's listeners are."""
    layout = Layout()
    options = ctx.options
    grants: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))  # secret ns → gw ns → secrets
    for key in sorted(set(hosts) | set(streams), key=lambda k: (k[0], k[1] or "")):
        ingress_class, app_ns = key
        gw_ns = app_ns if app_ns is not None else options.gateway_namespace
        groups: list[list[tuple[str, str, dict[str, Any]]]] = []
        for stream in sorted(streams.get(key, []), key=lambda s: (s.protocol, s.port)):
            kind = "TCPRoute" if stream.protocol == "TCP" else "UDPRoute"
            listener: dict[str, Any] = {
                "name": section_name(stream.protocol.lower(), str(stream.port)),
                "port": stream.port,
                "protocol": stream.protocol,
                "allowedRoutes": {
                    "namespaces": _selector({stream.namespace}, options.gateway_per_namespace),
                    "kinds": _kinds(kind),
                },
            }
            groups.append([(f"{stream.protocol}:{stream.port}", stream.protocol, listener)])
        for host in sorted(hosts.get(key, {})):
            needs = hosts[key][host]
            listeners = _host_listeners(needs, options.gateway_per_namespace, gw_ns)
            groups.append([(host, tag, listener) for tag, listener in listeners])
            if needs.certificate and not needs.passthrough and needs.certificate[0] != gw_ns:
                grants[needs.certificate[0]][gw_ns].add(needs.certificate[1])
        shards: list[list[tuple[str, str, dict[str, Any]]]] = [[]]
        for group in groups:
            if shards[-1] and len(shards[-1]) + len(group) > options.max_listeners:
                shards.append([])
            shards[-1].extend(group)
        base = join_name(ingress_class)
        names = []
        for i, shard in enumerate(shards):
            if not shard:
                continue
            name = base if i == 0 else join_name(base, str(i + 1))
            names.append(name)
            spec = {"gatewayClassName": gateway_class[key], "listeners": [entry[2] for entry in shard]}
            gateway = new_object(GW_V1, "Gateway", gw_ns, name, spec)
            gateway["metadata"]["labels"] = {"gateway.ferry.dev/ingress-class": ingress_class}
            owner = "application" if app_ns is not None else "platform"
            ctx.emit(gateway, owner=owner, reason=f"Gateway for ingress class {ingress_class}")
            if len(shards) > 1:
                ctx.differ(
                    gateway,
                    f"ingress class {ingress_class} needs more than {options.max_listeners} listeners; its hosts are "
                    f"spread over {len(shards)} Gateways (one load balancer address each unless merged)",
                )
            for host, tag, listener in shard:
                layout.parents[(key, host, tag)] = ParentRef(gw_ns, name, listener["name"])
        layout.gateways[key] = names
    for secret_ns in sorted(grants):
        for gw_ns in sorted(grants[secret_ns]):
            spec = {
                "from": [{"group": GW, "kind": "Gateway", "namespace": gw_ns}],
                "to": [{"group": "", "kind": "Secret", "name": s} for s in sorted(grants[secret_ns][gw_ns])],
            }
            grant = new_object(GW_V1, "ReferenceGrant", secret_ns, join_name("gateways", gw_ns, "tls"), spec)
            ctx.emit(
                grant,
                owner="application",
                reason=f"lets the Gateways in {gw_ns} use this namespace's TLS Secrets (the team keeps its keys)",
            )
    return layout
