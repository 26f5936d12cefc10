"""``render --fluid`` for Alluxio, Jindo and JuiceFS from the same declarations, checked against Fluid's CRDs."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from ferry.cache import DatasetError, EncryptOption, Runtime, parse_spec, render_fluid
from ferry.cache._fluid import plan_fluid
from ferry.testing import run_cli

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples"
ENGINES = ("alluxio", "jindo", "juicefs")
_VALIDATORS: dict[str, jsonschema.Draft7Validator] = {}


def _validators(shared: Path) -> dict[str, jsonschema.Draft7Validator]:
    if not _VALIDATORS:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        for path in sorted((shared / "schemas" / "fluid").glob("data.fluid.io_*.yaml")):
            crd = yaml.load(path.read_text(), Loader=loader)
            for version in crd["spec"]["versions"]:
                if version["name"] == "v1alpha1":
                    schema = version["schema"]["openAPIV3Schema"]
                    _VALIDATORS[crd["spec"]["names"]["kind"]] = jsonschema.Draft7Validator(schema)
    return _VALIDATORS


def _validate(objects: list[dict[str, Any]], shared: Path) -> None:
    validators = _validators(shared)
    for obj in objects:
        if obj["apiVersion"] == "data.fluid.io/v1alpha1":
            validators[obj["kind"]].validate(obj)
        else:
            assert obj["apiVersion"] in ("apps/v1", "v1", "batch/v1"), obj["apiVersion"]
        assert obj["kind"] != "Secret", "rendering never prints a Secret"


def _read(*names: str) -> str:
    return "---\n".join((EXAMPLES / name).read_text() for name in names)


def _kind(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name))


QWEN = ("cache/qwen-dataset.yaml", "cache/qwen-runtime-juicefs.yaml")
INPUTS = [
    ("datasets/llama-s3.yaml",),
    ("datasets/http-files.yaml",),
    ("datasets/shared-across-namespaces.yaml",),
    ("cache/qwen-dataset.yaml",),
    ("cache/qwen-dataset.yaml", "cache/qwen-runtime-node.yaml"),
    QWEN,
]

MULTI = """apiVersion: cache.ferry.dev/v1alpha1
kind: Dataset
metadata: {name: mix, namespace: ml}
spec:
  mounts:
  - {name: a, mountPoint: "s3://bucket/a", options: {region: eu-west-1}}
  - {name: b, mountPoint: /srv/data}
  - name: c
    mountPoint: https://hub.example/base/
    options: {index: model.safetensors.index.json}
    encryptOptions: [{name: token, valueFrom: {secretKeyRef: {name: hub, key: token}}}]
---
apiVersion: cache.ferry.dev/v1alpha1
kind: Runtime
metadata: {name: mix, namespace: ml}
spec: {type: juicefs, mediumType: MEM, quota: 512Mi, options: {name: shared-vol}}
---
apiVersion: cache.ferry.dev/v1alpha1
kind: DataLoad
metadata: {name: nightly, namespace: ml}
spec: {dataset: {name: mix}, policy: Cron, schedule: "0 3 * * *", target: [{path: a}]}
---
apiVersion: cache.ferry.dev/v1alpha1
kind: DataLoad
metadata: {name: first, namespace: ml}
spec: {dataset: {name: mix}, target: [{path: "c/*.safetensors"}]}
"""


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("files", INPUTS, ids=lambda f: "+".join(Path(n).stem for n in f))
def test_every_input_renders_schema_valid_for_every_engine(files: tuple[str, ...], engine: str, shared: Path) -> None:
    objects = render_fluid(parse_spec(_read(*files)), runtime_kind=engine)
    _validate(objects, shared)
    runtimes = {o["kind"] for o in objects if o["kind"].endswith("Runtime") and o["kind"] != "ThinRuntime"}
    assert runtimes == {f"{engine.capitalize()}Runtime".replace("Juicefs", "JuiceFS")}
    imports = [o for o in objects if o["kind"] in ("DataMigrate", "DataProcess")]
    assert bool(imports) == (engine == "juicefs")


@pytest.mark.parametrize("engine", ENGINES)
def test_multiple_mounts_of_every_kind_render_for_every_engine(engine: str, shared: Path) -> None:
    objects = render_fluid(parse_spec(MULTI), runtime_kind=engine)
    _validate(objects, shared)
    loads = {o["metadata"]["name"]: o["spec"] for o in objects if o["kind"] == "DataLoad"}
    assert loads["nightly"]["schedule"] == "0 3 * * *" and loads["nightly"]["target"] == [{"path": "/a", "replicas": 1}]
    level = _kind(objects, rendered_runtime(objects))["spec"]["tieredstore"]["levels"][0]
    assert (level["mediumtype"], level["path"], level["quota"]) == ("MEM", "/dev/shm", "512Mi")
    if engine != "juicefs":
        mounts = _kind(objects, "Dataset")["spec"]["mounts"]
        assert [(m["name"], m["path"]) for m in mounts] == [("a", "/a"), ("b", "/b"), ("c", "/c")]


def test_switching_engines_keeps_the_dataset_and_its_dataloads(shared: Path) -> None:
    spec = parse_spec(_read(*QWEN))
    rendered = {engine: render_fluid(spec, runtime_kind=engine) for engine in ENGINES}
    for objects in rendered.values():
        dataset, load = _kind(objects, "Dataset"), _kind(objects, "DataLoad")
        assert dataset["metadata"] == {"name": "qwen-7b", "namespace": "ml"}
        assert load["spec"]["target"] == [{"path": "/weights", "replicas": 1}, {"path": "/tokenizer", "replicas": 1}]
        assert _kind(objects, rendered_runtime(objects))["metadata"] == dataset["metadata"]
    # without --runtime, a Runtime of type juicefs picks JuiceFS and an embedded one Alluxio
    assert render_fluid(spec) == rendered["juicefs"]
    node = parse_spec(_read("cache/qwen-dataset.yaml", "cache/qwen-runtime-node.yaml"))
    assert [o["kind"] for o in render_fluid(node)] == ["Dataset", "AlluxioRuntime", "DataLoad"]


def rendered_runtime(objects: list[dict[str, Any]]) -> str:
    return next(o["kind"] for o in objects if o["kind"].endswith("Runtime"))


def test_juicefs_dataset_runtime_imports_and_warmup(shared: Path) -> None:
    objects = render_fluid(parse_spec(_read(*QWEN)), runtime_kind="juicefs")
    _validate(objects, shared)
    assert [o["kind"] for o in objects] == ["Dataset", "JuiceFSRuntime", "DataMigrate", "DataProcess", "DataLoad"]
    dataset, runtime, migrate, process, load = objects
    mount = dataset["spec"]["mounts"][0]
    assert len(dataset["spec"]["mounts"]) == 1  # Fluid's JuiceFS engine takes exactly one mount
    assert mount["name"] == "models" and mount["mountPoint"] == "juicefs:///datasets/ml/qwen-7b"
    assert mount["options"] == {"storage": "s3", "bucket": "http://seaweedfs.storage:8333/jfs-models"}
    assert [(e["name"], e["valueFrom"]["secretKeyRef"]) for e in mount["encryptOptions"]] == [
        ("metaurl", {"name": "juicefs-models", "key": "metaurl"}),
        ("access-key", {"name": "juicefs-models", "key": "access-key"}),
        ("secret-key", {"name": "juicefs-models", "key": "secret-key"}),
    ]
    assert dataset["spec"]["accessModes"] == ["ReadWriteMany"]  # the DataProcess writes through the PVC
    assert runtime["spec"]["tieredstore"]["levels"] == [
        {"mediumtype": "SSD", "path": "/var/jfsCache", "quota": "200Gi", "low": "0.1"}
    ]
    assert migrate["metadata"]["name"] == "qwen-7b-import-weights"
    assert migrate["spec"]["from"]["externalStorage"] == {
        "uri": "minio://seaweedfs.storage:8333/models/qwen2.5-7b-instruct/",
        "encryptOptions": [
            {"name": "access-key", "valueFrom": {"secretKeyRef": {"name": "s3cred", "key": "aws.accessKeyId"}}},
            {"name": "secret-key", "valueFrom": {"secretKeyRef": {"name": "s3cred", "key": "aws.secretKey"}}},
        ],
    }
    assert migrate["spec"]["to"] == {
        "dataset": {"name": "qwen-7b", "namespace": "ml", "path": "/datasets/ml/qwen-7b/weights/"}
    }
    assert "runAfter" not in migrate["spec"]
    script = process["spec"]["processor"]["script"]
    env = {e["name"]: e.get("value") for e in script["env"]}
    assert env["FERRY_SOURCE"] == "https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/resolve/main/"
    assert env["FERRY_DEST"] == "/data/tokenizer"
    assert [f["path"] for f in json.loads(env["FERRY_FILES"])] == [
        "tokenizer.json",
        "tokenizer_config.json",
        "vocab.json",
        "merges.txt",
    ]
    assert process["spec"]["dataset"] == {"name": "qwen-7b", "namespace": "ml", "mountPath": "/data"}
    assert process["spec"]["runAfter"] == {"kind": "DataMigrate", "name": "qwen-7b-import-weights", "namespace": "ml"}
    assert load["spec"]["runAfter"] == {"kind": "DataProcess", "name": "qwen-7b-import-tokenizer", "namespace": "ml"}
    compile(script["source"], "import.py", "exec")  # the program Fluid runs is valid Python
    assert "redis.storage" not in json.dumps(objects)  # the metaurl is never rendered


def test_multiple_mounts_quota_mem_tier_and_schedules(shared: Path) -> None:
    objects = render_fluid(parse_spec(MULTI), runtime_kind="juicefs")
    _validate(objects, shared)
    dataset, runtime = objects[0], objects[1]
    assert dataset["spec"]["mounts"][0]["mountPoint"] == "juicefs:///datasets/ml/mix"
    assert dataset["spec"]["mounts"][0]["encryptOptions"] == [
        {"name": "metaurl", "valueFrom": {"secretKeyRef": {"name": "juicefs-shared-vol", "key": "metaurl"}}}
    ]
    assert "options" not in dataset["spec"]["mounts"][0]  # a formatted volume: Fluid formats nothing
    assert runtime["spec"]["tieredstore"]["levels"] == [
        {"mediumtype": "MEM", "path": "/dev/shm", "quota": "512Mi", "low": "0.1", "volumeType": "emptyDir"}
    ]
    a, b, c = (
        _kind(objects, k, f"mix-import-{n}")
        for k, n in (("DataMigrate", "a"), ("DataProcess", "b"), ("DataProcess", "c"))
    )
    assert a["spec"]["from"]["externalStorage"] == {"uri": "s3://bucket.s3.eu-west-1.amazonaws.com/a/"}
    assert a["spec"]["to"]["dataset"]["path"] == "/datasets/ml/mix/a/"
    local = b["spec"]["processor"]["script"]
    assert local["volumes"] == [{"name": "ferry-source", "hostPath": {"path": "/srv/data"}}]
    assert local["volumeMounts"] == [{"name": "ferry-source", "mountPath": "/ferry-source", "readOnly": True}]
    assert {e["name"]: e["value"] for e in local["env"]} == {
        "FERRY_SOURCE": "/ferry-source",
        "FERRY_SOURCE_NAME": "data",
        "FERRY_DEST": "/data/b",
    }
    env = c["spec"]["processor"]["script"]["env"]
    assert {"name": "FERRY_INDEX", "value": "model.safetensors.index.json"} in env
    assert {"name": "FERRY_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hub", "key": "token"}}} in env
    assert b["spec"]["runAfter"]["name"] == "mix-import-a" and c["spec"]["runAfter"]["name"] == "mix-import-b"
    nightly, first = _kind(objects, "DataLoad", "nightly"), _kind(objects, "DataLoad", "first")
    assert nightly["spec"]["policy"] == "Cron" and nightly["spec"]["schedule"] == "0 3 * * *"
    assert "runAfter" not in nightly["spec"]  # a schedule does not wait for a one-off import
    assert first["spec"]["runAfter"] == {"kind": "DataProcess", "name": "mix-import-c", "namespace": "ml"}
    assert first["spec"]["target"] == [{"path": "/c", "replicas": 1}]  # juicefs warmup takes paths, not globs


def test_glob_targets_widen_to_directories_for_juicefs_only() -> None:
    text = _read("datasets/llama-s3.yaml").replace(
        'target: [{path: "*.safetensors"}, {path: config.json}]',
        'target: [{path: "*.safetensors"}, {path: config.json}, '
        '{path: "a/b/x-*.bin"}, {path: a/b/c.json}, {path: a/b}]',
    )
    plan = plan_fluid(parse_spec(text), runtime_kind="juicefs")
    assert _kind(plan.objects, "DataLoad")["spec"]["target"] == [{"path": "/", "replicas": 1}]
    assert sum("JuiceFS warms paths, not globs" in n for n in plan.notes) == 2
    narrow = text.replace('{path: "*.safetensors"}, {path: config.json}, ', "")
    plan = plan_fluid(parse_spec(narrow), runtime_kind="juicefs")
    assert _kind(plan.objects, "DataLoad")["spec"]["target"] == [{"path": "/a/b", "replicas": 1}]
    alluxio = render_fluid(parse_spec(text), runtime_kind="alluxio")
    assert {"path": "/*.safetensors", "replicas": 1} in _kind(alluxio, "DataLoad")["spec"]["target"]


def test_s3_addresses_and_credentials_for_the_import() -> None:
    text = """apiVersion: cache.ferry.dev/v1alpha1
kind: Dataset
metadata: {name: weights, namespace: ns}
spec:
  mounts:
  - name: tls
    mountPoint: s3://b1
    options: {endpoint: "https://s3.example.com:9000", profile: dev}
    encryptOptions:
    - {name: aws.sessionToken, valueFrom: {secretKeyRef: {name: sts, key: token}}}
  - {name: aws, mountPoint: "s3://b2/deep/prefix/"}
"""
    plan = plan_fluid(parse_spec(text), runtime_kind="juicefs")
    tls, aws = (o for o in plan.objects if o["kind"] == "DataMigrate")
    assert tls["spec"]["from"]["externalStorage"] == {
        "uri": "s3://b1.s3.example.com:9000/",
        "encryptOptions": [{"name": "token", "valueFrom": {"secretKeyRef": {"name": "sts", "key": "token"}}}],
    }
    assert aws["spec"]["from"]["externalStorage"] == {"uri": "s3://b2.s3.us-east-1.amazonaws.com/deep/prefix/"}
    assert any("local AWS profile" in n for n in plan.notes)
    assert dict(plan.secrets) == {("ns", "juicefs-weights"): ("metaurl",), ("ns", "sts"): ("token",)}
    assert any("no Runtime of type juicefs" in n for n in plan.notes)


def test_reference_dataset_and_consumer_work_with_juicefs(shared: Path) -> None:
    objects = render_fluid(parse_spec(_read("datasets/shared-across-namespaces.yaml")), runtime_kind="juicefs")
    _validate(objects, shared)
    physical = next(o for o in objects if o["kind"] == "Dataset" and o["metadata"]["namespace"] == "ml")
    assert physical["spec"]["mounts"][0]["mountPoint"] == "juicefs:///datasets/ml/qwen-7b"
    ref = next(o for o in objects if o["kind"] == "Dataset" and o["metadata"]["namespace"] == "shop")
    assert ref["spec"]["mounts"] == [{"mountPoint": "dataset://ml/qwen-7b", "name": "mount0", "path": "/"}]
    assert _kind(objects, "ThinRuntime")["metadata"] == {"name": "qwen-7b", "namespace": "shop"}
    assert not any(
        o["kind"] in ("DataMigrate", "DataProcess") and o["metadata"]["namespace"] == "shop" for o in objects
    )
    process = _kind(objects, "DataProcess")
    assert {"name": "FERRY_INDEX", "value": "model.safetensors.index.json"} in process["spec"]["processor"]["script"][
        "env"
    ]
    assert _kind(objects, "DataLoad")["spec"]["runAfter"]["name"] == "qwen-7b-import"
    pod = _kind(objects, "Deployment")["spec"]["template"]
    assert pod["metadata"]["labels"]["serverless.fluid.io/inject"] == "true"


def _runtime_with(options: str) -> str:
    return (
        "apiVersion: cache.ferry.dev/v1alpha1\nkind: Dataset\nmetadata: {name: dset, namespace: ns}\n"
        "spec: {mounts: [{mountPoint: 's3://b/p/'}]}\n---\n"
        "apiVersion: cache.ferry.dev/v1alpha1\nkind: Runtime\nmetadata: {name: dset, namespace: ns}\n"
        f"spec: {{type: juicefs, options: {options}}}\n"
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("{name: vol, storage: file, bucket: /var/jfs}", "one node's disk"),
        ("{name: Bad_Name}", "not a JuiceFS volume name"),
        ("{name: ab}", "not a JuiceFS volume name"),
    ],
)
def test_volumes_that_cannot_serve_a_cluster_are_errors(options: str, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        render_fluid(parse_spec(_runtime_with(options)), runtime_kind="juicefs")
    render_fluid(parse_spec(_runtime_with(options)), runtime_kind="alluxio")  # other engines ignore the volume


def test_node_local_volumes_get_notes_that_never_show_the_metaurl() -> None:
    options = (
        "{name: vol, metaurl: 'redis://:hunter2@127.0.0.1:6379/1', storage: s3, bucket: 'http://localhost:8333/j'}"
    )
    plan = plan_fluid(parse_spec(_runtime_with(options)), runtime_kind="juicefs")
    assert len(plan.notes) == 2
    assert "loopback" in plan.notes[0] and "node-local" in plan.notes[1]
    assert "hunter2" not in json.dumps([plan.objects, plan.notes])
    sqlite = plan_fluid(parse_spec(_runtime_with("{metaurl: 'sqlite3:///tmp/m.db'}")), runtime_kind="juicefs")
    assert any("SQLite" in n for n in sqlite.notes)


SECRET = """---
apiVersion: v1
kind: Secret
metadata: {name: juicefs-models, namespace: ml}
stringData: {metaurl: "redis://:hunter2@redis:6379/1", access-key: AKSECRETVALUE, secret-key: SKSECRETVALUE}
"""


def test_secrets_are_referenced_checked_and_never_printed() -> None:
    plan = plan_fluid(parse_spec(_read(*QWEN) + SECRET))
    assert plan.secrets == {
        ("ml", "juicefs-models"): ("access-key", "metaurl", "secret-key"),
        ("ml", "s3cred"): ("aws.accessKeyId", "aws.secretKey"),
    }
    assert plan.undeclared == [("ml", "s3cred")]
    text = json.dumps(plan.objects)
    assert "hunter2" not in text and "SECRETVALUE" not in text
    incomplete = SECRET.replace(", secret-key: SKSECRETVALUE", "")
    with pytest.raises(DatasetError, match="Secret ml/juicefs-models has no key secret-key"):
        plan_fluid(parse_spec(_read(*QWEN) + incomplete))


def test_long_names_stay_valid_kubernetes_names(shared: Path) -> None:
    name = "a-really-long-dataset-name-for-a-model-with-many-parameters-x"
    text = (
        f"apiVersion: cache.ferry.dev/v1alpha1\nkind: Dataset\nmetadata: {{name: {name}, namespace: ns}}\n"
        "spec: {mounts: [{name: Weights_Main, mountPoint: 's3://b/w/'}, {name: cfg, mountPoint: /etc/model}]}\n"
    )
    objects = render_fluid(parse_spec(text), runtime_kind="juicefs")
    _validate(objects, shared)
    names = [o["metadata"]["name"] for o in objects if o["kind"] in ("DataMigrate", "DataProcess")]
    assert len(set(names)) == 2 and all(len(n) <= 63 and n == n.lower() for n in names)


def test_unknown_engine_is_a_clear_error() -> None:
    with pytest.raises(DatasetError, match="unknown Fluid runtime 'ceph'") as info:
        render_fluid(parse_spec(_read(*QWEN)), runtime_kind="ceph")
    assert info.value.hint is not None and "alluxio, jindo, juicefs" in info.value.hint
    result = run_cli(["cache", "render", "--fluid", "--runtime", "ceph", "-f", str(EXAMPLES / QWEN[0])])
    assert result.exit_code == 2
    assert "'alluxio', 'jindo', 'juicefs'" in result.stderr and not result.stdout


def test_cli_renders_juicefs_as_yaml_and_json_and_names_missing_secrets(shared: Path) -> None:
    files = [arg for name in QWEN for arg in ("-f", str(EXAMPLES / name))]
    result = run_cli(["cache", "render", "--fluid", "--runtime", "juicefs", *files])
    assert result.exit_code == 0, result.stderr
    docs = list(yaml.safe_load_all(result.stdout))
    _validate(docs, shared)
    assert [d["kind"] for d in docs] == ["Dataset", "JuiceFSRuntime", "DataMigrate", "DataProcess", "DataLoad"]
    assert "source: |" in result.stdout  # the import script reads as a block, not an escaped string
    assert "kubectl -n ml create secret generic juicefs-models" in result.stderr
    assert '--from-literal=metaurl="$METAURL"' in result.stderr
    assert "kubectl -n ml create secret generic s3cred" in result.stderr
    assert "HF_TOKEN" in result.stderr  # the note about the Hub token
    as_json = run_cli(["cache", "render", "--fluid", "--runtime", "juicefs", *files, "--format", "json"])
    assert as_json.exit_code == 0 and as_json.json()["items"] == docs
    default = run_cli(["cache", "render", "--fluid", *files])
    assert list(yaml.safe_load_all(default.stdout)) == docs  # the Runtime's type picks JuiceFS
    alluxio = run_cli(["cache", "render", "--fluid", "--runtime", "alluxio", *files])
    assert [d["kind"] for d in yaml.safe_load_all(alluxio.stdout)] == ["Dataset", "AlluxioRuntime", "DataLoad"]


def test_the_worked_example_in_the_docs_is_what_render_prints() -> None:
    text = (REPO / "docs" / "cache-fluid.md").read_text()
    block = text.split("The output, on stdout", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    documented = list(yaml.safe_load_all(block))
    rendered = render_fluid(parse_spec(_read(*QWEN)))
    for obj in (*documented, *rendered):
        if obj["kind"] == "DataProcess":
            source = obj["spec"]["processor"]["script"].pop("source")
            assert source.startswith('"""ferry: copy one origin')
    assert documented == rendered


@dataclass(frozen=True)
class _RuntimeWithCredentials(Runtime):
    """A Runtime whose encryptOptions name the volume's credentials (the field ferry's JuiceFS runtime reads)."""

    encrypt_options: tuple[EncryptOption, ...] = ()


def test_the_runtimes_own_secret_is_referenced_and_missing_keys_fall_back(shared: Path) -> None:
    spec = parse_spec(_read("cache/qwen-dataset.yaml"))
    runtime = _RuntimeWithCredentials(
        "qwen-7b",
        "ml",
        type="juicefs",
        options={"name": "models", "bucket": "https://s3.example.com/jfs"},  # storage defaults to s3
        encrypt_options=(EncryptOption("metaurl", "jfs-meta", "url"), EncryptOption("aws.accessKeyId", "jfs-s3", "ak")),
    )
    plan = plan_fluid(replace(spec, runtimes=(runtime,)), runtime_kind="juicefs")
    _validate(plan.objects, shared)
    mount = _kind(plan.objects, "Dataset")["spec"]["mounts"][0]
    assert mount["options"] == {"storage": "s3", "bucket": "https://s3.example.com/jfs"}
    assert [(e["name"], e["valueFrom"]["secretKeyRef"]) for e in mount["encryptOptions"]] == [
        ("metaurl", {"name": "jfs-meta", "key": "url"}),
        ("access-key", {"name": "jfs-s3", "key": "ak"}),
        ("secret-key", {"name": "juicefs-models", "key": "secret-key"}),
    ]
    assert set(plan.undeclared) == {("ml", "jfs-meta"), ("ml", "jfs-s3"), ("ml", "juicefs-models"), ("ml", "s3cred")}


def test_without_a_juicefs_runtime_the_volume_is_named_after_the_runtime_or_dataset() -> None:
    node = plan_fluid(
        parse_spec(_read("cache/qwen-dataset.yaml", "cache/qwen-runtime-node.yaml")), runtime_kind="juicefs"
    )
    mount = _kind(node.objects, "Dataset")["spec"]["mounts"][0]
    assert mount["name"] == "qwen-7b" and "options" not in mount  # taken as formatted: nothing to format with
    assert any("no Runtime of type juicefs" in n for n in node.notes)
    short = "apiVersion: cache.ferry.dev/v1alpha1\nkind: Dataset\nmetadata: {name: m, namespace: ns}\n"
    short += "spec: {mounts: [{mountPoint: 's3://b/p/'}]}\n"
    with pytest.raises(DatasetError, match="too short for a JuiceFS volume name"):
        render_fluid(parse_spec(short), runtime_kind="juicefs")
