"""The Gateway API router as Envoy Gateway programs Envoy (pure).

Per Gateway and port, listeners become one route table: HTTP listeners on a port share it, HTTPS listeners each get
their own, chosen by SNI. Each route's host names are intersected with the listener's; each rule × match becomes one
route, sorted Exact > RegularExpression > PathPrefix, longer path first, then more header, then more query matches,
ties in creation order (§5.1). Envoy picks one virtual host per request (exact name, longest wildcard, ``*``) and the
first route in it that matches.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ferry.gateway._simulate._gwapi_model import (
    BackendRef,
    CorsPolicy,
    GatewayModel,
    GatewaySpec,
    HeaderMatch,
    Listener,
    Match,
    PolicySet,
    RouteRule,
    RouteSpec,
)
from ferry.gateway._simulate._hosts import intersect_hostnames, select_domain
from ferry.gateway._simulate._htpasswd import check_basic
from ferry.gateway._simulate._request import Decision, SimRequest

__all__ = ["CompiledRoute", "GatewayRouter", "RouteTable", "compile_regex", "prefix_rewrite", "redirect_location"]

_TYPE_RANK = {"Exact": 2, "RegularExpression": 1, "PathPrefix": 0}
_SCHEME_PORT = {"http": 80, "https": 443}


@lru_cache(maxsize=4096)
def compile_regex(pattern: str) -> re.Pattern[str]:
    """An RE2 pattern as a Python pattern (the dialects agree on the constructs routes use)."""
    return re.compile(pattern)


@dataclass(frozen=True)
class CompiledRoute:
    """One Envoy route: a match of a rule of a route, with everything needed to decide."""

    name: str
    route: RouteSpec
    rule: RouteRule
    match: Match
    policy: PolicySet
    cookies: tuple[HeaderMatch, ...] = ()  # Envoy Gateway HTTPRouteFilter ``spec.matches[].cookies``

    def sort_key(self) -> tuple[int, ...]:
        m = self.match
        length = 0 if (m.path_type == "PathPrefix" and m.path == "/") else len(m.path)
        headers = len(m.headers) + (1 if m.method else 0)
        exact_headers = sum(1 for h in m.headers if h.type == "Exact") + (1 if m.method else 0)
        exact_cookies = sum(1 for c in self.cookies if c.type == "Exact")
        exact_query = sum(1 for q in m.query if q.type == "Exact")
        return (
            -_TYPE_RANK[m.path_type],
            -length,
            -headers,
            -exact_headers,
            -len(self.cookies),
            -exact_cookies,
            -len(m.query),
            -exact_query,
        )

    def path_matches(self, path: str) -> bool:
        m = self.match
        if m.path_type == "Exact":
            return path == m.path
        if m.path_type == "RegularExpression":
            return compile_regex(m.path).fullmatch(path) is not None
        prefix = m.path.rstrip("/")
        return not prefix or path == prefix or path.startswith(prefix + "/")

    def rest_matches(self, request: SimRequest) -> bool:
        m = self.match
        if m.method and request.method != m.method:
            return False
        if self.cookies:
            jar = request.cookies
            for c in self.cookies:
                got = jar.get(c.name)
                if got is None:
                    return False
                if c.type == "RegularExpression":
                    if compile_regex(c.value).fullmatch(got) is None:
                        return False
                elif got != c.value:
                    return False
        for h in m.headers:
            value = request.headers.get(h.name)
            if value is None:
                return False
            if h.type == "RegularExpression":
                if compile_regex(h.value).fullmatch(value) is None:
                    return False
            elif value != h.value:
                return False
        if m.query:
            params: dict[str, str] = {}
            for name, value in request.query_params():
                params.setdefault(name, value)
            for q in m.query:
                got = params.get(q.name)
                if got is None:
                    return False
                if q.type == "RegularExpression":
                    if compile_regex(q.value).fullmatch(got) is None:
                        return False
                elif got != q.value:
                    return False
        return True


@dataclass
class VirtualHost:
    domain: str
    routes: list[CompiledRoute] = field(default_factory=list)
    _exact: dict[str, list[CompiledRoute]] = field(default_factory=dict)
    _regex: list[CompiledRoute] = field(default_factory=list)
    _prefix: dict[str, list[CompiledRoute]] = field(default_factory=dict)

    def finish(self) -> None:
        self.routes.sort(key=CompiledRoute.sort_key)
        for r in self.routes:
            if r.match.path_type == "Exact":
                self._exact.setdefault(r.match.path, []).append(r)
            elif r.match.path_type == "RegularExpression":
                self._regex.append(r)
            else:
                self._prefix.setdefault(r.match.path.rstrip("/"), []).append(r)

    def first_match(self, request: SimRequest) -> CompiledRoute | None:
        path = request.path
        for r in self._exact.get(path, ()):
            if r.rest_matches(request):
                return r
        for r in self._regex:
            if r.path_matches(path) and r.rest_matches(request):
                return r
        # Prefix routes are sorted longest first; look up each segment boundary of the path, longest first.
        candidates = [path.rstrip("/")] if path != "/" else []
        cut = path.rfind("/", 0, len(path.rstrip("/")))
        while cut > 0:
            candidates.append(path[:cut])
            cut = path.rfind("/", 0, cut)
        candidates.append("")
        seen: set[str] = set()
        for prefix in candidates:
            if prefix in seen:
                continue
            seen.add(prefix)
            for r in self._prefix.get(prefix, ()):
                if r.rest_matches(request):
                    return r
        return None


@dataclass
class RouteTable:
    """The routes Envoy serves on one listener filter chain."""

    gateway: GatewaySpec
    port: int
    listeners: tuple[Listener, ...]
    tls: bool
    vhosts: dict[str, VirtualHost] = field(default_factory=dict)
    _memo: dict[str, VirtualHost | None] = field(default_factory=dict, repr=False)

    def vhost_for(self, host: str) -> VirtualHost | None:
        try:
            return self._memo[host]
        except KeyError:
            pass
        domain = select_domain(list(self.vhosts), host)
        found = self.vhosts.get(domain) if domain is not None else None
        if len(self._memo) < 100_000:
            self._memo[host] = found
        return found


def _attached(route: RouteSpec, gateway: GatewaySpec, listener: Listener) -> bool:
    if listener.allowed_from == "Same" and route.namespace != gateway.namespace:
        return False
    kinds = {"HTTP": ("HTTPRoute", "GRPCRoute"), "HTTPS": ("HTTPRoute", "GRPCRoute")}
    if route.kind not in kinds.get(listener.protocol, ()):
        return False
    for parent in route.parents:
        if (parent.namespace, parent.name) != (gateway.namespace, gateway.name):
            continue
        if parent.section is not None and parent.section != listener.name:
            continue
        if parent.port is not None and parent.port != listener.port:
            continue
        return True
    return False


def _filter_cookies(model: GatewayModel, route: RouteSpec, rule: RouteRule) -> tuple[HeaderMatch, ...]:
    """Cookie matches an Envoy Gateway HTTPRouteFilter adds to a rule (ANDed with the rule's matches)."""
    out: list[HeaderMatch] = []
    for f in rule.filters:
        if f.kind != "HTTPRouteFilter":
            continue
        spec = model.route_filters.get(f"{route.namespace}/{f.spec.get('name')}", {})
        for entry in spec.get("matches") or ():
            if not isinstance(entry, Mapping):
                continue
            for c in entry.get("cookies") or ():
                if isinstance(c, Mapping):
                    out.append(
                        HeaderMatch(str(c.get("name", "")), str(c.get("value", "")), str(c.get("type") or "Exact"))
                    )
    return tuple(out)


def _build_tables(model: GatewayModel) -> dict[tuple[str, int], list[RouteTable]]:
    tables: dict[tuple[str, int], list[RouteTable]] = {}
    for gw in model.gateways:
        ports = sorted({lst.port for lst in gw.listeners})
        for port in ports:
            on_port = tuple(lst for lst in gw.listeners if lst.port == port and lst.protocol in ("HTTP", "HTTPS"))
            if not on_port:
                continue
            groups = [(lst,) for lst in on_port] if on_port[0].protocol == "HTTPS" else [on_port]
            out = []
            for group in groups:
                table = RouteTable(gw, port, group, tls=group[0].protocol == "HTTPS")
                for listener in group:
                    for route in model.routes:
                        if not _attached(route, gw, listener):
                            continue
                        for host in intersect_hostnames(listener.hostname, route.hostnames):
                            vhost = table.vhosts.setdefault(host, VirtualHost(host))
                            for rule in route.rules:
                                policy = model.policy_for(route, rule, gw)
                                cookies = _filter_cookies(model, route, rule)
                                for j, match in enumerate(rule.matches):
                                    name = f"{route.kind.lower()}/{route.key}/rule/{rule.index}/match/{j}"
                                    vhost.routes.append(CompiledRoute(name, route, rule, match, policy, cookies))
                for vhost in table.vhosts.values():
                    vhost.finish()
                out.append(table)
            tables[(gw.key, port)] = out
    return tables


def prefix_rewrite(path: str, prefix: str, replacement: str) -> str:
    """Envoy Gateway's ``ReplacePrefixMatch``: the matched prefix (trailing ``/`` ignored) becomes the replacement."""
    prefix = prefix.rstrip("/")
    rest = path[len(prefix) :]
    if replacement in ("", "/"):
        return "/" + rest.lstrip("/")
    replacement = replacement.rstrip("/") if rest.startswith("/") or not rest else replacement
    return replacement + rest


def redirect_location(request: SimRequest, spec: Mapping[str, Any], matched: Match, listener_port: int) -> str:
    """The Location of a Gateway API ``RequestRedirect`` (spec rules for scheme, host, port and path)."""
    scheme = str(spec.get("scheme") or request.scheme).lower()
    host = str(spec.get("hostname") or request.host)
    if spec.get("port") is not None:
        port = int(spec["port"])
    elif spec.get("scheme"):
        port = _SCHEME_PORT.get(scheme, listener_port)
    else:
        port = listener_port
    path = request.path
    rewrite = spec.get("path")
    if isinstance(rewrite, Mapping):
        if rewrite.get("type") == "ReplaceFullPath":
            path = str(rewrite.get("replaceFullPath") or "/")
        elif rewrite.get("type") == "ReplacePrefixMatch" and matched.path_type == "PathPrefix":
            path = prefix_rewrite(path, matched.path, str(rewrite.get("replacePrefixMatch") or ""))
    netloc = host if _SCHEME_PORT.get(scheme) == port else f"{host}:{port}"
    return f"{scheme}://{netloc}{path}" + (f"?{request.query}" if request.query else "")


def _ip_in(ip: str, cidrs: tuple[str, ...]) -> bool:
    addr = ipaddress.ip_address(ip)
    for cidr in cidrs:
        try:
            if addr in ipaddress.ip_network(cidr, strict=False):
                return True
        except ValueError:
            continue
    return False


def _origin_allowed(cors: CorsPolicy, origin: str) -> bool:
    for allowed in cors.allow_origins:
        if allowed in ("*", origin):
            return True
        if "*" in allowed and re.fullmatch(".*".join(re.escape(p) for p in allowed.split("*")), origin):
            return True
    return False


class GatewayRouter:
    """Routes requests the way Envoy Gateway's Envoy would. Build once, route many (read-only after build)."""

    def __init__(self, model: GatewayModel) -> None:
        self.model = model
        self.tables = _build_tables(model)
        self._splits: dict[str, tuple[BackendRef | None, tuple[tuple[str, float], ...]]] = {}
        self._chosen: dict[tuple[str | None, int, str], RouteTable | None] = {}

    def table_for(self, request: SimRequest) -> RouteTable | None:
        """The listener filter chain that receives ``request`` (None: the connection is refused).

        With ``request.gateway`` only that Gateway is a candidate; otherwise the first Gateway (by namespace/name)
        whose chain on the port has a virtual host for the request's host, else the first with a chain on the port.
        """
        memo = (request.gateway, request.port, request.host)
        if memo in self._chosen:
            return self._chosen[memo]
        found = self._table_for(request)
        if len(self._chosen) < 100_000:
            self._chosen[memo] = found
        return found

    def _table_for(self, request: SimRequest) -> RouteTable | None:
        keys = [request.gateway] if request.gateway is not None else [g.key for g in self.model.gateways]
        fallback: RouteTable | None = None
        for key in keys:
            chains = self.tables.get((key, request.port), [])
            if not chains:
                continue
            chosen: RouteTable | None = chains[0]
            if chains[0].tls:
                # SNI filter chain match: exact name, then the longest wildcard, then a listener without a name.
                names = [t.listeners[0].hostname or "*" for t in chains]
                domain = select_domain(names, request.host)
                chosen = chains[names.index(domain)] if domain is not None else None
            if chosen is None:
                continue
            if chosen.vhost_for(request.host) is not None:
                return chosen
            fallback = fallback or chosen
        return fallback

    def route(self, request: SimRequest) -> Decision:
        table = self.table_for(request)
        if table is None:
            return Decision(status=0, rule="no listener")
        vhost = table.vhost_for(request.host)
        if vhost is None:
            return Decision(status=404, rule="no virtual host")
        matched = vhost.first_match(request)
        if matched is None:
            return Decision(status=404, rule=f"{table.gateway.key}: no route")
        return self._decide(request, matched, table.port)

    def _decide(self, request: SimRequest, route: CompiledRoute, port: int) -> Decision:
        name = route.name
        policy = route.policy
        cors = policy.cors
        for f in route.rule.filters:
            if f.kind == "CORS":
                cors = _cors_from_filter(f.spec)
        origin = request.headers.get("origin")
        if (
            cors is not None
            and origin is not None
            and request.method == "OPTIONS"
            and "access-control-request-method" in request.headers
            and _origin_allowed(cors, origin)
        ):
            return Decision(status=200, rule=name, response_headers={"access-control-allow-origin": origin})
        # Envoy Gateway's filter order: CORS, basic auth, then authorization (RBAC).
        # A Secret that was not given: its users are unknown, so no credentials can match.
        if policy.basic_auth is not None and not check_basic(
            policy.basic_auth.htpasswd or (), request.headers.get("authorization")
        ):
            return Decision(status=401, rule=name)
        if policy.authorization is not None:
            action = policy.authorization.default_action
            for rule_action, cidrs in policy.authorization.rules:
                if _ip_in(request.client_ip, cidrs):
                    action = rule_action
                    break
            if action == "Deny":
                return Decision(status=403, rule=name)
        path, host = request.path, request.host_header
        added: dict[str, str] = {}
        for f in route.rule.filters:
            if f.kind == "RequestRedirect":
                status = int(f.spec.get("statusCode") or 302)
                return Decision(
                    status=status, location=redirect_location(request, f.spec, route.match, port), rule=name
                )
            if f.kind == "HTTPRouteFilter":
                spec = self.model.route_filters.get(f"{route.route.namespace}/{f.spec.get('name')}", {})
                direct = spec.get("directResponse")
                if isinstance(direct, Mapping):
                    return Decision(status=int(direct.get("statusCode") or 200), rule=name)
                rewrite = spec.get("urlRewrite")
                if isinstance(rewrite, Mapping):
                    path, host = _hrf_rewrite(rewrite, path, host)
            elif f.kind == "URLRewrite":
                if f.spec.get("hostname"):
                    host = str(f.spec["hostname"])
                rw = f.spec.get("path")
                if isinstance(rw, Mapping):
                    if rw.get("type") == "ReplaceFullPath":
                        path = str(rw.get("replaceFullPath") or "/")
                    elif rw.get("type") == "ReplacePrefixMatch" and route.match.path_type == "PathPrefix":
                        path = prefix_rewrite(path, route.match.path, str(rw.get("replacePrefixMatch") or ""))
            elif f.kind == "RequestHeaderModifier":
                for item in (*(f.spec.get("set") or ()), *(f.spec.get("add") or ())):
                    if isinstance(item, Mapping):
                        added[str(item.get("name", "")).lower()] = str(item.get("value", ""))
        if "host" in added:
            host = added.pop("host")
        split = self._splits.get(name)
        if split is None:
            split = self._splits[name] = self._split(route.rule.backends)
        best, shares = split
        if best is None:
            return Decision(status=500, rule=name, weights=shares)
        return Decision(
            status=200,
            backend=best.key,
            backend_path=path + (f"?{request.query}" if request.query else ""),
            backend_host=host,
            request_headers_added=added,
            rule=name,
            weights=shares,
        )

    def _split(self, backends: tuple[BackendRef, ...]) -> tuple[BackendRef | None, tuple[tuple[str, float], ...]]:
        """The heaviest valid backend and every backend's share (fixed per rule, so computed once)."""
        weights = self._weights(backends)
        if not weights:
            return None, ()
        total = sum(w for _, w in weights)
        shares = tuple((b.key if b is not None else "invalid", w / total) for b, w in weights)
        return max(weights, key=lambda bw: bw[1])[0], shares

    def _weights(self, backends: tuple[BackendRef, ...]) -> list[tuple[BackendRef | None, int]]:
        out: list[tuple[BackendRef | None, int]] = []
        for b in backends:
            if b.weight <= 0:
                continue
            valid = b.kind == "Service" and b.port is not None
            if self.model.services and f"{b.namespace}/{b.name}" not in self.model.services:
                valid = False
            out.append((b if valid else None, b.weight))
        return out


def _cors_from_filter(spec: Mapping[str, Any]) -> CorsPolicy:
    return CorsPolicy(
        allow_origins=tuple(str(x) for x in spec.get("allowOrigins") or ()),
        allow_methods=tuple(str(x).upper() for x in spec.get("allowMethods") or ()),
        allow_headers=tuple(str(x) for x in spec.get("allowHeaders") or ()),
        expose_headers=tuple(str(x) for x in spec.get("exposeHeaders") or ()),
        max_age=str(spec["maxAge"]) if spec.get("maxAge") is not None else None,
        allow_credentials=bool(spec.get("allowCredentials", False)),
    )


def _hrf_rewrite(rewrite: Mapping[str, Any], path: str, host: str) -> tuple[str, str]:
    rw = rewrite.get("path")
    if isinstance(rw, Mapping) and rw.get("type") == "ReplaceRegexMatch":
        spec = rw.get("replaceRegexMatch") or {}
        if isinstance(spec, Mapping):
            pattern = compile_regex(str(spec.get("pattern", "")))
            path = pattern.sub(str(spec.get("substitution", "")), path)
    return path, host
