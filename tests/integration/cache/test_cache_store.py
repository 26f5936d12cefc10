"""The embedded store on a real disk: quota, LRU eviction, pinning, gc, atomic publish, runtime lookup."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import ferry.cache as fc
from ferry.testing import run_cli

pytestmark = pytest.mark.integration
MiB = 1024 * 1024


def _datasets(tmp_path: Path, count: int = 3) -> list[fc.Dataset]:
    out = []
    for i in range(count):
        src = tmp_path / f"src{i}"
        src.mkdir()
        (src / "w.bin").write_bytes(os.urandom(MiB) + bytes([i]))
        out.append(fc.Dataset(f"d{i}", "ml", [fc.Mount(f"local://{src}")]))
    return out


def _cached(runtime: fc.EmbeddedRuntime, dataset: fc.Dataset) -> bool:
    return runtime.status([dataset])[0].cached_bytes > 0


def test_quota_evicts_the_least_recently_used_and_keeps_pins(tmp_path: Path) -> None:
    d0, d1, d2 = _datasets(tmp_path)
    spec = fc.Runtime(quota=int(2.5 * MiB))
    with fc.EmbeddedRuntime(spec, cache_dir=tmp_path / "c") as runtime:
        fc.prefetch(d0, runtime=runtime, pin=True)
        fc.prefetch(d1, runtime=runtime)
        time.sleep(0.01)
        fc.prefetch(d0, runtime=runtime)  # touch: d1 is now the least recently used
        fc.prefetch(d2, runtime=runtime)
        assert [_cached(runtime, d) for d in (d0, d1, d2)] == [True, False, True]
        assert runtime.store.used_bytes() <= spec.quota
        runtime.pin(d2)
        with pytest.raises(fc.QuotaError, match="pinned"):
            fc.prefetch(d1, runtime=runtime)
        runtime.pin(d2, pinned=False)
        fc.prefetch(d1, runtime=runtime)
        assert [_cached(runtime, d) for d in (d0, d1, d2)] == [True, True, False]
        big = tmp_path / "big"
        big.mkdir()
        (big / "w.bin").write_bytes(b"\0" * (3 * MiB))
        with pytest.raises(fc.QuotaError, match="cannot fit"):
            fc.prefetch(fc.Dataset("big", "ml", [fc.Mount(f"local://{big}")]), runtime=runtime)


def test_quota_persists_and_published_blobs_are_read_only(tmp_path: Path) -> None:
    (d0,) = _datasets(tmp_path, 1)
    with fc.EmbeddedRuntime(fc.Runtime(quota=10 * MiB), cache_dir=tmp_path / "c") as runtime:
        fc.prefetch(d0, runtime=runtime)
        blob = next(p for p in (runtime.root / "blobs").rglob("*") if p.is_file())
        assert blob.stat().st_mode & 0o222 == 0
        assert list((runtime.root / "partial").iterdir()) == []
    with fc.EmbeddedRuntime(fc.Runtime(), cache_dir=tmp_path / "c") as again:
        assert again.store.quota == 10 * MiB


def test_gc_removes_orphans_leftovers_and_evicts_to_a_target(tmp_path: Path) -> None:
    d0, d1, d2 = _datasets(tmp_path)
    cache = tmp_path / "c"
    with fc.EmbeddedRuntime(fc.Runtime(), cache_dir=cache) as runtime:
        for d in (d0, d1, d2):
            fc.prefetch(d, runtime=runtime)
        runtime.pin(d2)
        runtime.store.delete_dataset("ml", "d0")  # its blob is now an orphan
        (runtime.root / "partial" / "o-leftover").write_bytes(b"x" * 100)
        (runtime.root / "partial" / "o-leftover.journal").write_text("{}\n")
    result = run_cli(["cache", "gc", "--cache-dir", str(cache), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    out = result.json()
    assert out["removed_blobs"] == 1 and out["partials_removed"] == 1
    assert out["freed_bytes"] == MiB + 1
    result = run_cli(["cache", "gc", "--cache-dir", str(cache), "--target", "1Mi", "--format", "json"]).json()
    assert result["removed_blobs"] == 1  # d1 goes, d2 is pinned
    with fc.EmbeddedRuntime(fc.Runtime(), cache_dir=cache) as runtime:
        assert [_cached(runtime, d) for d in (d1, d2)] == [False, True]
    text = run_cli(["cache", "gc", "--cache-dir", str(cache), "--all"])
    assert text.exit_code == 0 and "removed 0 blobs" in text.stdout


def test_unknown_runtime_type_and_registered_embedded(tmp_path: Path) -> None:
    assert fc.runtime_types()["embedded"] == "ferry.cache._embedded:EmbeddedRuntime"
    runtime = fc.load_runtime(fc.Runtime(), cache_dir=tmp_path / "c")
    assert isinstance(runtime, fc.EmbeddedRuntime)
    with pytest.raises(fc.RuntimeNotFoundError, match=r"nosuchengine.*registered: embedded, juicefs"):
        fc.load_runtime(fc.Runtime(type="nosuchengine"), cache_dir=tmp_path / "c")


def test_reference_to_an_unknown_dataset_is_a_clear_error(tmp_path: Path) -> None:
    ref = fc.Dataset("r", "shop", [fc.Mount("dataset://ml/never-applied")])
    with fc.EmbeddedRuntime(fc.Runtime(), cache_dir=tmp_path / "c") as runtime:
        with pytest.raises(fc.DatasetError, match="ml/never-applied is not known"):
            fc.prefetch(ref, runtime=runtime)
        assert runtime.status([ref])[0].last_error
