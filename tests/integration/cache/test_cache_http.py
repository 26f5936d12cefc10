"""ferry cache against a real HTTP origin: prefetch, load, status, references, index files, streaming."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cache_support import dataset_yaml, tensor_digests, write_safetensors

import ferry.cache as fc
from ferry.testing import run_cli

pytestmark = pytest.mark.integration


def _json(result: object) -> dict:
    assert result.exit_code == 0, result.stdout + result.stderr  # type: ignore[attr-defined]
    return json.loads(result.stdout)  # type: ignore[attr-defined]


def test_prefetch_load_status_and_reference_share_one_fetch(http_origin, tmp_path: Path) -> None:
    model = write_safetensors(http_origin.root / "model.safetensors")
    size = model.stat().st_size
    spec = tmp_path / "ds.yaml"
    spec.write_text(
        dataset_yaml("tiny", "ml", http_origin.url, files="[model.safetensors]")
        + "---\n"
        + dataset_yaml("tiny", "shop", "dataset://ml/tiny")
    )
    cache = str(tmp_path / "cache")

    first = _json(run_cli(["cache", "prefetch", "-f", str(spec), "--cache-dir", cache, "--format", "json"]))
    assert first == {
        "datasets": [
            {"namespace": "ml", "name": "tiny", "origin_bytes": size, "cached_bytes": size, "total_bytes": size},
            {"namespace": "shop", "name": "tiny", "origin_bytes": 0, "cached_bytes": size, "total_bytes": size},
        ]
    }
    again = _json(run_cli(["cache", "prefetch", "-f", str(spec), "--cache-dir", cache, "--format", "json"]))
    assert [d["origin_bytes"] for d in again["datasets"]] == [0, 0]

    loaded = _json(
        run_cli(
            [
                "cache",
                "load",
                "-f",
                str(spec),
                "--dataset",
                "shop/tiny",
                "--path",
                "model.safetensors",
                "--cache-dir",
                cache,
                "--checksums",
                "--format",
                "json",
            ]
        )
    )
    assert loaded["origin_bytes"] == 0
    assert isinstance(loaded["seconds"], float)
    assert {k: v["sha256"] for k, v in loaded["tensors"].items()} == tensor_digests(model)
    assert loaded["tensors"]["model.layers.0.mlp.weight"] == {
        "dtype": "F16",
        "shape": [128, 1024],
        "sha256": tensor_digests(model)["model.layers.0.mlp.weight"],
    }
    assert http_origin.stats()["body_bytes"] == size  # every consumer after the first read the cache

    status = _json(run_cli(["cache", "status", "--cache-dir", cache, "--format", "json"]))
    by_key = {(d["namespace"], d["name"]): d for d in status["datasets"]}
    assert by_key[("ml", "tiny")]["cached_bytes"] == by_key[("ml", "tiny")]["total_bytes"] == size
    assert by_key[("shop", "tiny")]["reference"] == "ml/tiny"
    assert by_key[("ml", "tiny")]["files"][0]["path"] == "model.safetensors"
    assert by_key[("ml", "tiny")]["files"][0]["cached"] is True

    listing = _json(run_cli(["cache", "ls", "ml/tiny", "--cache-dir", cache, "--format", "json"]))
    assert [f["path"] for f in listing["files"]] == ["model.safetensors"]


def test_load_without_checksums_and_env_cache_dir(http_origin, tmp_path: Path, monkeypatch) -> None:
    write_safetensors(http_origin.root / "m.safetensors", layers=2)
    spec = tmp_path / "ds.yaml"
    spec.write_text(dataset_yaml("m", "ml", http_origin.url, files="[m.safetensors]"))
    monkeypatch.setenv("FERRY_CACHE_DIR", str(tmp_path / "envcache"))
    out = _json(run_cli(["cache", "load", "-f", str(spec), "--path", "m.safetensors", "--format", "json"]))
    assert set(out) == {"origin_bytes", "seconds", "tensors"}
    assert out["origin_bytes"] == (http_origin.root / "m.safetensors").stat().st_size
    assert all(set(t) == {"dtype", "shape"} for t in out["tensors"].values())
    assert (tmp_path / "envcache" / "meta.sqlite").is_file()


def test_index_json_names_the_shards(http_origin, tmp_path: Path) -> None:
    shards = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    for i, shard in enumerate(shards):
        write_safetensors(http_origin.root / "repo" / shard, layers=2, seed=i)
    index = {"metadata": {"total_size": 1}, "weight_map": {"a": shards[0], "b": shards[1], "c": shards[1]}}
    (http_origin.root / "repo" / "model.safetensors.index.json").write_text(json.dumps(index))
    (http_origin.root / "repo" / "unlisted.bin").write_bytes(b"x" * 100)
    dataset = fc.Dataset(
        "repo", "ml", [fc.Mount(http_origin.url + "repo/", options={"index": "model.safetensors.index.json"})]
    )
    with fc.EmbeddedRuntime(fc.Runtime(), cache_dir=tmp_path / "c") as runtime:
        result = fc.prefetch(dataset, runtime=runtime)
        status = runtime.status([dataset])[0]
    assert sorted(f.path for f in status.files) == sorted([*shards, "model.safetensors.index.json"])
    assert result.cached_bytes == result.total_bytes == result.origin_bytes == sum(f.size for f in status.files)


def test_python_api_open_and_zero_copy_arrays(http_origin, tmp_path: Path) -> None:
    model = write_safetensors(http_origin.root / "model.safetensors", layers=3)
    dataset = fc.Dataset("m", "ml", [fc.Mount(http_origin.url, files=[fc.FileSpec("model.safetensors")])])
    with fc.EmbeddedRuntime(fc.Runtime(), cache_dir=tmp_path / "c") as runtime:
        runtime.apply(dataset)
        with fc.open(dataset, "model.safetensors", runtime=runtime) as handle:
            assert handle.read() == model.read_bytes()
            handle.seek(8)
            assert handle.read(1) == b"{"
        tensors = fc.load_safetensors(dataset, "model.safetensors", runtime=runtime)
    expected = tensor_digests(model)
    assert list(tensors) == sorted(expected, key=lambda n: list(tensors).index(n))
    for name, array in tensors.items():
        import hashlib

        assert hashlib.sha256(array.tobytes()).hexdigest() == expected[name]
        assert not array.flags.writeable  # a view of the read-only cache map, not a copy
        assert not array.flags.owndata


def test_tensors_are_handed_out_while_the_file_is_still_arriving(http_origin_factory, tmp_path: Path) -> None:
    slow = http_origin_factory("--rate", "3000000")  # 3 MB/s per connection
    model = write_safetensors(slow.root / "model.safetensors", layers=12)  # ~3.1 MB
    dataset = fc.Dataset("s", "ml", [fc.Mount(slow.url, files=[fc.FileSpec("model.safetensors")])])
    spec = fc.Runtime(concurrency=1, chunk_size=256 * 1024)
    with fc.EmbeddedRuntime(spec, cache_dir=tmp_path / "c") as runtime:
        runtime.apply(dataset)
        stream = fc.stream_safetensors(dataset, "model.safetensors", runtime=runtime)
        name, first = next(iter(stream))
        blob = runtime.store.files("ml", "s")[0].blob
        assert not runtime.store.has_blob(blob), "the first tensor should come before the file is complete"
        arrays = stream.load()
        runtime.open(dataset, "model.safetensors").result()
        assert runtime.store.has_blob(blob)
    assert np.array_equal(first, arrays[name])
    assert stream.origin_bytes == model.stat().st_size


def test_local_path_mount(tmp_path: Path) -> None:
    src = tmp_path / "weights"
    write_safetensors(src / "model.safetensors", layers=2)
    (src / "config.json").write_text("{}")
    spec = tmp_path / "ds.yaml"
    spec.write_text(dataset_yaml("loc", "ml", f"local://{src}"))
    out = _json(run_cli(["cache", "prefetch", "-f", str(spec), "--cache-dir", str(tmp_path / "c"), "--format", "json"]))
    total = sum(p.stat().st_size for p in src.iterdir())
    assert out["datasets"][0]["origin_bytes"] == out["datasets"][0]["total_bytes"] == total


def test_text_output_and_errors(http_origin, tmp_path: Path) -> None:
    write_safetensors(http_origin.root / "model.safetensors", layers=1)
    spec = tmp_path / "ds.yaml"
    spec.write_text(dataset_yaml("t", "ml", http_origin.url, files="[model.safetensors, missing.bin]"))
    result = run_cli(["cache", "prefetch", "-f", str(spec), "--cache-dir", str(tmp_path / "c")])
    assert result.exit_code == 2
    assert "missing.bin" in (result.stdout + result.stderr) and "404" in (result.stdout + result.stderr)
    assert "Traceback" not in (result.stdout + result.stderr)
    spec.write_text(dataset_yaml("t", "ml", http_origin.url, files="[model.safetensors]"))
    result = run_cli(["cache", "prefetch", "-f", str(spec), "--cache-dir", str(tmp_path / "c")])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "ml/t" in result.stdout
    result = run_cli(
        ["cache", "load", "-f", str(spec), "--path", "nope.safetensors", "--cache-dir", str(tmp_path / "c")]
    )
    assert result.exit_code == 2 and "nope.safetensors" in (result.stdout + result.stderr)


def test_apply_ls_and_usage_errors(http_origin, tmp_path: Path) -> None:
    model = write_safetensors(http_origin.root / "model.safetensors", layers=1)
    spec = tmp_path / "ds.yaml"
    spec.write_text(
        dataset_yaml("a", "ml", http_origin.url, files="[model.safetensors]")
        + "---\n"
        + dataset_yaml("a", "shop", "dataset://ml/a")
        + "---\napiVersion: cache.ferry.dev/v1alpha1\nkind: DataLoad\nmetadata: {name: w, namespace: ml}\n"
        "spec: {dataset: {name: a}, target: [{path: model.safetensors}], pin: true}\n"
    )
    cache = str(tmp_path / "c")
    applied = _json(run_cli(["cache", "apply", "-f", str(spec), "--cache-dir", cache, "--format", "json"]))
    assert applied["applied"] == [
        {"kind": "Dataset", "namespace": "ml", "name": "a"},
        {"kind": "Dataset", "namespace": "shop", "name": "a"},
    ]
    assert [d["total_bytes"] for d in applied["datasets"]] == [model.stat().st_size] * 2
    assert [d["cached_bytes"] for d in applied["datasets"]] == [0, 0]
    assert http_origin.stats()["body_bytes"] == 0  # apply lists (HEAD), it does not fetch
    _json(
        run_cli(["cache", "prefetch", "-f", str(spec), "--cache-dir", cache, "--dataset", "ml/a", "--format", "json"])
    )
    listing = _json(run_cli(["cache", "ls", "--cache-dir", cache, "--format", "json"]))
    assert [(d["namespace"], d["name"], d["files"], d["cached_percentage"]) for d in listing["datasets"]] == [
        ("ml", "a", 1, 100.0),
        ("shop", "a", 1, 100.0),
    ]
    files = _json(run_cli(["cache", "ls", "ml/a", "--cache-dir", cache, "--format", "json"]))["files"]
    assert files[0]["pinned"] is True  # the DataLoad pins what it loads
    text = run_cli(["cache", "ls", "--cache-dir", cache])
    assert "shop/a -> ml/a" in text.stdout
    for argv, needle in [
        (["cache", "prefetch"], "-f FILE"),
        (["cache", "load", "--path", "x"], "-f FILE"),
        (["cache", "prefetch", "-f", str(spec), "--cache-dir", cache, "--schedule"], "policy: Cron"),
        (["cache", "gc", "--cache-dir", cache, "--target", "lots"], "--target"),
        (["cache", "ls", "nope/x", "--cache-dir", cache], "not in the cache"),
        (["cache", "load", "-f", str(spec), "--path", "model.safetensors", "--cache-dir", cache], "exactly one"),
    ]:
        result = run_cli(argv)
        assert result.exit_code == 2, (argv, result.stdout, result.stderr)
        assert needle in result.stderr, (argv, result.stderr)
