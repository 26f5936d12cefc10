"""The example estate's gateway set converts cleanly, validates, and feeds ``ferry assess``."""

from __future__ import annotations

from pathlib import Path

from ferry._kernel import Severity, load_estate
from ferry.gateway import read_ingress_input
from ferry.gateway._assess import assess_gateway
from ferry.gateway._convert import Target, convert, services_from
from ferry.testing import run_cli

ESTATE = Path(__file__).resolve().parents[3] / "examples" / "estate"


def test_example_estate_converts_and_validates(schema_errors) -> None:  # type: ignore[no-untyped-def]
    estate = load_estate([ESTATE])
    objects = list(estate.objects)
    data = read_ingress_input(objects)
    assert not data.errors
    assert len(data.ingresses) >= 10
    conversion = convert(data, services=services_from(objects))
    assert schema_errors(conversion.objects) == []
    kinds = {o["kind"] for o in conversion.objects}
    assert kinds >= {
        "Gateway",
        "HTTPRoute",
        "GRPCRoute",
        "TLSRoute",
        "TCPRoute",
        "ReferenceGrant",
        "BackendTLSPolicy",
        "HTTPRouteFilter",
        "BackendTrafficPolicy",
        "ClientTrafficPolicy",
        "SecurityPolicy",
    }
    assert not conversion.warnings
    (gateway,) = conversion.of_kind("Gateway")
    namespaces = set()
    for listener in gateway["spec"]["listeners"]:
        namespaces.update(listener["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"][0]["values"])
    assert namespaces == {"shop", "payments", "ml", "platform"}
    features = {a.canonical for i in data.ingresses for a in i.annotations.values()}
    assert features >= {
        "canary",
        "canary-weight",
        "rewrite-target",
        "use-regex",
        "auth-type",
        "auth-url",
        "enable-cors",
        "limit-rps",
        "ssl-passthrough",
        "proxy-ssl-verify",
        "affinity",
        "configuration-snippet",
        "auth-tls-secret",
    }


def test_gateway_assessor_section() -> None:
    section = assess_gateway(load_estate([ESTATE]))
    assert section.system == "gateway"
    assert section.metrics["ingresses"] >= 10
    assert {a.name for a in section.artifacts} == {"gateway-api.yaml", "gateway-audit.md"}
    snippet = [f for f in section.findings if "configuration-snippet" in f.message]
    assert snippet and snippet[0].severity is Severity.ERROR and snippet[0].source is not None
    assert section.charts[0].labels[0] == Target.ENVOY_GATEWAY.value


def test_assessor_without_ingresses() -> None:
    section = assess_gateway(load_estate([ESTATE / "k8s" / "namespaces.yaml"]))
    assert "No Ingresses" in section.summary and not section.findings


def test_ferry_assess_includes_gateway() -> None:
    result = run_cli(["assess", str(ESTATE), "--system", "gateway", "--format", "json", "--fail-on", "never"])
    assert result.exit_code == 0, result.stderr
    (section,) = result.json()["sections"]
    assert section["system"] == "gateway" and section["metrics"]["recommendation"]
