"""The coco section of `ferry assess` over the example estate."""

from __future__ import annotations

import json

from ferry._kernel import Estate, KubeObject, SourceRef, load_estate
from ferry.coco import INITDATA_ANNOTATION, assess_estate


def test_example_estate_findings(repo) -> None:  # type: ignore[no-untyped-def]
    estate = load_estate([repo / "examples" / "estate"])
    assert not [p for p in estate.problems if "coco" in p.path], estate.problems
    section = assess_estate(estate)
    by_obj: dict[str, set[str]] = {}
    for f in section.findings:
        by_obj.setdefault(str(f.obj), set()).add(f.code)
    assert "Pod confidential/ledger-0" not in by_obj  # the right one
    assert {"coco.D3", "coco.D2"} <= by_obj["Pod confidential/reports-6f7c9d5b8-x2kqp"]  # wrong annotation key
    assert by_obj["Pod confidential/settlement-28841200-7wq4z"] == {"coco.D1"}  # missing runtime class
    gaps = by_obj["Pod confidential/vault-reader-5d8b7c6f4-m9tzr"]
    assert {"coco.D2", "coco.D7", "coco.sealed-secret-missing"} <= gaps  # sealed-secret gaps
    assert {"coco.D1", "coco.D6"} <= by_obj["Pod payments/fraud-scorer-0"]
    assert section.metrics["confidential_workloads"] == 5 and section.metrics["admissible"] == 1
    names = [a.name for a in section.artifacts]
    assert "coco-reference-values-confidential-ledger-0.json" in names
    assert "coco-kbs-policy-confidential-ledger-0.rego" in names
    kbs = next(a.content for a in section.artifacts if a.name.endswith("ledger-0.rego"))
    assert "finance/reports/api-token" in kbs and "registry.example/finance/ledger@sha256:" in kbs  # pinImages
    refs = json.loads(next(a.content for a in section.artifacts if a.name.endswith("ledger-0.json")))
    assert refs["tee"] == "snp" and len(refs["values"]["snp"]["hex"]) == 64
    finding = next(f for f in section.findings if f.code == "coco.D1" and "settlement" in str(f.obj))
    assert finding.source is not None
    assert finding.source is not None and finding.source.path.endswith("coco-pods.yaml") and finding.source.line


def test_pods_with_initdata_but_no_coco_class_are_warned() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "shop", "annotations": {INITDATA_ANNOTATION: "H4sI"}},
        "spec": {"containers": [{"name": "a", "image": "b"}]},
    }
    section = assess_estate(Estate.from_objects([KubeObject(pod, SourceRef("x.yaml"))]))
    assert [f.code for f in section.findings] == ["coco.D1"]
    assert section.findings[0].severity.value == "warning"


def test_empty_estate() -> None:
    assert assess_estate(Estate.from_objects([])).summary == "No confidential pods in the estate."
