"""Routes for one Ingress: HTTPRoute / GRPCRoute / TLSRoute per host, with nginx semantics kept (pure).

Every annotation this module acts on is recorded on the context with its status for the target, so the audit and
the converter never disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ferry.gateway._convert._context import EG, EG_V1, GW, GW_V1, Context, new_object, obj_ref
from ferry.gateway._convert._gateways import GatewayKey, Layout, ParentRef
from ferry.gateway._convert._model import Channel, Status, Target
from ferry.gateway._convert._naming import duration, host_slug, join_name
from ferry.gateway._convert._paths import has_captures, path_match, regex_rewrite, rewrites_path
from ferry.gateway._ingress import Ingress, IngressBackend, IngressPath

__all__ = ["Plan", "RouteSet", "convert_ingress"]

MAX_RULES = 16
_CORS_DEFAULT_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS")
_CORS_DEFAULT_HEADERS = (
    "DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization"
)
_REDIRECT_CODES = (301, 302, 303, 307, 308)
_SERVICE_HOST = re.compile(r"^(?P<svc>[a-z0-9-]+)(?:\.(?P<ns>[a-z0-9-]+))?(?:\.svc(?:\.cluster\.local)?)?\.?$")


@dataclass
class Plan:
    """What the whole input says, needed per Ingress."""

    layout: Layout
    regex_hosts: set[tuple[GatewayKey, str]] = field(default_factory=set)
    tls_hosts: dict[tuple[GatewayKey, str], tuple[str, str]] = field(default_factory=dict)
    canaries: dict[tuple[GatewayKey, str, str], Ingress] = field(default_factory=dict)
    used_canaries: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class RouteSet:
    """The routes emitted for one Ingress (policies target them)."""

    http: list[dict[str, Any]] = field(default_factory=list)
    grpc: list[dict[str, Any]] = field(default_factory=list)
    tls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def traffic(self) -> list[dict[str, Any]]:
        return self.http + self.grpc


def _eg(ctx: Context) -> bool:
    return ctx.options.target is Target.ENVOY_GATEWAY


def backend_ref(ctx: Context, ingress: Ingress, backend: IngressBackend, weight: int | None = None) -> dict[str, Any]:
    """A backendRef for an Ingress backend (named ports resolved through the Services in the input)."""
    ref: dict[str, Any]
    if backend.service is not None:
        svc = backend.service
        port = ctx.backend_port(ingress.namespace, svc.name, svc.port)
        ref = {"group": "", "kind": "Service", "name": svc.name}
        if port is None:
            ctx.warnings.append(
                f"{ingress.ref} {backend.field}: Service port name {svc.port_name!r} of {svc.name} cannot be resolved "
                "to a number (include the Service manifest in the input); the backendRef points at port 80"
            )
            port = 80
        ref["port"] = port
    else:
        assert backend.resource is not None
        res = backend.resource
        ref = {"group": res.api_group, "kind": res.kind, "name": res.name}
    if weight is not None:
        ref["weight"] = weight
    return ref


def _redirect_filter(ctx: Context, ingress: Ingress) -> dict[str, Any] | None:
    """permanent-redirect / temporal-redirect as a RequestRedirect filter (temporal wins, as in nginx)."""
    for key, default_code in (("temporal-redirect", 302), ("permanent-redirect", 301)):
        url = ingress.text(key)
        if not url:
            continue
        code = ingress.number(f"{key}-code") or default_code
        parts = urlsplit(url)
        status = Status.EXACT
        notes = ["nginx returns the literal URL; Envoy keeps the request's query string on the redirect"]
        if code not in _REDIRECT_CODES:
            notes.append(f"status {code} is not allowed in Gateway API; {default_code} is used")
            code = default_code
        redirect: dict[str, Any] = {"statusCode": code}
        if parts.scheme in ("http", "https"):
            redirect["scheme"] = parts.scheme
        if parts.hostname:
            redirect["hostname"] = parts.hostname
        if parts.port:
            redirect["port"] = parts.port
        redirect["path"] = {"type": "ReplaceFullPath", "replaceFullPath": parts.path or "/"}
        status = Status.APPROXIMATE
        ctx.record(ingress, key, status, "; ".join(notes))
        ctx.record(ingress, f"{key}-code", status, "; ".join(notes))
        other = "permanent-redirect" if key == "temporal-redirect" else None
        if other and ingress.annotation(other):
            ctx.record(ingress, other, Status.EXACT, "temporal-redirect wins, as in ingress-nginx")
        return {"type": "RequestRedirect", "requestRedirect": redirect}
    return None


def _mirror_filter(ctx: Context, ingress: Ingress, route_ns: str) -> tuple[dict[str, Any] | None, str]:
    url = ingress.text("mirror-target")
    if not url:
        return None, ""
    parts = urlsplit(re.sub(r"\$\w+", "", url))
    host = (parts.hostname or "").lower()
    note = "mirrors to the backend's own path (nginx sends the mirror-target URL); mirror-host is not carried"
    match = _SERVICE_HOST.match(host)
    if match and "." not in host.replace(".svc.cluster.local", "").rstrip(".").split(".", 1)[-1]:
        ns = match.group("ns") or ingress.namespace
        port = parts.port or (443 if parts.scheme == "https" else 80)
        ref: dict[str, Any] = {"group": "", "kind": "Service", "name": match.group("svc"), "port": port}
        if ns != route_ns:
            ref["namespace"] = ns
            ctx.grants.allow(GW, "HTTPRoute", route_ns, "", "Service", ns, match.group("svc"))
        return {"type": "RequestMirror", "requestMirror": {"backendRef": ref}}, note
    if _eg(ctx) and host:
        name = join_name(ingress.name, "mirror")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        spec: dict[str, Any] = {"endpoints": [{"fqdn": {"hostname": host, "port": port}}]}
        if parts.scheme == "https":
            spec["tls"] = {"wellKnownCACertificates": "System", "sni": host}
        backend = new_object(EG_V1, "Backend", ingress.namespace, name, spec)
        if obj_ref(backend) not in ctx.emitted:
            ctx.emit(backend, owner="application", reason="external mirror target", source=ingress)
        ref = {"group": EG, "kind": "Backend", "name": name}
        return {
            "type": "RequestMirror",
            "requestMirror": {"backendRef": ref},
        }, note + "; Envoy Gateway needs Backend enabled"
    return None, ""


def _cors_filter(ingress: Ingress) -> dict[str, Any]:
    origins = list(ingress.items("cors-allow-origin")) or ["*"]
    methods = [m.strip().upper() for m in (ingress.items("cors-allow-methods") or _CORS_DEFAULT_METHODS)]
    headers = list(ingress.items("cors-allow-headers") or _CORS_DEFAULT_HEADERS.split(","))
    cors: dict[str, Any] = {
        "allowOrigins": origins,
        "allowMethods": sorted(set(methods), key=methods.index),
        "allowHeaders": headers,
        "allowCredentials": ingress.flag("cors-allow-credentials", True),
        "maxAge": ingress.number("cors-max-age") if ingress.number("cors-max-age") is not None else 1728000,
    }
    expose = ingress.items("cors-expose-headers")
    if expose:
        cors["exposeHeaders"] = list(expose)
    return cors


def _common_filters(ctx: Context, ingress: Ingress, route_ns: str) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = []
    vhost = ingress.text("upstream-vhost")
    if vhost:
        filters.append({"type": "URLRewrite", "urlRewrite": {"hostname": vhost}})
        ctx.record(ingress, "upstream-vhost", Status.EXACT)
    mirror, note = _mirror_filter(ctx, ingress, route_ns)
    if mirror is not None:
        filters.append(mirror)
        ctx.record(ingress, "mirror-target", Status.APPROXIMATE, note)
        ctx.record(ingress, "mirror-host", Status.APPROXIMATE, note)
    if ingress.flag("enable-cors") and ctx.options.target is not Target.ENVOY_GATEWAY:
        filters.append({"type": "CORS", "cors": _cors_filter(ingress)})
    return filters


def _merge_rewrite(filters: list[dict[str, Any]], path: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    merged = False
    for f in filters:
        if f["type"] == "URLRewrite" and not merged:
            out.append({"type": "URLRewrite", "urlRewrite": {**f["urlRewrite"], "path": path}})
            merged = True
        else:
            out.append(f)
    if not merged:
        out.append({"type": "URLRewrite", "urlRewrite": {"path": path}})
    return out


def _path_filters(
    ctx: Context, ingress: Ingress, path: IngressPath, route: str, index: int, filters: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Per-path filters (rewrite-target, x-forwarded-prefix); returns (filters, redirect filter or None)."""
    target = ingress.text("rewrite-target")
    if not target or not rewrites_path(ingress, path.path):
        return filters, None
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        if has_captures(target):
            ctx.record(
                ingress,
                "rewrite-target",
                Status.MANUAL,
                "absolute rewrite-target with captures is a 302 "
                "redirect built from the match; write an HTTPRouteFilter or a RequestRedirect by hand",
            )
            return filters, None
        redirect: dict[str, Any] = {"statusCode": 302, "scheme": parts.scheme}
        if parts.hostname:
            redirect["hostname"] = parts.hostname
        if parts.port:
            redirect["port"] = parts.port
        redirect["path"] = {"type": "ReplaceFullPath", "replaceFullPath": parts.path or "/"}
        ctx.record(ingress, "rewrite-target", Status.EXACT, "an absolute rewrite-target is a 302 redirect in nginx")
        return filters, {"type": "RequestRedirect", "requestRedirect": redirect}
    out = list(filters)
    prefix = ingress.text("x-forwarded-prefix")
    if prefix:
        out.append(
            {
                "type": "RequestHeaderModifier",
                "requestHeaderModifier": {"set": [{"name": "X-Forwarded-Prefix", "value": prefix}]},
            }
        )
        ctx.record(ingress, "x-forwarded-prefix", Status.EXACT)
    if not has_captures(target):
        clean = target[:-1] if target.endswith("?") and len(target) > 1 else target
        ctx.record(ingress, "rewrite-target", Status.EXACT, "whole-URI replacement = ReplaceFullPath")
        return _merge_rewrite(out, {"type": "ReplaceFullPath", "replaceFullPath": clean}), None
    if not _eg(ctx):
        ctx.record(
            ingress,
            "rewrite-target",
            Status.NONE,
            "rewrite-target with $n captures needs a regex rewrite, which Gateway API does not have",
        )
        return out, None
    rewrite = regex_rewrite(path.path, target)
    name = join_name(route, "rewrite", str(index))
    hrf = new_object(
        EG_V1,
        "HTTPRouteFilter",
        ingress.namespace,
        name,
        {
            "urlRewrite": {
                "path": {
                    "type": "ReplaceRegexMatch",
                    "replaceRegexMatch": {"pattern": rewrite.pattern, "substitution": rewrite.substitution},
                }
            }
        },
    )
    ctx.emit(hrf, owner="application", reason="regex rewrite with capture groups", source=ingress)
    ctx.record(ingress, "rewrite-target", Status.EXACT, "regex rewrite replacing the whole path", (obj_ref(hrf),))
    out.append({"type": "ExtensionRef", "extensionRef": {"group": EG, "kind": "HTTPRouteFilter", "name": name}})
    return out, None


def _canary_rules(
    ctx: Context,
    primary: Ingress,
    canary: Ingress,
    where: tuple[str, str],
    match: dict[str, Any],
    main: dict[str, Any],
    route: str,
    index: int,
) -> list[dict[str, Any]]:
    """Header and cookie rules for a canary (header → cookie → weight), and the weights on ``main``."""
    canary_backend = _canary_backend(canary, *where)
    if canary_backend is None:
        return []
    canary_ref = backend_ref(ctx, canary, canary_backend)
    primary_refs = [dict(r) for r in main["backendRefs"]]
    rules: list[dict[str, Any]] = []
    header = canary.text("canary-by-header")
    if header:
        value, pattern = canary.text("canary-by-header-value"), canary.text("canary-by-header-pattern")
        if value:
            rules.append(_with_header(match, header, "Exact", value, [canary_ref]))
            ctx.record(canary, "canary-by-header-value", Status.EXACT)
        elif pattern:
            rules.append(_with_header(match, header, "RegularExpression", f".*(?:{pattern}).*", [canary_ref]))
            ctx.record(
                canary,
                "canary-by-header-pattern",
                Status.APPROXIMATE,
                "PCRE search becomes an RE2 full match of .*(?:pattern).*; PCRE-only syntax fails",
            )
        else:
            rules.append(_with_header(match, header, "Exact", "always", [canary_ref]))
            rules.append(_with_header(match, header, "Exact", "never", primary_refs))
        ctx.record(canary, "canary-by-header", Status.EXACT, "header rules outrank the weighted rule, as in nginx")
    cookie = canary.text("canary-by-cookie")
    if cookie:
        if _eg(ctx):
            for value, refs in (("always", [canary_ref]), ("never", primary_refs)):
                name = join_name(route, "cookie", str(index), value)
                hrf = new_object(
                    EG_V1,
                    "HTTPRouteFilter",
                    primary.namespace,
                    name,
                    {"matches": [{"cookies": [{"name": cookie, "type": "Exact", "value": value}]}]},
                )
                ctx.emit(hrf, owner="application", reason="cookie match for a canary", source=primary)
                rule = {
                    "matches": [match],
                    "filters": [
                        {"type": "ExtensionRef", "extensionRef": {"group": EG, "kind": "HTTPRouteFilter", "name": name}}
                    ],
                    "backendRefs": refs,
                }
                rules.append(rule)
            ctx.record(canary, "canary-by-cookie", Status.EXACT, "HTTPRouteFilter cookie match")
        else:
            for value, refs in (("always", [canary_ref]), ("never", primary_refs)):
                regex = f"(.*;\\s*)?{re.escape(cookie)}={value}(;.*)?"
                rules.append(_with_header(match, "Cookie", "RegularExpression", regex, refs))
            ctx.record(
                canary,
                "canary-by-cookie",
                Status.APPROXIMATE,
                "matched as a regex on the Cookie header (implementation-specific regex dialect)",
            )
    weight = canary.number("canary-weight") or 0
    total = max(100, canary.number("canary-weight-total") or 100)
    weight = max(0, min(weight, total))
    if weight or canary.annotation("canary-weight"):
        main["backendRefs"] = [{**r, "weight": total - weight} for r in primary_refs] + [
            {**canary_ref, "weight": weight}
        ]
        ctx.record(canary, "canary-weight", Status.EXACT, f"backend weights {total - weight}/{weight}")
        ctx.record(canary, "canary-weight-total", Status.EXACT, "weights are relative; total honoured when above 100")
    ctx.record(canary, "canary", Status.EXACT, f"merged into the routes of {primary.ref}")
    return rules


def _canary_backend(canary: Ingress, host: str, path: str) -> IngressBackend | None:
    """The canary's backend for the same host and path as the primary rule."""
    for rule in canary.rules:
        if rule.host != host:
            continue
        for entry in rule.paths:
            if entry.path == path:
                return entry.backend
    return canary.default_backend


def _with_header(match: dict[str, Any], name: str, kind: str, value: str, refs: list[dict[str, Any]]) -> dict[str, Any]:
    headers = [*match.get("headers", []), {"type": kind, "name": name, "value": value}]
    return {"matches": [{**match, "headers": headers}], "backendRefs": refs}


def _host_paths(ingress: Ingress, host: str) -> list[IngressPath]:
    return [p for rule in ingress.rules if rule.host == host for p in rule.paths]


def _canary_for(ctx: Context, plan: Plan, key: GatewayKey, host: str, path: IngressPath) -> Ingress | None:
    canary = plan.canaries.get((key, host, path.path))
    if canary is not None:
        plan.used_canaries.add(canary.key)
    return canary


def convert_ingress(ctx: Context, plan: Plan, ingress: Ingress, key: GatewayKey) -> RouteSet:
    """Emit the routes of one (non-canary) Ingress."""
    out = RouteSet()
    protocol = ingress.text("backend-protocol", "http")
    passthrough = ingress.flag("ssl-passthrough")
    redirect = _redirect_filter(ctx, ingress)
    aliases = [a.lower() for a in ingress.items("server-alias")]
    if aliases:
        ctx.record(ingress, "server-alias", Status.EXACT, "added to the route hostnames, with listeners")
    for host in ingress.hosts:
        paths = _host_paths(ingress, host)
        if passthrough and host:
            out.tls.append(_tls_route(ctx, plan, ingress, key, host, paths))
        regex = (key, host) in plan.regex_hosts
        base = join_name(ingress.name, host_slug(host))
        common = _common_filters(ctx, ingress, ingress.namespace)
        rules: list[dict[str, Any]] = []
        notes: list[str] = []
        has_root = False
        for i, path in enumerate(paths):
            match_spec = path_match(path, regex)
            if match_spec.value in ("/", "(?i)/.*") or path.path == "/":
                has_root = True
            match: dict[str, Any] = {"path": match_spec.to_dict()}
            rule: dict[str, Any] = {"matches": [match], "backendRefs": [backend_ref(ctx, ingress, path.backend)]}
            filters, path_redirect = _path_filters(ctx, ingress, path, base, i, common)
            if redirect is not None or path_redirect is not None:
                rule = {"matches": [match], "filters": [redirect or path_redirect]}
            else:
                if filters:
                    rule["filters"] = filters
                canary = _canary_for(ctx, plan, key, host, path)
                if canary is not None:
                    rules.extend(_canary_rules(ctx, ingress, canary, (host, path.path), match, rule, base, i))
            rules.append(rule)
            if match_spec.difference:
                notes.append(f"{path.field}: {match_spec.difference}")
        if not regex:
            notes.extend(_prefix_order_notes(paths))
        if regex and ingress.annotation("use-regex"):
            ctx.record(ingress, "use-regex", Status.EXACT, "host-wide (?i) regex, longest first")
        if ingress.default_backend is not None and not has_root:
            rules.append(
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "backendRefs": [backend_ref(ctx, ingress, ingress.default_backend)],
                }
            )
        root = ingress.text("app-root")
        if root:
            app_rule = {
                "matches": [{"path": {"type": "Exact", "value": "/"}}],
                "filters": [
                    {
                        "type": "RequestRedirect",
                        "requestRedirect": {
                            "path": {"type": "ReplaceFullPath", "replaceFullPath": root},
                            "statusCode": 302,
                        },
                    }
                ],
            }
            rules.insert(0, app_rule)
            ctx.record(ingress, "app-root", Status.EXACT)
        if protocol in ("grpc", "grpcs"):
            emitted = _grpc_routes(ctx, plan, ingress, key, host, paths, base)
            out.grpc.extend(emitted)
        else:
            emitted = _http_routes(ctx, plan, ingress, key, host, aliases, base, rules)
            out.http.extend(emitted)
        for obj in emitted:
            for note in notes:
                ctx.differ(obj, note)
    if not ingress.rules and ingress.default_backend is not None:
        rule = {"backendRefs": [backend_ref(ctx, ingress, ingress.default_backend)]}
        out.http.extend(
            _http_routes(ctx, plan, ingress, key, "", [], join_name(ingress.name, "default-backend"), [rule])
        )
    return out


def _prefix_order_notes(paths: list[IngressPath]) -> list[str]:
    """ImplementationSpecific string prefixes become regexes, which Envoy Gateway ranks above every PathPrefix;
    nginx picks the longest prefix. Say so where a longer Prefix path lies under such a string prefix."""
    notes = []
    plain = [p.path for p in paths if p.path_type.value == "ImplementationSpecific" and not p.path.endswith("/")]
    for short in plain:
        longer = [
            p.path for p in paths if p.path_type.value == "Prefix" and p.path.startswith(short) and p.path != short
        ]
        if longer:
            notes.append(
                f"{short!r} (ImplementationSpecific) is a regex match, ranked above the longer Prefix "
                f"{', '.join(repr(x) for x in longer)} by Envoy Gateway; nginx prefers the longest prefix"
            )
    return notes


def _parents(plan: Plan, key: GatewayKey, host: str, protocols: tuple[str, ...], route_ns: str) -> list[dict[str, Any]]:
    refs: list[ParentRef] = []
    for protocol in protocols:
        parent = plan.layout.parent(key, host, protocol)
        if parent is not None:
            refs.append(parent)
    return [p.to_dict(route_ns) for p in refs]


def _experimental_extras(ctx: Context, ingress: Ingress) -> dict[str, Any]:
    """Rule fields of the experimental channel for the ``standard`` target (Envoy Gateway uses policies)."""
    if _eg(ctx) or ctx.options.channel is not Channel.EXPERIMENTAL:
        return {}
    extras: dict[str, Any] = {}
    if ingress.text("affinity") == "cookie":
        cookie: dict[str, Any] = {"name": ingress.text("session-cookie-name") or "INGRESSCOOKIE"}
        path = ingress.text("session-cookie-path")
        if path:
            cookie["path"] = path
        persistence: dict[str, Any] = {"type": "Cookie", "cookie": cookie}
        ttl = ingress.number("session-cookie-max-age") or ingress.number("session-cookie-expires")
        if ttl:
            persistence["absoluteTimeout"] = duration(ttl)
            cookie["lifetimeType"] = "Permanent"
        else:
            cookie["lifetimeType"] = "Session"
        extras["sessionPersistence"] = persistence
        note = "sessionPersistence (experimental): implementation-defined stickiness"
        for key in (
            "affinity",
            "session-cookie-name",
            "session-cookie-path",
            "session-cookie-max-age",
            "session-cookie-expires",
        ):
            ctx.record(ingress, key, Status.APPROXIMATE, note)
    tries = ingress.number("proxy-next-upstream-tries") or ctx.config.proxy_next_upstream_tries
    conditions = (ingress.text("proxy-next-upstream") or ctx.config.proxy_next_upstream).split()
    if tries > 1 and "off" not in conditions:
        codes = [int(c[5:]) for c in conditions if c.startswith("http_") and c[5:].isdigit()]
        retry: dict[str, Any] = {"attempts": tries - 1}
        if codes:
            retry["codes"] = codes
        extras["retry"] = retry
        note = "retry (experimental): retries on connection errors and the listed codes"
        for key in ("proxy-next-upstream", "proxy-next-upstream-tries"):
            ctx.record(ingress, key, Status.APPROXIMATE, note)
    return extras


def _http_routes(
    ctx: Context,
    plan: Plan,
    ingress: Ingress,
    key: GatewayKey,
    host: str,
    aliases: list[str],
    base: str,
    rules: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    has_tls = host != "" and (key, host) in plan.tls_hosts and not ingress.flag("ssl-passthrough")
    ssl_redirect = ingress.flag("ssl-redirect", ctx.config.ssl_redirect)
    force = ingress.flag("force-ssl-redirect", ctx.config.force_ssl_redirect)
    redirect_http = (has_tls and ssl_redirect) or force
    hostnames = [host, *aliases] if host else []
    ns = ingress.namespace
    routes: list[dict[str, Any]] = []
    main_protocols: tuple[str, ...] = (
        ("HTTPS",) if redirect_http and has_tls else (("HTTP", "HTTPS") if has_tls else ("HTTP",))
    )
    all_hosts = [host, *aliases] if host else [""]
    parents: list[dict[str, Any]] = []
    for h in all_hosts:
        parents.extend(_parents(plan, key, h, main_protocols if not (force and not has_tls) else ("HTTP",), ns))
    extras = _experimental_extras(ctx, ingress)
    if extras:
        rules = [{**r, **extras} if "backendRefs" in r else r for r in rules]
    for i in range(0, max(len(rules), 1), MAX_RULES):
        chunk = rules[i : i + MAX_RULES]
        name = base if i == 0 else join_name(base, str(i // MAX_RULES + 1))
        spec: dict[str, Any] = {"parentRefs": parents}
        if hostnames:
            spec["hostnames"] = hostnames
        spec["rules"] = chunk
        route = new_object(GW_V1, "HTTPRoute", ns, name, spec)
        ctx.emit(route, owner="application", reason=f"routes of {ingress.ref}", source=ingress)
        if host.startswith("*."):
            ctx.differ(
                route,
                f"nginx serves {host} for exactly one extra label; Gateway API matches any number of "
                "labels (and exact hosts still win in both)",
            )
        routes.append(route)
    routes.extend(_redirect_routes(ctx, plan, ingress, key, all_hosts, hostnames, base, has_tls))
    return routes


def _redirect_routes(
    ctx: Context,
    plan: Plan,
    ingress: Ingress,
    key: GatewayKey,
    all_hosts: list[str],
    hostnames: list[str],
    base: str,
    has_tls: bool,
) -> list[dict[str, Any]]:
    """ingress-nginx's HTTP→HTTPS redirect for a host with a certificate: a route on the HTTP listener."""
    ns = ingress.namespace
    ssl_redirect = ingress.flag("ssl-redirect", ctx.config.ssl_redirect)
    force = ingress.flag("force-ssl-redirect", ctx.config.force_ssl_redirect)
    redirect_http = (has_tls and ssl_redirect) or force
    if redirect_http and has_tls:
        code = ctx.config.http_redirect_code
        redirect_parents = [p for h in all_hosts for p in _parents(plan, key, h, ("HTTP",), ns)]
        spec = {
            "parentRefs": redirect_parents,
            "hostnames": hostnames,
            "rules": [
                {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": code}}]}
            ],
        }
        route = new_object(GW_V1, "HTTPRoute", ns, join_name(base, "redirect"), spec)
        ctx.emit(route, owner="application", reason=f"HTTP→HTTPS redirect of {ingress.ref}", source=ingress)
        if not ingress.flag("preserve-trailing-slash"):
            ctx.differ(
                route,
                "nginx strips a trailing '/' from the request URI in its ssl-redirect Location; "
                "Envoy keeps the path as requested",
            )
        ctx.record(
            ingress,
            "ssl-redirect",
            Status.APPROXIMATE,
            f"{code} to https on the HTTP listener; nginx also strips a trailing slash",
        )
        ctx.record(ingress, "preserve-trailing-slash", Status.EXACT, "Envoy keeps the path as requested")
        ctx.record(ingress, "force-ssl-redirect", Status.APPROXIMATE, f"{code} to https on the HTTP listener")
        return [route]
    if force:
        ctx.record(
            ingress,
            "force-ssl-redirect",
            Status.MANUAL,
            "nginx redirects unless X-Forwarded-Proto is https (TLS ended before it); add a RequestRedirect "
            "rule matching that header by hand",
        )
        ctx.record(ingress, "ssl-redirect", Status.EXACT, "no certificate for the host: nginx does not redirect either")
    else:
        ctx.record(ingress, "ssl-redirect", Status.EXACT, "no redirect, as configured")
    return []


def _grpc_routes(
    ctx: Context, plan: Plan, ingress: Ingress, key: GatewayKey, host: str, paths: list[IngressPath], base: str
) -> list[dict[str, Any]]:
    has_tls = host != "" and (key, host) in plan.tls_hosts
    parents = _parents(plan, key, host, ("HTTPS",) if has_tls else ("HTTP",), ingress.namespace)
    rules = []
    notes: list[str] = []
    for path in paths:
        rule: dict[str, Any] = {"backendRefs": [backend_ref(ctx, ingress, path.backend)]}
        parts = [p for p in path.path.split("/") if p]
        if len(parts) >= 1 and re.fullmatch(r"[A-Za-z_][\w.]*", parts[0]) and path.path != "/":
            method: dict[str, Any] = {"type": "Exact", "service": parts[0]}
            if len(parts) > 1 and re.fullmatch(r"[A-Za-z_]\w*", parts[1]):
                method["method"] = parts[1]
            rule["matches"] = [{"method": method}]
        elif path.path != "/":
            notes.append(f"gRPC path {path.path!r} is not a service/method; the GRPCRoute rule matches every call")
        rules.append(rule)
    spec: dict[str, Any] = {"parentRefs": parents}
    if host:
        spec["hostnames"] = [host]
    spec["rules"] = rules[:MAX_RULES]
    route = new_object(GW_V1, "GRPCRoute", ingress.namespace, base, spec)
    ctx.emit(route, owner="application", reason=f"gRPC routes of {ingress.ref}", source=ingress)
    for note in notes:
        ctx.differ(route, note)
    ctx.record(ingress, "backend-protocol", Status.EXACT, "GRPCRoute")
    hosts = [host] if host else []
    return [route, *_redirect_routes(ctx, plan, ingress, key, hosts or [""], hosts, base, has_tls)]


def _tls_route(
    ctx: Context, plan: Plan, ingress: Ingress, key: GatewayKey, host: str, paths: list[IngressPath]
) -> dict[str, Any]:
    root = next((p for p in paths if p.path == "/"), paths[0] if paths else None)
    backend = root.backend if root is not None else ingress.default_backend
    parents = _parents(plan, key, host, ("TLS",), ingress.namespace)
    rule: dict[str, Any] = {}
    if backend is not None:
        rule["backendRefs"] = [backend_ref(ctx, ingress, backend)]
    spec = {"parentRefs": parents, "hostnames": [host], "rules": [rule]}
    route = new_object(GW_V1, "TLSRoute", ingress.namespace, join_name(ingress.name, host_slug(host), "tls"), spec)
    ctx.emit(route, owner="application", reason=f"TLS passthrough of {ingress.ref}", source=ingress)
    ctx.record(ingress, "ssl-passthrough", Status.EXACT, "TLSRoute on a Passthrough listener", (obj_ref(route),))
    return route
