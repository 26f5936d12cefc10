"""The Gateway API side the rehearsal serves with Envoy when the input has only Ingresses (pure).

One Gateway (an HTTP listener on 80, an HTTPS listener on 443 per TLS host) and one HTTPRoute per Ingress with its
hostnames, paths (Prefix and ImplementationSpecific as PathPrefix, Exact as Exact) and Service backends; the default
backend becomes a rule without matches. This carries the routing the rehearsal's load exercises (host, path,
backend); the annotation semantics are the converter's business (``ferry gateway convert``), not the cutover's.
When the input already has a Gateway and HTTPRoutes, the rehearsal serves those instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ferry._kernel._manifests import KubeObject, SourceRef

__all__ = ["GATEWAY_NAME", "candidate_paths", "gateway_api_for"]

GATEWAY_NAME = "ferry-cutover"
_GROUP = "gateway.networking.k8s.io"


def _backend_ref(backend: Any) -> dict[str, Any] | None:
    if not isinstance(backend, Mapping) or not isinstance(backend.get("service"), Mapping):
        return None
    service = backend["service"]
    port = service.get("port") if isinstance(service.get("port"), Mapping) else {}
    number = port.get("number") if isinstance(port, Mapping) else None
    if not isinstance(service.get("name"), str) or not isinstance(number, int):
        return None
    return {"name": service["name"], "port": number}


def _rules(spec: Mapping[str, Any], host: str | None) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for rule in spec.get("rules") or []:
        if not isinstance(rule, Mapping) or (rule.get("host") or None) != host:
            continue
        http = rule.get("http") if isinstance(rule.get("http"), Mapping) else {}
        for path in (http or {}).get("paths") or []:
            if not isinstance(path, Mapping):
                continue
            ref = _backend_ref(path.get("backend"))
            if ref is None:
                continue
            kind = "Exact" if path.get("pathType") == "Exact" else "PathPrefix"
            rules.append(
                {"matches": [{"path": {"type": kind, "value": path.get("path") or "/"}}], "backendRefs": [ref]}
            )
    default = _backend_ref(spec.get("defaultBackend"))
    if default is not None:
        rules.append({"backendRefs": [default]})
    return rules


def gateway_api_for(ingresses: Iterable[KubeObject], namespace: str = "default") -> list[KubeObject]:
    """A Gateway named :data:`GATEWAY_NAME` in ``namespace`` and an HTTPRoute per Ingress and host."""
    routes: list[dict[str, Any]] = []
    tls_hosts: list[str] = []
    for obj in ingresses:
        if obj.kind != "Ingress" or not isinstance(obj.body.get("spec"), Mapping):
            continue
        spec = obj.body["spec"]
        for entry in spec.get("tls") or []:
            if isinstance(entry, Mapping):
                tls_hosts.extend(h for h in entry.get("hosts") or [] if isinstance(h, str))
        hosts = [r.get("host") for r in spec.get("rules") or [] if isinstance(r, Mapping) and r.get("host")]
        for host in dict.fromkeys(hosts):
            rules = _rules(spec, host)
            if rules:
                routes.append(
                    {
                        "apiVersion": f"{_GROUP}/v1",
                        "kind": "HTTPRoute",
                        "metadata": {"name": f"{obj.name}-{len(routes)}", "namespace": obj.namespace or namespace},
                        "spec": {
                            "parentRefs": [{"name": GATEWAY_NAME, "namespace": namespace}],
                            "hostnames": [host],
                            "rules": rules,
                        },
                    }
                )
    listeners: list[dict[str, Any]] = [
        {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}}
    ]
    for i, host in enumerate(dict.fromkeys(tls_hosts)):
        listeners.append(
            {
                "name": f"https-{i}",
                "port": 443,
                "protocol": "HTTPS",
                "hostname": host,
                "allowedRoutes": {"namespaces": {"from": "All"}},
            }
        )
    gateway = {
        "apiVersion": f"{_GROUP}/v1",
        "kind": "Gateway",
        "metadata": {"name": GATEWAY_NAME, "namespace": namespace},
        "spec": {"gatewayClassName": "envoy-gateway", "listeners": listeners},
    }
    source = SourceRef("<ferry cutover translation>")
    return [KubeObject(body=body, source=source) for body in (gateway, *routes)]


_REGEX = set("^$*+?()[]{}|\\")


def candidate_paths(objects: Iterable[KubeObject]) -> dict[str, list[str]]:
    """Per hostname, the literal paths its Ingress rules and HTTPRoutes route (then ``/``), for the rehearsal to
    find one that both sides serve from a backend."""
    out: dict[str, list[str]] = {}
    for obj in objects:
        spec = obj.body.get("spec")
        if not isinstance(spec, Mapping):
            continue
        if obj.kind == "Ingress":
            for rule in spec.get("rules") or []:
                if not isinstance(rule, Mapping) or not isinstance(rule.get("host"), str):
                    continue
                http = rule.get("http") if isinstance(rule.get("http"), Mapping) else {}
                paths = [p.get("path") for p in (http or {}).get("paths") or [] if isinstance(p, Mapping)]
                out.setdefault(rule["host"].lower(), []).extend(p for p in paths if isinstance(p, str))
        elif obj.kind == "HTTPRoute":
            values = [
                m.get("path", {}).get("value")
                for r in spec.get("rules") or []
                if isinstance(r, Mapping)
                for m in r.get("matches") or []
                if isinstance(m, Mapping) and isinstance(m.get("path"), Mapping)
            ]
            for host in spec.get("hostnames") or []:
                if isinstance(host, str):
                    out.setdefault(host.lower(), []).extend(v for v in values if isinstance(v, str))
    return {
        host: list(dict.fromkeys([p for p in paths if p.startswith("/") and not (_REGEX & set(p))] + ["/"]))
        for host, paths in out.items()
    }
