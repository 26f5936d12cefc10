"""Render the Gateway API router's tables as an Envoy static bootstrap, as Envoy Gateway translates them (pure).

One listener per Gateway and port (HTTP listeners on a port share one route configuration; HTTPS listeners get a
filter chain each, matched by SNI), ``ignore_port_in_host_matching``, one virtual host per host name, routes in
Envoy Gateway's order with its path specifiers (``path``, ``path_separated_prefix``, ``prefix: /``, ``safe_regex``),
``:method`` as a header match, rewrites (``regex_rewrite`` for ReplaceFullPath, ``prefix_rewrite`` or the
``^prefix\\/*`` regex for ReplacePrefixMatch), redirects, weighted clusters, RBAC for SecurityPolicy
``authorization`` and the CORS filter. The client address is taken from X-Forwarded-For (one trusted hop), which the
replay sends over loopback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ferry.gateway._simulate._gwapi_model import Authorization, CorsPolicy, Match
from ferry.gateway._simulate._gwapi_router import CompiledRoute, GatewayRouter, RouteTable, _cors_from_filter

__all__ = ["render_envoy"]

_CODES = {
    301: "MOVED_PERMANENTLY",
    302: "FOUND",
    303: "SEE_OTHER",
    307: "TEMPORARY_REDIRECT",
    308: "PERMANENT_REDIRECT",
}
_T = "type.googleapis.com/envoy."
_WELL_KNOWN = {"http": 80, "https": 443}
# Users of a basic-auth Secret that was not given: nobody can match them.
_NOBODY = (("ferry-secret-not-given", "{SHA}" + "A" * 27 + "="),)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _string_match(kind: str, value: str) -> dict[str, Any]:
    return {"safe_regex": {"regex": value}} if kind == "RegularExpression" else {"exact": value}


def _route_match(m: Match) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if m.path_type == "Exact":
        out["path"] = m.path
    elif m.path_type == "RegularExpression":
        out["safe_regex"] = {"regex": m.path}
    elif m.path.rstrip("/") == "":
        out["prefix"] = "/"
    else:
        out["path_separated_prefix"] = m.path.rstrip("/")
    headers = []
    if m.method:
        headers.append({"name": ":method", "string_match": {"exact": m.method}})
    headers += [{"name": h.name, "string_match": _string_match(h.type, h.value)} for h in m.headers]
    if headers:
        out["headers"] = headers
    if m.query:
        out["query_parameters"] = [{"name": q.name, "string_match": _string_match(q.type, q.value)} for q in m.query]
    return out


def _prefix_rewrite(match: Match, replacement: str) -> dict[str, Any]:
    prefix = match.path.rstrip("/")
    if replacement in ("", "/") and prefix:
        return {"regex_rewrite": {"pattern": {"regex": "^" + re.escape(prefix) + r"\/*"}, "substitution": "/"}}
    if not prefix:
        return {"prefix_rewrite": replacement}
    return {"prefix_rewrite": replacement.rstrip("/") or "/"}


def _principal_in(cidrs: tuple[str, ...]) -> dict[str, Any]:
    ids = []
    for cidr in cidrs:
        addr, _, plen = cidr.partition("/")
        size = 128 if ":" in addr else 32
        ids.append({"remote_ip": {"address_prefix": addr, "prefix_len": int(plen) if plen else size}})
    if not ids:
        return {"not_id": {"any": True}}
    return ids[0] if len(ids) == 1 else {"or_ids": {"ids": ids}}


def _rbac(authz: Authorization) -> dict[str, Any] | None:
    """First-match allow/deny rules as one DENY policy: denied = some Deny rule is the first to contain the IP."""
    clauses = []
    earlier: list[dict[str, Any]] = []
    for action, cidrs in authz.rules:
        here = _principal_in(cidrs)
        if action == "Deny":
            parts = [here, *({"not_id": e} for e in earlier)]
            clauses.append(parts[0] if len(parts) == 1 else {"and_ids": {"ids": parts}})
        earlier.append(here)
    if authz.default_action == "Deny":
        parts = [{"not_id": e} for e in earlier] or [{"any": True}]
        clauses.append(parts[0] if len(parts) == 1 else {"and_ids": {"ids": parts}})
    if not clauses:
        return None
    principal = clauses[0] if len(clauses) == 1 else {"or_ids": {"ids": clauses}}
    return {
        "@type": _T + "extensions.filters.http.rbac.v3.RBACPerRoute",
        "rbac": {
            "rules": {
                "action": "DENY",
                "policies": {"ferry": {"permissions": [{"any": True}], "principals": [principal]}},
            }
        },
    }


def _cors(cors: CorsPolicy) -> dict[str, Any]:
    origins: list[dict[str, Any]] = []
    for origin in cors.allow_origins:
        if origin == "*":
            origins.append({"safe_regex": {"regex": ".*"}})
        elif "*" in origin:
            origins.append({"safe_regex": {"regex": ".*".join(re.escape(p) for p in origin.split("*"))}})
        else:
            origins.append({"exact": origin})
    out: dict[str, Any] = {
        "@type": _T + "extensions.filters.http.cors.v3.CorsPolicy",
        "allow_origin_string_match": origins,
        "allow_credentials": cors.allow_credentials,
    }
    if cors.allow_methods:
        out["allow_methods"] = ", ".join(cors.allow_methods)
    if cors.allow_headers:
        out["allow_headers"] = ", ".join(cors.allow_headers)
    if cors.expose_headers:
        out["expose_headers"] = ", ".join(cors.expose_headers)
    if cors.max_age:
        out["max_age"] = str(cors.max_age).rstrip("s")
    return out


def _cookie_header(cookies: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Cookie matches as regex matches of the Cookie header (one per cookie, ANDed)."""
    out = []
    for c in cookies:
        value = c.value if c.type == "RegularExpression" else re.escape(c.value)
        regex = f"(.*;\\s*)?{re.escape(c.name)}=(?:{value})(;.*)?"
        out.append({"name": "cookie", "string_match": {"safe_regex": {"regex": regex}}})
    return out


def _envoy_route(
    router: GatewayRouter, cr: CompiledRoute, addresses: Mapping[str, int], tls: bool, listener_port: int
) -> dict[str, Any]:
    out: dict[str, Any] = {"name": cr.name, "match": _route_match(cr.match)}
    if cr.cookies:
        out["match"]["headers"] = [*out["match"].get("headers", []), *_cookie_header(cr.cookies)]
    per_filter: dict[str, Any] = {}
    if cr.policy.authorization is not None:
        rbac = _rbac(cr.policy.authorization)
        if rbac is not None:
            per_filter["envoy.filters.http.rbac"] = rbac
    cors = cr.policy.cors
    for f in cr.rule.filters:
        if f.kind == "CORS":
            cors = _cors_from_filter(f.spec)
    if cors is not None:
        per_filter["envoy.filters.http.cors"] = _cors(cors)
    if cr.policy.basic_auth is not None:
        users = cr.policy.basic_auth.htpasswd or _NOBODY
        per_filter["envoy.filters.http.basic_auth"] = {
            "@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig",
            "config": {
                "@type": _T + "extensions.filters.http.basic_auth.v3.BasicAuthPerRoute",
                "users": {"inline_string": "".join(f"{u}:{h}\n" for u, h in users)},
            },
        }
    if per_filter:
        out["typed_per_filter_config"] = per_filter
    action: dict[str, Any] = {}
    headers_to_add: list[dict[str, Any]] = []
    headers_to_remove: list[str] = []
    for f in cr.rule.filters:
        spec = f.spec
        if f.kind == "RequestRedirect":
            redirect: dict[str, Any] = {}
            if spec.get("scheme"):
                redirect["scheme_redirect"] = str(spec["scheme"])
            if spec.get("hostname"):
                redirect["host_redirect"] = str(spec["hostname"])
            # The Location carries a port only when it is not the final scheme's well-known port (spec rules).
            scheme = str(spec.get("scheme") or ("https" if tls else "http")).lower()
            if spec.get("port") is not None:
                redirect["port_redirect"] = int(spec["port"])
            elif spec.get("scheme"):
                # The spec's well-known port of the new scheme (Envoy would keep the Host header's port).
                redirect["port_redirect"] = _WELL_KNOWN.get(scheme, listener_port)
            elif (
                spec.get("port") is None
                and not spec.get("scheme")
                and spec.get("hostname")
                and listener_port != _WELL_KNOWN.get(scheme)
            ):
                # host_redirect replaces the whole authority: keep the listener port the spec asks for.
                redirect["port_redirect"] = listener_port
            path = spec.get("path")
            if isinstance(path, Mapping):
                if path.get("type") == "ReplaceFullPath":
                    redirect["path_redirect"] = str(path.get("replaceFullPath") or "/")
                elif path.get("type") == "ReplacePrefixMatch" and cr.match.path_type == "PathPrefix":
                    redirect.update(_prefix_rewrite(cr.match, str(path.get("replacePrefixMatch") or "")))
            redirect["response_code"] = _CODES.get(int(spec.get("statusCode") or 302), "FOUND")
            out["redirect"] = redirect
            return out
        if f.kind == "HTTPRouteFilter":
            hrf = router.model.route_filters.get(f"{cr.route.namespace}/{spec.get('name')}", {})
            direct = hrf.get("directResponse")
            if isinstance(direct, Mapping):
                out["direct_response"] = {"status": int(direct.get("statusCode") or 200)}
                return out
            rw = hrf.get("urlRewrite")
            if isinstance(rw, Mapping) and isinstance(rw.get("path"), Mapping):
                rr = rw["path"].get("replaceRegexMatch") or {}
                action["regex_rewrite"] = {
                    "pattern": {"regex": str(rr.get("pattern", ""))},
                    "substitution": str(rr.get("substitution", "")),
                }
        elif f.kind == "URLRewrite":
            if spec.get("hostname"):
                action["host_rewrite_literal"] = str(spec["hostname"])
            path = spec.get("path")
            if isinstance(path, Mapping):
                if path.get("type") == "ReplaceFullPath":
                    action["regex_rewrite"] = {
                        "pattern": {"regex": "^/.*$"},
                        "substitution": str(path.get("replaceFullPath") or "/"),
                    }
                elif path.get("type") == "ReplacePrefixMatch" and cr.match.path_type == "PathPrefix":
                    action.update(_prefix_rewrite(cr.match, str(path.get("replacePrefixMatch") or "")))
        elif f.kind == "RequestHeaderModifier":
            for item in spec.get("set") or ():
                headers_to_add.append(
                    {
                        "header": {"key": str(item["name"]), "value": str(item["value"])},
                        "append_action": "OVERWRITE_IF_EXISTS_OR_ADD",
                    }
                )
            for item in spec.get("add") or ():
                headers_to_add.append(
                    {
                        "header": {"key": str(item["name"]), "value": str(item["value"])},
                        "append_action": "APPEND_IF_EXISTS_OR_ADD",
                    }
                )
            headers_to_remove += [str(h) for h in spec.get("remove") or ()]
    host_headers = [h for h in headers_to_add if h["header"]["key"].lower() == "host"]
    if host_headers:
        action["host_rewrite_literal"] = host_headers[-1]["header"]["value"]
        headers_to_add = [h for h in headers_to_add if h not in host_headers]
    if headers_to_add:
        out["request_headers_to_add"] = headers_to_add
    if headers_to_remove:
        out["request_headers_to_remove"] = headers_to_remove
    weights = [(b, w) for b, w in router._weights(cr.rule.backends) if b is not None and b.key in addresses]
    if not weights:
        out["direct_response"] = {"status": 500}
        return out
    if len(weights) == 1:
        action["cluster"] = _safe(weights[0][0].key)
    else:
        action["weighted_clusters"] = {"clusters": [{"name": _safe(b.key), "weight": w} for b, w in weights]}
    action["timeout"] = "15s"
    out["route"] = action
    return out


def _hcm(router: GatewayRouter, table: RouteTable, name: str, addresses: Mapping[str, int]) -> dict[str, Any]:
    vhosts = []
    for domain, vhost in table.vhosts.items():
        vhosts.append(
            {
                "name": _safe(f"{name}-{domain}"),
                "domains": [domain],
                "routes": [_envoy_route(router, r, addresses, table.tls, table.port) for r in vhost.routes],
            }
        )
    return {
        "name": "envoy.filters.network.http_connection_manager",
        "typed_config": {
            "@type": _T + "extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
            "stat_prefix": _safe(name),
            "codec_type": "AUTO",
            "use_remote_address": True,
            "xff_num_trusted_hops": 1,
            "normalize_path": True,
            "merge_slashes": True,
            "path_with_escaped_slashes_action": "UNESCAPE_AND_REDIRECT",
            "route_config": {"name": _safe(name), "ignore_port_in_host_matching": True, "virtual_hosts": vhosts},
            "http_filters": [
                {
                    "name": "envoy.filters.http.cors",
                    "typed_config": {"@type": _T + "extensions.filters.http.cors.v3.Cors"},
                },
                {
                    "name": "envoy.filters.http.basic_auth",
                    "disabled": True,
                    "typed_config": {
                        "@type": _T + "extensions.filters.http.basic_auth.v3.BasicAuth",
                        "users": {"inline_string": "".join(f"{u}:{h}\n" for u, h in _NOBODY)},
                    },
                },
                {
                    "name": "envoy.filters.http.rbac",
                    "typed_config": {"@type": _T + "extensions.filters.http.rbac.v3.RBAC"},
                },
                {
                    "name": "envoy.filters.http.router",
                    "typed_config": {"@type": _T + "extensions.filters.http.router.v3.Router"},
                },
            ],
        },
    }


def render_envoy(
    router: GatewayRouter,
    addresses: Mapping[str, int],
    ports: Mapping[tuple[str, int], int],
    admin_port: int,
    cert: Path,
    key: Path,
) -> dict[str, Any]:
    """The bootstrap: listeners on ``127.0.0.1:ports[(gateway, port)]``, clusters at ``addresses[backend]``."""
    listeners = []
    for (gw, port), tables in router.tables.items():
        name = f"{gw}/{port}"
        chains = []
        for table in tables:
            chain: dict[str, Any] = {"filters": [_hcm(router, table, f"{name}/{table.listeners[0].name}", addresses)]}
            if table.tls:
                hostname = table.listeners[0].hostname
                if hostname:
                    chain["filter_chain_match"] = {"server_names": [hostname]}
                chain["transport_socket"] = {
                    "name": "envoy.transport_sockets.tls",
                    "typed_config": {
                        "@type": _T + "extensions.transport_sockets.tls.v3.DownstreamTlsContext",
                        "common_tls_context": {
                            "tls_certificates": [
                                {"certificate_chain": {"filename": str(cert)}, "private_key": {"filename": str(key)}}
                            ]
                        },
                    },
                }
            chains.append(chain)
        listener: dict[str, Any] = {
            "name": _safe(name),
            "address": {"socket_address": {"address": "127.0.0.1", "port_value": ports[(gw, port)]}},
            "filter_chains": chains,
        }
        if tables and tables[0].tls:
            listener["listener_filters"] = [
                {
                    "name": "envoy.filters.listener.tls_inspector",
                    "typed_config": {"@type": _T + "extensions.filters.listener.tls_inspector.v3.TlsInspector"},
                }
            ]
        listeners.append(listener)
    clusters = [
        {
            "name": _safe(key_),
            "type": "STATIC",
            "connect_timeout": "2s",
            "load_assignment": {
                "cluster_name": _safe(key_),
                "endpoints": [
                    {
                        "lb_endpoints": [
                            {"endpoint": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": p}}}}
                        ]
                    }
                ],
            },
        }
        for key_, p in addresses.items()
    ]
    return {
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin_port}}},
        "static_resources": {"listeners": listeners, "clusters": clusters},
    }
