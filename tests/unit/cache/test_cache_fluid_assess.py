"""``ferry assess``'s cache artifacts are the input of ``render --fluid``: every engine renders them schema-valid."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from ferry._kernel import Section, load_estate
from ferry.cache import assess_cache, parse_spec, render_fluid
from ferry.testing import run_cli

REPO = Path(__file__).resolve().parents[3]


_VALIDATORS: dict[str, jsonschema.Draft7Validator] = {}


def _validator(shared: Path, plural: str) -> jsonschema.Draft7Validator:
    if plural not in _VALIDATORS:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        crd = yaml.load((shared / "schemas" / "fluid" / f"data.fluid.io_{plural}.yaml").read_text(), Loader=loader)
        version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1")
        _VALIDATORS[plural] = jsonschema.Draft7Validator(version["schema"]["openAPIV3Schema"])
    return _VALIDATORS[plural]


@pytest.fixture(scope="module")
def section() -> Section:
    return assess_cache(load_estate([REPO / "examples" / "estate"]))


@pytest.mark.parametrize("engine", ["alluxio", "jindo", "juicefs"])
def test_each_assess_artifact_renders_for_every_engine(
    engine: str, section: Section, shared: Path, tmp_path: Path
) -> None:
    assert section.artifacts
    plurals = {
        "Dataset": "datasets",
        "DataLoad": "dataloads",
        "DataMigrate": "datamigrates",
        "DataProcess": "dataprocesses",
        "AlluxioRuntime": "alluxioruntimes",
        "JindoRuntime": "jindoruntimes",
        "JuiceFSRuntime": "juicefsruntimes",
    }
    validators = {kind: _validator(shared, plural) for kind, plural in plurals.items()}
    for artifact, finding in zip(section.artifacts, section.findings, strict=True):
        assert f"ferry cache render --fluid -f {artifact.name} --runtime juicefs" in (finding.hint or "")
        assert "ferry cache render --fluid" in artifact.description
        objects = render_fluid(parse_spec(artifact.content, artifact.name), runtime_kind=engine)
        for obj in objects:
            validators[obj["kind"]].validate(obj)
        kinds = {o["kind"] for o in objects}
        assert {"Dataset", "DataLoad"} <= kinds
        assert ("DataMigrate" in kinds or "DataProcess" in kinds) == (engine == "juicefs")
    # the command the hint names works on the artifact as written to disk
    first = section.artifacts[0]
    (tmp_path / first.name).write_text(first.content)
    result = run_cli(["cache", "render", "--fluid", "--runtime", engine, "-f", str(tmp_path / first.name)])
    assert result.exit_code == 0, result.stderr
    assert [d["kind"] for d in yaml.safe_load_all(result.stdout)] == [
        o["kind"] for o in render_fluid(parse_spec(first.content), runtime_kind=engine)
    ]
