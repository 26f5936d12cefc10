"""The data-plane harness: echo backends, real nginx and real Envoy on loopback, always cleaned up."""

from __future__ import annotations

from pathlib import Path

import pytest

from ferry._kernel import parse_manifests
from ferry.gateway._simulate import DataPlaneError, parse_request_line
from ferry.gateway._verify import (
    backends_of,
    observed_matches,
    send,
    start_echo_backends,
    start_envoy,
    start_nginx,
    validate_envoy,
)

pytestmark = pytest.mark.integration

INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: nginx
  tls: [{hosts: [a.example.com], secretName: a-tls}]
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 8080}}}}
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""

GATEWAY = """
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: shop}
spec:
  gatewayClassName: eg
  listeners:
  - {name: http, port: 80, protocol: HTTP}
  - {name: https, port: 443, protocol: HTTPS, hostname: a.example.com}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{name: eg}]
  hostnames: [a.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /api}}]
    backendRefs: [{name: api, port: 8080}]
  - backendRefs: [{name: web, port: 80}]
"""


def test_nginx_and_envoy_serve_in_front_of_echo_backends() -> None:
    ing = parse_manifests(INGRESS, "ing.yaml")
    gw = parse_manifests(GATEWAY, "gw.yaml")
    with (
        start_echo_backends(backends_of(ing + gw)) as echo,
        start_nginx(ing, echo) as nginx,
        start_envoy(gw, echo) as envoy,
    ):
        nginx_proc, envoy_proc = nginx.process, envoy.process
        assert nginx_proc is not None and envoy_proc is not None
        for line in ("GET https://a.example.com/api/x?y=1", "GET https://a.example.com/", "GET http://b.example.com/"):
            req = parse_request_line(line)
            seen_nginx = send(nginx, req)
            assert observed_matches(nginx.router.route(req), seen_nginx) == []  # type: ignore[union-attr]
            seen_envoy = send(envoy, req, gateway="shop/eg")
            assert observed_matches(envoy.router.route(req), seen_envoy) == []  # type: ignore[union-attr]
        seen = send(nginx, parse_request_line("GET https://a.example.com/api/x?y=1"))
        assert (seen.backend, seen.backend_path, seen.backend_host) == ("shop/api:8080", "/api/x?y=1", "a.example.com")
        assert send(nginx, parse_request_line("GET http://a.example.com/x")).status == 308
        assert send(envoy, parse_request_line("GET https://unknown.io/"), gateway="shop/eg").status == 0
        workdirs = (nginx.workdir, envoy.workdir)
    assert not nginx_proc.alive() and not envoy_proc.alive()
    assert not any(w.exists() for w in workdirs)


def test_envoy_validate_rejects_a_bad_bootstrap(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"static_resources": {"listeners": [{"name": "x"}]}}')
    with pytest.raises(DataPlaneError, match="envoy rejected the rendered configuration"):
        validate_envoy(bad)


def test_processes_are_stopped_when_the_body_raises() -> None:
    ing = parse_manifests(INGRESS, "ing.yaml")
    with pytest.raises(RuntimeError), start_echo_backends(backends_of(ing)) as echo, start_nginx(ing, echo) as nginx:
        proc = nginx.process
        raise RuntimeError("boom")
    assert proc is not None and not proc.alive()
