"""The ingress-nginx router: servers, location order, redirects, rewrites, canaries, access lists."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from ferry._kernel import parse_manifests
from ferry.gateway import read_ingress_input
from ferry.gateway._simulate import Decision, NginxRouter, parse_request_line
from ferry.gateway._simulate._nginx_router import nginx_rewrite

A = "nginx.ingress.kubernetes.io/"


def ingress(
    name: str,
    paths: list[tuple[str, str, str]],
    host: str = "a.example.com",
    annotations: dict[str, str] | None = None,
    tls: bool = False,
    created: str = "2024-01-01T00:00:00Z",
) -> str:
    """One Ingress as a YAML (JSON) document."""
    rule: dict[str, object] = {
        "http": {
            "paths": [
                {"path": p, "pathType": t, "backend": {"service": {"name": s, "port": {"number": 80}}}}
                for p, t, s in paths
            ]
        }
    }
    if host:
        rule["host"] = host
    spec: dict[str, object] = {"ingressClassName": "nginx", "rules": [rule]}
    if tls:
        spec["tls"] = [{"hosts": [host], "secretName": "t"}]
    meta = {
        "name": name,
        "namespace": "app",
        "creationTimestamp": created,
        "annotations": {A + k: v for k, v in (annotations or {}).items()},
    }
    return json.dumps({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}) + "\n"


def router(*docs: str) -> NginxRouter:
    return NginxRouter(read_ingress_input(parse_manifests("---\n".join(docs), "ing.yaml")))


def go(r: NginxRouter, line: str, *headers: str, ip: str = "127.0.0.1") -> Decision:
    return r.route(parse_request_line(line, list(headers), ip))


def test_prefix_is_normalised_and_implementation_specific_is_a_string_prefix() -> None:
    r = router(ingress("i", [("/foo", "Prefix", "pre"), ("/bar", "ImplementationSpecific", "impl")]))
    paths = [(loc.match, loc.path) for loc in r.server_for("a.example.com").locations]  # type: ignore[union-attr]
    assert paths == [("prefix", "/foo/"), ("exact", "/foo"), ("prefix", "/bar"), ("prefix", "/")]
    assert go(r, "GET http://a.example.com/foo").backend == "app/pre:80"
    assert go(r, "GET http://a.example.com/foo/x").backend == "app/pre:80"
    assert go(r, "GET http://a.example.com/foobar").status == 404
    assert go(r, "GET http://a.example.com/barbaz").backend == "app/impl:80"
    assert go(r, "GET http://a.example.com/Foo").status == 404


def test_prefix_with_trailing_slash_answers_the_bare_path_with_301() -> None:
    r = router(ingress("i", [("/docs/", "Prefix", "docs")]))
    d = go(r, "GET http://a.example.com/docs?x=1")
    assert (d.status, d.location) == (301, "http://a.example.com/docs/?x=1")
    assert go(r, "GET http://a.example.com/docs/").backend == "app/docs:80"


def test_regex_mode_is_host_wide_case_insensitive_and_first_match_by_length() -> None:
    r = router(
        ingress("a", [("/foo/bar/bar", "Prefix", "bar")]),
        ingress("b", [("/foo/bar/[A-Z0-9]{3}", "ImplementationSpecific", "re")], annotations={"use-regex": "true"}),
    )
    server = r.server_for("a.example.com")
    assert server is not None and server.enforce_regex
    assert go(r, "GET http://a.example.com/foo/bar/bar").backend == "app/re:80"  # the documented shadowing
    assert go(r, "GET http://a.example.com/FOO/BAR/BAR/x").backend == "app/re:80"
    assert go(r, "GET http://other.example.com/foo").status == 404


def test_rewrite_target_with_captures_keeps_the_query() -> None:
    r = router(
        ingress("i", [("/something(/|$)(.*)", "ImplementationSpecific", "s")], annotations={"rewrite-target": "/$2"})
    )
    assert go(r, "GET http://a.example.com/something/new?q=1").backend_path == "/new?q=1"
    assert go(r, "GET http://a.example.com/something").backend_path == "/"
    assert nginx_rewrite("/A/b", "", "/a/(.*)", "/x/$1?") == ("/x/b", "")
    assert nginx_rewrite("/a/b", "q=1", "/a/(.*)", "/x?y=$1") == ("/x", "y=b&q=1")


def test_exact_server_names_beat_one_label_wildcards_and_unknown_hosts_get_404() -> None:
    r = router(
        ingress("w", [("/", "Prefix", "wild")], host="*.example.com"),
        ingress("e", [("/", "Prefix", "exact")], host="a.example.com"),
    )
    assert go(r, "GET http://a.example.com/").backend == "app/exact:80"
    assert go(r, "GET http://b.example.com/").backend == "app/wild:80"
    assert go(r, "GET http://x.b.example.com/").status == 404
    assert go(r, "GET http://example.com/").status == 404


def test_ssl_redirect_only_with_a_certificate_and_strips_the_trailing_slash() -> None:
    r = router(
        ingress("tls", [("/", "Prefix", "s")], tls=True),
        ingress("plain", [("/", "Prefix", "p")], host="b.example.com"),
        ingress("forced", [("/", "Prefix", "f")], host="c.example.com", annotations={"force-ssl-redirect": "true"}),
    )
    d = go(r, "GET http://a.example.com/x/?q=1")
    assert (d.status, d.location) == (308, "https://a.example.com/x/?q=1")
    d = go(r, "GET http://a.example.com/x/")
    assert (d.status, d.location) == (308, "https://a.example.com/x")
    assert go(r, "GET https://a.example.com/x/").status == 200
    assert go(r, "GET http://b.example.com/").status == 200
    assert go(r, "GET http://c.example.com/").status == 308


def test_redirect_annotations_and_app_root() -> None:
    r = router(
        ingress("perm", [("/", "Prefix", "s")], annotations={"permanent-redirect": "https://new.io/x"}),
        ingress(
            "tmp",
            [("/", "Prefix", "s")],
            host="t.example.com",
            annotations={"temporal-redirect": "https://t.io/", "temporal-redirect-code": "307"},
        ),
        ingress("root", [("/", "Prefix", "s")], host="r.example.com", annotations={"app-root": "/app1"}),
    )
    assert (go(r, "GET http://a.example.com/y?z=1").status, go(r, "GET http://a.example.com/y").location) == (
        301,
        "https://new.io/x",
    )
    assert go(r, "GET http://t.example.com/").status == 307
    d = go(r, "GET http://r.example.com/")
    assert (d.status, d.location) == (302, "http://r.example.com/app1")
    assert go(r, "GET http://r.example.com/app1").status == 200


def test_canary_header_cookie_and_weight() -> None:
    r = router(
        ingress("main", [("/", "Prefix", "stable")]),
        ingress(
            "can",
            [("/", "Prefix", "canary")],
            annotations={
                "canary": "true",
                "canary-by-header": "X-Canary",
                "canary-by-cookie": "beta",
                "canary-weight": "20",
            },
        ),
    )
    assert go(r, "GET http://a.example.com/", "X-Canary: always").backend == "app/canary:80"
    assert go(r, "GET http://a.example.com/", "X-Canary: never", "Cookie: beta=always").backend == "app/stable:80"
    assert go(r, "GET http://a.example.com/", "X-Canary: maybe", "Cookie: beta=always").backend == "app/canary:80"
    d = go(r, "GET http://a.example.com/")
    assert dict(d.weights) == {"app/stable:80": 0.8, "app/canary:80": pytest.approx(0.2)}


def test_canary_header_value_and_pattern() -> None:
    base = ingress("main", [("/", "Prefix", "stable")])
    by_value = ingress(
        "can",
        [("/", "Prefix", "canary")],
        annotations={"canary": "true", "canary-by-header": "X-Ver", "canary-by-header-value": "v2"},
    )
    r = router(base, by_value)
    assert go(r, "GET http://a.example.com/", "X-Ver: v2").backend == "app/canary:80"
    assert go(r, "GET http://a.example.com/", "X-Ver: always").backend == "app/stable:80"
    by_pattern = by_value.replace(
        '"nginx.ingress.kubernetes.io/canary-by-header-value": "v2"',
        '"nginx.ingress.kubernetes.io/canary-by-header-pattern": "^v[2-3]$"',
    )
    r = router(base, by_pattern)
    assert go(r, "GET http://a.example.com/", "X-Ver: v3").backend == "app/canary:80"


def test_canary_without_primary_is_dropped() -> None:
    r = router(ingress("can", [("/x", "Prefix", "canary")], annotations={"canary": "true", "canary-weight": "100"}))
    assert go(r, "GET http://a.example.com/x").status == 404


def test_allow_and_deny_lists() -> None:
    r = router(
        ingress(
            "i",
            [("/", "Prefix", "s")],
            annotations={"whitelist-source-range": "10.0.0.0/8", "denylist-source-range": "10.9.0.0/16"},
        )
    )
    assert go(r, "GET http://a.example.com/", ip="10.1.2.3").status == 200
    assert go(r, "GET http://a.example.com/", ip="10.9.2.3").status == 403
    assert go(r, "GET http://a.example.com/", ip="192.168.1.1").status == 403


def test_upstream_vhost_x_forwarded_prefix_and_first_ingress_wins() -> None:
    r = router(
        ingress(
            "old", [("/p", "Prefix", "first")], annotations={"upstream-vhost": "internal", "x-forwarded-prefix": "/p"}
        ),
        ingress("new", [("/p", "Prefix", "second")], created="2024-05-01T00:00:00Z"),
    )
    d = go(r, "GET http://a.example.com/p/x")
    assert (d.backend, d.backend_host, dict(d.request_headers_added)) == (
        "app/first:80",
        "internal",
        {"x-forwarded-prefix": "/p"},
    )


def test_from_to_www_redirect() -> None:
    r = router(
        ingress("i", [("/", "Prefix", "s")], host="www.example.com", annotations={"from-to-www-redirect": "true"})
    )
    d = go(r, "GET https://example.com/a/?b=1")
    assert (d.status, d.location) == (308, "https://www.example.com/a/?b=1")


def test_default_backend_ingress_becomes_the_catch_all() -> None:
    doc = textwrap.dedent(
        """\
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: fallback, namespace: app}
        spec:
          ingressClassName: nginx
          defaultBackend: {service: {name: fallback, port: {number: 80}}}
        """
    )
    r = router(doc, ingress("i", [("/", "Prefix", "s")]))
    assert go(r, "GET http://unknown.example.com/z").backend == "app/fallback:80"


def test_docs_path_priority_corpus(shared: Path) -> None:
    text = (shared / "corpus/gateway/ingress-nginx/docs-path-priority/ingresses.yaml").read_text()
    r = NginxRouter(read_ingress_input(parse_manifests(text, "x")))
    server = r.server_for("test.com")
    assert server is not None and server.enforce_regex
    assert next(loc.path for loc in server.locations) == "/foo/bar/(.+)"
