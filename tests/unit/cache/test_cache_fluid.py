"""``render --fluid``: every object validates against Fluid's CRD schemas; references and consumers come out right."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from ferry.cache import DatasetError, parse_spec, render_fluid
from ferry.testing import run_cli

REPO = Path(__file__).resolve().parents[3]


_KINDS = {
    "Dataset": "datasets",
    "AlluxioRuntime": "alluxioruntimes",
    "JindoRuntime": "jindoruntimes",
    "ThinRuntime": "thinruntimes",
    "DataLoad": "dataloads",
}
_CACHE: dict[str, jsonschema.Draft7Validator] = {}


def _schemas(shared: Path) -> dict[str, jsonschema.Draft7Validator]:
    if _CACHE:
        return _CACHE
    out = _CACHE
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for plural in _KINDS.values():
        path = shared / "schemas" / "fluid" / f"data.fluid.io_{plural}.yaml"
        crd = yaml.load(path.read_text(), Loader=loader)
        for version in crd["spec"]["versions"]:
            if version["name"] == "v1alpha1":
                out[crd["spec"]["names"]["kind"]] = jsonschema.Draft7Validator(version["schema"]["openAPIV3Schema"])
    return out


def _validate(objects: list[dict], shared: Path) -> None:
    schemas = _schemas(shared)
    for obj in objects:
        if obj["apiVersion"] == "data.fluid.io/v1alpha1":
            schemas[obj["kind"]].validate(obj)


def test_every_example_renders_to_valid_fluid_objects(shared: Path) -> None:
    files = sorted((REPO / "examples" / "datasets").glob("*.yaml"))
    assert files
    for path in files:
        objects = render_fluid(parse_spec(path.read_text(), str(path)))
        _validate(objects, shared)
        kinds = [o["kind"] for o in objects]
        assert "Dataset" in kinds


def test_s3_dataset_runtime_and_scheduled_dataload(shared: Path) -> None:
    objects = render_fluid(parse_spec((REPO / "examples/datasets/llama-s3.yaml").read_text()))
    _validate(objects, shared)
    dataset, runtime, load = objects
    mount = dataset["spec"]["mounts"][0]
    assert mount["mountPoint"] == "s3://models/llama-3.1-8b-instruct/"
    assert mount["options"]["alluxio.underfs.s3.endpoint"] == "http://minio.storage:9000"
    assert mount["encryptOptions"][1]["valueFrom"]["secretKeyRef"] == {"name": "s3cred", "key": "aws.secretKey"}
    level = runtime["spec"]["tieredstore"]["levels"][0]
    assert runtime["kind"] == "AlluxioRuntime" and level["quota"] == "200Gi" and level["path"] == "/var/cache/ferry"
    assert load["spec"]["policy"] == "Cron" and load["spec"]["schedule"] == "0 3 * * *"
    assert load["spec"]["target"] == [
        {"path": "/*.safetensors", "replicas": 1},
        {"path": "/config.json", "replicas": 1},
    ]


def test_reference_gets_a_thin_runtime_and_the_consumer_the_sidecar_label(shared: Path) -> None:
    objects = render_fluid(parse_spec((REPO / "examples/datasets/shared-across-namespaces.yaml").read_text()))
    _validate(objects, shared)
    ref = next(o for o in objects if o["kind"] == "Dataset" and o["metadata"]["namespace"] == "shop")
    assert ref["spec"]["mounts"] == [{"mountPoint": "dataset://ml/qwen-7b", "name": "mount0", "path": "/"}]
    thin = next(o for o in objects if o["kind"] == "ThinRuntime")
    assert thin["metadata"] == {"name": "qwen-7b", "namespace": "shop"}
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    pod = deployment["spec"]["template"]
    assert pod["metadata"]["labels"]["serverless.fluid.io/inject"] == "true"
    assert {"name": "ferry-qwen-7b", "persistentVolumeClaim": {"claimName": "qwen-7b", "readOnly": True}} in pod[
        "spec"
    ]["volumes"]
    assert pod["spec"]["containers"][0]["volumeMounts"][-1]["mountPath"] == "/models/qwen"


def test_jindo_runtime_and_mem_tier(shared: Path) -> None:
    text = """apiVersion: cache.ferry.dev/v1alpha1
kind: Dataset
metadata: {name: d, namespace: ml}
spec:
  mounts:
  - {name: a, mountPoint: s3://b/a/, options: {region: eu-west-1}}
  - {name: b, mountPoint: /srv/data}
---
apiVersion: cache.ferry.dev/v1alpha1
kind: Runtime
metadata: {name: d, namespace: ml}
spec: {mediumType: MEM, quota: 512Mi}
"""
    objects = render_fluid(parse_spec(text), runtime_kind="jindo")
    _validate(objects, shared)
    dataset, runtime = objects
    assert [m["path"] for m in dataset["spec"]["mounts"]] == ["/a", "/b"]
    assert dataset["spec"]["mounts"][1]["mountPoint"] == "local:///srv/data"
    assert runtime["kind"] == "JindoRuntime"
    assert runtime["spec"]["tieredstore"]["levels"][0] == {
        "mediumtype": "MEM",
        "path": "/dev/shm",
        "quota": "512Mi",
        "high": "0.95",
        "low": "0.7",
        "volumeType": "emptyDir",
    }


def test_dangling_references_are_errors() -> None:
    text = (
        "apiVersion: cache.ferry.dev/v1alpha1\nkind: Dataset\nmetadata: {name: r, namespace: b}\n"
        "spec: {mounts: [{mountPoint: 'dataset://a/missing'}]}\n"
    )
    with pytest.raises(DatasetError, match="a/missing, which is not declared"):
        render_fluid(parse_spec(text))


def test_cli_render(shared: Path) -> None:
    result = run_cli(["cache", "render", "--fluid", "-f", str(REPO / "examples/datasets/llama-s3.yaml")])
    assert result.exit_code == 0, result.stderr
    docs = list(yaml.safe_load_all(result.stdout))
    _validate(docs, shared)
    assert [d["kind"] for d in docs] == ["Dataset", "AlluxioRuntime", "DataLoad"]
    as_json = run_cli(
        ["cache", "render", "--fluid", "-f", str(REPO / "examples/datasets/llama-s3.yaml"), "--format", "json"]
    ).json()
    assert as_json["items"] == docs
    missing = run_cli(["cache", "render", "-f", str(REPO / "examples/datasets/llama-s3.yaml")])
    assert missing.exit_code == 2 and "--fluid" in missing.stderr


def test_the_schema_check_can_fail(shared: Path) -> None:
    bad = {
        "apiVersion": "data.fluid.io/v1alpha1",
        "kind": "Dataset",
        "metadata": {"name": "x"},
        "spec": {"mounts": [{"mountPoint": "s3:"}]},
    }
    with pytest.raises(jsonschema.ValidationError):
        _validate([bad], shared)
