"""Dataset / Runtime / DataLoad declarations: what parses, and the precise errors for what does not."""

from __future__ import annotations

import base64

import pytest

from ferry.cache import DataLoad, Dataset, DatasetError, Mount, parse_spec

HEAD = "apiVersion: cache.ferry.dev/v1alpha1\nkind: Dataset\nmetadata: {name: qwen, namespace: ml}\nspec:\n"


def test_full_file_with_every_kind() -> None:
    text = f"""{HEAD}  mounts:
  - name: weights
    mountPoint: s3://models/qwen/
    options: {{endpoint: "http://s3:8333", region: us-east-1}}
    encryptOptions:
    - {{name: aws.accessKeyId, valueFrom: {{secretKeyRef: {{name: cred, key: id}}}}}}
  - name: tok
    mountPoint: https://hf.example/qwen/resolve/main/
    files: [tokenizer.json, {{path: config.json, size: 12, sha256: "{"a" * 64}"}}]
---
apiVersion: cache.ferry.dev/v1alpha1
kind: Runtime
metadata: {{name: qwen, namespace: ml}}
spec: {{type: embedded, quota: 20Gi, chunkSize: 8Mi, concurrency: 8, cacheDir: /var/cache/ferry}}
---
apiVersion: cache.ferry.dev/v1alpha1
kind: DataLoad
metadata: {{name: warm, namespace: ml}}
spec:
  dataset: {{name: qwen, namespace: ml}}
  target: [{{path: /weights/*.safetensors}}]
  policy: Cron
  schedule: "0 3 * * *"
  pin: true
---
apiVersion: v1
kind: Secret
metadata: {{name: cred, namespace: ml}}
data: {{id: {base64.b64encode(b"AKID").decode()}}}
stringData: {{other: x}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: ml}}
"""
    spec = parse_spec(text, "f.yaml")
    ds = spec.dataset()
    assert ds.key == "ml/qwen"
    assert [m.scheme for m in ds.mounts] == ["s3", "https"]
    assert ds.mounts[0].encrypt_options[0].secret == "cred"
    assert ds.mounts[1].files[1].sha256 == "a" * 64 and ds.mounts[1].files[1].size == 12
    assert ds.mount_prefix(ds.mounts[0]) == "weights"
    rt = spec.runtimes[0]
    assert (rt.quota, rt.chunk_size, rt.concurrency, rt.cache_dir) == (20 * 2**30, 8 * 2**20, 8, "/var/cache/ferry")
    load = spec.dataloads[0]
    assert load.pin and load.policy == "Cron" and load.schedule == "0 3 * * *"
    assert load.selects("weights/model-00001.safetensors") and not load.selects("tok/config.json")
    assert spec.secrets[0].data == {"id": "AKID", "other": "x"}
    assert "AKID" not in repr(spec.secrets[0])
    assert [o.kind for o in spec.others] == ["Deployment"]


def test_round_trip_through_the_manifest() -> None:
    from ferry._kernel import dump_yaml

    ds = Dataset("a", "b", [Mount("s3://x/y/", name="w", options={"endpoint": "http://e"})])
    assert parse_spec(dump_yaml(ds.to_manifest())).dataset() == ds


def test_single_mount_lives_at_the_root_and_references_resolve() -> None:
    ds = parse_spec(HEAD + "  mounts:\n  - mountPoint: dataset://base/qwen\n").dataset()
    assert ds.reference == ("base", "qwen")
    assert ds.mount_prefix(ds.mounts[0]) == ""
    local = parse_spec(HEAD + "  mounts:\n  - mountPoint: /srv/models\n").dataset()
    assert local.mounts[0].scheme == "local"


@pytest.mark.parametrize(
    ("body", "message", "line"),
    [
        ("  mounts:\n  - mountPoint: ftp://x/y\n", "unsupported mountPoint scheme", 6),
        ("  mounts:\n  - mountPoint: https://x/y/\n", "needs files or options.index", 6),
        ("  mounts:\n  - mountPoint: s3://b/p\n    colour: red\n", "unknown field 'colour'", 7),
        ("  mounts: []\n", "at least one mount", 5),
        ("  mounts:\n  - mountPoint: dataset://ml/qwen\n", "cannot reference itself", 6),
        ("  mounts:\n  - mountPoint: dataset://nons\n", "dataset://namespace/name", 6),
        ("  mounts:\n  - {mountPoint: s3://a/b, name: x}\n  - {mountPoint: dataset://c/d, name: y}\n", "only mount", 5),
        ("  mounts:\n  - {mountPoint: s3://a/b, name: x}\n  - {mountPoint: s3://c/d, name: x}\n", "unique", 5),
        ("  mounts:\n  - mountPoint: s3://b/p\n    files: [{path: a, sha256: short}]\n", "64 hex", 7),
        ("  mounts:\n  - mountPoint: s3://b/p\n    options: {nested: {a: 1}}\n", "must be a string", 7),
    ],
)
def test_errors_name_file_line_object_and_field(body: str, message: str, line: int) -> None:
    with pytest.raises(DatasetError) as info:
        parse_spec(HEAD + body, "d.yaml")
    text = str(info.value)
    assert message in text
    assert text.startswith(f"d.yaml:{line} (Dataset ml/qwen")


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("kind: Runtime\nmetadata: {name: r}\nspec: {quota: lots}", "not a byte quantity"),
        ("kind: Runtime\nmetadata: {name: r}\nspec: {concurrency: 0}", "1 to 256"),
        ("kind: Runtime\nmetadata: {name: r}\nspec: {mediumType: TAPE}", "MEM, SSD or HDD"),
        ("kind: DataLoad\nmetadata: {name: l}\nspec: {dataset: {name: d}, policy: Cron}", "needs a schedule"),
        (
            "kind: DataLoad\nmetadata: {name: l}\nspec: {dataset: {name: d}, policy: Cron, schedule: '61 * * * *'}",
            "outside 0-59",
        ),
        (
            "kind: DataLoad\nmetadata: {name: l, namespace: a}\nspec: {dataset: {name: d, namespace: b}}",
            "DataLoad's namespace",
        ),
        ("kind: Cache\nmetadata: {name: c}", "unknown kind Cache"),
    ],
)
def test_runtime_and_dataload_errors(doc: str, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        parse_spec("apiVersion: cache.ferry.dev/v1alpha1\n" + doc)


def test_wrong_version_duplicates_and_choice() -> None:
    with pytest.raises(DatasetError, match="unsupported apiVersion"):
        parse_spec("apiVersion: cache.ferry.dev/v2\nkind: Dataset\nmetadata: {name: a}\n")
    twice = HEAD + "  mounts: [{mountPoint: s3://a/b}]\n"
    with pytest.raises(DatasetError, match="declared twice"):
        parse_spec(twice + "---\n" + twice)
    two = parse_spec(twice + "---\n" + twice.replace("name: qwen", "name: other"))
    with pytest.raises(DatasetError, match="exactly one Dataset"):
        two.dataset()
    assert two.dataset("ml/other").name == two.dataset("other").name == "other"
    with pytest.raises(DatasetError, match="no Dataset nope"):
        two.dataset("nope")
    with pytest.raises(DatasetError, match="not base64"):
        parse_spec("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: '!!'}\n")


def test_dataload_selection() -> None:
    load = DataLoad("l", "ml", "d", ("weights", "tok/*.json", "/exact.bin"))
    assert load.selects("weights/a/b.safetensors")
    assert load.selects("tok/config.json")
    assert load.selects("exact.bin")
    assert not load.selects("weightsx/a") and not load.selects("tok/sub/x.bin")
    assert DataLoad("l", "ml", "d").selects("anything")
