"""Comparison, classification and the statistical weight check (pure)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ferry._kernel import parse_manifests
from ferry.gateway._simulate import Decision, parse_request_line
from ferry.gateway._verify import Approximation, Observed, observed_matches
from ferry.gateway._verify._compare import check_weights, classify, compare_planes, differences_noted, rule_object
from ferry.gateway._verify._observed import normalize_location

OK = Observed(200, "app/web:80", None, "/x", "a.example.com", {"x-env": "prod"})


def test_observed_matches_fields() -> None:
    d = Decision(200, "app/web:80", None, "/x", "a.example.com", {"x-env": "prod"})
    assert observed_matches(d, OK) == []
    assert observed_matches(Decision(200, "app/api:80", None, "/x", "a.example.com"), OK) == ["backend"]
    assert observed_matches(Decision(200, "app/web:80", None, "/y", "b", {"x-env": "dev"}), OK) == [
        "backend_path",
        "backend_host",
        "header x-env",
    ]
    split = Decision(200, "app/v1:80", weights=(("app/v1:80", 0.9), ("app/web:80", 0.1)), backend_path="/x",
                     backend_host="a.example.com")  # fmt: skip
    assert observed_matches(split, OK) == []
    assert observed_matches(Decision(308, location="https://a/x"), Observed(308, location="https://a:443/x")) == []
    assert observed_matches(Decision(404), OK) == ["status"]


def test_normalize_location() -> None:
    assert normalize_location("https://a.example.com:443/x?y") == "https://a.example.com/x?y"
    assert normalize_location("http://a:80") == "http://a"
    assert normalize_location("http://a:8080/") == "http://a:8080/"
    assert normalize_location("https://a:80/") == "https://a:80/"
    assert normalize_location(None) is None


def test_compare_planes_ignores_backend_of_weighted_splits_but_checks_weights() -> None:
    req = parse_request_line("GET https://a.example.com/x")
    n = Decision(200, "app/v1:80", weights=(("app/v1:80", 0.9), ("app/v2:80", 0.1)))
    e = Decision(200, "app/v1:80", weights=(("app/v1:80", 0.5), ("app/v2:80", 0.5)))
    seen_v1 = Observed(200, "app/v1:80", None, "/x", "a.example.com")
    seen_v2 = Observed(200, "app/v2:80", None, "/x", "a.example.com")
    assert compare_planes(req, seen_v1, seen_v2, n, n) == ()
    assert compare_planes(req, seen_v1, seen_v2, n, e) == ("weights",)
    plain = Decision(200, "app/v1:80")
    assert compare_planes(req, seen_v1, seen_v2, plain, plain) == ("backend",)


def test_classify_uses_only_relevant_approximations() -> None:
    approx = {"app/web": [Approximation("app/web", "ssl-redirect", "trailing slash")]}
    http = parse_request_line("GET http://a.example.com/x/")
    redirect_n, redirect_e = (
        Observed(308, location="https://a.example.com/x"),
        Observed(308, location="https://a.example.com/x/"),
    )
    expected, reason = classify(
        http, ("location",), redirect_n, redirect_e, Decision(308), ["app/web"], approx, cors=False
    )
    assert expected and "ssl-redirect on Ingress app/web: trailing slash" in reason
    https = parse_request_line("GET https://a.example.com/x/")
    expected, reason = classify(https, ("backend",), OK, OK, Decision(200), ["app/web"], approx, cors=False)
    assert not expected and reason == "not explained by the audit: backend"
    pre = parse_request_line(
        "OPTIONS https://a.example.com/", ["Origin: https://o", "Access-Control-Request-Method: GET"]
    )
    expected, reason = classify(pre, ("status",), Observed(204), Observed(200), Decision(204), [], {}, cors=True)
    assert expected and "CORS preflight" in reason
    expected, _ = classify(https, ("status",), OK, Observed(0), Decision(200), [], {}, cors=False)
    assert expected


def test_differences_noted_on_the_deciding_route_explain_a_difference() -> None:
    """A default behaviour (no annotation, so nothing in the audit) is explained by the converter's note."""
    route = parse_manifests(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
        "metadata:\n  name: web-redirect\n  namespace: app\n  annotations:\n"
        "    gateway.ferry.dev/nginx-differences: |-\n      nginx strips a trailing '/'\n      second note\n",
        "routes.yaml",
    )
    noted = differences_noted(route)
    assert noted == {"httproute/app/web-redirect": ("nginx strips a trailing '/'", "second note")}
    assert rule_object("httproute/app/web-redirect/rule/0/match/0") == "httproute/app/web-redirect"
    assert rule_object(None) == ""
    http = parse_request_line("GET http://a.example.com/x/")
    n, e = Observed(308, location="https://a.example.com/x"), Observed(308, location="https://a.example.com/x/")
    expected, reason = classify(
        http, ("location",), n, e, Decision(308), ["app/web"], {}, cors=False,
        noted=noted[rule_object("httproute/app/web-redirect/rule/0/match/0")],
    )  # fmt: skip
    assert expected and reason == "noted on the converted route: nginx strips a trailing '/'; second note"
    expected, reason = classify(http, ("location",), n, e, Decision(308), ["app/web"], {}, cors=False, noted=())
    assert not expected and reason == "not explained by the audit: location"


@pytest.mark.parametrize(
    ("expected", "observed", "ok"),
    [
        ({"a": 0.7, "b": 0.3}, {"a": 210, "b": 90}, True),
        ({"a": 0.7, "b": 0.3}, {"a": 150, "b": 150}, False),
        ({"a": 1.0}, {"a": 300}, True),
        ({"a": 1.0, "b": 0.0}, {"a": 299, "b": 1}, False),
        ({"a": 0.9, "b": 0.1}, {"a": 300}, False),
    ],
)
def test_check_weights(expected: dict[str, float], observed: dict[str, int], ok: bool) -> None:
    assert check_weights(expected, observed, 300)[0] is ok


def test_audit_reader_accepts_nested_json(tmp_path: Path) -> None:
    from ferry.cli._gateway_verify import _read_audit

    audit = tmp_path / "audit.json"
    audit.write_text(
        json.dumps(
            {
                "ingresses": [
                    {
                        "ingress": "Ingress shop/web",
                        "annotation": "canary-weight",
                        "status": "approximate",
                        "reason": "r",
                    },
                    {"ingress": "shop/web", "annotation": "use-regex", "status": "exact"},
                ]
            }
        )
    )
    assert _read_audit(str(audit)) == [Approximation("shop/web", "canary-weight", "r")]
