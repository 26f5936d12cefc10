"""Send a simulator request to a running data plane and observe the outcome as a decision (I/O)."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from dataclasses import dataclass, field
from typing import Any

from ferry.gateway._simulate import DataPlaneError, Decision, SimRequest
from ferry.gateway._verify._harness import DataPlane

__all__ = ["Observed", "observed_matches", "send"]

_TLS = ssl.create_default_context()
_TLS.check_hostname = False
_TLS.verify_mode = ssl.CERT_NONE


@dataclass(frozen=True)
class Observed:
    """What a real proxy did: the status, the echo backend that answered (and what it received), the Location."""

    status: int
    backend: str | None = None
    location: str | None = None
    backend_path: str | None = None
    backend_host: str | None = None
    backend_headers: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "backend": self.backend,
            "location": self.location,
            "backend_path": self.backend_path,
            "backend_host": self.backend_host,
        }


def send(plane: DataPlane, request: SimRequest, *, gateway: str = "", timeout: float = 10.0) -> Observed:
    """Replay ``request`` against ``plane`` on the real port of the request's logical port.

    The Host header and SNI are the request's; the client address travels in X-Forwarded-For (both proxies trust
    loopback for it). A refused connection or failed TLS handshake is status 0.
    """
    port = plane.port_for(request.port, gateway)
    conn: http.client.HTTPConnection
    conn = http.client.HTTPConnection(plane.host, port, timeout=timeout)
    headers = {k: v for k, v in request.headers.items() if k != "host"}
    headers["Host"] = request.host_header
    headers["X-Forwarded-For"] = request.client_ip
    try:
        if request.scheme == "https":
            # TLS with SNI = the request's host; the connection then speaks HTTP over it.
            sock = socket.create_connection((plane.host, port), timeout=timeout)
            conn.sock = _TLS.wrap_socket(sock, server_hostname=request.host)
        conn.request(request.method, request.request_uri, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
    except (ssl.SSLError, ConnectionError) as exc:
        if isinstance(exc, ConnectionRefusedError):
            raise DataPlaneError(f"{plane.kind} refused the connection on port {port}") from exc
        return Observed(status=0)
    except OSError as exc:
        raise DataPlaneError(f"{plane.kind} did not answer {request.method} {request.url}: {exc}") from exc
    finally:
        conn.close()
    backend = resp.getheader("x-ferry-backend")
    if backend is None:
        return Observed(status=resp.status, location=resp.getheader("location"))
    try:
        echo = json.loads(body)
    except ValueError as exc:
        raise DataPlaneError(f"echo backend {backend} answered with something that is not JSON") from exc
    return Observed(
        status=resp.status,
        backend=backend,
        backend_path=echo.get("path"),
        backend_host=echo.get("host"),
        backend_headers=echo.get("headers") or {},
    )


def observed_matches(decision: Decision, seen: Observed) -> list[str]:
    """The fields where a simulated decision and an observation disagree (empty: they agree)."""
    diffs = []
    if decision.status != seen.status:
        diffs.append("status")
    if decision.status in (200,) and seen.status == 200:
        allowed: set[str | None] = {name for name, _ in decision.weights} or {decision.backend}
        if seen.backend not in allowed:
            diffs.append("backend")
        if decision.backend_path != seen.backend_path:
            diffs.append("backend_path")
        if decision.backend_host != seen.backend_host:
            diffs.append("backend_host")
        for name, value in decision.request_headers_added.items():
            if seen.backend_headers.get(name.lower()) != value:
                diffs.append(f"header {name}")
    if decision.location is not None and decision.location != seen.location:
        diffs.append("location")
    return diffs
