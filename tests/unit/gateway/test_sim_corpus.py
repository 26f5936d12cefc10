"""Corpus generation (pure): boundaries, hosts, canaries, client IPs, credentials; deterministic."""

from __future__ import annotations

from ferry._kernel import parse_manifests
from ferry.gateway import read_ingress_input
from ferry.gateway._simulate import build_server_table, parse_gateway_objects, parse_request_line
from ferry.gateway._simulate._corpus import generate_corpus, host_variants, literal_prefix, path_variants

INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: app
  annotations:
    nginx.ingress.kubernetes.io/whitelist-source-range: 10.0.0.0/8
    nginx.ingress.kubernetes.io/auth-type: basic
    nginx.ingress.kubernetes.io/auth-secret: users
spec:
  ingressClassName: nginx
  rules:
  - host: "*.example.com"
    http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web-canary
  namespace: app
  annotations:
    nginx.ingress.kubernetes.io/canary: "true"
    nginx.ingress.kubernetes.io/canary-by-header: X-Canary
    nginx.ingress.kubernetes.io/canary-by-cookie: beta
spec:
  ingressClassName: nginx
  rules:
  - host: "*.example.com"
    http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api-v2, port: {number: 80}}}}
"""


def test_literal_prefix_and_path_variants() -> None:
    assert literal_prefix("/foo/bar/(.+)") == "/foo/bar/"
    assert literal_prefix("/items/[0-9]+$") == "/items/"
    assert literal_prefix("/ab?c") == "/a"
    assert literal_prefix("(.*)") == "/"
    assert path_variants("/api") == ["/api", "/api/", "/api/seg", "/apix", "/API"]
    assert "/items/abc" in path_variants("/items/[0-9]+", regex=True)


def test_host_variants() -> None:
    assert host_variants("*.example.com") == ["a.example.com", "a.b.example.com", "example.com"]
    assert host_variants("a.example.com") == ["a.example.com"]
    assert host_variants("_") == ["unknown.ferry-verify.invalid"]


def test_ingress_corpus_covers_canaries_ips_and_credentials() -> None:
    objects = parse_manifests(INGRESS, "ing.yaml")
    table = build_server_table(read_ingress_input(objects))
    corpus = generate_corpus(table)
    assert corpus == generate_corpus(table)  # deterministic
    urls = {r.url for r in corpus}
    assert {"http://a.example.com/api", "https://a.b.example.com/api/", "https://example.com/apix"} <= urls
    assert any(r.headers.get("x-canary") == "never" for r in corpus)
    assert any(r.headers.get("cookie") == "beta=always" for r in corpus)
    ips = {r.client_ip for r in corpus}
    assert "10.0.0.1" in ips and "203.0.113.7" in ips
    assert any(r.headers.get("authorization", "").startswith("Basic ") for r in corpus)
    assert any(r.host == "unknown.ferry-verify.invalid" for r in corpus)


def test_gateway_corpus_uses_matches_and_listener_ports_and_user_requests_first() -> None:
    text = """
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: app}
spec:
  gatewayClassName: eg
  listeners: [{name: http, port: 8080, protocol: HTTP}, {name: db, port: 5432, protocol: TCP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: app}
spec:
  parentRefs: [{name: eg}]
  hostnames: [a.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /s}, method: POST, headers: [{name: x-v, value: "2"}],
               queryParams: [{name: lang, value: en}]}]
    backendRefs: [{name: s, port: 80}]
"""
    model = parse_gateway_objects(parse_manifests(text, "gw.yaml"))
    mine = parse_request_line("GET http://mine.example.com/first")
    corpus = generate_corpus(gateway=model, extra=[mine])
    assert corpus[0] == mine
    assert {r.port for r in corpus[1:]} == {8080}
    full = [r for r in corpus if r.method == "POST" and r.headers.get("x-v") == "2" and r.query == "lang=en"]
    assert full and any(r.method == "GET" and not r.headers and r.path == "/s" for r in corpus)
