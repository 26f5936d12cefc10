"""The servers and locations ingress-nginx generates from Ingresses (pure).

This is the table both the ingress-nginx router and the nginx.conf renderer read, so the simulator and the real
nginx answer from the same model: server names (exact, one-label wildcards, the catch-all ``_``), per server the
locations in nginx.conf order (Prefix normalised into ``= /p`` + ``/p/``, host-wide regex mode, longest first then
reverse-lexicographic), and per location the annotations that change a request's outcome.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from ferry.gateway._ingress import ControllerConfig, Ingress, IngressBackend, IngressInput, PathType
from ferry.gateway._simulate._htpasswd import parse_htpasswd

__all__ = ["Canary", "NginxLocation", "NginxServer", "ServerTable", "backend_key", "build_server_table"]

CATCH_ALL = "_"


def backend_key(
    namespace: str, backend: IngressBackend | None, services: Mapping[str, Mapping[str, int]] | None = None
) -> str | None:
    """``namespace/service:port`` of an Ingress backend (None for resource backends and no backend).

    A port given by name is resolved to its number through ``services`` (``namespace/name`` → port names) when the
    Service is known, as ingress-nginx resolves it through the Service.
    """
    if backend is None or backend.service is None:
        return None
    port: int | str = backend.service.port
    if backend.service.port_name and services is not None:
        port = services.get(f"{namespace}/{backend.service.name}", {}).get(backend.service.port_name, port)
    return f"{namespace}/{backend.service.name}:{port}"


@dataclass(frozen=True)
class Canary:
    """The alternative backend of a location (header → cookie → weight, as ``balancer.lua`` decides)."""

    backend: str
    ingress: str
    header: str | None = None
    header_value: str | None = None
    header_pattern: str | None = None
    cookie: str | None = None
    weight: int = 0
    weight_total: int = 100

    @property
    def share(self) -> float:
        total = self.weight_total if self.weight_total > 100 else 100
        return min(max(self.weight, 0), total) / total


@dataclass(frozen=True)
class NginxLocation:
    """One ``location`` block. ``match`` is ``exact`` (``=``), ``prefix`` or ``regex`` (``~* ^path``)."""

    path: str
    match: str
    ingress: str | None = None
    backend: str | None = None
    source_path: str = ""
    path_type: str = ""
    rewrite_target: str | None = None
    x_forwarded_prefix: str | None = None
    app_root: str | None = None
    redirect_url: str | None = None
    redirect_code: int = 0
    ssl_redirect: bool = False
    preserve_trailing_slash: bool = False
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    upstream_vhost: str | None = None
    cors: bool = False
    canary: Canary | None = None
    auth_users: tuple[tuple[str, str], ...] | None = None
    auth_realm: str = ""
    denied: str | None = None
    annotations_of: str | None = None  # the Ingress whose annotations the implicit root location carries

    @cached_property
    def label(self) -> str:
        mod = {"exact": "= ", "prefix": "", "regex": "~* ^"}[self.match]
        owner = f"Ingress {self.ingress}" if self.ingress else "default backend"
        return f"{owner}: location {mod}{self.path}"


@dataclass
class NginxServer:
    """One ``server`` block."""

    name: str
    aliases: tuple[str, ...] = ()
    has_cert: bool = False
    enforce_regex: bool = False
    locations: list[NginxLocation] = field(default_factory=list)
    redirect_to: str | None = None
    redirect_code: int = 308

    @property
    def wildcard(self) -> bool:
        return self.name.startswith("*.")


@dataclass(frozen=True)
class ServerTable:
    """Every server, in nginx.conf order (by name), the catch-all last; ``backends`` every backend referenced."""

    servers: tuple[NginxServer, ...]
    config: ControllerConfig
    backends: tuple[str, ...]

    def server(self, name: str) -> NginxServer | None:
        return next((s for s in self.servers if s.name == name), None)


def _basic_auth(
    ing: Ingress, secrets: Mapping[str, Mapping[str, str]] | None
) -> tuple[tuple[tuple[str, str], ...] | None, str | None]:
    """(users, denied reason) for ``auth-type: basic``; users () when the Secret was not given (none can match)."""
    if ing.text("auth-type").lower() != "basic":
        return None, None
    ref = ing.text("auth-secret")
    if not ref:
        return None, "auth-type basic without auth-secret"
    key = ref if "/" in ref else f"{ing.namespace}/{ref}"
    if secrets is None or key not in secrets:
        return (), None
    data = secrets[key]
    if ing.text("auth-secret-type", "auth-file") == "auth-map":
        return tuple(sorted(data.items())), None
    if "auth" not in data:
        return None, f"Secret {key} has no 'auth' key"
    return parse_htpasswd(data["auth"]), None


def _location_from(ing: Ingress, cfg: ControllerConfig, host: str, has_cert: bool) -> NginxLocation:
    redirect_url, code = None, 0
    if ing.text("temporal-redirect"):
        redirect_url = ing.text("temporal-redirect")
        code = ing.number("temporal-redirect-code") or 302
    elif ing.text("permanent-redirect"):
        redirect_url = ing.text("permanent-redirect")
        code = ing.number("permanent-redirect-code") or 301
    ssl_default = cfg.ssl_redirect
    ssl_redirect = ing.flag("ssl-redirect", ssl_default) and has_cert
    force = ing.flag("force-ssl-redirect", cfg.force_ssl_redirect)
    return NginxLocation(
        path="",
        match="prefix",
        ingress=f"{ing.namespace}/{ing.name}",
        rewrite_target=ing.text("rewrite-target") or None,
        x_forwarded_prefix=ing.text("x-forwarded-prefix") or None,
        app_root=ing.text("app-root") if ing.text("app-root").startswith("/") else None,
        redirect_url=redirect_url,
        redirect_code=code,
        ssl_redirect=ssl_redirect or force,
        preserve_trailing_slash=ing.flag("preserve-trailing-slash"),
        allow=ing.items("allowlist-source-range"),
        deny=ing.items("denylist-source-range"),
        upstream_vhost=ing.text("upstream-vhost") or None,
        cors=ing.flag("enable-cors"),
    )


def _canary_from(ing: Ingress, backend: str) -> Canary:
    return Canary(
        backend=backend,
        ingress=f"{ing.namespace}/{ing.name}",
        header=ing.text("canary-by-header") or None,
        header_value=ing.text("canary-by-header-value") or None,
        header_pattern=ing.text("canary-by-header-pattern") or None,
        cookie=ing.text("canary-by-cookie") or None,
        weight=ing.number("canary-weight") or 0,
        weight_total=ing.number("canary-weight-total") or 100,
    )


def _has_cert(host: str, ingresses: Iterable[Ingress]) -> bool:
    for ing in ingresses:
        for tls in ing.tls:
            if tls.secret_name is None:
                continue
            for name in tls.hosts:
                if name == host:
                    return True
                if name.startswith("*.") and host.endswith(name[1:]) and "." not in host[: -len(name) + 1]:
                    return True
    return False


def _order(locations: list[NginxLocation]) -> list[NginxLocation]:
    # ingress-nginx: stable sort by path descending, then stable sort by path length descending.
    by_path = sorted(locations, key=lambda loc: loc.path, reverse=True)
    return sorted(by_path, key=lambda loc: len(loc.path), reverse=True)


def build_server_table(
    data: IngressInput,
    secrets: Mapping[str, Mapping[str, str]] | None = None,
    services: Mapping[str, Mapping[str, int]] | None = None,
) -> ServerTable:
    """The servers ingress-nginx would write for ``data`` (Ingresses already in ingress-nginx order).

    ``secrets`` (``namespace/name`` → data) are the Secrets basic auth reads; one that is not given is taken to
    exist with users nobody can match. ``services`` (``namespace/name`` → named ports) resolve named backend ports.
    """
    cfg = data.config
    primaries = [i for i in data.ingresses if not i.is_canary]
    canaries = [i for i in data.ingresses if i.is_canary]
    hosts: list[str] = []
    for ing in primaries:
        for rule in ing.rules:
            if rule.host and rule.host not in hosts:
                hosts.append(rule.host)
    catch_all_backend: str | None = None
    for ing in primaries:
        if ing.default_backend is not None and not ing.rules and catch_all_backend is None:
            catch_all_backend = backend_key(ing.namespace, ing.default_backend, services)
    servers: dict[str, NginxServer] = {}
    for host in [*hosts, CATCH_ALL]:
        server = NginxServer(host, has_cert=host != CATCH_ALL and _has_cert(host, primaries))
        raw: list[NginxLocation] = []
        seen: set[tuple[str, str]] = set()
        regex_mode = False
        root_backend = catch_all_backend if host == CATCH_ALL else None
        root_base: NginxLocation | None = None
        for ing in primaries:
            for rule in ing.rules:
                if (rule.host or CATCH_ALL) != host:
                    continue
                if host != CATCH_ALL and ing.default_backend is not None and root_backend is None:
                    root_backend = backend_key(ing.namespace, ing.default_backend, services)
                base = _location_from(ing, cfg, host, server.has_cert)
                users, denied = _basic_auth(ing, secrets)
                base = replace(base, auth_users=users, auth_realm=ing.text("auth-realm"), denied=denied)
                root_base = root_base or base
                if ing.flag("use-regex") or (base.rewrite_target is not None):
                    regex_mode = True
                for p in rule.paths:
                    key = (p.path, str(p.path_type))
                    if key in seen:
                        continue
                    seen.add(key)
                    match = "exact" if p.path_type == PathType.EXACT else "prefix"
                    loc = replace(
                        base,
                        path=p.path,
                        match=match,
                        backend=backend_key(ing.namespace, p.backend, services),
                        source_path=p.path,
                        path_type=str(p.path_type),
                        rewrite_target=base.rewrite_target if base.rewrite_target != p.path else None,
                    )
                    raw.append(loc)
            if host in ing.hosts:
                aliases = ing.items("server-alias")
                server.aliases = tuple(dict.fromkeys([*server.aliases, *aliases]))
        # Canaries: an alternative backend on the primary's location with the same path and path type.
        for ing in canaries:
            for rule in ing.rules:
                if (rule.host or CATCH_ALL) != host:
                    continue
                for p in rule.paths:
                    alt = backend_key(ing.namespace, p.backend, services)
                    for i, loc in enumerate(raw):
                        if alt and loc.source_path == p.path and loc.path_type == str(p.path_type) and not loc.canary:
                            raw[i] = replace(loc, canary=_canary_from(ing, alt))
                            break
        # Prefix normalisation (updateServerLocations).
        locations: list[NginxLocation] = []
        exact_paths = {loc.path for loc in raw if loc.match == "exact"}
        for loc in raw:
            normalise = (
                loc.path_type == str(PathType.PREFIX)
                and loc.path != "/"
                and loc.rewrite_target is None
                and not _uses_regex(loc, primaries)
            )
            if not normalise:
                locations.append(loc)
                continue
            if loc.path not in exact_paths:
                locations.append(replace(loc, match="exact"))
            locations.append(replace(loc, path=loc.path if loc.path.endswith("/") else loc.path + "/"))
        if not any(loc.path == "/" and loc.match == "prefix" for loc in locations):
            # The implicit root location carries the annotations of the host's first Ingress (ingress-nginx applies
            # them to it) but serves the default backend: redirects, access lists and auth still apply.
            root = NginxLocation(path="/", match="prefix", backend=root_backend, path_type="Prefix")
            if root_base is not None and host != CATCH_ALL:
                root = replace(
                    root_base,
                    path="/",
                    match="prefix",
                    backend=root_backend,
                    source_path="/",
                    path_type="Prefix",
                    ingress=None,
                    annotations_of=root_base.ingress,
                    rewrite_target=None,
                    x_forwarded_prefix=None,
                    upstream_vhost=None,
                    canary=None,
                )
            locations.append(root)
        if regex_mode:
            locations = [replace(loc, match="regex") for loc in locations]
        server.enforce_regex = regex_mode
        server.locations = _order(locations)
        servers[host] = server
    # from-to-www-redirect: a redirect server for the other name when nobody defines it.
    for ing in primaries:
        if not ing.flag("from-to-www-redirect"):
            continue
        for rule in ing.rules:
            host = rule.host
            if not host or host.startswith("*."):
                continue
            other = host[4:] if host.startswith("www.") else f"www.{host}"
            if other not in servers:
                servers[other] = NginxServer(other, redirect_to=host, redirect_code=cfg.http_redirect_code)
    ordered = sorted((s for n, s in servers.items() if n != CATCH_ALL), key=lambda s: s.name)
    ordered.append(servers[CATCH_ALL])
    backends: list[str] = []
    for server in ordered:
        for loc in server.locations:
            for b in (loc.backend, loc.canary.backend if loc.canary else None):
                if b and b not in backends:
                    backends.append(b)
    return ServerTable(tuple(ordered), cfg, tuple(backends))


def _uses_regex(loc: NginxLocation, ingresses: list[Ingress]) -> bool:
    for ing in ingresses:
        if loc.ingress == f"{ing.namespace}/{ing.name}":
            return ing.flag("use-regex")
    return False
