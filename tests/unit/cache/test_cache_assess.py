"""The cache assessor over the example estate: which workloads download weights, and what fixes it."""

from __future__ import annotations

from pathlib import Path

import yaml

from ferry._kernel import Estate, load_estate, parse_manifests
from ferry.cache import assess_cache, parse_spec
from ferry.cache._assess import estimate_cold_start, find_model_workloads

REPO = Path(__file__).resolve().parents[3]


def test_example_estate() -> None:
    section = assess_cache(load_estate([REPO / "examples" / "estate"]))
    by_obj = {f.obj: f for f in section.findings}
    assert set(by_obj) >= {
        "Deployment ml/llama-chat",
        "StatefulSet shop/mistral-tgi",
        "InferenceService ml/qwen-coder",
        "Deployment shop/ranker",
    }
    llama = by_obj["Deployment ml/llama-chat"]
    assert llama.code == "cache.vllm-downloads-weights"
    assert llama.details["bytes"] == 16_000_000_000 and llama.details["replicas"] == 3
    assert llama.severity.value == "error"
    assert by_obj["InferenceService ml/qwen-coder"].details["bytes"] == 15 * 2**30
    assert by_obj["Deployment shop/ranker"].code == "cache.download-downloads-weights"
    assert by_obj["Deployment shop/ranker"].details["bytes"] == 3_000_000_000
    assert by_obj["StatefulSet shop/mistral-tgi"].code == "cache.tgi-downloads-weights"
    assert section.metrics["model_workloads"] == len(section.findings)
    for artifact in section.artifacts:
        spec = parse_spec(artifact.content, artifact.name)  # every artifact is a valid ferry declaration
        assert spec.dataset().mounts and spec.dataloads[0].pin
    ranker = next(a for a in section.artifacts if a.name == "cache-shop-ranker.yaml")
    assert "s3://models/ranker-1.5b/" in ranker.content
    assert section.to_dict()["charts"][0]["labels"]


def test_nothing_to_find_and_local_models_are_fine() -> None:
    text = yaml.safe_dump(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "x", "namespace": "a"},
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "v", "image": "vllm/vllm-openai", "args": ["--model", "/models/llama"]},
                            {
                                "name": "w",
                                "image": "vllm/vllm-openai",
                                "args": ["--model", "org/m-7b", "--load-format", "runai_streamer"],
                            },
                        ]
                    }
                }
            },
        }
    )
    section = assess_cache(Estate.from_objects(parse_manifests(text, "x.yaml")))
    assert section.findings == () or not section.findings
    assert section.metrics["model_workloads"] == 0


def test_estimate_and_unknown_sizes() -> None:
    text = yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "a"},
            "spec": {
                "containers": [
                    {
                        "name": "c",
                        "image": "python:3.12",
                        "command": [
                            "sh",
                            "-c",
                            "huggingface-cli download org/mystery-model --local-dir /m && python serve.py",
                        ],
                    }
                ]
            },
        }
    )
    (w,) = find_model_workloads(Estate.from_objects(parse_manifests(text, "p.yaml")))
    assert (w.model, w.size_known) == ("org/mystery-model", False)
    est = estimate_cold_start(w)
    assert est.now_seconds > est.cached_seconds > 0
    assert est.origin_bytes_now == est.origin_bytes_cached == w.size
    section = assess_cache(Estate.from_objects(parse_manifests(text, "p.yaml")))
    assert "size unknown" in section.findings[0].message
    assert section.findings[0].severity.value == "error"  # over five minutes of cold start
