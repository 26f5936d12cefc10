"""Write a deterministic, LLM-shaped safetensors file without torch (benchmarks/cache, per the §7.3 plan).

    python benchmarks/cache/make_model.py OUT.safetensors --size 1GiB

F16 matrices of 16 MiB (or smaller, to reach the size) plus F32 norm vectors and one ``__metadata__`` key, written
straight in the format: 8-byte header length, space-padded JSON, the tensors' bytes. Prints the file's sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import struct
from pathlib import Path

import numpy as np

MiB = 1024 * 1024


def parse_size(text: str) -> int:
    units = {"KiB": 1024, "MiB": MiB, "GiB": 1024 * MiB, "": 1}
    for suffix, factor in units.items():
        if suffix and text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    return int(text)


def layout(size: int, matrix_bytes: int = 16 * MiB, cols: int = 4096) -> list[tuple[str, str, list[int], int]]:
    """(name, dtype, shape, nbytes) of each tensor; the payload comes to ``size`` bytes give or take a norm."""
    tensors: list[tuple[str, str, list[int], int]] = []
    used = 0
    i = 0
    while used + matrix_bytes + cols * 4 <= size:
        rows = matrix_bytes // (cols * 2)
        tensors.append((f"model.layers.{i}.mlp.weight", "F16", [rows, cols], rows * cols * 2))
        tensors.append((f"model.layers.{i}.norm.weight", "F32", [cols], cols * 4))
        used += matrix_bytes + cols * 4
        i += 1
    rest = (size - used) // (cols * 2)
    if rest > 0:
        tensors.append((f"model.layers.{i}.mlp.weight", "F16", [rest, cols], rest * cols * 2))
    return tensors


def write(path: Path, size: int, seed: int = 0) -> str:
    tensors = layout(size)
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, dtype, shape, nbytes in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    digest = hashlib.sha256()
    rng = np.random.default_rng(seed)
    with path.open("wb") as out:
        for block in (struct.pack("<Q", len(raw)), raw):
            out.write(block)
            digest.update(block)
        for _, _, _, nbytes in tensors:
            data = rng.integers(0, 2**16, size=nbytes // 2, dtype=np.uint16).tobytes()
            out.write(data)
            digest.update(data)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--size", default="64MiB")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(write(args.out, parse_size(args.size), args.seed))


if __name__ == "__main__":
    main()
