"""Faults of a JuiceFS volume in use: Redis restart, S3 (SeaweedFS) restart, the mount lost while reading. Each
gives a clear error naming what failed and where, and the data read afterwards matches its checksum."""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading
from pathlib import Path

import pytest
from jfs_support import Redis, Weed, runtime_yaml

import ferry.cache as fc
from ferry.cache._jfs_volume import juicefs_tool, mounted_at

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SIZE = 24 << 20


def _setup(tmp: Path, redis: Redis, endpoint: str) -> tuple[fc.Spec, fc.Dataset, str]:
    src = tmp / "origin"
    src.mkdir()
    data = os.urandom(SIZE)
    (src / "weights.bin").write_bytes(data)
    (src / "config.json").write_bytes(b'{"a": 1}')
    volume = f"f{abs(hash(tmp.name)) % 10**8}"
    spec = fc.parse_spec(runtime_yaml(volume, redis.url(), f"{endpoint}/jfs"))
    dataset = fc.Dataset("llm", "ml", [fc.Mount(f"local://{src}")])
    return spec, dataset, hashlib.sha256(data).hexdigest()


def _runtime(spec: fc.Spec, cache: Path) -> fc.JuiceFSRuntime:
    runtime = fc.load_runtime(spec.runtimes[0], cache_dir=cache, secrets=spec.secrets)
    assert isinstance(runtime, fc.JuiceFSRuntime)
    return runtime


def _sha(runtime: fc.JuiceFSRuntime, dataset: fc.Dataset, path: str) -> str:
    with fc.open(dataset, path, runtime=runtime) as reader:
        return hashlib.sha256(reader.read()).hexdigest()


def test_redis_restart_gives_a_clear_error_then_reads_resume_intact(seaweed, redis: Redis, no_leftovers: Path) -> None:
    spec, dataset, digest = _setup(no_leftovers, redis, seaweed.endpoint)
    with _runtime(spec, no_leftovers / "node") as runtime:
        runtime.apply(dataset)
        runtime.prefetch(dataset)
        redis.stop()
        with pytest.raises(fc.MetadataEngineError) as caught:
            runtime.status([dataset])
        text = str(caught.value)
        assert f"127.0.0.1:{redis.port}" in text and "spec.options.metaurl" in text and "start Redis" in text
        with pytest.raises(fc.MetadataEngineError):
            runtime.prefetch(dataset)
        redis.start()  # same port, same append-only file
        assert _sha(runtime, dataset, "weights.bin") == digest
        assert runtime.status([dataset])[0].cached_bytes == SIZE + 8


def test_redis_down_before_start_names_the_metaurl(redis: Redis, no_leftovers: Path) -> None:
    from ferry.testing import run_cli

    spec, dataset, _ = _setup(no_leftovers, redis, "http://127.0.0.1:9")
    redis.stop()
    with _runtime(spec, no_leftovers / "node") as runtime, pytest.raises(fc.MetadataEngineError, match="metaurl"):
        runtime.apply(dataset)
    files = no_leftovers / "spec.yaml"
    files.write_text(
        runtime_yaml("cli", redis.url(), "http://127.0.0.1:9/jfs")
        + f"---\napiVersion: cache.ferry.dev/v1alpha1\nkind: Dataset\nmetadata: {{name: llm, namespace: ml}}\n"
        f"spec:\n  mounts:\n  - {{name: w, mountPoint: 'local://{no_leftovers / 'origin'}'}}\n"
    )
    result = run_cli(["cache", "status", "-f", str(files), "--cache-dir", str(no_leftovers / "cli")])
    assert result.exit_code == 2 and "Traceback" not in result.stderr  # one line, exit 2 like every FerryError
    assert f"the metadata engine at 127.0.0.1:{redis.port} is not answering" in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3


def test_s3_restart_cached_node_keeps_reading_cold_node_gets_a_clear_error(
    own_weed: Weed, redis: Redis, no_leftovers: Path
) -> None:
    spec, dataset, digest = _setup(no_leftovers, redis, own_weed.endpoint)
    with _runtime(spec, no_leftovers / "warm") as warm:
        warm.apply(dataset)
        warm.prefetch(dataset)
        own_weed.stop()
        before = warm.metrics()
        assert _sha(warm, dataset, "weights.bin") == digest  # served from this node's block cache
        assert (warm.metrics() - before).object_get_bytes == 0
        with _runtime(spec, no_leftovers / "cold") as cold:
            with pytest.raises(fc.ObjectStoreError) as caught:
                cold.prefetch(dataset)
            assert own_weed.host in str(caught.value) and "spec.options.bucket" in str(caught.value)
            own_weed.start()
            result = cold.prefetch(dataset)
            assert result.origin_bytes == 0 and result.cached_bytes == SIZE + 8
            assert _sha(cold, dataset, "weights.bin") == digest


def test_unmount_while_reading_is_a_mount_error_and_nothing_is_corrupted(
    seaweed, redis: Redis, no_leftovers: Path
) -> None:
    spec, dataset, digest = _setup(no_leftovers, redis, seaweed.endpoint)
    source = (no_leftovers / "origin" / "weights.bin").read_bytes()
    runtime = _runtime(spec, no_leftovers / "node")
    try:
        runtime.prefetch(dataset)
        mountpoint = str(runtime.mountpoint)
        reader = fc.open(dataset, "weights.bin", runtime=runtime)
        head = reader.read(4 << 20)
        assert head == source[: len(head)]
        subprocess.run([juicefs_tool(), "umount", "--force", mountpoint], check=True, capture_output=True)
        with pytest.raises(fc.MountError, match="is gone"):
            reader.read(4 << 20)
        reader.close()
        with pytest.raises(fc.MountError):
            runtime.open(dataset, "weights.bin")
    finally:
        runtime.close()
    assert mounted_at(mountpoint) is None

    # A reader thread in mid-file when the mount goes: it stops with an error, every byte it got is right.
    with _runtime(spec, no_leftovers / "node") as again:
        assert _sha(again, dataset, "weights.bin") == digest
        got = bytearray()
        errors: list[BaseException] = []
        started = threading.Event()

        def read() -> None:
            try:
                with fc.open(dataset, "weights.bin", runtime=again) as handle:
                    while chunk := handle.read(1 << 20):
                        got.extend(chunk)
                        started.set()
                        if len(got) >= SIZE:  # read it again from the top until the mount goes
                            got.clear()
                            handle.seek(0)
            except (fc.MountError, OSError) as exc:
                errors.append(exc)
            finally:
                started.set()

        thread = threading.Thread(target=read)
        thread.start()
        assert started.wait(120)
        subprocess.run([juicefs_tool(), "umount", "--force", str(again.mountpoint)], check=True, capture_output=True)
        thread.join(120)
        assert not thread.is_alive() and errors
        assert bytes(got) == source[: len(got)]


def test_gc_removes_interrupted_imports_and_orphans_but_keeps_listed_files(
    seaweed, redis: Redis, no_leftovers: Path
) -> None:
    spec, dataset, digest = _setup(no_leftovers, redis, seaweed.endpoint)
    with _runtime(spec, no_leftovers / "node") as runtime:
        runtime.prefetch(dataset)
        root = runtime.mountpoint / "datasets"
        leftover = root / "ml" / "llm" / ".weights.bin.ferry-tmp-deadnode-1"
        leftover.write_bytes(b"x" * 100)  # an import that died half-way on some node
        orphan = root / "old" / "gone" / "model.bin"
        orphan.parent.mkdir(parents=True)
        orphan.write_bytes(b"y" * 50)  # files of a dataset nobody declares any more
        result = runtime.gc()
        assert result.partials_removed == 1 and result.removed == ["old/gone/model.bin"]
        assert result.freed_bytes == 150
        assert not leftover.exists() and not (root / "old" / "gone").exists()
        assert _sha(runtime, dataset, "weights.bin") == digest
        assert runtime.status([dataset])[0].cached_bytes == SIZE + 8


def test_sqlite_metadata_single_node_and_a_volume_name_mismatch(seaweed, no_leftovers: Path) -> None:
    src = no_leftovers / "origin"
    src.mkdir()
    (src / "a.bin").write_bytes(b"a" * 1000)
    meta = f"sqlite3://{no_leftovers}/meta.db"
    spec = fc.parse_spec(runtime_yaml("single", meta, f"{seaweed.endpoint}/jfs"))
    dataset = fc.Dataset("small", "ml", [fc.Mount(f"local://{src}")])
    with _runtime(spec, no_leftovers / "node") as runtime:
        assert runtime.prefetch(dataset).cached_bytes == 1000
    other = fc.parse_spec(runtime_yaml("another", meta, f"{seaweed.endpoint}/jfs"))
    with _runtime(other, no_leftovers / "node") as runtime, pytest.raises(fc.VolumeError) as caught:
        runtime.apply(dataset)
    assert "holds volume 'single', not 'another'" in str(caught.value)
