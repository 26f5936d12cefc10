"""``ferry gateway convert`` and ``ferry gateway audit`` end to end (in-process CLI)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
import yaml

from ferry.testing import run_cli

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "gateway" / "ingress-nginx"

INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    acme.io/enable-cors: "true"
    acme.io/configuration-snippet: 'more_set_headers "X: y";'
    acme.io/limit-rps: "10"
    acme.io/no-such-annotation: "1"
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""


def test_convert_writes_yaml_stream_to_stdout(tmp_path: Path, schema_errors) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["gateway", "convert", str(CORPUS / "i2gw-cors")])
    assert result.exit_code == 0, result.stderr
    objects = list(yaml.safe_load_all(result.stdout))
    assert {o["kind"] for o in objects} >= {"Gateway", "HTTPRoute", "SecurityPolicy"}
    assert schema_errors(objects) == []
    again = run_cli(["gateway", "convert", str(CORPUS / "i2gw-cors")])
    assert again.stdout == result.stdout


def test_convert_output_directory_per_namespace_and_kind(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(["gateway", "convert", str(CORPUS / "i2gw-tls"), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert "REPORT.md" in files and "report.json" in files
    assert "gateway-system/gateway.yaml" in files
    assert any(f.endswith("/httproute.yaml") for f in files)
    report = (out / "REPORT.md").read_text()
    assert "Who owns what" in report and "platform" in report
    data = json.loads((out / "report.json").read_text())
    assert data["counts"]["Gateway"] == 1 and "objects" not in data


def test_convert_json_and_stdin_with_annotation_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(INGRESS))
    result = run_cli(["gateway", "convert", "-", "--annotation-prefix", "acme.io", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = result.json()
    keys = {a["key"]: a for i in data["audit"]["ingresses"] for a in i["annotations"]}
    assert keys["enable-cors"]["status"]["envoy-gateway"] == "approximate"
    assert keys["configuration-snippet"]["status"]["envoy-gateway"] == "manual"
    assert keys["acme.io/no-such-annotation"]["status"]["envoy-gateway"] == "none"
    assert any(o["kind"] == "SecurityPolicy" for o in data["objects"])


def test_convert_target_standard_and_per_namespace() -> None:
    result = run_cli(
        ["gateway", "convert", str(CORPUS / "i2gw-tls"), "--target", "standard", "--gateway-per-namespace"]
    )
    assert result.exit_code == 0, result.stderr
    objects = list(yaml.safe_load_all(result.stdout))
    assert not [o for o in objects if "envoyproxy" in o["apiVersion"]]
    gateways = [o for o in objects if o["kind"] == "Gateway"]
    assert gateways and all(g["spec"]["gatewayClassName"] == "nginx" for g in gateways)
    assert all(g["metadata"]["namespace"] != "gateway-system" for g in gateways)


def test_bad_input_names_file_document_object_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\n"
        + INGRESS.replace("pathType: Prefix", "pathType: Bogus")
    )
    result = run_cli(["gateway", "convert", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml" in result.stderr and "document 1" in result.stderr
    assert "Ingress shop/web" in result.stderr and "pathType" in result.stderr
    assert "Traceback" not in result.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [\n")
    result = run_cli(["gateway", "audit", str(broken)])
    assert result.exit_code == 2 and "invalid YAML" in result.stderr


def test_usage_errors() -> None:
    assert run_cli(["gateway", "convert"]).exit_code == 2
    result = run_cli(["gateway", "convert", "x.yaml", "--from-cluster"])
    assert result.exit_code == 2 and "not both" in result.stderr


def test_ingress_class_flag(tmp_path: Path) -> None:
    other = INGRESS.replace("ingressClassName: nginx", "ingressClassName: internal").replace("name: web", "name: api")
    (tmp_path / "in.yaml").write_text(INGRESS + "---\n" + other)
    result = run_cli(["gateway", "audit", str(tmp_path), "--ingress-class", "internal", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert [i["name"] for i in result.json()["ingresses"]] == ["api"]


def test_audit_json_shape() -> None:
    result = run_cli(["gateway", "audit", str(CORPUS), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert set(data) == {"ingresses", "summary"}
    for ingress in data["ingresses"]:
        assert set(ingress) == {"namespace", "name", "annotations"}
        for annotation in ingress["annotations"]:
            assert set(annotation) == {"key", "value", "status", "note"}
            assert set(annotation["status"]) == {
                "envoy-gateway",
                "istio",
                "traefik",
                "nginx-gateway-fabric",
                "higress",
                "standard",
            }
            assert set(annotation["status"].values()) <= {"exact", "approximate", "manual", "none"}
    summary = data["summary"]
    assert summary["ingresses"] == len(data["ingresses"])
    assert summary["annotations"] == sum(len(i["annotations"]) for i in data["ingresses"])
    assert set(summary["callouts"]) == {"client-mtls", "backend-mtls", "request-buffering"}
    assert summary["recommendation"] in summary["targets"]


def test_audit_formats_and_fail_on(tmp_path: Path) -> None:
    text = run_cli(["gateway", "audit", str(CORPUS / "i2gw-cors")])
    assert text.exit_code == 0 and "recommended target" in text.stdout
    markdown = run_cli(["gateway", "audit", str(CORPUS / "i2gw-cors"), "--format", "markdown"])
    assert markdown.stdout.startswith("# ingress-nginx annotation audit") and "| envoy-gateway |" in markdown.stdout
    page = tmp_path / "audit.html"
    result = run_cli(["gateway", "audit", str(CORPUS / "i2gw-cors"), "--format", "html", "-o", str(page)])
    assert result.exit_code == 0
    html = page.read_text()
    assert html.startswith("<!doctype html>") and "<link" not in html and "src=" not in html
    assert run_cli(["gateway", "audit", str(CORPUS / "i2gw-cors"), "--fail-on", "approximate"]).exit_code == 1
    assert run_cli(["gateway", "audit", str(CORPUS / "i2gw-cors"), "--fail-on", "none"]).exit_code == 0
    assert run_cli(["gateway", "audit", str(CORPUS / "i2gw-canary"), "--fail-on", "approximate"]).exit_code == 0


def test_gateway_help_lists_both_commands() -> None:
    result = run_cli(["gateway", "--help"])
    assert "convert" in result.stdout and "audit" in result.stdout
