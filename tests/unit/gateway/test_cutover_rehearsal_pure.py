"""The pure parts of the rehearsal: Route 53's answer rules, per-step metrics, the translation, the chart."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferry._kernel import parse_manifests
from ferry.gateway._cutover._dnsrules import WeightedRecord, choose, distribution
from ferry.gateway._cutover._metrics import RequestRecord, StepWindow, percentile, step_metrics, strategy_summary
from ferry.gateway._cutover._rehearsal_report import rehearsal_svg, verdict
from ferry.gateway._cutover._translate import GATEWAY_NAME, candidate_paths, gateway_api_for
from ferry.gateway._simulate import parse_gateway_objects


def group(*specs: tuple[str, int, bool]) -> list[WeightedRecord]:
    return [WeightedRecord(name, f"192.0.2.{i}", weight, healthy) for i, (name, weight, healthy) in enumerate(specs)]


def picks(records: list[WeightedRecord], n: int = 1000) -> dict[str, int]:
    counts: dict[str, int] = {}
    for i in range(n):
        chosen = choose(records, (i + 0.5) / n)
        assert chosen is not None
        counts[chosen.set_identifier] = counts.get(chosen.set_identifier, 0) + 1
    return counts


def test_weights_share_the_answers() -> None:
    assert picks(group(("old", 192, True), ("new", 64, True))) == {"old": 750, "new": 250}
    assert distribution(group(("old", 1, True), ("new", 255, True)))["old"] == pytest.approx(1 / 256)


def test_zero_weight_is_never_answered_while_another_has_weight() -> None:
    assert picks(group(("old", 255, True), ("new", 0, True))) == {"old": 1000}


def test_all_zero_answers_every_record_equally() -> None:
    assert picks(group(("old", 0, True), ("new", 0, True))) == {"old": 500, "new": 500}


def test_zero_weight_record_is_the_fallback_when_the_weighted_ones_are_unhealthy() -> None:
    assert picks(group(("old", 0, True), ("new", 255, False))) == {"old": 1000}


def test_all_unhealthy_fails_open_to_the_weights() -> None:
    assert picks(group(("old", 0, False), ("new", 255, False))) == {"new": 1000}


def test_unhealthy_weighted_record_is_skipped() -> None:
    assert picks(group(("a", 100, False), ("b", 50, True), ("c", 50, True))) == {"b": 500, "c": 500}


def test_empty_group() -> None:
    assert choose([], 0.3) is None
    assert distribution([]) == {}


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 255), st.booleans()), min_size=1, max_size=6))
def test_distribution_matches_choices(specs: list[tuple[int, bool]]) -> None:
    records = group(*[(f"r{i}", w, h) for i, (w, h) in enumerate(specs)])
    expected = distribution(records)
    assert sum(expected.values()) == pytest.approx(1.0)
    counts = picks(records, 2000)
    for name, share in expected.items():
        assert counts.get(name, 0) / 2000 == pytest.approx(share, abs=0.002)


def test_percentile_nearest_rank() -> None:
    assert percentile([], 50) == 0.0
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([5.0], 99) == 5.0


def test_step_metrics_and_summary() -> None:
    records = [
        RequestRecord("a", 0.0, 0.010, "ok", "old"),
        RequestRecord("a", 0.1, 0.020, "ok", "new"),
        RequestRecord("a", 0.2, 0.030, "ok", "new", long=True),
        RequestRecord("b", 1.0, 0.5, "failed", "old", detail="connect refused"),
        RequestRecord("b", 1.1, 0.5, "reset", "old", retried=True),
    ]
    windows = [StepWindow("a", "first", (128, 128)), StepWindow("b", "second"), StepWindow("c", "empty")]
    steps = step_metrics(windows, records)
    a, b, c = steps
    assert (a["sent"], a["succeeded"], a["failed"], a["reset"]) == (3, 3, 0, 0)
    assert a["share"] == {"old": pytest.approx(1 / 3), "new": pytest.approx(2 / 3)}
    assert a["weights"] == {"old": 128, "new": 128} and a["long"] == 1
    assert a["latency_ms"]["p50"] == 20.0 and a["latency_ms"]["max"] == 30.0
    assert (b["failed"], b["reset"], b["retried"], b["share"]) == (1, 1, 1, {"old": 0.0, "new": 0.0})
    assert c["sent"] == 0 and c["weights"] is None
    summary = strategy_summary("naive", steps, records)
    assert (summary["sent"], summary["succeeded"], summary["lost"]) == (5, 3, 2)


def _result(plan_lost: int) -> dict[str, object]:
    def strategy(name: str, lost: int) -> dict[str, object]:
        step = {"key": "flip", "sent": 10, "failed": lost, "reset": 0, "served": {"old": 2, "new": 8 - lost}}
        empty = {"key": "start", "sent": 0, "failed": 0, "reset": 0, "served": {"old": 0, "new": 0}}
        return {"name": name, "sent": 10, "lost": lost, "steps": [empty, step]}

    return {"strategies": [strategy("naive", 5), strategy("plan", plan_lost)], "time_compression": 120.0}


def test_verdict_and_chart() -> None:
    ok, sentence = verdict(_result(0))
    assert ok and "naive flip lost 5 of 10" in sentence and "plan is proven" in sentence
    bad, sentence = verdict(_result(2))
    assert not bad and "ferry's plan lost 2 of 10" in sentence
    svg = rehearsal_svg(_result(0))
    root = ElementTree.fromstring(svg)
    assert "naive: flip" in svg and "plan: flip" in svg and "start" not in svg.split("</text>")[1]
    assert len(root.findall("{http://www.w3.org/2000/svg}rect")) >= 6


INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  tls: [{hosts: [a.example.com]}]
  defaultBackend: {service: {name: fallback, port: {number: 80}}}
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 8080}}}}
      - {path: /exact, pathType: Exact, backend: {service: {name: api, port: {number: 8080}}}}
      - {path: "/re(gex)?", pathType: ImplementationSpecific, backend: {service: {name: api, port: {number: 8080}}}}
      - {path: /named, pathType: Prefix, backend: {service: {name: api, port: {name: http}}}}
  - host: b.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""


def test_translation_is_a_gateway_the_envoy_renderer_understands() -> None:
    objects = gateway_api_for(parse_manifests(INGRESS, "i.yaml"))
    model = parse_gateway_objects(objects)
    (gateway,) = model.gateways
    assert (gateway.namespace, gateway.name) == ("default", GATEWAY_NAME)
    assert [(listener.port, listener.hostname) for listener in gateway.listeners] == [
        (80, None),
        (443, "a.example.com"),
    ]
    routes = {obj.body["spec"]["hostnames"][0]: obj.body["spec"]["rules"] for obj in objects[1:]}
    assert [r.get("matches", [{}])[0].get("path", {}).get("type") for r in routes["a.example.com"]] == [
        "PathPrefix",
        "Exact",
        "PathPrefix",
        None,
    ]
    assert routes["a.example.com"][-1] == {"backendRefs": [{"name": "fallback", "port": 80}]}
    assert routes["b.example.com"][0]["backendRefs"] == [{"name": "web", "port": 80}]


def test_candidate_paths_are_literal_and_end_with_root() -> None:
    paths = candidate_paths(parse_manifests(INGRESS, "i.yaml"))
    assert paths["a.example.com"] == ["/api", "/exact", "/named", "/"]
    assert paths["b.example.com"] == ["/"]
    route = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n"
    route += "  hostnames: [C.example.com]\n  rules: [{matches: [{path: {type: PathPrefix, value: /c}}]}]\n"
    assert candidate_paths(parse_manifests(route, "r.yaml")) == {"c.example.com": ["/c", "/"]}
