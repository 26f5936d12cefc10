"""The simulator against real nginx and real Envoy on a broad semantic corpus: they must never disagree.

The corpus is generated from the routes of every ingress-nginx and Gateway API case in ../shared/corpus/gateway and
of the semantic files in data/ (every feature the routers model), at every path boundary, host variant, scheme,
canary header and cookie and client address. A disagreement is a bug in ferry.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ferry._kernel import parse_manifests
from ferry.gateway import read_ingress_input
from ferry.gateway._simulate import build_server_table, parse_gateway_objects
from ferry.gateway._simulate._corpus import generate_corpus
from ferry.gateway._simulate._gwapi_model import secrets_of
from ferry.gateway._verify import backends_of, observed_matches, send, start_echo_backends, start_envoy, start_nginx

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DATA = Path(__file__).parent / "data"
CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "gateway"


def _cases(kind: str, name: str, local: str) -> list[Path]:
    return [*sorted((CORPUS / kind).glob(f"*/{name}")), DATA / local]


def _id(path: Path) -> str:
    return path.parent.name if path.parent != DATA else path.stem


@pytest.mark.parametrize("path", _cases("ingress-nginx", "ingresses.yaml", "semantic-ingress.yaml"), ids=_id)
def test_simulator_agrees_with_real_nginx(path: Path) -> None:
    objects = parse_manifests(path.read_text(), str(path))
    data = read_ingress_input(objects)
    corpus = generate_corpus(build_server_table(data, secrets_of(objects)))
    assert len(corpus) >= 10
    disagreements = []
    with start_echo_backends(backends_of(objects)) as echo, start_nginx(objects, echo) as nginx:
        router = nginx.router
        assert router is not None
        for request in corpus:
            decision = router.route(request)
            seen = send(nginx, request)
            fields = observed_matches(decision, seen)
            if fields:
                disagreements.append((request.method, request.url, dict(request.headers), fields, decision, seen))
    assert disagreements == []


@pytest.mark.parametrize("path", _cases("gatewayapi", "routes.yaml", "semantic-gateway.yaml"), ids=_id)
def test_simulator_agrees_with_real_envoy(path: Path) -> None:
    objects = parse_manifests(path.read_text(), str(path))
    model = parse_gateway_objects(objects)
    corpus = generate_corpus(gateway=model)
    assert len(corpus) >= 10
    disagreements = []
    with start_echo_backends(backends_of(objects)) as echo, start_envoy(objects, echo) as envoy:
        router = envoy.router
        assert router is not None
        for request in corpus:
            decision = router.route(request)  # type: ignore[union-attr]
            table = router.table_for(request)  # type: ignore[union-attr]
            if table is None:
                continue
            seen = send(envoy, request, gateway=table.gateway.key)
            fields = observed_matches(decision, seen)
            if fields:
                disagreements.append((request.method, request.url, dict(request.headers), fields, decision, seen))
    assert disagreements == []


def test_semantic_corpus_exercises_every_outcome() -> None:
    """The semantic files reach every kind of outcome (so the agreement above is not vacuous)."""
    ing = parse_manifests((DATA / "semantic-ingress.yaml").read_text(), "semantic-ingress.yaml")
    gw = parse_manifests((DATA / "semantic-gateway.yaml").read_text(), "semantic-gateway.yaml")
    from ferry.gateway._simulate import Simulator

    sim = Simulator(ing, gw)
    table = build_server_table(read_ingress_input(ing), secrets_of(ing))
    model = parse_gateway_objects(gw)
    nginx_status = {sim.nginx.route(r).status for r in generate_corpus(table)}  # type: ignore[union-attr]
    gateway_status = {sim.gateway.route(r).status for r in generate_corpus(gateway=model)}  # type: ignore[union-attr]
    assert {200, 204, 301, 302, 307, 308, 401, 403, 404, 503} <= nginx_status
    assert {0, 200, 301, 302, 303, 307, 308, 401, 403, 404, 418, 500} <= gateway_status
