"""What the simulator routes and what it decides (pure).

A :class:`SimRequest` is a method, a URL (scheme, host, port, path, query), headers, cookies and a client IP; a
:class:`Decision` is what a router does with it: the status, the backend (``namespace/service:port``), the redirect
``location``, the path and Host the backend sees, the request headers the route adds, and the rule that decided.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from ferry.gateway._simulate._errors import BadRequestSpecError

__all__ = ["Decision", "SimRequest", "parse_header", "parse_request_line", "request_from_json"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class SimRequest:
    """One request. ``host`` is lower-case without the port; ``headers`` keys are lower-case."""

    method: str
    scheme: str
    host: str
    port: int
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    client_ip: str = "127.0.0.1"
    gateway: str | None = None

    @property
    def url(self) -> str:
        default = _DEFAULT_PORTS.get(self.scheme) == self.port
        netloc = self.host if default else f"{self.host}:{self.port}"
        return f"{self.scheme}://{netloc}{self.request_uri}"

    @property
    def request_uri(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")

    @property
    def host_header(self) -> str:
        """The Host header as a client sends it (port only when not the scheme's default)."""
        if "host" in self.headers:
            return self.headers["host"]
        return self.host if _DEFAULT_PORTS.get(self.scheme) == self.port else f"{self.host}:{self.port}"

    @property
    def cookies(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for part in self.headers.get("cookie", "").split(";"):
            name, sep, value = part.strip().partition("=")
            if sep and name and name not in out:
                out[name] = value
        return out

    def query_params(self) -> list[tuple[str, str]]:
        out = []
        for part in self.query.split("&"):
            if not part:
                continue
            name, _, value = part.partition("=")
            out.append((name, value))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "headers": dict(self.headers),
            "client_ip": self.client_ip,
            "gateway": self.gateway,
        }


@dataclass(frozen=True)
class Decision:
    """What a router does with a request.

    ``status`` 0 means the connection is refused (no listener or no TLS certificate for the name). ``weights``
    lists every backend of a weighted split with its share; ``backend`` is then the heaviest one.
    """

    status: int
    backend: str | None = None
    location: str | None = None
    backend_path: str | None = None
    backend_host: str | None = None
    request_headers_added: Mapping[str, str] = field(default_factory=lambda: _NO_HEADERS)
    rule: str | None = None
    weights: tuple[tuple[str, float], ...] = ()
    response_headers: Mapping[str, str] = field(default_factory=lambda: _NO_HEADERS)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": self.status,
            "backend": self.backend,
            "location": self.location,
            "backend_path": self.backend_path,
            "backend_host": self.backend_host,
            "request_headers_added": dict(self.request_headers_added),
            "rule": self.rule,
        }
        if len(self.weights) > 1:
            out["weights"] = dict(self.weights)
        return out


def _check_ip(value: str, where: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError as exc:
        raise BadRequestSpecError(f"'{value}' is not an IP address", where=where) from exc


def parse_header(text: str, where: str = "-H") -> tuple[str, str]:
    """``'K: V'`` → ``("k", "V")``."""
    name, sep, value = text.partition(":")
    if not sep or not name.strip() or any(c.isspace() for c in name.strip()):
        raise BadRequestSpecError(f"header '{text}' is not 'Name: value'", where=where)
    return name.strip().lower(), value.strip()


def _from_url(
    method: str,
    url: str,
    headers: Mapping[str, str],
    client_ip: str,
    gateway: str | None,
    where: str,
) -> SimRequest:
    if not method.isalpha():
        raise BadRequestSpecError(f"'{method}' is not an HTTP method", where=where)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise BadRequestSpecError(
            f"'{url}' is not an absolute http or https URL", where=where, hint="write it as https://host/path?query"
        )
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise BadRequestSpecError(f"'{url}' has a bad port", where=where) from exc
    path = parts.path or "/"
    if gateway is not None and gateway.count("/") != 1:
        raise BadRequestSpecError(f"gateway '{gateway}' is not 'namespace/name'", where=where)
    return SimRequest(
        method=method.upper(),
        scheme=scheme,
        host=parts.hostname.lower().rstrip("."),
        port=port,
        path=path,
        query=parts.query,
        headers={k.lower(): v for k, v in headers.items()},
        client_ip=_check_ip(client_ip, where),
        gateway=gateway,
    )


def parse_request_line(
    text: str, headers: Sequence[str] = (), client_ip: str = "127.0.0.1", gateway: str | None = None
) -> SimRequest:
    """``'GET https://a.example.com/x?y=1'`` plus ``-H`` values → a request."""
    method, _, url = text.strip().partition(" ")
    if not url.strip():
        raise BadRequestSpecError(f"request '{text}' is not 'METHOD URL'", where="--request")
    parsed = dict(parse_header(h) for h in headers)
    return _from_url(method, url.strip(), parsed, client_ip, gateway, "--request")


def request_from_json(data: Any, where: str) -> SimRequest:
    """One JSONL object ``{"method", "url", "headers", "client_ip", "gateway"}`` → a request."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise BadRequestSpecError(f"invalid JSON: {exc.msg}", where=where) from exc
    if not isinstance(data, Mapping):
        raise BadRequestSpecError("a request must be a JSON object", where=where)
    unknown = set(data) - {"method", "url", "headers", "client_ip", "gateway"}
    if unknown:
        raise BadRequestSpecError(f"unknown field(s) {', '.join(sorted(unknown))}", where=where)
    url = data.get("url")
    if not isinstance(url, str):
        raise BadRequestSpecError("'url' is missing or not a string", where=where)
    method = data.get("method", "GET")
    headers = data.get("headers") or {}
    if not isinstance(method, str) or not isinstance(headers, Mapping):
        raise BadRequestSpecError("'method' must be a string and 'headers' an object", where=where)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise BadRequestSpecError("header names and values must be strings", where=where)
    client_ip = data.get("client_ip") or "127.0.0.1"
    gateway = data.get("gateway")
    if not isinstance(client_ip, str) or (gateway is not None and not isinstance(gateway, str)):
        raise BadRequestSpecError("'client_ip' and 'gateway' must be strings", where=where)
    return _from_url(method, url, headers, client_ip, gateway, where)
