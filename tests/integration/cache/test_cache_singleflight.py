"""Single flight: many processes (and threads) asking for the same uncached file cause exactly one fetch."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cache_support import dataset_yaml, tensor_digests, write_safetensors

import ferry.cache as fc

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CONSUMERS = ("shop", "search", "ads", "support")


def test_four_processes_in_four_namespaces_fetch_once(http_origin_factory, tmp_path: Path) -> None:
    origin = http_origin_factory("--rate", "8000000")  # slow enough that all four ask while it is arriving
    model = write_safetensors(origin.root / "model.safetensors", layers=24)
    size = model.stat().st_size
    docs = [dataset_yaml("llm", "ml", origin.url, files="[model.safetensors]")]
    docs += [dataset_yaml("llm", ns, "dataset://ml/llm") for ns in CONSUMERS]
    spec = tmp_path / "ds.yaml"
    spec.write_text("---\n".join(docs))
    cache = tmp_path / "c"
    apply = subprocess.run(  # noqa: PLW1510 - the return code is asserted below
        [
            sys.executable,
            "-m",
            "ferry",
            "cache",
            "apply",
            "-f",
            str(spec),
            "--cache-dir",
            str(cache),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert apply.returncode == 0, apply.stderr
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ferry",
                "cache",
                "load",
                "-f",
                str(spec),
                "--dataset",
                f"{ns}/llm",
                "--path",
                "model.safetensors",
                "--cache-dir",
                str(cache),
                "--checksums",
                "--format",
                "json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for ns in CONSUMERS
    ]
    outputs = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            outputs.append(json.loads(out))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    expected = tensor_digests(model)
    for out in outputs:
        assert {k: v["sha256"] for k, v in out["tensors"].items()} == expected
    assert sum(out["origin_bytes"] for out in outputs) == size
    assert origin.stats()["body_bytes"] == size  # 1.0x the file at the origin, not 4x


def test_threads_share_one_transfer(http_origin_factory, tmp_path: Path) -> None:
    origin = http_origin_factory("--rate", "8000000")
    model = write_safetensors(origin.root / "model.safetensors", layers=8)
    dataset = fc.Dataset("t", "ml", [fc.Mount(origin.url, files=[fc.FileSpec("model.safetensors")])])
    results: list[int] = []
    with fc.EmbeddedRuntime(fc.Runtime(), cache_dir=tmp_path / "c") as runtime:
        runtime.apply(dataset)

        def load() -> None:
            stream = fc.stream_safetensors(dataset, "model.safetensors", runtime=runtime)
            results.append(len(stream.load()))

        threads = [threading.Thread(target=load) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert results == [16] * 6
    assert origin.stats()["body_bytes"] == model.stat().st_size
