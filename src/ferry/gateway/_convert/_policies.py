"""Envoy Gateway policies for what core Gateway API lacks, and BackendTLSPolicy for HTTPS backends (pure).

Per Ingress: one BackendTrafficPolicy carrying ingress-nginx's defaults that Envoy does not share (1 MiB body
limit, retries on connect failure, 5 s connect timeout, 60 s idle read instead of a 15 s total) plus the
Ingress's own annotations, and one SecurityPolicy (CORS, basic auth, external auth, IP allow/deny) when needed.
Per Gateway: a ClientTrafficPolicy from the controller ConfigMap (client IP detection, HSTS, PROXY protocol) and,
per HTTPS listener that needs it, client certificate validation.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ferry.gateway._convert._context import EG, EG_V1, GW, GW_V1, Context, new_object, obj_ref
from ferry.gateway._convert._model import Status, Target
from ferry.gateway._convert._naming import duration, join_name
from ferry.gateway._convert._routes import RouteSet
from ferry.gateway._ingress import Ingress

__all__ = ["backend_tls", "ingress_policies"]

_TRIGGERS = {
    "error": ["connect-failure", "reset"],
    "timeout": ["connect-failure"],
    "http_500": [],
    "http_502": [],
    "http_503": [],
    "http_504": [],
    "http_403": [],
    "http_404": [],
    "http_429": [],
}


def _seconds(value: int) -> str:
    return duration(value)


def _targets(routes: RouteSet) -> list[dict[str, Any]]:
    refs = []
    for route in routes.traffic:
        refs.append({"group": GW, "kind": route["kind"], "name": route["metadata"]["name"]})
    return refs


def _retry(ctx: Context, ingress: Ingress) -> tuple[dict[str, Any] | None, Status, str]:
    conditions = (ingress.text("proxy-next-upstream") or ctx.config.proxy_next_upstream).split()
    tries = ingress.number("proxy-next-upstream-tries") or ctx.config.proxy_next_upstream_tries
    if "off" in conditions or tries <= 1:
        return None, Status.EXACT, "no retries"
    triggers: list[str] = []
    codes: list[int] = []
    for condition in conditions:
        if condition.startswith("http_") and condition[5:].isdigit():
            codes.append(int(condition[5:]))
        for trigger in _TRIGGERS.get(condition, []):
            if trigger not in triggers:
                triggers.append(trigger)
    if codes:
        triggers.append("retriable-status-codes")
    retry_on: dict[str, Any] = {"triggers": triggers}
    if codes:
        retry_on["httpStatusCodes"] = codes
    retry: dict[str, Any] = {"numRetries": tries - 1, "retryOn": retry_on}
    timeout = ingress.number("proxy-next-upstream-timeout")
    if timeout:
        retry["perRetry"] = {"timeout": _seconds(timeout)}
    note = (
        "nginx passes a failed request to the next endpoint (never for non-idempotent methods once sent); "
        "Envoy retries with its own triggers; 'timeout' maps to connect-failure only"
    )
    return retry, Status.APPROXIMATE, note


def _rate_limit(ctx: Context, ingress: Ingress) -> dict[str, Any] | None:
    rules = []
    for key, unit in (("limit-rps", "Second"), ("limit-rpm", "Minute")):
        limit = ingress.number(key)
        if not limit:
            continue
        selectors: list[dict[str, Any]] = [{"sourceCIDR": {"type": "Distinct", "value": "0.0.0.0/0"}}]
        rules.append({"clientSelectors": selectors, "limit": {"requests": limit, "unit": unit}})
        for cidr in ingress.items("limit-allowlist"):
            selectors.append({"sourceCIDR": {"type": "Exact", "value": cidr, "invert": True}})
        note = (
            "per client IP via the global rate limit service (Redis) shared by all replicas, where nginx counts per "
            "replica; rejections are 429 instead of 503; no burst allowance (limit-burst-multiplier)"
        )
        ctx.record(ingress, key, Status.APPROXIMATE, note)
        ctx.record(ingress, "limit-burst-multiplier", Status.APPROXIMATE, "token bucket without nginx's burst queue")
        ctx.record(ingress, "limit-allowlist", Status.APPROXIMATE, "inverted sourceCIDR selectors on the limit rules")
    if not rules:
        return None
    return {"type": "Global", "global": {"rules": rules}}


def _load_balancer(ctx: Context, ingress: Ingress) -> dict[str, Any] | None:
    if ingress.text("affinity") == "cookie":
        cookie: dict[str, Any] = {"name": ingress.text("session-cookie-name") or "INGRESSCOOKIE"}
        ttl = ingress.number("session-cookie-max-age") or ingress.number("session-cookie-expires")
        if ttl:
            cookie["ttl"] = _seconds(ttl)
        attributes = {}
        domain = ingress.text("session-cookie-domain")
        if domain:
            attributes["Domain"] = domain
        path = ingress.text("session-cookie-path")
        if path:
            attributes["Path"] = path
        samesite = ingress.text("session-cookie-samesite")
        if samesite:
            attributes["SameSite"] = samesite.capitalize()
        if ingress.flag("session-cookie-secure"):
            attributes["Secure"] = ""
        if attributes:
            cookie["attributes"] = attributes
        note = "consistent hashing on the cookie: clients move when endpoints change (nginx keeps them sticky)"
        for key in (
            "affinity",
            "session-cookie-name",
            "session-cookie-max-age",
            "session-cookie-expires",
            "session-cookie-path",
            "session-cookie-domain",
            "session-cookie-samesite",
            "session-cookie-secure",
            "affinity-mode",
        ):
            ctx.record(ingress, key, Status.APPROXIMATE, note)
        return {"type": "ConsistentHash", "consistentHash": {"type": "Cookie", "cookie": cookie}}
    by = ingress.text("upstream-hash-by")
    if by:
        if by in ("$remote_addr", "$binary_remote_addr"):
            ctx.record(ingress, "upstream-hash-by", Status.EXACT)
            return {"type": "ConsistentHash", "consistentHash": {"type": "SourceIP"}}
        if by.startswith("$http_"):
            ctx.record(ingress, "upstream-hash-by", Status.EXACT)
            header = by[6:].replace("_", "-")
            return {"type": "ConsistentHash", "consistentHash": {"type": "Header", "header": {"name": header}}}
        if by.startswith("$cookie_"):
            ctx.record(ingress, "upstream-hash-by", Status.EXACT)
            return {"type": "ConsistentHash", "consistentHash": {"type": "Cookie", "cookie": {"name": by[8:]}}}
        if by.startswith("$arg_"):
            ctx.record(ingress, "upstream-hash-by", Status.EXACT)
            return {
                "type": "ConsistentHash",
                "consistentHash": {"type": "QueryParams", "queryParams": [{"name": by[5:]}]},
            }
        ctx.record(ingress, "upstream-hash-by", Status.MANUAL, f"hash key {by} has no Envoy equivalent")
        return None
    balance = ingress.text("load-balance")
    if balance == "round_robin":
        ctx.record(ingress, "load-balance", Status.EXACT)
        return {"type": "RoundRobin"}
    if balance == "ewma":
        ctx.record(ingress, "load-balance", Status.APPROXIMATE, "EWMA latency balancing → LeastRequest")
        return {"type": "LeastRequest"}
    return None


def _btp(ctx: Context, ingress: Ingress, routes: RouteSet) -> dict[str, Any] | None:
    config = ctx.config
    spec: dict[str, Any] = {"targetRefs": _targets(routes)}
    if not spec["targetRefs"]:
        return None
    connect = ingress.number("proxy-connect-timeout") or config.proxy_connect_timeout
    read = ingress.number("proxy-read-timeout") or config.proxy_read_timeout
    send = ingress.number("proxy-send-timeout") or config.proxy_send_timeout
    spec["timeout"] = {
        "tcp": {"connectTimeout": _seconds(connect)},
        "http": {"requestTimeout": "0s", "streamIdleTimeout": _seconds(max(read, send))},
    }
    ctx.record(ingress, "proxy-connect-timeout", Status.EXACT)
    idle_note = "nginx limits the gap between two reads and two writes separately; Envoy has one stream idle timeout"
    ctx.record(ingress, "proxy-read-timeout", Status.APPROXIMATE, idle_note)
    ctx.record(ingress, "proxy-send-timeout", Status.APPROXIMATE, idle_note)
    retry, status, note = _retry(ctx, ingress)
    for key in ("proxy-next-upstream", "proxy-next-upstream-tries", "proxy-next-upstream-timeout"):
        ctx.record(ingress, key, status, note)
    if retry is not None:
        spec["retry"] = retry
    buffering = ingress.text("proxy-request-buffering", "on")
    body = ingress.value("proxy-body-size")
    limit = body if isinstance(body, int) and not isinstance(body, bool) else config.proxy_body_size
    grpc = bool(routes.grpc)
    if limit and buffering == "on" and not grpc:
        spec["requestBuffer"] = {"limit": str(limit)}
        ctx.record(ingress, "proxy-body-size", Status.EXACT, "request buffered up to the limit, 413 above")
        ctx.record(ingress, "proxy-request-buffering", Status.EXACT, "whole request buffered, as in nginx")
    elif limit:
        spec.setdefault("connection", {})["bufferLimit"] = str(min(limit, 2**31))
        ctx.record(
            ingress,
            "proxy-body-size",
            Status.APPROXIMATE,
            "streaming request: Envoy's buffer limit is not a hard body cap (no 413 for large streamed bodies)",
        )
        ctx.record(ingress, "proxy-request-buffering", Status.EXACT, "streamed, as configured")
    else:
        ctx.record(ingress, "proxy-body-size", Status.EXACT, "no limit, as configured")
    ctx.record(ingress, "client-body-buffer-size", Status.EXACT, "memory threshold only; nothing observable to carry")
    rate = _rate_limit(ctx, ingress)
    if rate is not None:
        spec["rateLimit"] = rate
    connections = ingress.number("limit-connections")
    if connections:
        spec["circuitBreaker"] = {"maxConnections": connections}
        ctx.record(
            ingress,
            "limit-connections",
            Status.APPROXIMATE,
            "a cap on connections to the backend, not per client IP; overflow is 503 as in nginx",
        )
    rate_kb = ingress.number("limit-rate")
    if rate_kb:
        spec["bandwidthLimit"] = {"response": {"limit": {"value": f"{rate_kb}Ki", "unit": "Second"}}}
        ctx.record(ingress, "limit-rate", Status.APPROXIMATE, "per route instead of per connection")
        ctx.record(ingress, "limit-rate-after", Status.NONE, "Envoy limits from the first byte")
    balancer = _load_balancer(ctx, ingress)
    if balancer is not None:
        spec["loadBalancer"] = balancer
    if ingress.flag("service-upstream"):
        spec["routingType"] = "Service"
        ctx.record(ingress, "service-upstream", Status.EXACT)
    codes = ingress.value("custom-http-errors")
    if isinstance(codes, tuple) and codes:
        spec["responseOverride"] = [
            {
                "match": {"statusCodes": [{"type": "Value", "value": int(c)} for c in codes]},
                "response": {"contentType": "text/plain", "body": {"type": "Inline", "inline": "error"}},
            }
        ]
        ctx.record(
            ingress,
            "custom-http-errors",
            Status.APPROXIMATE,
            "intercepted with a fixed body; nginx forwards to the default backend's error pages",
        )
    ctx.record(
        ingress,
        "disable-proxy-intercept-errors",
        Status.EXACT,
        "Envoy intercepts nothing unless responseOverride is set",
    )
    name = join_name(ingress.name)
    btp = new_object(EG_V1, "BackendTrafficPolicy", ingress.namespace, name, spec)
    ctx.emit(btp, owner="application", reason=f"ingress-nginx traffic behaviour of {ingress.ref}", source=ingress)
    ctx.differ(
        btp, "nginx's 60 s read/send gaps are one Envoy stream idle timeout; no total request timeout, as in nginx"
    )
    if "rateLimit" in spec:
        ctx.differ(btp, "rate limits are global per client IP and answer 429 (nginx: per replica, 503)")
    return btp


def _auth_service(ctx: Context, ingress: Ingress, url: str) -> dict[str, Any] | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    labels = host.split(".")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    in_cluster = host.endswith((".svc.cluster.local", ".svc")) or len(labels) <= 2
    if in_cluster:
        svc = labels[0]
        ns = labels[1] if len(labels) > 1 and labels[1] != "svc" else ingress.namespace
        ref: dict[str, Any] = {"group": "", "kind": "Service", "name": svc, "port": port}
        if ns != ingress.namespace:
            ref["namespace"] = ns
            ctx.grants.allow(EG, "SecurityPolicy", ingress.namespace, "", "Service", ns, svc)
        return ref
    name = join_name(ingress.name, "auth")
    spec: dict[str, Any] = {"endpoints": [{"fqdn": {"hostname": host, "port": port}}]}
    if parts.scheme == "https":
        spec["tls"] = {"wellKnownCACertificates": "System", "sni": host}
    backend = new_object(EG_V1, "Backend", ingress.namespace, name, spec)
    ctx.emit(backend, owner="application", reason="external authentication service", source=ingress)
    return {"group": EG, "kind": "Backend", "name": name, "port": port}


def _sp(ctx: Context, ingress: Ingress, routes: RouteSet) -> dict[str, Any] | None:
    spec: dict[str, Any] = {"targetRefs": _targets(routes)}
    if not spec["targetRefs"]:
        return None
    differences = []
    if ingress.flag("enable-cors"):
        from ferry.gateway._convert._routes import _cors_filter

        cors = _cors_filter(ingress)
        cors["maxAge"] = _seconds(int(cors["maxAge"]))
        spec["cors"] = cors
        note = "Envoy answers CORS only for requests with an Origin header; nginx answers every OPTIONS with 204"
        for key in (
            "enable-cors",
            "cors-allow-origin",
            "cors-allow-methods",
            "cors-allow-headers",
            "cors-expose-headers",
            "cors-allow-credentials",
            "cors-max-age",
        ):
            ctx.record(ingress, key, Status.APPROXIMATE if key == "enable-cors" else Status.EXACT, note)
        differences.append(note)
    if ingress.text("auth-type") == "basic" and ingress.text("auth-secret"):
        secret = ingress.text("auth-secret")
        ns, _, name = secret.rpartition("/")
        users: dict[str, Any] = {"group": "", "kind": "Secret", "name": name}
        if ns and ns != ingress.namespace:
            users["namespace"] = ns
            ctx.grants.allow(EG, "SecurityPolicy", ingress.namespace, "", "Secret", ns, name)
        spec["basicAuth"] = {"users": users}
        note = (
            "Envoy reads the htpasswd from the Secret key '.htpasswd' (nginx: 'auth') and only {SHA} hashes; "
            "re-hash bcrypt/apr1 users; the realm is not shown"
        )
        for key in ("auth-type", "auth-secret", "auth-secret-type", "auth-realm"):
            ctx.record(ingress, key, Status.APPROXIMATE, note)
        differences.append(note)
    url = ingress.text("auth-url")
    if url:
        backend = _auth_service(ctx, ingress, url)
        http: dict[str, Any] = {"backendRefs": [backend]}
        path = urlsplit(url).path
        if path and path != "/":
            http["path"] = path
        headers = list(ingress.items("auth-response-headers"))
        if headers:
            http["headersToBackend"] = headers
        spec["extAuth"] = {"http": http}
        note = (
            "Envoy sends the original method and path prefix to the auth service (nginx: a GET subrequest to "
            "the URL with X-Original-URL); auth caching and keepalive knobs are not carried"
        )
        ctx.record(ingress, "auth-url", Status.APPROXIMATE, note)
        ctx.record(ingress, "auth-response-headers", Status.EXACT, "headersToBackend")
        ctx.record(ingress, "auth-method", Status.NONE, "Envoy forwards the client's method")
        differences.append(note)
    allow = ingress.items("allowlist-source-range")
    deny = ingress.items("denylist-source-range")
    if allow or deny:
        rules = []
        if deny:
            rules.append({"action": "Deny", "principal": {"clientCIDRs": list(deny)}})
        if allow:
            rules.append({"action": "Allow", "principal": {"clientCIDRs": list(allow)}})
        spec["authorization"] = {"defaultAction": "Deny" if allow else "Allow", "rules": rules}
        ctx.record(ingress, "allowlist-source-range", Status.EXACT, "403 for other clients")
        ctx.record(ingress, "denylist-source-range", Status.EXACT, "403 for these clients")
    if len(spec) == 1:
        return None
    sp = new_object(EG_V1, "SecurityPolicy", ingress.namespace, join_name(ingress.name), spec)
    ctx.emit(sp, owner="application", reason=f"access control of {ingress.ref}", source=ingress)
    for text in differences:
        ctx.differ(sp, text)
    return sp


def backend_tls(ctx: Context, ingress: Ingress) -> None:
    """BackendTLSPolicy (or an Envoy Gateway Backend that skips verification) for HTTPS/GRPCS backends."""
    protocol = ingress.text("backend-protocol")
    if protocol not in ("https", "grpcs"):
        if protocol:
            ctx.record(
                ingress,
                "backend-protocol",
                Status.EXACT if protocol in ("http", "grpc") else Status.NONE,
                "" if protocol in ("http", "grpc") else f"{protocol.upper()} backends have no Gateway API form",
            )
        return
    services = sorted({p.backend.service.name for r in ingress.rules for p in r.paths if p.backend.service})
    verify = ingress.text("proxy-ssl-verify") == "on"
    secret = ingress.text("proxy-ssl-secret")
    hostname = ingress.text("proxy-ssl-name")
    for service in services:
        validation: dict[str, Any] = {"hostname": hostname or f"{service}.{ingress.namespace}.svc.cluster.local"}
        if verify and secret:
            name = secret.rpartition("/")[2]
            validation["caCertificateRefs"] = [{"group": "", "kind": "ConfigMap", "name": name}]
        else:
            validation["wellKnownCACertificates"] = "System"
        spec = {"targetRefs": [{"group": "", "kind": "Service", "name": service}], "validation": validation}
        policy = new_object(GW_V1, "BackendTLSPolicy", ingress.namespace, join_name(service, "tls"), spec)
        if obj_ref(policy) in ctx.emitted:
            continue
        ctx.emit(policy, owner="application", reason=f"TLS to the backends of {ingress.ref}", source=ingress)
        if verify and secret:
            ctx.differ(policy, f"the CA moves from Secret {secret} to a ConfigMap {name} with key ca.crt; create it")
            for key in ("proxy-ssl-verify", "proxy-ssl-secret", "proxy-ssl-name", "proxy-ssl-server-name"):
                ctx.record(ingress, key, Status.APPROXIMATE, "BackendTLSPolicy; the CA must be copied to a ConfigMap")
        else:
            ctx.differ(
                policy,
                "nginx does not verify HTTPS backends by default; this policy verifies against the "
                "system CAs (set proxy-ssl-verify and a CA, or relax it on purpose)",
            )
    ctx.record(
        ingress,
        "backend-protocol",
        Status.APPROXIMATE,
        "BackendTLSPolicy always verifies the backend certificate (nginx does not unless proxy-ssl-verify)",
    )


def ingress_policies(ctx: Context, ingress: Ingress, routes: RouteSet) -> None:
    """All policies of one Ingress for the chosen target."""
    backend_tls(ctx, ingress)
    if ctx.options.target is not Target.ENVOY_GATEWAY:
        return
    _btp(ctx, ingress, routes)
    _sp(ctx, ingress, routes)
