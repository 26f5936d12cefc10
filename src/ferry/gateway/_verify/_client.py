"""Send a simulator request to a running data plane and observe the outcome (I/O).

Connections are kept alive and reused per thread, port and SNI name on the data plane (closed when it stops), so a
replay of thousands of requests costs one TLS handshake per name rather than one per request.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading

from ferry.gateway._simulate import DataPlaneError, SimRequest
from ferry.gateway._verify._harness import DataPlane
from ferry.gateway._verify._observed import Observed

__all__ = ["send"]

_TLS = ssl.create_default_context()
_TLS.check_hostname = False
_TLS.verify_mode = ssl.CERT_NONE


def _connect(plane: DataPlane, port: int, request: SimRequest, timeout: float) -> http.client.HTTPConnection:
    conn = http.client.HTTPConnection(plane.host, port, timeout=timeout)
    if request.scheme == "https":
        # TLS with SNI = the request's host; the connection then speaks HTTP over it.
        sock = socket.create_connection((plane.host, port), timeout=timeout)
        try:
            conn.sock = _TLS.wrap_socket(sock, server_hostname=request.host)
        except BaseException:
            sock.close()
            raise
    return conn


def send(plane: DataPlane, request: SimRequest, *, gateway: str = "", timeout: float = 10.0) -> Observed:
    """Replay ``request`` against ``plane`` on the real port of the request's logical port.

    The Host header and SNI are the request's; the client address travels in X-Forwarded-For (both proxies trust
    loopback for it). A failed TLS handshake (no certificate for the name) is status 0.
    """
    port = plane.port_for(request.port, gateway)
    headers = {k: v for k, v in request.headers.items() if k != "host"}
    headers["Host"] = request.host_header
    headers["X-Forwarded-For"] = request.client_ip
    key = (threading.get_ident(), port, request.scheme, request.host if request.scheme == "https" else "")
    for attempt in (0, 1):
        with plane.lock:
            conn = plane.connections.pop(key, None)
        reused = conn is not None
        try:
            if conn is None:
                conn = _connect(plane, port, request, timeout)
            conn.request(request.method, request.request_uri, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
        except ssl.SSLError:
            if conn is not None:
                conn.close()
            if reused and attempt == 0:
                continue
            return Observed(status=0)
        except (ConnectionError, http.client.HTTPException) as exc:
            if conn is not None:
                conn.close()
            if reused and attempt == 0:
                continue  # the proxy closed an idle kept-alive connection: retry once on a fresh one
            if isinstance(exc, ConnectionRefusedError):
                raise DataPlaneError(f"{plane.kind} refused the connection on port {port}") from exc
            if request.scheme == "https" and isinstance(exc, ConnectionResetError):
                return Observed(status=0)
            raise DataPlaneError(f"{plane.kind} did not answer {request.method} {request.url}: {exc}") from exc
        except OSError as exc:
            if conn is not None:
                conn.close()
            raise DataPlaneError(f"{plane.kind} did not answer {request.method} {request.url}: {exc}") from exc
        if resp.will_close:
            conn.close()
        else:
            with plane.lock:
                plane.connections[key] = conn
        break
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
