"""The safetensors header parser: real files from the safetensors library, and every malformed case."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from ferry.cache import SafetensorsError, parse_header


def _raw(header: dict, payload: int) -> bytes:
    body = json.dumps(header).encode()
    return struct.pack("<Q", len(body)) + body + b"\0" * payload


def test_matches_files_written_by_safetensors(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    tensors = {
        "b": np.zeros((3, 5), np.float16),
        "a": np.arange(7, dtype=np.int64),
        "s": np.array(2.0, dtype=np.float32),
    }
    save_file(tensors, str(tmp_path / "m.safetensors"), metadata={"k": "v"})
    data = (tmp_path / "m.safetensors").read_bytes()
    header = parse_header(data, len(data))
    assert header.metadata == {"k": "v"}
    assert header.data_start % 8 == 0
    by_name = {t.name: t for t in header.tensors}
    assert by_name["b"].shape == (3, 5) and by_name["b"].dtype == "F16" and by_name["b"].nbytes == 30
    assert by_name["s"].shape == ()
    for name, array in tensors.items():
        t = by_name[name]
        assert data[t.start : t.end] == np.ascontiguousarray(array).tobytes()
    assert [t.start for t in header.tensors] == sorted(t.start for t in header.tensors)


@pytest.mark.parametrize(
    ("header", "payload", "message"),
    [
        ({"x": {"dtype": "F99", "shape": [1], "data_offsets": [0, 4]}}, 4, "unknown dtype"),
        ({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, 4, "8 expected"),
        ({"x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, 8, "leaves a hole"),
        (
            {
                "x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                "y": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]},
            },
            6,
            "overlaps",
        ),
        ({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, 8, "file has"),
        ({"x": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, 4, "non-negative"),
        ({"x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}, 4, "begin <= end"),
        ({"x": [1, 2]}, 0, "not an object"),
        ({"__metadata__": [1]}, 0, "__metadata__"),
    ],
)
def test_malformed_headers(header: dict, payload: int, message: str) -> None:
    data = _raw(header, payload)
    with pytest.raises(SafetensorsError, match=message):
        parse_header(data, len(data))


def test_bad_lengths_and_json() -> None:
    with pytest.raises(SafetensorsError, match="shorter than"):
        parse_header(b"\1\0", 2)
    with pytest.raises(SafetensorsError, match="exceeds"):
        parse_header(struct.pack("<Q", 10**9), 10**9 + 8)
    with pytest.raises(SafetensorsError, match="runs past"):
        parse_header(struct.pack("<Q", 100) + b"{}" + b" " * 98, 50)
    bad = struct.pack("<Q", 4) + b"[1] "
    with pytest.raises(SafetensorsError, match="not a JSON object"):
        parse_header(bad, len(bad))
    broken = struct.pack("<Q", 4) + b"{x: "
    with pytest.raises(SafetensorsError, match="not valid JSON"):
        parse_header(broken, len(broken))


def test_subbyte_and_bf16_dtypes() -> None:
    data = _raw(
        {
            "q": {"dtype": "F4", "shape": [4], "data_offsets": [0, 2]},
            "w": {"dtype": "BF16", "shape": [2], "data_offsets": [2, 6]},
        },
        6,
    )
    header = parse_header(data, len(data))
    assert [t.dtype for t in header.tensors] == ["F4", "BF16"]
