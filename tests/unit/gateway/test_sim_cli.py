"""``ferry gateway simulate``: the interface others depend on (flags, JSON shape, exit codes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ferry.testing import run_cli

INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations: {nginx.ingress.kubernetes.io/whitelist-source-range: 10.0.0.0/8}
spec:
  ingressClassName: nginx
  tls: [{hosts: [a.example.com], secretName: a-tls}]
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 8080}}}}
"""

GATEWAY = """
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: shop}
spec:
  gatewayClassName: eg
  listeners: [{name: http, port: 80, protocol: HTTP}, {name: https, port: 443, protocol: HTTPS}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{name: eg}]
  hostnames: [a.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /api}, headers: [{name: x-v, value: "2"}]}]
    backendRefs: [{name: api, port: 8080}]
"""

KEYS = {"status", "backend", "location", "backend_path", "backend_host", "request_headers_added", "rule"}


@pytest.fixture
def files(tmp_path: Path) -> tuple[str, str]:
    ing, gw = tmp_path / "ing.yaml", tmp_path / "gw.yaml"
    ing.write_text(INGRESS)
    gw.write_text(GATEWAY)
    return str(ing), str(gw)


def test_one_request_both_routers_json_shape(files: tuple[str, str]) -> None:
    ing, gw = files
    result = run_cli(
        ["gateway", "simulate", "--ingress", ing, "--gateway", gw, "--request", "GET https://a.example.com/api/x?y=1",
         "-H", "X-V: 2", "--client-ip", "10.1.1.1", "--format", "json"]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    [item] = result.json()
    assert set(item) == {"request", "nginx", "gateway"}
    assert item["request"] == {
        "method": "GET",
        "url": "https://a.example.com/api/x?y=1",
        "headers": {"x-v": "2"},
        "client_ip": "10.1.1.1",
        "gateway": None,
    }
    assert set(item["nginx"]) == KEYS and set(item["gateway"]) == KEYS
    assert item["nginx"]["backend"] == item["gateway"]["backend"] == "shop/api:8080"
    assert item["nginx"]["backend_path"] == "/api/x?y=1"


def test_gateway_alone_and_jsonl_requests(files: tuple[str, str], tmp_path: Path) -> None:
    _, gw = files
    lines = [
        {"method": "GET", "url": "http://a.example.com/api", "headers": {"x-v": "2"}, "gateway": "shop/eg"},
        {"method": "GET", "url": "http://a.example.com/api", "client_ip": "10.0.0.1"},
    ]
    reqs = tmp_path / "r.jsonl"
    reqs.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n")
    result = run_cli(["gateway", "simulate", "--gateway", gw, "--requests", str(reqs), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    out = result.json()
    assert [set(x) for x in out] == [{"request", "gateway"}] * 2
    assert [x["gateway"]["status"] for x in out] == [200, 404]
    assert out[0]["request"]["gateway"] == "shop/eg"


def test_nginx_denies_outside_the_allow_list(files: tuple[str, str]) -> None:
    ing, _ = files
    result = run_cli(
        ["gateway", "simulate", "--ingress", ing, "--request", "GET https://a.example.com/api", "--client-ip",
         "192.0.2.1", "--format", "json"]
    )  # fmt: skip
    assert result.json()[0]["nginx"]["status"] == 403


def test_text_output_names_both_routers(files: tuple[str, str]) -> None:
    ing, gw = files
    result = run_cli(
        ["gateway", "simulate", "--ingress", ing, "--gateway", gw, "--request", "GET http://a.example.com/api"]
    )
    assert result.exit_code == 0
    assert "ingress-nginx" in result.stdout and "Gateway API" in result.stdout and "308" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--request", "GET http://a/"], "give --ingress FILE, --gateway FILE or both"),
        (["--gateway", "GW"], "give exactly one of --request and --requests"),
        (["--gateway", "GW", "--request", "nonsense"], "is not 'METHOD URL'"),
        (["--gateway", "GW", "--request", "GET /relative"], "not an absolute http or https URL"),
        (["--gateway", "GW", "--requests", "/nonexistent.jsonl"], "cannot read /nonexistent.jsonl"),
        (["--gateway", "/nonexistent.yaml", "--request", "GET http://a/"], "no such file"),
    ],
)
def test_usage_and_input_errors_exit_2_with_one_line(files: tuple[str, str], args: list[str], message: str) -> None:
    _, gw = files
    result = run_cli(["gateway", "simulate", *[gw if a == "GW" else a for a in args]])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_jsonl_line_names_file_and_line(files: tuple[str, str], tmp_path: Path) -> None:
    _, gw = files
    reqs = tmp_path / "r.jsonl"
    reqs.write_text('{"url": "http://a/"}\n{"url": 5}\n')
    result = run_cli(["gateway", "simulate", "--gateway", gw, "--requests", str(reqs)])
    assert result.exit_code == 2
    assert f"{reqs}:2" in result.stderr
