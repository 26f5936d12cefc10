from __future__ import annotations

import json
from pathlib import Path

from ferry._kernel import Artifact, Chart, Estate, Finding, Section, Severity, load_estate
from ferry.assess import AssessorEntry, render_html, run_assessors
from ferry.errors import GatewayError


def _ok(estate: Estate) -> Section:
    return Section(
        "alpha",
        f"{len(estate.objects)} objects",
        findings=[
            Finding("alpha.low", Severity.INFO, "fyi"),
            Finding("alpha.bad", Severity.ERROR, "broken <b>", obj="Service s", hint="fix it"),
        ],
        artifacts=[Artifact("fix.yaml", "application/yaml", "a: 1\n", "apply this")],
        metrics={"objects": len(estate.objects)},
        charts=[Chart("sizes", ["a", "b"], [1.0, 3.0], "s")],
    )


def _raises_ferry(estate: Estate) -> Section:
    raise GatewayError("cannot parse", where="x.yaml:3")


def _crashes(estate: Estate) -> Section:
    raise ZeroDivisionError("boom")


def _wrong_type(estate: Estate) -> Section:
    return "nope"  # type: ignore[return-value]


def test_failing_assessors_are_errors_and_others_still_run(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n")
    (tmp_path / "bad.yaml").write_text("a: [\n")
    entries = [
        AssessorEntry.of("alpha", _ok),
        AssessorEntry.of("beta", _raises_ferry),
        AssessorEntry.of("gamma", _crashes),
        AssessorEntry.of("delta", _wrong_type),
    ]
    result = run_assessors(load_estate([tmp_path]), entries)
    assert [s.system for s in result.sections] == ["alpha"]
    errors = {e.system: e.message for e in result.errors}
    assert errors["beta"] == "x.yaml:3: cannot parse"
    assert "internal error in the gamma assessor: ZeroDivisionError: boom" in errors["gamma"]
    assert "not a Section" in errors["delta"]
    assert any(e.system is None and e.path and e.path.endswith("bad.yaml") for e in result.errors)
    assert result.worst() is Severity.ERROR
    data = json.loads(json.dumps(result.to_dict()))
    assert set(data) == {"estate", "sections", "errors"}
    section = data["sections"][0]
    assert set(section) >= {"system", "summary", "findings", "artifacts"}
    assert [f["severity"] for f in section["findings"]] == ["error", "info"]


def test_html_is_self_contained_and_escaped(tmp_path: Path) -> None:
    result = run_assessors(Estate.from_objects([]), [AssessorEntry.of("alpha", _ok)])
    page = render_html(result)
    assert page.startswith("<!DOCTYPE html>")
    assert "broken &lt;b&gt;" in page and "broken <b>" not in page
    assert "<svg" in page and "<script" not in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "fix.yaml" in page
