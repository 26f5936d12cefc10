"""The conversion: IngressInput → Gateway API (+ Envoy Gateway) objects, outcomes and differences (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from ferry.gateway._convert._context import EG, EG_V1, GW, GW_V1, Context, new_object
from ferry.gateway._convert._gateways import GatewayKey, HostNeeds, Layout, StreamNeeds, build_gateways
from ferry.gateway._convert._model import Conversion, ConvertOptions, Status, Target
from ferry.gateway._convert._naming import join_name, section_name
from ferry.gateway._convert._paths import host_regex_mode
from ferry.gateway._convert._policies import ingress_policies
from ferry.gateway._convert._routes import Plan, convert_ingress
from ferry.gateway._ingress import Ingress, IngressInput, StreamService

__all__ = ["convert", "services_from"]

DEFAULT_CLASS = "nginx"
_KIND_ORDER = (
    "Gateway",
    "ReferenceGrant",
    "ClientTrafficPolicy",
    "HTTPRoute",
    "GRPCRoute",
    "TLSRoute",
    "TCPRoute",
    "UDPRoute",
    "HTTPRouteFilter",
    "BackendTLSPolicy",
    "Backend",
    "BackendTrafficPolicy",
    "SecurityPolicy",
)


def services_from(objects: Any) -> dict[tuple[str, str], dict[str, int]]:
    """Named Service ports from the input objects: (namespace, service) → {port name: port number}."""
    out: dict[tuple[str, str], dict[str, int]] = {}
    for obj in objects:
        if obj.kind != "Service" or obj.group != "":
            continue
        spec = obj.body.get("spec")
        ports = spec.get("ports") if isinstance(spec, Mapping) else None
        named = {}
        for port in ports if isinstance(ports, list) else []:
            if isinstance(port, Mapping) and isinstance(port.get("name"), str) and isinstance(port.get("port"), int):
                named[port["name"]] = port["port"]
        out[(obj.namespace or "default", obj.name)] = named
    return out


def _key(options: ConvertOptions, ingress: Ingress) -> GatewayKey:
    return (ingress.ingress_class or DEFAULT_CLASS, ingress.namespace if options.gateway_per_namespace else None)


def _www_counterpart(host: str) -> str:
    return host[4:] if host.startswith("www.") else f"www.{host}"


def _plan_hosts(ctx: Context, ingresses: list[Ingress], plan: Plan) -> dict[GatewayKey, dict[str, HostNeeds]]:
    options = ctx.options
    hosts: dict[GatewayKey, dict[str, HostNeeds]] = defaultdict(dict)
    for ingress in ingresses:
        key = _key(options, ingress)
        for entry in ingress.tls:
            if entry.secret_name:
                for host in entry.hosts:
                    plan.tls_hosts.setdefault((key, host), (ingress.namespace, entry.secret_name))
    for ingress in ingresses:
        key = _key(options, ingress)
        names = list(ingress.hosts) if ingress.rules else [""]
        aliases = [a.lower() for a in ingress.items("server-alias")]
        www = [_www_counterpart(h) for h in ingress.hosts if h and ingress.flag("from-to-www-redirect")]
        for host in names:
            needs = hosts[key].setdefault(host, HostNeeds(host))
            needs.namespaces.add(ingress.namespace)
            cert = plan.tls_hosts.get((key, host))
            if ingress.flag("ssl-passthrough") and host:
                needs.passthrough = True
                needs.passthrough_namespaces.add(ingress.namespace)
            elif cert is not None:
                needs.certificate = cert
            for extra in aliases + [w for w in www if w]:
                alias = hosts[key].setdefault(extra, HostNeeds(extra))
                alias.namespaces.add(ingress.namespace)
                if cert is not None:
                    alias.certificate = cert
                    plan.tls_hosts.setdefault((key, extra), cert)
    return hosts


def _plan_streams(
    options: ConvertOptions, streams: tuple[StreamService, ...], classes: list[str]
) -> dict[GatewayKey, list[StreamNeeds]]:
    out: dict[GatewayKey, list[StreamNeeds]] = defaultdict(list)
    default_class = classes[0] if classes else DEFAULT_CLASS
    for stream in streams:
        key = (default_class, stream.namespace if options.gateway_per_namespace else None)
        out[key].append(StreamNeeds(stream.protocol, stream.port, stream.namespace))
    return out


def _stream_routes(ctx: Context, layout: Layout, streams: tuple[StreamService, ...], classes: list[str]) -> None:
    default_class = classes[0] if classes else DEFAULT_CLASS
    for stream in streams:
        key = (default_class, stream.namespace if ctx.options.gateway_per_namespace else None)
        parent = layout.parent(key, f"{stream.protocol}:{stream.port}", stream.protocol)
        if parent is None:
            continue
        port = ctx.backend_port(stream.namespace, stream.service, stream.service_port)
        if port is None:
            ctx.warnings.append(
                f"{stream.protocol.lower()}-services port {stream.port}: named port {stream.service_port!r} of "
                f"{stream.namespace}/{stream.service} cannot be resolved (include the Service manifest)"
            )
            continue
        kind = "TCPRoute" if stream.protocol == "TCP" else "UDPRoute"
        spec = {
            "parentRefs": [parent.to_dict(stream.namespace)],
            "rules": [{"backendRefs": [{"group": "", "kind": "Service", "name": stream.service, "port": port}]}],
        }
        name = join_name(stream.service, stream.protocol.lower(), str(stream.port))
        route = new_object(GW_V1, kind, stream.namespace, name, spec)
        ctx.emit(route, owner="application", reason=f"{stream.protocol.lower()}-services entry {stream.port}")
        if stream.decode_proxy or stream.encode_proxy:
            ctx.differ(
                route,
                "PROXY protocol on this port must be set by hand (ClientTrafficPolicy proxyProtocol to "
                "accept it, BackendTrafficPolicy proxyProtocol to send it)",
            )


def _client_policies(ctx: Context, layout: Layout, ingresses: list[Ingress], gateways: list[dict[str, Any]]) -> None:
    """ClientTrafficPolicies: controller ConfigMap settings per Gateway, client certificates per HTTPS listener."""
    config = ctx.config
    base: dict[str, Any] = {}
    if config.use_forwarded_headers or config.data.get("proxy-real-ip-cidr"):
        trusted = [c for c in config.proxy_real_ip_cidr if c not in ("0.0.0.0/0", "::/0")]
        xff: dict[str, Any] = {"trustedCIDRs": trusted} if trusted else {"numTrustedHops": 1}
        if config.forwarded_for_header.lower() != "x-forwarded-for":
            base["clientIPDetection"] = {"customHeader": {"name": config.forwarded_for_header}}
        else:
            base["clientIPDetection"] = {"xForwardedFor": xff}
    if config.use_proxy_protocol:
        base["proxyProtocol"] = {"optional": False}
    hsts: dict[str, Any] | None = None
    if config.hsts:
        value = f"max-age={config.hsts_max_age}"
        if config.hsts_include_subdomains:
            value += "; includeSubDomains"
        if config.hsts_preload:
            value += "; preload"
        hsts = {"lateResponseHeaders": {"set": [{"name": "Strict-Transport-Security", "value": value}]}}
    client_tls: dict[tuple[str, str, str], tuple[Ingress, dict[str, Any]]] = {}
    for ingress in ingresses:
        secret = ingress.text("auth-tls-secret")
        if not secret:
            continue
        key = _key(ctx.options, ingress)
        for host in ingress.hosts:
            parent = layout.parent(key, host, "HTTPS")
            if parent is None:
                continue
            ns, _, name = secret.rpartition("/")
            ns = ns or ingress.namespace
            ref: dict[str, Any] = {"group": "", "kind": "Secret", "name": name}
            if ns != parent.namespace:
                ref["namespace"] = ns
                ctx.grants.allow(EG, "ClientTrafficPolicy", parent.namespace, "", "Secret", ns, name)
            mode = ingress.text("auth-tls-verify-client", "on")
            validation: dict[str, Any] = {"caCertificateRefs": [ref]}
            if mode in ("optional", "optional_no_ca"):
                validation["optional"] = True
            spec: dict[str, Any] = {"tls": {"clientValidation": validation}}
            if ingress.flag("auth-tls-pass-certificate-to-upstream"):
                spec["headers"] = {"xForwardedClientCert": {"mode": "SanitizeSet", "certDetailsToAdd": ["Cert"]}}
            client_tls.setdefault((parent.namespace, parent.name, parent.section), (ingress, spec))
    for gateway in gateways:
        gw_ns, gw_name = gateway["metadata"]["namespace"], gateway["metadata"]["name"]
        https = [ln["name"] for ln in gateway["spec"]["listeners"] if ln["protocol"] == "HTTPS"]
        if base:
            spec = {"targetRefs": [{"group": GW, "kind": "Gateway", "name": gw_name}], **base}
            ctx.emit(
                new_object(EG_V1, "ClientTrafficPolicy", gw_ns, gw_name, spec),
                owner="platform",
                reason="client IP detection / PROXY protocol from the controller ConfigMap",
            )
        plain = [s for s in https if (gw_ns, gw_name, s) not in client_tls]
        if hsts and plain:
            refs = [{"group": GW, "kind": "Gateway", "name": gw_name, "sectionName": s} for s in plain]
            spec = {"targetRefs": refs, **base, "headers": hsts}
            ctx.emit(
                new_object(EG_V1, "ClientTrafficPolicy", gw_ns, join_name(gw_name, "https"), spec),
                owner="platform",
                reason="HSTS on HTTPS responses (controller ConfigMap hsts)",
            )
        for section in https:
            if (gw_ns, gw_name, section) not in client_tls:
                continue
            ingress, extra = client_tls[(gw_ns, gw_name, section)]
            spec = {"targetRefs": [{"group": GW, "kind": "Gateway", "name": gw_name, "sectionName": section}], **base}
            headers = dict(hsts or {})
            headers.update(extra.get("headers", {}))
            if headers:
                spec["headers"] = headers
            spec["tls"] = extra["tls"]
            policy = new_object(EG_V1, "ClientTrafficPolicy", gw_ns, join_name(gw_name, section), spec)
            ctx.emit(policy, owner="platform", reason=f"client certificates for {ingress.ref}")
            ctx.record(ingress, "auth-tls-secret", Status.EXACT, "ClientTrafficPolicy clientValidation")
            mode = ingress.text("auth-tls-verify-client", "on")
            ctx.record(
                ingress,
                "auth-tls-verify-client",
                Status.EXACT if mode in ("on", "optional") else Status.APPROXIMATE,
                "" if mode in ("on", "optional") else f"{mode}: certificates are still verified when given",
            )
            if ingress.flag("auth-tls-pass-certificate-to-upstream"):
                ctx.record(
                    ingress,
                    "auth-tls-pass-certificate-to-upstream",
                    Status.APPROXIMATE,
                    "sent as X-Forwarded-Client-Cert (nginx: ssl-client-cert, URL-encoded PEM)",
                )
                ctx.differ(
                    policy, "the client certificate reaches the backend in X-Forwarded-Client-Cert, not ssl-client-cert"
                )


def _www_redirects(ctx: Context, plan: Plan, ingress: Ingress, key: GatewayKey) -> None:
    if not ingress.flag("from-to-www-redirect"):
        return
    for host in ingress.hosts:
        if not host or host.startswith("*."):
            continue
        other = _www_counterpart(host)
        parents = []
        for protocol in ("HTTP", "HTTPS"):
            parent = plan.layout.parent(key, other, protocol)
            if parent is not None:
                parents.append(parent.to_dict(ingress.namespace))
        redirect = {"hostname": host, "statusCode": ctx.config.http_redirect_code}
        spec = {
            "parentRefs": parents,
            "hostnames": [other],
            "rules": [{"filters": [{"type": "RequestRedirect", "requestRedirect": redirect}]}],
        }
        route = new_object(
            GW_V1, "HTTPRoute", ingress.namespace, join_name(ingress.name, section_name(other), "www"), spec
        )
        ctx.emit(route, owner="application", reason=f"from-to-www-redirect of {ingress.ref}", source=ingress)
        ctx.differ(route, "nginx drops a trailing '/' from the URI in this redirect; Envoy keeps the path")
        ctx.record(
            ingress,
            "from-to-www-redirect",
            Status.APPROXIMATE,
            "RequestRedirect to the other name; trailing-slash handling differs",
        )


def _finish_outcomes(ctx: Context, ingresses: list[Ingress]) -> None:
    from ferry.gateway._parity import parity_for

    for ingress in ingresses:
        for value in ingress.annotations.values():
            slot = (ingress.namespace, ingress.name, value.canonical)
            if slot in ctx.outcomes:
                continue
            if value.spec is None:
                ctx.record(
                    ingress, value.key, Status.NONE, "unknown annotation: ingress-nginx ignores it; nothing to convert"
                )
                continue
            if value.error is not None:
                ctx.record(
                    ingress, value.key, Status.EXACT, f"invalid value ({value.error}): ingress-nginx ignores it too"
                )
                continue
            if ingress.is_canary and value.spec.category != "canary":
                ctx.record(ingress, value.key, Status.EXACT, "ignored on canary Ingresses, as in ingress-nginx")
                continue
            entry = parity_for(value.spec.key, ctx.options.target)
            if entry.status in (Status.MANUAL, Status.NONE):
                ctx.record(ingress, value.key, entry.status, entry.note)
            else:
                ctx.record(ingress, value.key, Status.EXACT, "at its default or without effect on this Ingress")


_KIND_RANK = {kind: rank for rank, kind in enumerate(_KIND_ORDER)}


def _sort(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Kind order, then namespace and name; the first object of each (kind rank, namespace, name) is kept."""
    keyed = []
    for obj in objects:
        meta = obj["metadata"]
        keyed.append(((_KIND_RANK.get(obj["kind"], len(_KIND_ORDER)), meta.get("namespace", ""), meta["name"]), obj))
    keyed.sort(key=lambda pair: pair[0])
    seen: set[tuple[int, str, str]] = set()
    out = []
    for key, obj in keyed:
        if key in seen:
            continue
        seen.add(key)
        out.append(obj)
    return out


def convert(
    data: IngressInput,
    options: ConvertOptions | None = None,
    *,
    services: Mapping[tuple[str, str], Mapping[str, int]] | None = None,
) -> Conversion:
    """Convert what ingress-nginx serves into Gateway API (and Envoy Gateway) objects; deterministic."""
    options = options or ConvertOptions()
    ctx = Context(options, data.config, services or {})
    ingresses = list(data.ingresses)
    primaries = [i for i in ingresses if not i.is_canary]
    canaries = [i for i in ingresses if i.is_canary]
    plan = Plan(layout=Layout())
    for canary in canaries:
        for rule in canary.rules:
            for path in rule.paths:
                plan.canaries.setdefault((_key(options, canary), rule.host, path.path), canary)
    by_key: dict[GatewayKey, list[Ingress]] = defaultdict(list)
    for ingress in primaries:
        by_key[_key(options, ingress)].append(ingress)
    for key, group in by_key.items():
        by_host: dict[str, list[Ingress]] = defaultdict(list)
        for ingress in group:
            for host in ingress.hosts:
                by_host[host].append(ingress)
        for host, members in by_host.items():
            if host_regex_mode(members, host):
                plan.regex_hosts.add((key, host))
    hosts = _plan_hosts(ctx, primaries, plan)
    classes = sorted({k[0] for k in by_key})
    streams = _plan_streams(options, data.streams, classes)
    gateway_class = {k: options.class_name_for(k[0]) for k in set(hosts) | set(streams)}
    plan.layout = build_gateways(ctx, hosts, streams, gateway_class)
    for ingress in primaries:
        key = _key(options, ingress)
        routes = convert_ingress(ctx, plan, ingress, key)
        ingress_policies(ctx, ingress, routes)
        _www_redirects(ctx, plan, ingress, key)
    for canary in canaries:
        if canary.key not in plan.used_canaries:
            ctx.warnings.append(
                f"{canary.ref}: canary without a primary Ingress for the same host and path; "
                "ingress-nginx ignores it, and so does the conversion"
            )
            ctx.record(canary, "canary", Status.EXACT, "no primary Ingress: ignored, as in ingress-nginx")
    _stream_routes(ctx, plan.layout, data.streams, classes)
    gateways = [o for o in ctx.objects if o["kind"] == "Gateway"]
    if options.target is Target.ENVOY_GATEWAY:
        _client_policies(ctx, plan.layout, primaries, gateways)
    ctx.grants.emit(ctx)
    _finish_outcomes(ctx, ingresses)
    outcomes = sorted(ctx.outcomes.values(), key=lambda o: (o.namespace, o.name, o.key))
    return Conversion(
        objects=_sort(ctx.objects),
        outcomes=outcomes,
        differences=sorted(set(ctx.differences)),
        ownership=sorted(ctx.ownership, key=lambda o: o.ref),
        warnings=list(dict.fromkeys(ctx.warnings)),
        options=options,
    )
