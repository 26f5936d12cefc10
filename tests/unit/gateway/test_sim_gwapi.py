"""The Gateway API router: Envoy Gateway's precedence, host names, filters and policies."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from ferry._kernel import parse_manifests
from ferry.gateway._simulate import (
    Decision,
    GatewayRouter,
    RouteModelError,
    parse_gateway_objects,
    parse_request_line,
)
from ferry.gateway._simulate._gwapi_router import prefix_rewrite
from ferry.gateway._simulate._hosts import intersect_hostnames, select_domain

GATEWAY = """
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: app}
spec:
  gatewayClassName: eg
  listeners:
  - {name: http, port: 80, protocol: HTTP}
  - {name: https, port: 443, protocol: HTTPS, hostname: "*.example.com"}
"""


def router(*routes: str, gateway: str = GATEWAY) -> GatewayRouter:
    text = gateway + "".join("---\n" + textwrap.dedent(r) for r in routes)
    return GatewayRouter(parse_gateway_objects(parse_manifests(text, "gw.yaml")))


def route(name: str, rules: str, hostnames: str = "[a.example.com]", created: str = "") -> str:
    meta = f"{{name: {name}, namespace: app" + (f", creationTimestamp: '{created}'" if created else "") + "}"
    return (
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
        f"metadata: {meta}\nspec:\n  parentRefs: [{{name: eg}}]\n  hostnames: {hostnames}\n  rules:\n"
        + textwrap.indent(textwrap.dedent(rules), "  ")
    )


def go(r: GatewayRouter, line: str, *headers: str, ip: str = "127.0.0.1") -> Decision:
    return r.route(parse_request_line(line, list(headers), ip))


def test_exact_beats_regex_beats_longer_prefix() -> None:
    r = router(
        route(
            "r",
            """
            - matches: [{path: {type: PathPrefix, value: /a/b/c/d}}]
              backendRefs: [{name: prefix, port: 80}]
            - matches: [{path: {type: RegularExpression, value: "/a/.*"}}]
              backendRefs: [{name: regex, port: 80}]
            - matches: [{path: {type: Exact, value: /a/b/c/d}}]
              backendRefs: [{name: exact, port: 80}]
            """,
        )
    )
    assert go(r, "GET http://a.example.com/a/b/c/d").backend == "app/exact:80"
    assert go(r, "GET http://a.example.com/a/b/c/d/e").backend == "app/regex:80"
    assert go(r, "GET http://a.example.com/b").status == 404


def test_path_prefix_is_element_wise_and_ignores_trailing_slash() -> None:
    r = router(
        route("r", "- matches: [{path: {type: PathPrefix, value: /abc/}}]\n  backendRefs: [{name: s, port: 80}]\n")
    )
    for ok in ("/abc", "/abc/", "/abc/def"):
        assert go(r, f"GET http://a.example.com{ok}").status == 200, ok
    assert go(r, "GET http://a.example.com/abcd").status == 404
    assert go(r, "GET http://a.example.com/ABC").status == 404


def test_more_header_matches_win_then_method_counts_as_header() -> None:
    r = router(
        route(
            "r",
            """
            - matches: [{path: {type: PathPrefix, value: /}, method: GET}]
              backendRefs: [{name: method, port: 80}]
            - matches:
              - path: {type: PathPrefix, value: /}
                headers: [{name: X-A, value: "1"}, {name: X-B, value: "2"}]
              backendRefs: [{name: two, port: 80}]
            - backendRefs: [{name: none, port: 80}]
            """,
        )
    )
    assert go(r, "GET http://a.example.com/x", "X-A: 1", "X-B: 2").backend == "app/two:80"
    assert go(r, "GET http://a.example.com/x", "X-A: 1").backend == "app/method:80"
    assert go(r, "POST http://a.example.com/x", "X-A: 1").backend == "app/none:80"


def test_query_and_regex_header_matches() -> None:
    r = router(
        route(
            "r",
            """
            - matches: [{queryParams: [{name: v, value: "2"}]}]
              backendRefs: [{name: q, port: 80}]
            - matches: [{headers: [{name: x-id, type: RegularExpression, value: "[0-9]+"}]}]
              backendRefs: [{name: h, port: 80}]
            """,
        )
    )
    assert go(r, "GET http://a.example.com/?v=2&v=3").backend == "app/q:80"
    assert go(r, "GET http://a.example.com/?v=3&v=2").status == 404
    assert go(r, "GET http://a.example.com/", "x-id: 42").backend == "app/h:80"
    assert go(r, "GET http://a.example.com/", "x-id: 42a").status == 404


def test_ties_across_routes_go_to_the_oldest() -> None:
    rules = "- matches: [{path: {type: PathPrefix, value: /x}}]\n  backendRefs: [{name: %s, port: 80}]\n"
    r = router(
        route("young", rules % "young", created="2024-02-01T00:00:00Z"),
        route("old", rules % "old", created="2024-01-01T00:00:00Z"),
    )
    assert go(r, "GET http://a.example.com/x").backend == "app/old:80"


def test_hostname_intersection_and_vhost_selection() -> None:
    assert intersect_hostnames("*.example.com", ("a.example.com", "other.io", "*.b.example.com")) == [
        "a.example.com",
        "*.b.example.com",
    ]
    assert intersect_hostnames("a.example.com", ("*.example.com",)) == ["a.example.com"]
    assert intersect_hostnames(None, ()) == ["*"]
    assert intersect_hostnames("*.example.com", ("example.com",)) == []
    assert select_domain(["*", "*.example.com", "*.b.example.com"], "x.b.example.com") == "*.b.example.com"
    assert select_domain(["*.example.com"], "example.com") is None


def test_https_listener_is_chosen_by_sni_and_host_outside_it_is_refused() -> None:
    r = router(route("r", "- backendRefs: [{name: s, port: 80}]\n", hostnames="[a.example.com, a.other.io]"))
    assert go(r, "GET https://a.example.com/").status == 200
    assert go(r, "GET https://a.other.io/").status == 0
    assert go(r, "GET http://a.other.io/").status == 200
    assert go(r, "GET http://b.example.com/").status == 404


@pytest.mark.parametrize(
    ("redirect", "url", "location"),
    [
        ("{scheme: https}", "http://a.example.com/p?q=1", "https://a.example.com/p?q=1"),
        ("{hostname: b.io}", "http://a.example.com:80/p", "http://b.io/p"),
        ("{port: 8443}", "http://a.example.com/p", "http://a.example.com:8443/p"),
        ("{scheme: https, port: 443}", "http://a.example.com/p", "https://a.example.com/p"),
        (
            "{path: {type: ReplaceFullPath, replaceFullPath: /new}}",
            "http://a.example.com/p/x",
            "http://a.example.com/new",
        ),
        (
            "{path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}",
            "http://a.example.com/p/x",
            "http://a.example.com/v2/x",
        ),
    ],
)
def test_request_redirect_location(redirect: str, url: str, location: str) -> None:
    rules = (
        "- matches: [{path: {type: PathPrefix, value: /p}}]\n"
        f"  filters: [{{type: RequestRedirect, requestRedirect: {redirect}}}]\n"
    )
    d = go(router(route("r", rules)), f"GET {url}")
    assert (d.status, d.location, d.backend) == (302, location, None)


def test_prefix_rewrite_rules() -> None:
    assert prefix_rewrite("/prefix/one/two", "/prefix/one", "/one") == "/one/two"
    assert prefix_rewrite("/strip-prefix/three", "/strip-prefix", "/") == "/three"
    assert prefix_rewrite("/strip-prefix", "/strip-prefix", "/") == "/"
    assert prefix_rewrite("/a/", "/a/", "/b/") == "/b/"


def test_url_rewrite_header_modifier_and_weights() -> None:
    rules = """
    - matches: [{path: {type: PathPrefix, value: /api}}]
      filters:
      - type: URLRewrite
        urlRewrite: {hostname: internal.svc, path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}
      - type: RequestHeaderModifier
        requestHeaderModifier: {set: [{name: X-Env, value: prod}], add: [{name: X-A, value: b}]}
      backendRefs:
      - {name: v1, port: 80, weight: 90}
      - {name: v2, port: 80, weight: 10}
      - {name: off, port: 80, weight: 0}
    """
    d = go(router(route("r", rules)), "GET http://a.example.com/api/x?y=1")
    assert d.to_dict() == {
        "status": 200,
        "backend": "app/v1:80",
        "location": None,
        "backend_path": "/x?y=1",
        "backend_host": "internal.svc",
        "request_headers_added": {"x-env": "prod", "x-a": "b"},
        "rule": "httproute/app/r/rule/0/match/0",
        "weights": {"app/v1:80": 0.9, "app/v2:80": 0.1},
    }


def test_rule_without_backends_is_500() -> None:
    assert (
        go(router(route("r", "- matches: [{path: {type: Exact, value: /}}]\n")), "GET http://a.example.com/").status
        == 500
    )


def _policy(spec: str) -> str:
    return (
        "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: p, namespace: app}\n"
        "spec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]\n" + spec
    )


def test_security_policy_authorization_first_match() -> None:
    policy = _policy(
        "  authorization:\n    defaultAction: Deny\n    rules:\n"
        "    - {action: Deny, principal: {clientCIDRs: [10.0.0.5/32]}}\n"
        "    - {action: Allow, principal: {clientCIDRs: [10.0.0.0/8]}}\n"
    )
    r = router(route("r", "- backendRefs: [{name: s, port: 80}]\n"), policy)
    assert go(r, "GET http://a.example.com/", ip="10.1.1.1").status == 200
    assert go(r, "GET http://a.example.com/", ip="10.0.0.5").status == 403
    assert go(r, "GET http://a.example.com/", ip="192.168.0.1").status == 403


def test_cors_preflight_is_answered_by_the_proxy() -> None:
    policy = _policy("  cors:\n    allowOrigins: ['https://*.example.com']\n    allowMethods: [GET]\n")
    r = router(route("r", "- backendRefs: [{name: s, port: 80}]\n"), policy)
    pre = ("Origin: https://x.example.com", "Access-Control-Request-Method: GET")
    assert go(r, "OPTIONS http://a.example.com/", *pre).status == 200
    assert go(r, "OPTIONS http://a.example.com/", "Origin: https://evil.io", pre[1]).backend == "app/s:80"


def test_basic_auth_with_sha_htpasswd() -> None:
    import base64

    secret = (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: users, namespace: app}\n"
        "stringData: {.htpasswd: 'alice:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M='}\n"
    )
    policy = _policy("  basicAuth:\n    users: {name: users}\n")
    r = router(route("r", "- backendRefs: [{name: s, port: 80}]\n"), secret, policy)
    good = "Authorization: Basic " + base64.b64encode(b"alice:test").decode()
    bad = "Authorization: Basic " + base64.b64encode(b"alice:nope").decode()
    assert go(r, "GET http://a.example.com/").status == 401
    assert go(r, "GET http://a.example.com/", bad).status == 401
    assert go(r, "GET http://a.example.com/", good).status == 200


def test_grpc_route_matches_service_and_method() -> None:
    grpc = """
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: g, namespace: app}
spec:
  parentRefs: [{name: eg}]
  hostnames: [grpc.example.com]
  rules:
  - matches: [{method: {service: pkg.Svc, method: Get}}]
    backendRefs: [{name: get, port: 9000}]
  - matches: [{method: {service: pkg.Svc}}]
    backendRefs: [{name: svc, port: 9000}]
"""
    r = router(grpc)
    assert go(r, "POST http://grpc.example.com/pkg.Svc/Get").backend == "app/get:9000"
    assert go(r, "POST http://grpc.example.com/pkg.Svc/List").backend == "app/svc:9000"


def test_section_name_and_namespace_attachment() -> None:
    other = route("r", "- backendRefs: [{name: s, port: 80}]\n").replace("namespace: app", "namespace: other")
    r = router(other)
    assert go(r, "GET http://a.example.com/").status == 404  # allowedRoutes defaults to Same namespace
    https_only = route("r", "- backendRefs: [{name: s, port: 80}]\n").replace(
        "{name: eg}", "{name: eg, sectionName: https}"
    )
    r = router(https_only)
    assert go(r, "GET http://a.example.com/").status == 404
    assert go(r, "GET https://a.example.com/").status == 200


def test_bad_field_names_file_and_field() -> None:
    bad = route("r", "- matches: [{path: {type: Glob, value: /x}}]\n")
    with pytest.raises(RouteModelError) as info:
        router(bad)
    assert "unknown path match type 'Glob'" in info.value.message
    assert "gw.yaml" in str(info.value.where) and "spec.rules[0].matches[0].path.type" in str(info.value.where)


CORPUS_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("httproute-path-match-order", "GET http://example.com/match/exact/one", {"backend": "infra-backend-v3"}),
    ("httproute-path-match-order", "GET http://example.com/match/prefix/one/any", {"backend": "infra-backend-v2"}),
    ("httproute-path-match-order", "GET http://example.com/match/any", {"backend": "infra-backend-v3"}),
    ("httproute-exact-path-matching", "GET http://example.com/one", {"backend": "infra-backend-v1"}),
    ("httproute-exact-path-matching", "GET http://example.com/one/example", {"status": 404}),
    ("httproute-rewrite-path", "GET http://rewrite.example/prefix/one/two", {"backend_path": "/one/two"}),
    ("httproute-rewrite-path", "GET http://rewrite.example/full/one/two", {"backend_path": "/one"}),
    ("httproute-rewrite-path", "GET http://rewrite.example/strip-prefix/three", {"backend_path": "/three"}),
    ("httproute-hostname-intersection", "GET http://very.specific.com/s1", {"backend": "infra-backend-v1"}),
    ("httproute-hostname-intersection", "GET http://non.matching.com/s1", {"status": 404}),
    ("httproute-hostname-intersection", "GET http://foo.bar.wildcard.io/s2", {"backend": "infra-backend-v2"}),
]


@pytest.mark.parametrize(("case", "line", "expect"), CORPUS_CASES)
def test_gateway_api_conformance_expectations(shared: Path, case: str, line: str, expect: dict[str, Any]) -> None:
    text = (shared / "corpus" / "gateway" / "gatewayapi" / case / "routes.yaml").read_text()
    r = GatewayRouter(parse_gateway_objects(parse_manifests(text, case)))
    d = go(r, line)
    if "backend" in expect:
        assert d.backend is not None and d.backend.split("/")[1].startswith(expect["backend"] + ":"), d
    if "status" in expect:
        assert d.status == expect["status"], d
    if "backend_path" in expect:
        assert d.backend_path == expect["backend_path"], d
