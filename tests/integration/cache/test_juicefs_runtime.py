"""The juicefs runtime against real redis-server, SeaweedFS S3 and JuiceFS (FUSE): the CLI end to end, several
clients (separate processes and block caches) on one volume, and the Python API."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cache_support import ACCESS, SECRET, dataset_yaml, tensor_digests, write_safetensors
from jfs_support import Redis, run_worker, runtime_yaml

import ferry.cache as fc
from ferry.testing import run_cli

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _dataset(seaweed, prefix: str) -> str:
    return dataset_yaml(
        "llm",
        "ml",
        f"s3://models/{prefix}/",
        options=f"{{endpoint: '{seaweed.endpoint}', region: us-east-1}}",
        encryptOptions="[{name: aws.accessKeyId, valueFrom: {secretKeyRef: {name: s3cred, key: id}}}, "
        "{name: aws.secretKey, valueFrom: {secretKeyRef: {name: s3cred, key: secret}}}]",
    ) + (
        "---\napiVersion: v1\nkind: Secret\nmetadata: {name: s3cred, namespace: ml}\n"
        f"stringData: {{id: {ACCESS}, secret: {SECRET}}}\n"
    )


@pytest.fixture
def model(seaweed, tmp_path: Path) -> tuple[str, Path]:
    prefix = f"jfs{tmp_path.name}"
    path = write_safetensors(tmp_path / "src" / "model.safetensors", layers=16, rows=256)
    seaweed.put(f"{prefix}/model.safetensors", path.read_bytes())
    seaweed.put(f"{prefix}/config.json", b'{"architectures": ["Test"]}')
    return prefix, path


def _spec(tmp_path: Path, seaweed, redis: Redis, prefix: str, **kw: Any) -> Path:
    spec = tmp_path / "spec.yaml"
    volume = f"v{abs(hash(tmp_path.name)) % 10**8}"
    spec.write_text(
        _dataset(seaweed, prefix) + "---\n" + runtime_yaml(volume, redis.url(), f"{seaweed.endpoint}/jfs", **kw)
    )
    return spec


def test_cli_apply_prefetch_status_load_gc(seaweed, redis: Redis, model, no_leftovers: Path) -> None:
    prefix, path = model
    tmp = no_leftovers
    spec = _spec(tmp, seaweed, redis, prefix)
    cache = ["--cache-dir", str(tmp / "node")]
    size = path.stat().st_size + len(b'{"architectures": ["Test"]}')

    applied = run_cli(["cache", "apply", "-f", str(spec), *cache, "--format", "json"])
    assert applied.exit_code == 0, applied.stderr
    listed = json.loads(applied.stdout)["datasets"][0]
    assert listed["total_bytes"] == size and listed["cached_bytes"] == 0

    first = run_cli(["cache", "prefetch", "-f", str(spec), *cache, "--format", "json"])
    assert first.exit_code == 0, first.stderr
    warmed = json.loads(first.stdout)["datasets"][0]
    assert warmed["origin_bytes"] == size and warmed["cached_bytes"] == size

    again = run_cli(["cache", "prefetch", "-f", str(spec), *cache, "--format", "json"])
    assert json.loads(again.stdout)["datasets"][0]["origin_bytes"] == 0  # imported once, into the volume

    status = run_cli(["cache", "status", "-f", str(spec), *cache, "--format", "json"])
    assert status.exit_code == 0, status.stderr
    state = json.loads(status.stdout)["datasets"][0]
    assert state["cached_percentage"] == 100.0
    assert state["juicefs"]["imported_bytes"] == size
    assert {f["path"] for f in state["files"]} == {"model.safetensors", "config.json"}

    loaded = run_cli(
        ["cache", "load", "-f", str(spec), *cache, "--path", "model.safetensors", "--checksums", "--format", "json"]
    )
    assert loaded.exit_code == 0, loaded.stderr
    body = json.loads(loaded.stdout)
    assert body["origin_bytes"] == 0
    assert {k: v["sha256"] for k, v in body["tensors"].items()} == tensor_digests(path)

    gc = run_cli(["cache", "gc", "-f", str(spec), *cache, "--all", "--format", "json"])
    assert gc.exit_code == 0, gc.stderr
    assert json.loads(gc.stdout)["used_bytes"] < size  # this node's blocks evicted; the volume keeps the files
    after = run_cli(["cache", "status", "-f", str(spec), *cache, "--format", "json"])
    state = json.loads(after.stdout)["datasets"][0]
    assert state["cached_bytes"] == 0 and state["juicefs"]["imported_bytes"] == size

    text = run_cli(["cache", "status", "-f", str(spec), *cache])
    assert text.exit_code == 0 and "ml/llm" in text.stdout
    files = run_cli(["cache", "ls", "ml/llm", "-f", str(spec), *cache, "--format", "json"])
    assert files.exit_code == 0, files.stderr
    assert sorted(f["path"] for f in json.loads(files.stdout)["files"]) == ["config.json", "model.safetensors"]


def test_two_nodes_one_volume_import_once_read_from_store_then_local_cache(
    seaweed, redis: Redis, model, no_leftovers: Path
) -> None:
    prefix, path = model
    tmp = no_leftovers
    spec = _spec(tmp, seaweed, redis, prefix)
    size = path.stat().st_size
    digest = hashlib.sha256(path.read_bytes()).hexdigest()

    a = run_worker(spec, tmp / "node-a", "--prefetch", "--read", "model.safetensors")
    assert a["prefetch"]["origin_bytes"] == size + 27  # type: ignore[index]
    (read_a,) = a["reads"]  # type: ignore[misc]
    assert read_a["sha256"] == digest
    assert read_a["metrics"]["object_get_bytes"] == 0  # node A imported and warmed: all from its block cache
    assert read_a["metrics"]["hit_bytes"] >= size

    # Node B: another process with its own block cache. The first read comes from the object store, the second
    # from B's cache; neither touches the dataset's origin.
    b = run_worker(spec, tmp / "node-b", "--read", "model.safetensors", "--read", "model.safetensors")
    first, second = b["reads"]  # type: ignore[misc]
    assert first["sha256"] == second["sha256"] == digest
    assert first["origin_bytes"] == second["origin_bytes"] == 0
    assert first["metrics"]["object_get_bytes"] >= size
    assert first["metrics"]["miss_bytes"] > 0
    assert second["metrics"]["object_get_bytes"] == 0
    assert b["status"][0]["juicefs"]["imported_bytes"] == size + 27  # type: ignore[index]

    # Node C loads the safetensors file through ferry's loader over its own mount.
    c = run_worker(spec, tmp / "node-c", "--load", "model.safetensors")
    assert c["tensors"] == tensor_digests(path)
    assert c["total"]["object_get_bytes"] >= size  # type: ignore[index]
    assert not list((tmp / "node-c").glob("mnt-*"))  # its mount point went away with the mount


def test_python_api_reference_dataset_and_pin(seaweed, redis: Redis, model, no_leftovers: Path) -> None:
    prefix, path = model
    tmp = no_leftovers
    spec = fc.load_spec(_spec(tmp, seaweed, redis, prefix))
    runtime = fc.load_runtime(spec.runtimes[0], cache_dir=tmp / "node", secrets=spec.secrets)
    assert isinstance(runtime, fc.JuiceFSRuntime)
    with runtime:
        dataset = spec.dataset()
        runtime.apply(dataset)
        result = fc.prefetch(dataset, runtime=runtime, targets=["model.safetensors"], pin=True)
        assert result.total_bytes == path.stat().st_size
        ref = fc.Dataset("consumer", "team-b", [fc.Mount("dataset://ml/llm")])
        runtime.apply(ref)
        tensors = fc.load_safetensors(ref, "model.safetensors", runtime=runtime)
        assert set(tensors) == set(tensor_digests(path))
        del tensors
        with pytest.raises(fc.NotCachedError, match="not in volume"):
            runtime.open(ref, "config.json")  # a reference reads what the physical dataset imported, never imports
        statuses = {s.name: s for s in runtime.status()}
        assert statuses["consumer"].reference == "ml/llm"
        assert [f.pinned for f in statuses["llm"].files if f.path == "model.safetensors"] == [True]
        runtime.gc(all_unpinned=True)
        pinned = next(f for f in runtime.status([dataset])[0].files if f.path == "model.safetensors")
        assert pinned.cached  # gc --all keeps pinned files in this node's cache


def test_gateway_mode_without_fuse_imports_loads_and_shares(seaweed, redis: Redis, model, no_leftovers: Path) -> None:
    prefix, path = model
    tmp = no_leftovers
    spec = fc.load_spec(_spec(tmp, seaweed, redis, prefix, extra_options={"mode": "gateway"}))
    dataset = spec.dataset()
    size = path.stat().st_size + 27
    with fc.load_runtime(spec.runtimes[0], cache_dir=tmp / "gw-a", secrets=spec.secrets) as a:
        assert isinstance(a, fc.JuiceFSRuntime) and a.gateway is not None
        with pytest.raises(fc.MountError, match="no local path"):
            a.mountpoint  # noqa: B018 - the gateway serves S3, nothing is mounted
        a.apply(dataset)
        result = a.prefetch(dataset)
        assert (result.origin_bytes, result.cached_bytes) == (size, size)
        assert [d.key for d in a.datasets()] == ["ml/llm"]
        tensors = fc.load_safetensors(dataset, "model.safetensors", runtime=a)
        assert {k: hashlib.sha256(memoryview(v).cast("B")).hexdigest() for k, v in tensors.items()} == tensor_digests(
            path
        )
        del tensors
        (state,) = a.status([dataset])
        assert state.cached_bytes == size and state.to_dict()["juicefs"]["imported_bytes"] == size
        assert a.metrics().object_put_bytes >= size
    # another node, also without FUSE: the files are in the volume; it reads them through its own gateway
    with fc.load_runtime(spec.runtimes[0], cache_dir=tmp / "gw-b", secrets=spec.secrets) as b:
        again = b.prefetch(dataset)
        assert again.origin_bytes == 0 and again.cached_bytes == size
        assert b.metrics().object_get_bytes >= path.stat().st_size
        assert b.gc(all_unpinned=True).used_bytes == 0


def test_mount_path_is_shared_by_a_second_runtime_which_leaves_it_mounted(
    seaweed, redis: Redis, model, no_leftovers: Path
) -> None:
    from ferry.cache._jfs_volume import mounted_at

    prefix, path = model
    tmp = no_leftovers
    mount = tmp / "mnt"
    mount.mkdir()
    spec = fc.load_spec(_spec(tmp, seaweed, redis, prefix, extra_options={"mountPath": str(mount)}))
    dataset = spec.dataset()
    with fc.load_runtime(spec.runtimes[0], cache_dir=tmp / "node", secrets=spec.secrets) as owner:
        owner.prefetch(dataset)
        assert mounted_at(str(mount)) == "fuse.juicefs"
        with fc.load_runtime(spec.runtimes[0], cache_dir=tmp / "node", secrets=spec.secrets) as consumer:
            tensors = fc.load_safetensors(dataset, "model.safetensors", runtime=consumer)
            assert set(tensors) == set(tensor_digests(path))
            del tensors
            assert consumer.metrics().hit_bytes > 0  # the shared mount's own counters (its .stats file)
        assert mounted_at(str(mount)) == "fuse.juicefs"  # the consumer attached; it does not unmount
        other = fc.parse_spec(
            runtime_yaml("othervol", redis.url(2), f"{seaweed.endpoint}/jfs", extra_options={"mountPath": str(mount)})
        )
        wrong = fc.load_runtime(other.runtimes[0], cache_dir=tmp / "o", secrets=other.secrets)
        with wrong, pytest.raises(fc.MountError, match="not JuiceFS volume othervol"):
            wrong.apply(dataset)
    assert mounted_at(str(mount)) is None
