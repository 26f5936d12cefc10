"""Real nginx serving the Ingresses and real Envoy serving the Gateway API side, as rehearsal sides (I/O).

Both come from the verify harness (:mod:`ferry.gateway._verify`): nginx with ingress-nginx's semantics rendered from
the Ingresses, Envoy from a static bootstrap rendered from the Gateway API objects (those given, else what
``ferry gateway convert`` makes of the Ingresses), both in front of the same echo
backends (the rehearsal's own, which can hold a request for ``delay_ms``). They listen on 127.0.0.1; the DNS server
answers a distinct loopback address per side (the "load balancer" address) and clients connect to the side's real
listener for it.

nginx's signals carry the two ways to stop: SIGTERM is nginx's fast shutdown (connections closed at once, as when the
load balancer or the controller goes away), SIGQUIT its graceful shutdown (stop accepting, close idle keep-alive
connections, finish requests in flight). Envoy drains through its admin ``/drain_listeners?graceful``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import urllib.request
from collections.abc import Sequence

from ferry._kernel._manifests import KubeObject
from ferry.gateway._cutover._converted import converted_objects
from ferry.gateway._cutover._rehearsal import SidePair
from ferry.gateway._cutover._sides import EchoBackendProcess, Side
from ferry.gateway._cutover._translate import GATEWAY_NAME, gateway_api_for
from ferry.gateway._verify import DataPlane, EchoBackends, backends_of, start_envoy, start_nginx

__all__ = ["EnvoySide", "NginxSide", "harness_sides"]


class _PlaneSide:
    kind = "data plane"

    def __init__(self, name: str, dns_address: str) -> None:
        self.name = name
        self.dns_address = dns_address
        self.connect_host = "127.0.0.1"
        self.port = 0
        self.tls_port: int | None = None
        self._stack = contextlib.ExitStack()
        self.plane: DataPlane | None = None

    def _pid(self) -> int | None:
        process = self.plane.process if self.plane is not None else None
        return process.pid if process is not None and process.alive() else None

    def _alive(self) -> bool:
        return self._pid() is not None

    def close(self) -> None:
        self._stack.close()
        self.plane = None


class NginxSide(_PlaneSide):
    """Real nginx serving ``ingresses`` (the old side)."""

    kind = "nginx"

    def __init__(self, name: str, dns_address: str, ingresses: Sequence[KubeObject], echo: EchoBackends) -> None:
        super().__init__(name, dns_address)
        self._ingresses = list(ingresses)
        self._echo = echo

    def start(self) -> None:
        self.plane = self._stack.enter_context(start_nginx(self._ingresses, self._echo))
        self.connect_host = self.plane.host
        self.port = self.plane.port_for(80)
        self.tls_port = self.plane.port_for(443)

    def stop_abruptly(self) -> None:
        pid = self._pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)  # nginx's fast shutdown
        self.close()

    def drain(self, timeout_s: float) -> bool:
        pid = self._pid()
        if pid is None:
            return True
        os.kill(pid, signal.SIGQUIT)  # nginx's graceful shutdown
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self._alive():
                return True
            time.sleep(0.02)
        return False


class EnvoySide(_PlaneSide):
    """Real Envoy serving the Gateway API objects (the new side)."""

    kind = "envoy"

    def __init__(
        self, name: str, dns_address: str, objects: Sequence[KubeObject], gateway: str, echo: EchoBackends
    ) -> None:
        super().__init__(name, dns_address)
        self._objects = list(objects)
        self._gateway = gateway
        self._echo = echo

    def start(self) -> None:
        self.plane = self._stack.enter_context(start_envoy(self._objects, self._echo))
        self.connect_host = self.plane.host
        self.port = self.plane.port_for(80, self._gateway)
        with contextlib.suppress(Exception):
            self.tls_port = self.plane.port_for(443, self._gateway)

    def stop_abruptly(self) -> None:
        pid = self._pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.close()

    def drain(self, timeout_s: float) -> bool:
        plane = self.plane
        if plane is None or plane.admin_port is None or not self._alive():
            return True
        admin = f"http://{plane.host}:{plane.admin_port}"
        request = urllib.request.Request(f"{admin}/drain_listeners?graceful", method="POST")
        with contextlib.suppress(OSError), urllib.request.urlopen(request, timeout=2):
            pass
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{admin}/stats?filter=^server.total_connections$", timeout=1) as r:
                    text = r.read().decode()
            except OSError:
                return True
            if text.strip().endswith(": 0"):
                return True
            time.sleep(0.05)
        return False


def _http_gateway(objects: Sequence[KubeObject]) -> str | None:
    """The Gateway with the most hostnames on HTTP/HTTPS listeners (its listeners are the ones the load uses)."""
    best: tuple[int, str] | None = None
    for obj in objects:
        if obj.kind != "Gateway" or obj.group != "gateway.networking.k8s.io":
            continue
        spec = obj.body.get("spec") if isinstance(obj.body.get("spec"), dict) else {}
        listeners = [x for x in (spec or {}).get("listeners") or [] if isinstance(x, dict)]
        web = [x for x in listeners if x.get("protocol") in ("HTTP", "HTTPS")]
        if not any(x.get("port") == 80 for x in web):
            continue
        score = (len({x.get("hostname") for x in web}), f"{obj.namespace or 'default'}/{obj.name}")
        best = score if best is None or score[0] > best[0] else best
    return best[1] if best else None


def harness_sides(objects: Sequence[KubeObject]) -> SidePair:
    """Old side: real nginx serving the Ingresses in ``objects``; new side: real Envoy serving the Gateway and
    HTTPRoutes in ``objects`` or, when there are none, the rehearsal's translation of the Ingresses."""
    ingresses = [o for o in objects if o.kind == "Ingress"]
    gateways = [o for o in objects if o.kind == "Gateway" and o.group == "gateway.networking.k8s.io"]
    routes = [o for o in objects if o.kind == "HTTPRoute"]
    if gateways and routes:
        gw_objects = [o for o in objects if o.group in ("gateway.networking.k8s.io", "gateway.envoyproxy.io", "")]
        described = "the Gateway API objects given"
    else:
        converted, problem = converted_objects(objects)
        if converted:
            gw_objects = [*converted, *(o for o in objects if o.kind in ("Service", "Secret") and o.group == "")]
            described = "the conversion of the Ingresses (ferry gateway convert)"
        else:
            gw_objects = gateway_api_for(ingresses)
            described = f"a host/path/backend translation of the Ingresses (the conversion failed: {problem})"
    gateway = _http_gateway(gw_objects) or f"default/{GATEWAY_NAME}"
    keys = backends_of([*ingresses, *gw_objects])

    def make(stack: contextlib.ExitStack) -> tuple[Side, Side]:
        backends = EchoBackendProcess(keys).start()
        stack.callback(backends.close)
        echo = EchoBackends(backends.ports)
        old = NginxSide("old", "127.0.0.2", ingresses, echo)
        new = EnvoySide("new", "127.0.0.3", gw_objects, gateway, echo)
        return old, new

    return SidePair(
        make=make,
        description=f"real nginx serving the Ingresses (old, DNS 127.0.0.2) and real Envoy serving {described} "
        f"(new, DNS 127.0.0.3), in front of {len(keys)} echo backend(s)",
    )
