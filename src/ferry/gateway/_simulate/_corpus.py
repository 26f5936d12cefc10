"""Generate a replay corpus from the routes themselves (pure).

Every path at its boundaries (as written, with and without a trailing ``/``, plus a segment, plus characters, in
upper case), every host (exact, a wildcard one and two labels deep, the bare parent, an unknown one), http and https,
canary headers and cookies, client IPs inside and outside allow and deny lists, the headers, methods and query
parameters Gateway API matches ask for, and the user's own requests. Deterministic: the same routes give the same
corpus in the same order.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Iterable, Sequence

from ferry.gateway._ingress import IngressInput
from ferry.gateway._simulate._gwapi_model import Filter, GatewayModel
from ferry.gateway._simulate._nginx_model import CATCH_ALL, ServerTable, build_server_table
from ferry.gateway._simulate._request import SimRequest

__all__ = ["generate_corpus", "literal_prefix", "path_variants"]

_OUTSIDE_IPS = ("203.0.113.7", "198.51.100.20")
_REGEX_META = set("\\^$.|?*+()[]{}")


def literal_prefix(pattern: str) -> str:
    """The longest literal start of a regex path (``/foo/bar/(.+)`` → ``/foo/bar/``)."""
    out = []
    for ch in pattern:
        if ch in _REGEX_META:
            break
        out.append(ch)
    text = "".join(out)
    # A quantifier applies to the previous character: drop it.
    if len(text) < len(pattern) and pattern[len(text)] in "?*{" and text:
        text = text[:-1]
    return text or "/"


def path_variants(path: str, regex: bool = False) -> list[str]:
    """The boundary paths of one route path."""
    base = literal_prefix(path) if regex else path
    if not base.startswith("/"):
        base = "/" + base
    out = [base]
    bare = base.rstrip("/") or "/"
    out += [bare, bare + "/" if bare != "/" else "/", bare.rstrip("/") + "/seg", bare + "x", base.upper()]
    if regex:
        out += [bare.rstrip("/") + "/abc", bare.rstrip("/") + "/123/x"]
    return list(dict.fromkeys(p for p in out if p))


def host_variants(host: str) -> list[str]:
    if not host or host in (CATCH_ALL, "*"):
        return ["unknown.ferry-verify.invalid"]
    if host.startswith("*."):
        parent = host[2:]
        return [f"a.{parent}", f"a.b.{parent}", parent]
    return [host]


def _ips_for(cidrs: Sequence[str]) -> list[str]:
    out = []
    for cidr in cidrs:
        try:
            net = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            continue
        if net.version != 4:
            continue
        out.append(str(net.network_address + (1 if net.num_addresses > 2 else 0)))
        out.append(str(net.broadcast_address - 1 if net.num_addresses > 2 else net.network_address))
    out += [ip for ip in _OUTSIDE_IPS if all(ipaddress.ip_address(ip) not in _net(c) for c in cidrs)]
    return list(dict.fromkeys(out))


def _net(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return ipaddress.ip_network("0.0.0.0/32")


def _basic(user: str, password: str) -> str:
    """Basic credentials; the corpus tries each user's own name as the password (test estates use that)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class _Corpus:
    def __init__(self) -> None:
        self.items: dict[tuple[object, ...], SimRequest] = {}

    def add(
        self,
        host: str,
        path: str,
        *,
        scheme: str = "http",
        port: int | None = None,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        client_ip: str = "127.0.0.1",
        query: str = "",
    ) -> None:
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        port = port or (443 if scheme == "https" else 80)
        key = (method, scheme, host, port, path, query, tuple(sorted(headers.items())), client_ip)
        if key not in self.items:
            self.items[key] = SimRequest(method, scheme, host, port, path, query, headers, client_ip)


def _from_servers(table: ServerTable, corpus: _Corpus) -> None:
    for server in table.servers:
        names = [server.name, *server.aliases]
        hosts = [h for name in names for h in host_variants(name)]
        for loc in server.locations:
            regex = loc.match == "regex" and loc.path_type == "ImplementationSpecific"
            source = loc.source_path or loc.path
            for host in hosts[:3]:
                for path in path_variants(source, regex=regex):
                    for scheme in ("http", "https"):
                        corpus.add(host, path, scheme=scheme)
                corpus.add(host, source if not regex else literal_prefix(source), scheme="https", query="q=1&r=two")
            host = hosts[0]
            path = literal_prefix(source) if regex else source
            if loc.canary is not None:
                c = loc.canary
                if c.header:
                    values = [c.header_value] if c.header_value else ["always", "never", "other"]
                    if c.header_pattern:
                        values = [literal_prefix(c.header_pattern).lstrip("/^") or "x", "no-match-value"]
                    for value in values:
                        for scheme in ("http", "https"):
                            corpus.add(host, path, scheme=scheme, headers={c.header: value or ""})
                if c.cookie:
                    for value in ("always", "never"):
                        corpus.add(host, path, scheme="https", headers={"cookie": f"{c.cookie}={value}"})
            if loc.allow or loc.deny:
                for ip in _ips_for([*loc.allow, *loc.deny]):
                    for scheme in ("http", "https"):
                        corpus.add(host, path, scheme=scheme, client_ip=ip)
            if loc.auth_users is not None:
                for user in [u for u, _ in loc.auth_users[:2]] or ["nobody"]:
                    for password in (user, "wrong-password"):
                        corpus.add(host, path, scheme="https", headers={"authorization": _basic(user, password)})
            if loc.cors:
                corpus.add(
                    host,
                    path,
                    scheme="https",
                    method="OPTIONS",
                    headers={"origin": "https://client.example", "access-control-request-method": "GET"},
                )


def _hrf_cookies(model: GatewayModel, namespace: str, filters: Sequence[Filter]) -> list[tuple[str, str]]:
    out = []
    for f in filters:
        if f.kind != "HTTPRouteFilter":
            continue
        for entry in model.route_filters.get(f"{namespace}/{f.spec.get('name')}", {}).get("matches") or ():
            for c in entry.get("cookies") or () if isinstance(entry, dict) else ():
                if isinstance(c, dict) and c.get("type", "Exact") == "Exact":
                    out.append((str(c.get("name", "")), str(c.get("value", ""))))
    return out


def _from_gateway(model: GatewayModel, corpus: _Corpus) -> None:
    for gw in model.gateways:
        for listener in gw.listeners:
            if listener.protocol not in ("HTTP", "HTTPS"):
                continue
            scheme = "https" if listener.protocol == "HTTPS" else "http"
            for route in model.routes:
                hostnames = route.hostnames or ((listener.hostname,) if listener.hostname else ("*",))
                hosts = [h for name in hostnames for h in host_variants(name)]
                for rule in route.rules:
                    for match in rule.matches:
                        regex = match.path_type == "RegularExpression"
                        headers = {h.name: h.value for h in match.headers if h.type == "Exact"}
                        cookies = _hrf_cookies(model, route.namespace, rule.filters)
                        if cookies:
                            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in cookies)
                        query = "&".join(f"{q.name}={q.value}" for q in match.query if q.type == "Exact")
                        method = match.method or "GET"
                        for host in hosts[:3]:
                            for path in path_variants(match.path, regex=regex)[:5]:
                                corpus.add(
                                    host,
                                    path,
                                    scheme=scheme,
                                    port=listener.port,
                                    method=method,
                                    headers=headers,
                                    query=query,
                                )
                            if headers or query or match.method:
                                corpus.add(
                                    host,
                                    match.path if not regex else literal_prefix(match.path),
                                    scheme=scheme,
                                    port=listener.port,
                                )
                    policy = model.policies.get((route.key, rule.name or "\0")) or model.policies.get((route.key, ""))
                    if policy is not None and policy.basic_auth is not None and hosts:
                        users = [u for u, _ in (policy.basic_auth.htpasswd or ())[:2]] or ["nobody"]
                        path = rule.matches[0].path if rule.matches[0].path_type != "RegularExpression" else "/"
                        for user in users:
                            for password in (user, "wrong-password"):
                                auth = {"authorization": _basic(user, password)}
                                corpus.add(hosts[0], path, scheme=scheme, port=listener.port, headers=auth)
                    if policy is not None and policy.authorization is not None and hosts:
                        cidrs = [c for _, cs in policy.authorization.rules for c in cs]
                        path = rule.matches[0].path if rule.matches[0].path_type != "RegularExpression" else "/"
                        for ip in _ips_for(cidrs):
                            corpus.add(hosts[0], path, scheme=scheme, port=listener.port, client_ip=ip)


def generate_corpus(
    ingress: IngressInput | ServerTable | None = None,
    gateway: GatewayModel | None = None,
    extra: Iterable[SimRequest] = (),
) -> list[SimRequest]:
    """The replay corpus for these routes (deterministic order), user requests first."""
    corpus = _Corpus()
    for req in extra:
        corpus.items.setdefault(("user", len(corpus.items)), req)
    if ingress is not None:
        table = ingress if isinstance(ingress, ServerTable) else build_server_table(ingress)
        _from_servers(table, corpus)
    if gateway is not None:
        _from_gateway(gateway, corpus)
    return [r for r in corpus.items.values() if re.fullmatch(r"[A-Za-z0-9.\-]+", r.host)]
