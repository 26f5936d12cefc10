"""Every corpus Ingress converts, every emitted object validates against the CRD schemas, output is deterministic."""

from __future__ import annotations

from pathlib import Path

import pytest

from ferry._kernel import dump_yaml
from ferry.gateway import load_objects, read_ingress_input
from ferry.gateway._convert import Channel, ConvertOptions, Target, convert, services_from

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "gateway" / "ingress-nginx"
CASES = sorted(p.name for p in CORPUS.iterdir()) if CORPUS.is_dir() else []


def _convert(path: Path, **options: object):  # type: ignore[no-untyped-def]
    objects, problems = load_objects([str(path)])
    assert not problems
    data = read_ingress_input(objects)
    assert not data.errors
    return data, convert(data, ConvertOptions(**options), services=services_from(objects))  # type: ignore[arg-type]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"target": Target.STANDARD},
        {"gateway_per_namespace": True},
        {"target": Target.STANDARD, "channel": Channel.EXPERIMENTAL},
    ],
    ids=["envoy-gateway", "standard", "per-namespace", "standard-experimental"],
)
def test_corpus_converts_and_validates(case: str, options: dict, schema_errors) -> None:  # type: ignore[no-untyped-def]
    data, conversion = _convert(CORPUS / case, **options)
    channel = "experimental" if options.get("channel") is Channel.EXPERIMENTAL else "standard"
    assert conversion.objects
    assert schema_errors(conversion.objects, channel) == []
    if options.get("target") is Target.STANDARD:
        assert not [o for o in conversion.objects if o["apiVersion"].startswith("gateway.envoyproxy.io")]
    # no silent drops: every annotation on every Ingress has an outcome
    expected = {(i.namespace, i.name, a.canonical) for i in data.ingresses for a in i.annotations.values()}
    assert expected == {(o.namespace, o.name, o.key) for o in conversion.outcomes}


@pytest.mark.parametrize("case", CASES[:6])
def test_output_is_byte_identical_across_runs_and_input_order(case: str) -> None:
    objects, _ = load_objects([str(CORPUS / case)])
    first = dump_yaml(list(convert(read_ingress_input(objects)).objects), documents=True)
    again = dump_yaml(list(convert(read_ingress_input(list(reversed(objects)))).objects), documents=True)
    assert first == again
