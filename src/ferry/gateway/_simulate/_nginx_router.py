"""The ingress-nginx router (pure): which server, which location, and what that location does with a request.

Phases follow nginx: server selection (exact names, then one-label wildcards in file order, then ``_``); location
selection (``=`` exact, auto-redirect of ``/p`` to ``/p/``, longest prefix; in regex mode the first ``~* ^path`` in
file order); then the rewrite phase (app-root, permanent/temporal redirects, CORS preflight, ssl-redirect, rewrite),
the access phase (deny list, allow list) and the balancer (canary by header, cookie, weight).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from functools import lru_cache

from ferry.gateway._ingress import IngressInput
from ferry.gateway._simulate._htpasswd import check_basic
from ferry.gateway._simulate._nginx_model import (
    CATCH_ALL,
    Canary,
    NginxLocation,
    NginxServer,
    ServerTable,
    build_server_table,
)
from ferry.gateway._simulate._request import Decision, SimRequest

__all__ = ["NginxRouter", "canary_choice", "expand_variables", "nginx_rewrite"]

_ONE_LABEL = r"[\w-]+"


@lru_cache(maxsize=4096)
def _regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, flags)


def _server_name_regex(name: str) -> re.Pattern[str]:
    return _regex("^" + _ONE_LABEL + re.escape(name[1:]) + "$")


def nginx_rewrite(uri: str, query: str, pattern: str, target: str) -> tuple[str, str] | None:
    """nginx ``rewrite "(?i)<pattern>" <target> break``: the new (path, query), or None when it does not match."""
    m = _regex(pattern, re.IGNORECASE).search(uri)
    if m is None:
        return None

    def group(g: re.Match[str]) -> str:
        index = int(g.group(1))
        return (m.group(index) or "") if index <= (m.re.groups or 0) else ""

    replaced = re.sub(r"\$(\d)", group, target)
    if replaced.endswith("?"):
        return replaced[:-1], ""
    path, sep, new_query = replaced.partition("?")
    if sep:
        return path, new_query + (f"&{query}" if query else "")
    return path, query


def expand_variables(text: str, request: SimRequest) -> str:
    """nginx variables in a ``return`` URL or rewrite target ($scheme, $host, $http_host, $request_uri, ...)."""
    values = {
        "scheme": request.scheme,
        "host": request.host,
        "http_host": request.host_header,
        "server_name": request.host,
        "request_uri": request.request_uri,
        "uri": request.path,
        "document_uri": request.path,
        "args": request.query,
        "query_string": request.query,
        "is_args": "?" if request.query else "",
        "request_method": request.method,
        "remote_addr": request.client_ip,
    }

    def one(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if name.startswith("http_"):
            return request.headers.get(name[5:].replace("_", "-"), values.get(name, ""))
        if name.startswith("arg_"):
            return next((v for k, v in request.query_params() if k == name[4:]), "")
        if name.startswith("cookie_"):
            return request.cookies.get(name[7:], "")
        return values.get(name, "")

    return re.sub(r"\$\{(\w+)\}|\$([A-Za-z_]\w*)", one, text)


def canary_choice(canary: Canary, request: SimRequest) -> str | None:
    """``canary`` / ``primary`` when header or cookie decide, None when the weight decides (balancer.lua)."""
    if canary.header:
        value = request.headers.get(canary.header.lower())
        if value is not None:
            if canary.header_value:
                if value == canary.header_value:
                    return "canary"
            elif canary.header_pattern:
                try:
                    if _regex(canary.header_pattern).search(value):
                        return "canary"
                except re.error:
                    return "primary"
            elif value == "always":
                return "canary"
            elif value == "never":
                return "primary"
    if canary.cookie:
        value = request.cookies.get(canary.cookie)
        if value == "always":
            return "canary"
        if value == "never":
            return "primary"
    return None


def _ip_in(ip: str, cidrs: tuple[str, ...]) -> bool:
    addr = ipaddress.ip_address(ip)
    for cidr in cidrs:
        try:
            if addr in ipaddress.ip_network(cidr, strict=False):
                return True
        except ValueError:
            continue
    return False


class _StaticIndex:
    """nginx's static location tree for one server, as dictionaries (first location in file order wins)."""

    def __init__(self, locations: list[NginxLocation]) -> None:
        self.exact: dict[str, NginxLocation] = {}
        self.slash: dict[str, NginxLocation] = {}
        self.prefix: dict[str, NginxLocation] = {}
        for loc in locations:
            if loc.match == "exact":
                self.exact.setdefault(loc.path, loc)
            elif loc.match == "prefix":
                self.prefix.setdefault(loc.path, loc)
            if loc.backend is not None and loc.path.endswith("/"):
                self.slash.setdefault(loc.path, loc)
        self.lengths = sorted({len(p) for p in self.prefix}, reverse=True)


class NginxRouter:
    """Routes requests as ingress-nginx would serve the given Ingresses and ConfigMap."""

    def __init__(
        self,
        data: IngressInput | ServerTable,
        secrets: Mapping[str, Mapping[str, str]] | None = None,
        services: Mapping[str, Mapping[str, int]] | None = None,
    ) -> None:
        self.table = data if isinstance(data, ServerTable) else build_server_table(data, secrets, services)
        self._exact: dict[str, NginxServer] = {}
        self._wild: list[NginxServer] = []
        for server in self.table.servers:
            if server.name == CATCH_ALL:
                continue
            names = (server.name, *server.aliases)
            for name in names:
                if name.startswith("*."):
                    self._wild.append(server) if server not in self._wild else None
                else:
                    self._exact.setdefault(name, server)
        self._catch_all = self.table.server(CATCH_ALL)
        self._indexes: dict[str, _StaticIndex] = {}
        self._rules: dict[int, str] = {}

    def server_for(self, host: str) -> NginxServer | None:
        found = self._exact.get(host)
        if found is not None:
            return found
        for server in self._wild:
            for name in (server.name, *server.aliases):
                if name.startswith("*.") and _server_name_regex(name).match(host):
                    return server
        return self._catch_all

    def location_for(self, server: NginxServer, path: str) -> tuple[NginxLocation | None, bool]:
        """The location serving ``path``, and whether nginx answers with its slash-appending 301 instead."""
        if server.enforce_regex:
            for loc in server.locations:
                if _regex("^" + loc.path, re.IGNORECASE).match(path):
                    return loc, False
            return None, False
        index = self._indexes.get(server.name)
        if index is None:
            index = self._indexes[server.name] = _StaticIndex(server.locations)
        found = index.exact.get(path)
        if found is not None:
            return found, False
        if not path.endswith("/"):
            found = index.slash.get(path + "/")
            if found is not None:
                return found, True
        for length in index.lengths:
            if length <= len(path):
                found = index.prefix.get(path[:length])
                if found is not None:
                    return found, False
        return None, False

    def locate(self, request: SimRequest) -> NginxLocation | None:
        """The location that serves ``request`` (None for redirect servers and unmatched paths)."""
        server = self.server_for(request.host)
        if server is None or server.redirect_to is not None:
            return None
        return self.location_for(server, request.path)[0]

    def route(self, request: SimRequest) -> Decision:
        if request.port not in (80, 443):
            return Decision(status=0, rule="no listener: ingress-nginx serves HTTP on 80 and HTTPS on 443")
        server = self.server_for(request.host)
        if server is None:
            return Decision(status=404, rule="no server")
        if server.redirect_to is not None:
            uri = request.request_uri
            uri = uri[:-1] if uri.endswith("/") else uri
            return Decision(
                status=server.redirect_code,
                location=f"{request.scheme}://{server.redirect_to}{uri}",
                rule=f"server {server.name}: from-to-www-redirect",
            )
        loc, slash_redirect = self.location_for(server, request.path)
        if loc is None:
            return Decision(status=404, rule=f"server {server.name}: no location")
        rule = self._rules.get(id(loc))
        if rule is None:
            rule = self._rules[id(loc)] = f"server {server.name}: {loc.label}"
        if loc.denied is not None:
            return Decision(status=503, rule=f"{rule} (location denied: {loc.denied})")
        query = f"?{request.query}" if request.query else ""
        if slash_redirect:
            return Decision(status=301, location=f"{request.scheme}://{request.host}{request.path}/{query}", rule=rule)
        if loc.app_root and request.path == "/":
            root = expand_variables(loc.app_root, request)
            return Decision(status=302, location=f"{request.scheme}://{request.host_header}{root}", rule=rule)
        if loc.redirect_url:
            return Decision(status=loc.redirect_code, location=expand_variables(loc.redirect_url, request), rule=rule)
        if loc.cors and request.method == "OPTIONS":
            return Decision(status=204, rule=rule)
        if loc.ssl_redirect and request.scheme == "http":
            uri = request.request_uri
            if not loc.preserve_trailing_slash and uri.endswith("/"):
                uri = uri[:-1]
            return Decision(
                status=self.table.config.http_redirect_code, location=f"https://{request.host}{uri}", rule=rule
            )
        path, q = request.path, request.query
        if loc.rewrite_target is not None:
            pattern = loc.path
            target = expand_variables(loc.rewrite_target, request)
            rewritten = nginx_rewrite(request.path, request.query, pattern, target)
            if rewritten is not None:
                path, q = rewritten
                if path.startswith(("http://", "https://")):
                    return Decision(status=302, location=path + (f"?{q}" if q else ""), rule=rule)
        if loc.deny and _ip_in(request.client_ip, loc.deny):
            return Decision(status=403, rule=rule)
        if loc.allow and not _ip_in(request.client_ip, loc.allow):
            return Decision(status=403, rule=rule)
        if loc.auth_users is not None and not check_basic(
            loc.auth_users, request.headers.get("authorization"), plain=True
        ):
            return Decision(status=401, rule=rule)
        if loc.backend is None:
            return Decision(status=404, rule=rule)
        backend = loc.backend
        weights: tuple[tuple[str, float], ...] = ()
        if loc.canary is not None:
            choice = canary_choice(loc.canary, request)
            if choice == "canary":
                backend = loc.canary.backend
            elif choice is None and loc.canary.share > 0:
                share = loc.canary.share
                weights = ((loc.backend, 1 - share), (loc.canary.backend, share))
                backend = loc.canary.backend if share > 0.5 else loc.backend
        added = {}
        if loc.x_forwarded_prefix:
            added["x-forwarded-prefix"] = loc.x_forwarded_prefix
        return Decision(
            status=200,
            backend=backend,
            backend_path=path + (f"?{q}" if q else ""),
            backend_host=loc.upstream_vhost or request.host_header,
            request_headers_added=added,
            rule=rule,
            weights=tuple(w for w in weights if w[1] > 0),
        )
