"""Faults injected for real at the origin: 5xx, resets mid-body, a slow first byte, corrupted bytes, a killed server.

Every case ends with the right bytes in the cache or a clear error, and never with a partial or corrupt file
published.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest
from cache_support import tensor_digests, write_safetensors

import ferry.cache as fc
from ferry.testing import run_cli

pytestmark = pytest.mark.integration

FAST_RETRY = fc.RetryPolicy(attempts=5, base=0.05, cap=0.2, timeout=5.0)


def _dataset(origin, name: str = "model.safetensors", sha256: str | None = None) -> fc.Dataset:
    return fc.Dataset("f", "ml", [fc.Mount(origin.url, files=[fc.FileSpec(name, sha256=sha256)])])


def _runtime(tmp_path: Path, retry: fc.RetryPolicy = FAST_RETRY, **spec: int) -> fc.EmbeddedRuntime:
    return fc.EmbeddedRuntime(fc.Runtime(**spec), cache_dir=tmp_path / "c", retry=retry)


def _published(runtime: fc.EmbeddedRuntime) -> list[Path]:
    return [p for p in (runtime.root / "blobs").rglob("*") if p.is_file()]


def _check(runtime: fc.EmbeddedRuntime, dataset: fc.Dataset, model: Path) -> None:
    tensors = fc.load_safetensors(dataset, "model.safetensors", runtime=runtime)
    got = {k: hashlib.sha256(v.tobytes()).hexdigest() for k, v in tensors.items()}
    assert got == tensor_digests(model)


def test_503s_are_retried(http_origin_factory, tmp_path: Path) -> None:
    origin = http_origin_factory("--fail-first", "3")
    model = write_safetensors(origin.root / "model.safetensors")
    with _runtime(tmp_path, chunk_size=512 * 1024) as runtime:
        result = fc.prefetch(_dataset(origin), runtime=runtime)
        assert result.origin_bytes == model.stat().st_size
        _check(runtime, _dataset(origin), model)


def test_connection_resets_resume_from_the_byte_where_they_stopped(http_origin_factory, tmp_path: Path) -> None:
    origin = http_origin_factory("--reset-after", "300000", "--reset-times", "4")
    model = write_safetensors(origin.root / "model.safetensors")
    with _runtime(tmp_path, concurrency=2, chunk_size=1024 * 1024) as runtime:
        result = fc.prefetch(_dataset(origin), runtime=runtime)
        _check(runtime, _dataset(origin), model)
    size = model.stat().st_size
    assert result.origin_bytes == size
    # A reset may drop bytes already in flight, but each costs at most what was sent before it: no chunk restarts.
    assert size < origin.stats()["body_bytes"] <= size + 4 * 300000


def test_truncated_bodies_are_completed_with_ranged_retries(http_origin_factory, tmp_path: Path) -> None:
    origin = http_origin_factory("--reset-after", "700000", "--reset-times", "3", "--clean-close")
    model = write_safetensors(origin.root / "model.safetensors")
    with _runtime(tmp_path, concurrency=1, chunk_size=4 * 1024 * 1024) as runtime:
        result = fc.prefetch(_dataset(origin), runtime=runtime)
        _check(runtime, _dataset(origin), model)
    size = model.stat().st_size
    assert result.origin_bytes == size
    assert origin.stats()["body_bytes"] == size  # every retry asked only for the bytes still missing


def test_slow_first_byte_times_out_and_is_retried(http_origin_factory, tmp_path: Path) -> None:
    origin = http_origin_factory("--first-byte-delay", "3", "--delay-times", "1")
    model = write_safetensors(origin.root / "model.safetensors", layers=4)
    retry = fc.RetryPolicy(attempts=3, base=0.05, cap=0.1, timeout=1.0)
    with _runtime(tmp_path, retry, concurrency=1) as runtime:
        fc.prefetch(_dataset(origin), runtime=runtime)
        _check(runtime, _dataset(origin), model)


def test_corrupted_bytes_are_caught_by_sha256_and_never_published(http_origin_factory, tmp_path: Path) -> None:
    origin = http_origin_factory("--corrupt-at", "200000")
    model = write_safetensors(origin.root / "model.safetensors")
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    dataset = _dataset(origin, sha256=digest)
    with _runtime(tmp_path) as runtime, pytest.raises(fc.IntegrityError, match="sha256"):
        fc.prefetch(dataset, runtime=runtime)
    with _runtime(tmp_path) as runtime:
        assert _published(runtime) == []
        assert list((runtime.root / "partial").iterdir()) == []  # corrupt bytes are not kept for a resume
        status = runtime.status([dataset])[0]
        assert status.cached_bytes == 0
        assert "sha256" in (status.last_error or "")
    spec = tmp_path / "ds.yaml"
    spec.write_text(
        "apiVersion: cache.ferry.dev/v1alpha1\nkind: Dataset\nmetadata: {name: f, namespace: ml}\nspec:\n  mounts:\n"
        f"  - mountPoint: {origin.url}\n    files: [{{path: model.safetensors, sha256: {digest}}}]\n"
    )
    result = run_cli(
        [
            "cache",
            "load",
            "-f",
            str(spec),
            "--path",
            "model.safetensors",
            "--cache-dir",
            str(tmp_path / "c"),
            "--format",
            "json",
        ]
    )
    assert result.exit_code == 2
    assert "sha256" in result.stderr and "nothing was published" in result.stderr


def test_server_killed_mid_transfer_then_resumed(http_origin_factory, tmp_path: Path) -> None:
    slow = http_origin_factory("--rate", "2000000")
    model = write_safetensors(slow.root / "model.safetensors", layers=24)  # ~6.4 MB: ~1.6 s at 2 x 2 MB/s
    size = model.stat().st_size
    dataset = _dataset(slow)
    retry = fc.RetryPolicy(attempts=2, base=0.05, cap=0.1, timeout=2.0)
    with _runtime(tmp_path, retry, concurrency=2, chunk_size=256 * 1024) as runtime:
        runtime.apply(dataset)
        handle = runtime.open(dataset, "model.safetensors")
        killer = threading.Timer(0.8, slow.proc.stop)
        killer.start()
        with pytest.raises(fc.FetchError, match="resumes"):
            handle.result()
        killer.join()
        first = handle.origin_bytes
        assert 0 < first < size
        assert _published(runtime) == []
    fresh = http_origin_factory(port=slow.port)
    with _runtime(tmp_path, retry, concurrency=2, chunk_size=256 * 1024) as runtime:
        result = fc.prefetch(dataset, runtime=runtime)
        assert 0 < result.origin_bytes < size  # the finished chunks were kept
        assert fresh.stats()["body_bytes"] == result.origin_bytes
        _check(runtime, dataset, model)
