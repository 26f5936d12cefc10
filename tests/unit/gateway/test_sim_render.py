"""The nginx.conf and Envoy bootstrap renderers (pure): what they write for each behaviour."""

from __future__ import annotations

from pathlib import Path

from ferry._kernel import parse_manifests
from ferry.gateway import read_ingress_input
from ferry.gateway._simulate import GatewayRouter, build_server_table, parse_gateway_objects
from ferry.gateway._verify import render_envoy, render_nginx

INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: app
  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: /$2
    nginx.ingress.kubernetes.io/whitelist-source-range: 10.0.0.0/8
    nginx.ingress.kubernetes.io/upstream-vhost: internal
spec:
  ingressClassName: nginx
  tls: [{hosts: [a.example.com], secretName: t}]
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: "/svc(/|$)(.*)", pathType: ImplementationSpecific, backend: {service: {name: svc, port: {number: 80}}}}
  - host: "*.example.com"
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: wild, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web-canary
  namespace: app
  annotations:
    nginx.ingress.kubernetes.io/canary: "true"
    nginx.ingress.kubernetes.io/canary-by-header: X-Canary
    nginx.ingress.kubernetes.io/canary-weight: "25"
spec:
  ingressClassName: nginx
  rules:
  - host: "*.example.com"
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: wild-v2, port: {number: 80}}}}
"""


def test_nginx_conf_carries_each_behaviour(tmp_path: Path) -> None:
    table = build_server_table(read_ingress_input(parse_manifests(INGRESS, "ing.yaml")))
    addresses = {"app/svc:80": 2001, "app/wild:80": 2002, "app/wild-v2:80": 2003}
    text = render_nginx(table, addresses, tmp_path, 8080, 8443, tmp_path / "c", tmp_path / "k")
    assert 'location ~* "^/svc(/|$)(.*)"' in text
    assert 'rewrite "(?i)/svc(/|$)(.*)" "/$2" break;' in text
    assert "if ($scheme = http) { return 308 https://$host$ferry_ssl_uri; }" in text
    assert "allow 10.0.0.0/8;" in text and "deny all;" in text
    assert 'proxy_set_header Host "internal";' in text
    assert r'server_name "~^[\\w-]+\\.example\\.com$";' in text  # backslashes escaped for nginx's parser
    assert "split_clients" in text and "25% canary;" in text
    assert "map $http_x_canary $ferry_c0_h" in text
    assert "listen 127.0.0.1:8080 default_server;" in text
    assert "server 127.0.0.1:2003;" in text


def test_envoy_bootstrap_follows_envoy_gateway() -> None:
    text = """
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: app}
spec:
  gatewayClassName: eg
  listeners:
  - {name: http, port: 80, protocol: HTTP}
  - {name: https, port: 443, protocol: HTTPS, hostname: a.example.com}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: app}
spec:
  parentRefs: [{name: eg}]
  hostnames: [a.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /api/}, method: GET}]
    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]
    backendRefs: [{name: api, port: 80, weight: 3}, {name: api2, port: 80, weight: 1}]
  - matches: [{path: {type: Exact, value: /old}}]
    filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]
"""
    router = GatewayRouter(parse_gateway_objects(parse_manifests(text, "gw.yaml")))
    ports = {("app/eg", 80): 9080, ("app/eg", 443): 9443}
    boot = render_envoy(router, {"app/api:80": 1, "app/api2:80": 2}, ports, 9000, Path("c"), Path("k"))
    listeners = {lst["name"]: lst for lst in boot["static_resources"]["listeners"]}
    http = listeners["app_eg_80"]["filter_chains"][0]["filters"][0]["typed_config"]
    assert http["route_config"]["ignore_port_in_host_matching"] is True
    [vhost] = http["route_config"]["virtual_hosts"]
    assert vhost["domains"] == ["a.example.com"]
    first, second = vhost["routes"]
    assert second["match"] == {
        "path_separated_prefix": "/api",
        "headers": [{"name": ":method", "string_match": {"exact": "GET"}}],
    }
    assert first["match"] == {"path": "/old"}
    assert first["redirect"] == {"scheme_redirect": "https", "port_redirect": 443, "response_code": "MOVED_PERMANENTLY"}
    assert second["route"]["regex_rewrite"] == {"pattern": {"regex": "^/api\\/*"}, "substitution": "/"}
    assert second["route"]["weighted_clusters"]["clusters"] == [
        {"name": "app_api_80", "weight": 3},
        {"name": "app_api2_80", "weight": 1},
    ]
    tls = listeners["app_eg_443"]
    assert tls["filter_chains"][0]["filter_chain_match"] == {"server_names": ["a.example.com"]}
    assert tls["listener_filters"][0]["name"] == "envoy.filters.listener.tls_inspector"
    assert boot["admin"]["address"]["socket_address"]["port_value"] == 9000
