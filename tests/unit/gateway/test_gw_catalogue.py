"""A test per catalogue entry: complete, parity for all six targets, and the converter agrees with its declared
Envoy Gateway status (and standard status) when the annotation is set on a real Ingress."""

from __future__ import annotations

import pytest

from ferry._kernel import parse_manifests
from ferry.gateway import ANNOTATIONS, CATALOGUE, ValueKind, lookup_annotation, read_ingress_input, typed_value
from ferry.gateway._convert import ConvertOptions, Status, Target, convert
from ferry.gateway._parity import PARITY

KEYS = [spec.key for spec in ANNOTATIONS]
FALLBACK = "at its default or without effect on this Ingress"


def test_catalogue_size_and_aliases() -> None:
    assert len(ANNOTATIONS) >= 130
    assert lookup_annotation("whitelist-source-range") is CATALOGUE["allowlist-source-range"]
    assert lookup_annotation("limit-whitelist") is CATALOGUE["limit-allowlist"]
    assert lookup_annotation("no-such-thing") is None
    critical = {s.key for s in ANNOTATIONS if s.risk.value == "Critical"}
    assert critical == {
        "configuration-snippet",
        "server-snippet",
        "auth-snippet",
        "stream-snippet",
        "modsecurity-snippet",
    }


def _ingresses(key: str, value: str, requires: tuple[tuple[str, str], ...]) -> str:
    annotations = {key: value, **dict(requires)}
    canary = lookup_annotation(key).category == "canary"  # type: ignore[union-attr]
    lines = "\n".join(f"    nginx.ingress.kubernetes.io/{k}: {value_yaml(v)}" for k, v in annotations.items())
    primary_annotations = "" if canary else "  annotations:\n" + lines + "\n"
    doc = f"""\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app
  namespace: shop
{primary_annotations}spec:
  ingressClassName: nginx
  tls:
  - hosts: [shop.example.com]
    secretName: shop-tls
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /api(/|$)(.*)
        pathType: ImplementationSpecific
        backend: {{service: {{name: api, port: {{number: 8080}}}}}}
"""
    if canary:
        extra = "" if key == "canary" else '    nginx.ingress.kubernetes.io/canary: "true"\n'
        doc += f"""---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app-canary
  namespace: shop
  annotations:
{extra}{lines}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /api(/|$)(.*)
        pathType: ImplementationSpecific
        backend: {{service: {{name: api-canary, port: {{number: 8080}}}}}}
"""
    return doc


def value_yaml(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@pytest.mark.parametrize("key", KEYS)
def test_entry_is_complete(key: str) -> None:
    spec = CATALOGUE[key]
    parity = PARITY[key]
    assert spec.meaning.endswith(".") and spec.category
    if spec.kind is ValueKind.ENUM:
        assert spec.choices
    assert set(parity.targets) == set(Target)
    for target, entry in parity.targets.items():
        if entry.status in (Status.APPROXIMATE, Status.MANUAL) and target in (Target.ENVOY_GATEWAY, Target.STANDARD):
            assert entry.note, f"{key} {target}: approximate/manual needs the difference or the resource"
    typed_value(spec, parity.example)  # the example is a valid value
    for required, value in parity.requires:
        typed_value(CATALOGUE[required], value)


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("target", [Target.ENVOY_GATEWAY, Target.STANDARD])
def test_converter_matches_declared_status(key: str, target: Target, schema_errors) -> None:  # type: ignore[no-untyped-def]
    parity = PARITY[key]
    text = _ingresses(key, parity.example, parity.requires)
    data = read_ingress_input(parse_manifests(text, "entry.yaml"))
    assert not data.errors
    conversion = convert(data, ConvertOptions(target=target))
    ingress = "app-canary" if CATALOGUE[key].category == "canary" else "app"
    outcome = next(o for o in conversion.outcomes if o.name == ingress and o.key == key)
    declared = parity.targets[target]
    if target is Target.ENVOY_GATEWAY or declared.status in (Status.MANUAL, Status.NONE):
        assert outcome.status is declared.status, (outcome, declared)
    if declared.status in (Status.EXACT, Status.APPROXIMATE) and target is Target.ENVOY_GATEWAY:
        assert outcome.note != FALLBACK, f"{key}: declared {declared.status} but the converter did not act on it"
    assert schema_errors(conversion.objects) == []
