"""The two sides of a rehearsal behind one small protocol (I/O: processes).

A side is what one weighted record leads to: started before the load, stopped abruptly by the naive flip (like
deleting the load balancer), drained gracefully by the plan. ``dns_address`` is the address its record answers;
clients connect to ``connect_host:port`` for it (the same address when the side listens there).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import ssl
import sys
import time
from collections.abc import Iterable
from typing import Protocol

from ferry._kernel import ManagedProcess, free_port

__all__ = ["EchoBackendProcess", "EchoProcessSide", "Side", "echo_path", "probe"]


class Side(Protocol):
    name: str
    kind: str
    dns_address: str
    connect_host: str
    port: int
    tls_port: int | None

    def start(self) -> None: ...

    def stop_abruptly(self) -> None:
        """Stop at once: connections and requests in flight are dropped."""

    def drain(self, timeout_s: float) -> bool:
        """Stop gracefully: no new connections, idle ones closed, requests in flight finished; True when empty."""

    def close(self) -> None:
        """Release everything (idempotent)."""


def echo_path(host: str, delay_ms: int) -> str:
    """The request path the echo sides understand (``delay_ms`` holds a long request)."""
    return f"/cutover?delay_ms={delay_ms}" if delay_ms > 0 else "/cutover"


class EchoProcessSide:
    """A side served by :mod:`._echo_side` in its own process, on its own loopback address."""

    kind = "python-echo"

    def __init__(self, name: str, address: str) -> None:
        self.name = name
        self.dns_address = address
        self.connect_host = address
        self.port = 0
        self.tls_port: int | None = None
        self._process: ManagedProcess | None = None

    def start(self) -> None:
        self.port = free_port(self.connect_host)
        argv = [
            sys.executable, "-m", "ferry.gateway._cutover._echo_side",
            "--host", self.connect_host, "--listen", f"{self.port}={self.name}",
            "--drain-timeout", "30",
        ]  # fmt: skip
        self._process = ManagedProcess(
            argv, name=f"echo-side-{self.name}", ready_port=(self.connect_host, self.port), stop_timeout=3
        ).start()

    def stop_abruptly(self) -> None:
        process = self._process
        if process is not None and process.pid is not None and process.alive():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        self.close()

    def drain(self, timeout_s: float) -> bool:
        process = self._process
        if process is None or process.pid is None or not process.alive():
            return True
        os.killpg(process.pid, signal.SIGQUIT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not process.alive():
                return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.stop()
            with contextlib.suppress(OSError):
                process.log_path.unlink()


_TLS = ssl.create_default_context()
_TLS.check_hostname = False
_TLS.verify_mode = ssl.CERT_NONE


def probe(side: Side, host: str, path: str, *, tls: bool, timeout: float = 5.0) -> tuple[int, str | None]:
    """One request to ``side`` for ``host``: the status and the echo backend that answered (0, None when refused)."""
    port = side.tls_port if tls else side.port
    if port is None:
        return 0, None
    conn = http.client.HTTPConnection(side.connect_host, port, timeout=timeout)
    try:
        if tls:
            sock = socket.create_connection((side.connect_host, port), timeout=timeout)
            conn.sock = _TLS.wrap_socket(sock, server_hostname=host)
        conn.request("GET", path, headers={"Host": host, "User-Agent": "ferry-cutover-preflight"})
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("X-Served-By")
    except (OSError, http.client.HTTPException):
        return 0, None
    finally:
        conn.close()


class EchoBackendProcess:
    """The echo backends behind real nginx and Envoy: one :mod:`._echo_side` process, one port per backend key."""

    def __init__(self, keys: Iterable[str], host: str = "127.0.0.1") -> None:
        self.host = host
        self.ports = {key: free_port(host) for key in dict.fromkeys(keys)}
        self._process: ManagedProcess | None = None

    def start(self) -> EchoBackendProcess:
        if not self.ports:
            return self
        listen = [arg for key, port in self.ports.items() for arg in ("--listen", f"{port}={key}")]
        argv = [sys.executable, "-m", "ferry.gateway._cutover._echo_side", "--host", self.host, *listen]
        last = next(reversed(self.ports.values()))
        self._process = ManagedProcess(argv, name="cutover-backends", ready_port=(self.host, last), stop_timeout=3)
        self._process.start()
        return self

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.stop()
            with contextlib.suppress(OSError):
                process.log_path.unlink()
