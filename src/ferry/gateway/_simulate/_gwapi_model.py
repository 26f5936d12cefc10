"""Gateway API and Envoy Gateway objects as the router needs them (pure).

Reads Gateway, HTTPRoute, GRPCRoute, Service, Secret and the Envoy Gateway objects that change a request's outcome
(SecurityPolicy ``authorization`` / ``cors`` / ``basicAuth``, HTTPRouteFilter ``urlRewrite`` / ``directResponse``)
from :class:`~ferry._kernel.KubeObject` s. Objects of other kinds are ignored; a field of the wrong shape raises
:class:`RouteModelError` naming the file, line and field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ferry._kernel import KubeObject
from ferry.gateway._simulate._errors import RouteModelError
from ferry.gateway._simulate._htpasswd import parse_htpasswd

__all__ = [
    "Authorization",
    "BackendRef",
    "BasicAuth",
    "CorsPolicy",
    "Filter",
    "GatewayModel",
    "GatewaySpec",
    "HeaderMatch",
    "Listener",
    "Match",
    "ParentRef",
    "RouteRule",
    "RouteSpec",
    "parse_gateway_objects",
    "secret_data",
    "secrets_of",
    "service_ports_of",
]

GW_GROUP = "gateway.networking.k8s.io"
_FILTER_KEYS = {"URLRewrite": "urlRewrite", "CORS": "cors", "ExternalAuth": "externalAuth"}
EG_GROUP = "gateway.envoyproxy.io"


@dataclass(frozen=True)
class Listener:
    name: str
    port: int
    protocol: str
    hostname: str | None
    allowed_from: str = "Same"


@dataclass(frozen=True)
class GatewaySpec:
    namespace: str
    name: str
    listeners: tuple[Listener, ...]
    created: str = ""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class HeaderMatch:
    name: str
    value: str
    type: str = "Exact"


@dataclass(frozen=True)
class Match:
    path_type: str = "PathPrefix"
    path: str = "/"
    method: str | None = None
    headers: tuple[HeaderMatch, ...] = ()
    query: tuple[HeaderMatch, ...] = ()


@dataclass(frozen=True)
class Filter:
    """One filter. ``kind`` is the Gateway API filter type or ``HTTPRouteFilter`` for an Envoy Gateway extension."""

    kind: str
    spec: Mapping[str, Any]


@dataclass(frozen=True)
class BackendRef:
    namespace: str
    name: str
    port: int | None
    weight: int = 1
    kind: str = "Service"

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}:{self.port}" if self.port is not None else f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class RouteRule:
    index: int
    name: str | None
    matches: tuple[Match, ...]
    filters: tuple[Filter, ...]
    backends: tuple[BackendRef, ...]


@dataclass(frozen=True)
class ParentRef:
    namespace: str
    name: str
    section: str | None = None
    port: int | None = None


@dataclass(frozen=True)
class RouteSpec:
    kind: str
    namespace: str
    name: str
    parents: tuple[ParentRef, ...]
    hostnames: tuple[str, ...]
    rules: tuple[RouteRule, ...]
    created: str = ""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Authorization:
    default_action: str
    rules: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class CorsPolicy:
    allow_origins: tuple[str, ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: str | None
    allow_credentials: bool


@dataclass(frozen=True)
class BasicAuth:
    htpasswd: tuple[tuple[str, str], ...] | None


@dataclass(frozen=True)
class PolicySet:
    authorization: Authorization | None = None
    cors: CorsPolicy | None = None
    basic_auth: BasicAuth | None = None


@dataclass(frozen=True)
class GatewayModel:
    """Gateways, routes (sorted as Envoy Gateway sorts them) and the policies attached to route rules."""

    gateways: tuple[GatewaySpec, ...]
    routes: tuple[RouteSpec, ...]
    services: frozenset[str] = frozenset()
    # key: (route key, rule name or "") -> policy; rule name "" means the whole route; ("gw", ns/name) for Gateways
    policies: Mapping[tuple[str, str], PolicySet] = field(default_factory=dict)
    route_filters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def gateway(self, key: str) -> GatewaySpec | None:
        return next((g for g in self.gateways if g.key == key), None)

    def policy_for(self, route: RouteSpec, rule: RouteRule, gateway: GatewaySpec) -> PolicySet:
        """The most specific policy: route rule section, then route, then Gateway (Envoy Gateway's order)."""
        merged: dict[str, Any] = {}
        for key in (("gw", gateway.key), (route.key, ""), (route.key, rule.name or "\0")):
            found = self.policies.get(key)
            if found is None:
                continue
            for attr in ("authorization", "cors", "basic_auth"):
                value = getattr(found, attr)
                if value is not None:
                    merged[attr] = value
        return PolicySet(**merged)


def _bad(obj: KubeObject, message: str, *path: str | int) -> RouteModelError:
    return RouteModelError(message, where=obj.where(*path))


def _map(obj: KubeObject, value: Any, *path: str | int) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _bad(obj, "expected a mapping", *path)
    return value


def _list(obj: KubeObject, value: Any, *path: str | int) -> Sequence[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad(obj, "expected a list", *path)
    return value


def _int(obj: KubeObject, value: Any, *path: str | int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            return int(str(value))
        except ValueError:
            raise _bad(obj, f"expected an integer, found '{value}'", *path) from None
    return value


def _ns(obj: KubeObject) -> str:
    return obj.namespace or "default"


def _created(obj: KubeObject) -> str:
    return str(obj.metadata.get("creationTimestamp") or "")


def _gateway(obj: KubeObject) -> GatewaySpec:
    spec = _map(obj, obj.body.get("spec"), "spec")
    listeners = []
    for i, raw in enumerate(_list(obj, spec.get("listeners"), "spec", "listeners")):
        item = _map(obj, raw, "spec", "listeners", i)
        if "port" not in item:
            raise _bad(obj, "listener has no port", "spec", "listeners", i)
        allowed = _map(obj, _map(obj, item.get("allowedRoutes"), "spec").get("namespaces"), "spec")
        listeners.append(
            Listener(
                name=str(item.get("name") or f"listener-{i}"),
                port=_int(obj, item["port"], "spec", "listeners", i, "port"),
                protocol=str(item.get("protocol") or "HTTP").upper(),
                hostname=str(item["hostname"]).lower() if item.get("hostname") else None,
                allowed_from=str(allowed.get("from") or "Same"),
            )
        )
    return GatewaySpec(_ns(obj), obj.name, tuple(listeners), _created(obj))


def _matches_http(obj: KubeObject, raw: Any, at: tuple[str | int, ...]) -> tuple[Match, ...]:
    out = []
    for j, raw_m in enumerate(_list(obj, raw, *at)):
        m = _map(obj, raw_m, *at, j)
        path = _map(obj, m.get("path"), *at, j, "path")
        ptype = str(path.get("type") or "PathPrefix")
        if ptype not in ("Exact", "PathPrefix", "RegularExpression"):
            raise _bad(obj, f"unknown path match type '{ptype}'", *at, j, "path", "type")
        value = str(path.get("value") or "/")
        headers = tuple(
            HeaderMatch(str(h.get("name", "")).lower(), str(h.get("value", "")), str(h.get("type") or "Exact"))
            for h in (_map(obj, x, *at, j, "headers") for x in _list(obj, m.get("headers"), *at, j, "headers"))
        )
        query = tuple(
            HeaderMatch(str(q.get("name", "")), str(q.get("value", "")), str(q.get("type") or "Exact"))
            for q in (
                _map(obj, x, *at, j, "queryParams") for x in _list(obj, m.get("queryParams"), *at, j, "queryParams")
            )
        )
        method = str(m["method"]).upper() if m.get("method") else None
        out.append(Match(ptype, value, method, headers, query))
    return tuple(out) or (Match(),)


def _matches_grpc(obj: KubeObject, raw: Any, at: tuple[str | int, ...]) -> tuple[Match, ...]:
    out = []
    for j, raw_m in enumerate(_list(obj, raw, *at)):
        m = _map(obj, raw_m, *at, j)
        method = _map(obj, m.get("method"), *at, j, "method")
        service, name = method.get("service"), method.get("method")
        mtype = str(method.get("type") or "Exact")
        if mtype == "RegularExpression":
            path = f"/{service or '[^/]+'}/{name or '[^/]+'}"
            match_type = "RegularExpression"
        elif service and name:
            path, match_type = f"/{service}/{name}", "Exact"
        elif service:
            path, match_type = f"/{service}/", "PathPrefix"
        elif name:
            path, match_type = f"/[^/]+/{name}", "RegularExpression"
        else:
            path, match_type = "/", "PathPrefix"
        headers = tuple(
            HeaderMatch(str(h.get("name", "")).lower(), str(h.get("value", "")), str(h.get("type") or "Exact"))
            for h in (_map(obj, x, *at, j, "headers") for x in _list(obj, m.get("headers"), *at, j, "headers"))
        )
        out.append(Match(match_type, path, None, headers, ()))
    return tuple(out) or (Match(),)


def _backends(obj: KubeObject, raw: Any, at: tuple[str | int, ...]) -> tuple[BackendRef, ...]:
    out = []
    for k, raw_b in enumerate(_list(obj, raw, *at)):
        b = _map(obj, raw_b, *at, k)
        port = b.get("port")
        out.append(
            BackendRef(
                namespace=str(b.get("namespace") or _ns(obj)),
                name=str(b.get("name", "")),
                port=_int(obj, port, *at, k, "port") if port is not None else None,
                weight=_int(obj, b.get("weight", 1), *at, k, "weight"),
                kind=str(b.get("kind") or "Service"),
            )
        )
    return tuple(out)


def _filters(obj: KubeObject, raw: Any, at: tuple[str | int, ...]) -> tuple[Filter, ...]:
    out = []
    for k, raw_f in enumerate(_list(obj, raw, *at)):
        f = _map(obj, raw_f, *at, k)
        ftype = str(f.get("type", ""))
        if ftype == "ExtensionRef":
            ref = _map(obj, f.get("extensionRef"), *at, k, "extensionRef")
            out.append(Filter("HTTPRouteFilter", {"name": str(ref.get("name", "")), "kind": ref.get("kind")}))
            continue
        key = _FILTER_KEYS.get(ftype, ftype[:1].lower() + ftype[1:])
        out.append(Filter(ftype, _map(obj, f.get(key), *at, k, key)))
    return tuple(out)


def _route(obj: KubeObject) -> RouteSpec:
    spec = _map(obj, obj.body.get("spec"), "spec")
    parents = []
    for i, raw_p in enumerate(_list(obj, spec.get("parentRefs"), "spec", "parentRefs")):
        p = _map(obj, raw_p, "spec", "parentRefs", i)
        if str(p.get("kind") or "Gateway") != "Gateway":
            continue
        parents.append(
            ParentRef(
                namespace=str(p.get("namespace") or _ns(obj)),
                name=str(p.get("name", "")),
                section=str(p["sectionName"]) if p.get("sectionName") else None,
                port=_int(obj, p["port"], "spec", "parentRefs", i, "port") if p.get("port") is not None else None,
            )
        )
    rules = []
    for i, raw_r in enumerate(_list(obj, spec.get("rules"), "spec", "rules")):
        r = _map(obj, raw_r, "spec", "rules", i)
        at: tuple[str | int, ...] = ("spec", "rules", i)
        parse = _matches_grpc if obj.kind == "GRPCRoute" else _matches_http
        rules.append(
            RouteRule(
                index=i,
                name=str(r["name"]) if r.get("name") else None,
                matches=parse(obj, r.get("matches"), (*at, "matches")),
                filters=_filters(obj, r.get("filters"), (*at, "filters")),
                backends=_backends(obj, r.get("backendRefs"), (*at, "backendRefs")),
            )
        )
    hostnames = tuple(str(h).lower() for h in _list(obj, spec.get("hostnames"), "spec", "hostnames"))
    return RouteSpec(obj.kind, _ns(obj), obj.name, tuple(parents), hostnames, tuple(rules), _created(obj))


def _cors(obj: KubeObject, spec: Mapping[str, Any]) -> CorsPolicy:
    def strings(key: str) -> tuple[str, ...]:
        return tuple(str(x) for x in _list(obj, spec.get(key), "spec", "cors", key))

    return CorsPolicy(
        allow_origins=strings("allowOrigins"),
        allow_methods=tuple(m.upper() for m in strings("allowMethods")),
        allow_headers=strings("allowHeaders"),
        expose_headers=strings("exposeHeaders"),
        max_age=str(spec["maxAge"]) if spec.get("maxAge") is not None else None,
        allow_credentials=bool(spec.get("allowCredentials", False)),
    )


def _security_policy(
    obj: KubeObject, secrets: Mapping[str, Mapping[str, str]]
) -> tuple[list[tuple[str, str]], PolicySet]:
    spec = _map(obj, obj.body.get("spec"), "spec")
    targets: list[tuple[str, str]] = []
    refs = list(_list(obj, spec.get("targetRefs"), "spec", "targetRefs"))
    if spec.get("targetRef"):
        refs.append(spec["targetRef"])
    for i, raw_ref in enumerate(refs):
        ref = _map(obj, raw_ref, "spec", "targetRefs", i)
        kind = str(ref.get("kind", ""))
        key = f"{_ns(obj)}/{ref.get('name', '')}"
        if kind == "Gateway":
            targets.append(("gw", key))
        elif kind in ("HTTPRoute", "GRPCRoute"):
            targets.append((key, str(ref.get("sectionName") or "")))
    authz = None
    raw_authz = spec.get("authorization")
    if raw_authz is not None:
        a = _map(obj, raw_authz, "spec", "authorization")
        rules = []
        for j, raw_r in enumerate(_list(obj, a.get("rules"), "spec", "authorization", "rules")):
            r = _map(obj, raw_r, "spec", "authorization", "rules", j)
            principal = _map(obj, r.get("principal"), "spec", "authorization", "rules", j, "principal")
            cidrs = tuple(str(c) for c in _list(obj, principal.get("clientCIDRs"), "spec", "authorization"))
            rules.append((str(r.get("action") or "Allow"), cidrs))
        authz = Authorization(str(a.get("defaultAction") or "Deny"), tuple(rules))
    cors = _cors(obj, _map(obj, spec["cors"], "spec", "cors")) if spec.get("cors") is not None else None
    basic = None
    if spec.get("basicAuth") is not None:
        users = _map(obj, _map(obj, spec["basicAuth"], "spec", "basicAuth").get("users"), "spec", "basicAuth")
        secret = secrets.get(f"{users.get('namespace') or _ns(obj)}/{users.get('name', '')}")
        entries = parse_htpasswd(secret[".htpasswd"]) if secret is not None and ".htpasswd" in secret else None
        basic = BasicAuth(entries)
    return targets, PolicySet(authz, cors, basic)


def secret_data(obj: KubeObject) -> dict[str, str]:
    """A Secret's data (base64-decoded) and stringData."""
    import base64
    import binascii

    out: dict[str, str] = {}
    for key, value in _map(obj, obj.body.get("stringData"), "stringData").items():
        out[str(key)] = str(value)
    for key, value in _map(obj, obj.body.get("data"), "data").items():
        try:
            out[str(key)] = base64.b64decode(str(value), validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            raise _bad(obj, "data value is not base64", "data", str(key)) from None
    return out


def parse_gateway_objects(objects: Iterable[KubeObject]) -> GatewayModel:
    """The Gateway API side of an estate, routes in Envoy Gateway's processing order (oldest, namespace, name)."""
    objects = list(objects)
    gateways, routes, services = [], [], set()
    secrets: dict[str, dict[str, str]] = {}
    filters: dict[str, Mapping[str, Any]] = {}
    for obj in objects:
        if obj.kind == "Secret" and obj.group == "":
            secrets[f"{_ns(obj)}/{obj.name}"] = secret_data(obj)
    policies: dict[tuple[str, str], PolicySet] = {}
    for obj in objects:
        if obj.group == GW_GROUP and obj.kind == "Gateway":
            gateways.append(_gateway(obj))
        elif obj.group == GW_GROUP and obj.kind in ("HTTPRoute", "GRPCRoute"):
            routes.append(_route(obj))
        elif obj.group == "" and obj.kind == "Service":
            services.add(f"{_ns(obj)}/{obj.name}")
        elif obj.group == EG_GROUP and obj.kind == "HTTPRouteFilter":
            filters[f"{_ns(obj)}/{obj.name}"] = _map(obj, obj.body.get("spec"), "spec")
        elif obj.group == EG_GROUP and obj.kind == "SecurityPolicy":
            targets, policy = _security_policy(obj, secrets)
            for target in targets:
                policies[target] = policy
    routes.sort(key=lambda r: (r.created, r.namespace, r.name))
    gateways.sort(key=lambda g: (g.namespace, g.name))
    return GatewayModel(tuple(gateways), tuple(routes), frozenset(services), policies, filters)


def secrets_of(objects: Iterable[KubeObject]) -> dict[str, dict[str, str]]:
    """Every Secret's data by ``namespace/name``."""
    return {f"{_ns(o)}/{o.name}": secret_data(o) for o in objects if o.kind == "Secret" and o.group == ""}


def service_ports_of(objects: Iterable[KubeObject]) -> dict[str, dict[str, int]]:
    """Every Service's named ports by ``namespace/name`` (to resolve Ingress backends that name their port)."""
    out: dict[str, dict[str, int]] = {}
    for o in objects:
        if o.kind != "Service" or o.group != "":
            continue
        spec = o.body.get("spec")
        ports = spec.get("ports") if isinstance(spec, Mapping) else None
        named: dict[str, int] = {}
        for port in ports if isinstance(ports, list) else ():
            if isinstance(port, Mapping) and port.get("name") and isinstance(port.get("port"), int):
                named[str(port["name"])] = int(port["port"])
        out[f"{_ns(o)}/{o.name}"] = named
    return out
