"""Helpers the cache integration tests share: test data and dataset YAML."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ACCESS, SECRET = "ferry-test-key", "ferry-test-secret"


def write_safetensors(path: Path, *, layers: int = 24, rows: int = 128, cols: int = 1024, seed: int = 0) -> Path:
    """A deterministic LLM-shaped safetensors file (F16 matrices, F32 norms, metadata)."""
    from safetensors.numpy import save_file

    rng = np.random.default_rng(seed)
    tensors = {}
    for i in range(layers):
        tensors[f"model.layers.{i}.mlp.weight"] = rng.standard_normal((rows, cols)).astype(np.float16)
        tensors[f"model.layers.{i}.norm.weight"] = rng.standard_normal(cols).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata={"format": "np"})
    return path


def tensor_digests(path: Path) -> dict[str, str]:
    from safetensors.numpy import load_file

    return {k: hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest() for k, v in load_file(str(path)).items()}


def dataset_yaml(name: str, namespace: str, mount: str, **extra: str) -> str:
    lines = [
        "apiVersion: cache.ferry.dev/v1alpha1",
        "kind: Dataset",
        f"metadata: {{name: {name}, namespace: {namespace}}}",
        "spec:",
        "  mounts:",
        "  - name: weights",
        f"    mountPoint: {mount}",
    ]
    lines += [f"    {k}: {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"
