"""The rehearsal end to end: the DNS server, the load generator and both strategies, against small Python servers
(the mechanics) and against real nginx and real Envoy from the verify harness (what CI proves)."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

import pytest

from ferry._kernel import parse_manifests
from ferry.gateway._cutover._harness_sides import harness_sides
from ferry.gateway._cutover._sides import probe
from ferry.testing import run_cli

pytestmark = pytest.mark.integration

INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: nginx
  tls: [{hosts: [shop.example.com], secretName: shop-tls}]
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 8080}}}}
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
  - host: api.example.com
    http:
      paths:
      - {path: /v1, pathType: Prefix, backend: {service: {name: api, port: {number: 8080}}}}
"""


@pytest.fixture
def ingress_file(tmp_path: Path) -> Path:
    path = tmp_path / "ingress.yaml"
    path.write_text(INGRESS)
    return path


def _check_result(data: dict[str, object], compression: float) -> None:
    assert set(data) >= {"strategies", "time_compression"} and data["time_compression"] == compression
    strategies = {s["name"]: s for s in data["strategies"]}  # type: ignore[attr-defined]
    assert set(strategies) == {"naive", "plan"}
    for strategy in strategies.values():
        assert set(strategy) >= {"name", "sent", "succeeded", "failed", "steps"}
        assert strategy["sent"] == strategy["succeeded"] + strategy["failed"] + strategy["reset"]
        assert sum(step["sent"] for step in strategy["steps"]) == strategy["sent"]
    naive, plan = strategies["naive"], strategies["plan"]
    flip = next(s for s in naive["steps"] if s["key"] == "flip")
    assert naive["lost"] > 0 and flip["failed"] > 0, naive  # the naive flip loses requests, as the case study saw
    assert plan["lost"] == 0 and plan["failed"] == 0 and plan["reset"] == 0, plan["steps"]
    assert plan["sent"] > 500
    shares = {s["key"]: s["share"]["new"] for s in plan["steps"] if s["sent"]}
    assert shares["create-weighted"] == 0.0 and shares["wait-idle"] == 1.0
    assert 0.25 < shares["shift-3"] < 0.75  # 128/128: traffic really moves with the weights
    assert shares["shift-1"] < shares["shift-3"] < shares["shift-4"]


@pytest.mark.slow
def test_rehearsal_with_python_sides_shows_the_mechanics(ingress_file: Path, tmp_path: Path) -> None:
    svg = tmp_path / "chart.svg"
    result = run_cli(
        ["gateway", "cutover", "rehearse", "--ingress", str(ingress_file), "--sides", "python-echo",
         "--time-compression", "500", "--svg", str(svg), "--format", "json"]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = result.json()
    _check_result(data, 500.0)
    assert data["sides"].startswith("python-echo")
    assert svg.read_text().startswith("<svg")


@pytest.mark.slow
def test_rehearsal_against_real_nginx_and_envoy(ingress_file: Path) -> None:
    result = run_cli(
        ["gateway", "cutover", "rehearse", "--ingress", str(ingress_file), "--time-compression", "300",
         "--format", "json"]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = result.json()
    _check_result(data, 300.0)
    assert "real nginx" in data["sides"] and "real Envoy" in data["sides"]
    routes = data["strategies"][1]["routes"]
    assert routes == {
        "api.example.com": "http://api.example.com/v1",
        "shop.example.com": "https://shop.example.com/api",
    }


@pytest.mark.slow
def test_rehearsal_of_the_example_estate_by_default(repo: Path) -> None:
    result = run_cli(
        ["gateway", "cutover", "rehearse", "--time-compression", "400", "--format", "json"], cwd=str(repo)
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["time_compression"] == 400.0 and "conversion of the Ingresses" in data["sides"]
    naive, plan = data["strategies"]
    assert (naive["name"], plan["name"]) == ("naive", "plan")
    assert naive["failed"] + naive["reset"] > 0
    assert plan["failed"] == 0 and plan["reset"] == 0 and plan["sent"] > 100
    assert len(plan["routes"]) >= 4  # hostnames both nginx and the converted Envoy serve from a backend


def test_naive_only_text_report(ingress_file: Path) -> None:
    result = run_cli(
        ["gateway", "cutover", "rehearse", "--ingress", str(ingress_file), "--sides", "python-echo",
         "--strategy", "naive", "--time-compression", "600"]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "naive: sent" in result.stdout and "flip" in result.stdout and "time compressed 600×" in result.stdout
    assert "naive flip lost" in result.stdout


def test_rehearsal_text_output_and_no_hostnames(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    result = run_cli(["gateway", "cutover", "rehearse", "--ingress", str(empty)])
    assert result.exit_code == 2 and "no Ingress or HTTPRoute hostnames" in result.stderr


def _long_request(side: object, host: str, outcome: list[int]) -> None:
    status, _ = probe(side, host, "/api?delay_ms=1500", tls=False)  # type: ignore[arg-type]
    outcome.append(status)


def test_nginx_drains_gracefully_but_fast_shutdown_drops_requests_in_flight() -> None:
    objects = parse_manifests(INGRESS.replace("  tls: [{hosts: [shop.example.com], secretName: shop-tls}]\n", ""), "i")
    pair = harness_sides(objects)
    for graceful in (True, False):
        with contextlib.ExitStack() as stack:
            old, new = pair.make(stack)
            stack.callback(new.close)
            stack.callback(old.close)
            old.start()
            assert probe(old, "shop.example.com", "/api", tls=False)[0] == 200
            outcome: list[int] = []
            worker = threading.Thread(target=_long_request, args=(old, "shop.example.com", outcome))
            worker.start()
            time.sleep(0.4)  # the request is in flight at the backend
            if graceful:
                assert old.drain(10.0)
            else:
                old.stop_abruptly()
            worker.join(10)
            assert outcome == ([200] if graceful else [0])
            # Once stopped either way, nothing listens: new connections are refused.
            assert probe(old, "shop.example.com", "/api", tls=False)[0] == 0


def test_a_failed_gate_rolls_the_weights_back(ingress_file: Path) -> None:
    from ferry.gateway._cutover._model import Gates
    from ferry.gateway._cutover._rehearsal import RehearsalConfig, echo_sides, rehearse

    objects = tuple(parse_manifests(ingress_file.read_text(), str(ingress_file)))
    config = RehearsalConfig(
        hostnames=("api.example.com",),
        objects=objects,
        time_compression=600,
        gates=Gates(max_error_rate=0.0, max_p99_ms=0.0001, window_s=300),  # no real p99 passes
        strategies=("plan",),
    )
    seen: list[str] = []
    result = rehearse(config, echo_sides(), progress=lambda strategy, step: seen.append(step))
    (plan,) = result["strategies"]
    assert any("gate failed at create-weighted" in note for note in plan["notes"]), plan["notes"]
    assert seen[-1] == "rollback" and "shift-1" not in seen
    rollback = next(s for s in plan["steps"] if s["key"] == "rollback")
    assert rollback["weights"] == {"old": 255, "new": 0} and rollback["share"]["old"] == 1.0
    assert plan["lost"] == 0


def test_envoy_drains_gracefully_and_finishes_requests_in_flight() -> None:
    objects = parse_manifests(INGRESS.replace("  tls: [{hosts: [shop.example.com], secretName: shop-tls}]\n", ""), "i")
    pair = harness_sides(objects)
    with contextlib.ExitStack() as stack:
        _old, new = pair.make(stack)
        stack.callback(new.close)
        new.start()
        assert probe(new, "shop.example.com", "/api", tls=False)[0] == 200
        outcome: list[int] = []
        worker = threading.Thread(target=_long_request, args=(new, "shop.example.com", outcome))
        worker.start()
        time.sleep(0.4)
        assert new.drain(10.0)  # /drain_listeners?graceful, then no connection left
        worker.join(10)
        assert outcome == [200]
        assert probe(new, "shop.example.com", "/api", tls=False)[0] == 0  # the listener is gone
