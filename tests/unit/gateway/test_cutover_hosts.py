"""Hostnames from Ingresses and HTTPRoutes, and the HTTPRoute names a conversion produces."""

from __future__ import annotations

from pathlib import Path

import pytest

from ferry._kernel import parse_manifests
from ferry.gateway._cutover import CutoverError, hostnames_of, sources_of
from ferry.gateway._cutover._hosts import derived_routes

MANIFESTS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: nginx
  tls: [{hosts: [Shop.Example.com, secure.example.com], secretName: tls}]
  rules:
  - host: shop.example.com.
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
  - http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api, namespace: shop}
spec:
  hostnames: [api.example.com, "*.apps.example.com"]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
"""


def test_sources_and_hostnames() -> None:
    old, new = sources_of(parse_manifests(MANIFESTS, "m.yaml"))
    assert [s.ref for s in old] == ["Ingress shop/web"]
    assert old[0].hosts == ("shop.example.com", "secure.example.com")
    assert [s.ref for s in new] == ["HTTPRoute shop/api"]
    assert hostnames_of(parse_manifests(MANIFESTS, "m.yaml")) == (
        "*.apps.example.com",
        "api.example.com",
        "secure.example.com",
        "shop.example.com",
    )


def test_invalid_hostname_names_file_line_and_field() -> None:
    bad = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: w}\nspec:\n  rules:\n  - host: a..b\n"
    with pytest.raises(CutoverError) as info:
        sources_of(parse_manifests(bad, "bad.yaml"))
    assert "bad.yaml:6" in str(info.value) and "spec.rules[0].host" in str(info.value)


def test_non_string_hostname_is_an_error() -> None:
    bad = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  hostnames: [7]\n"
    with pytest.raises(CutoverError, match="must be a string"):
        sources_of(parse_manifests(bad, "bad.yaml"))


def test_derived_routes_follow_the_conversion_naming() -> None:
    old, _ = sources_of(parse_manifests(MANIFESTS, "m.yaml"))
    assert [r.ref for r in derived_routes(old)] == [
        "HTTPRoute shop/web-shop-example-com",
        "HTTPRoute shop/web-secure-example-com",
    ]


def test_corpus_ingresses_yield_their_hosts(shared: Path) -> None:
    text = (shared / "corpus/gateway/ingress-nginx/i2gw-path-rewrite/ingresses.yaml").read_text()
    old, new = sources_of(parse_manifests(text, "ingresses.yaml"))
    assert new == []
    assert "foo1.rnd01.i2gw.test" in {h for s in old for h in s.hosts}
