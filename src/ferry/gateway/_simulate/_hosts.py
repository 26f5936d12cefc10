"""Host names: wildcard matching and the Gateway API listener × route intersection (pure)."""

from __future__ import annotations

__all__ = ["intersect_hostnames", "select_domain", "wildcard_matches"]


def wildcard_matches(pattern: str, host: str) -> bool:
    """Gateway API / Envoy suffix wildcard: ``*.example.com`` matches ``a.example.com`` and ``a.b.example.com``."""
    if pattern == "*":
        return True
    if pattern.startswith("*"):
        suffix = pattern[1:]
        return host.endswith(suffix) and len(host) > len(suffix)
    return pattern == host


def intersect_hostnames(listener: str | None, route: tuple[str, ...]) -> list[str]:
    """The host names a route serves on a listener (Envoy Gateway ``computeHosts``); empty means not attached."""
    if not route:
        return [listener or "*"]
    if listener is None:
        return list(route)
    out: list[str] = []
    for host in route:
        if host == listener:
            out.append(host)
        elif host.startswith("*") and not listener.startswith("*"):
            if wildcard_matches(host, listener):
                out.append(listener)
        elif listener.startswith("*") and not host.startswith("*"):
            if wildcard_matches(listener, host):
                out.append(host)
        elif host.startswith("*") and listener.startswith("*"):
            if host.endswith(listener[1:]):
                out.append(host)
            elif listener.endswith(host[1:]):
                out.append(listener)
    return list(dict.fromkeys(out))


def select_domain(domains: list[str], host: str) -> str | None:
    """Envoy virtual host selection: exact, then the longest suffix wildcard, then ``*``."""
    if host in domains:
        return host
    best: str | None = None
    for domain in domains:
        wildcard = domain != "*" and domain.startswith("*")
        if wildcard and wildcard_matches(domain, host) and (best is None or len(domain) > len(best)):
            best = domain
    if best is not None:
        return best
    return "*" if "*" in domains else None
