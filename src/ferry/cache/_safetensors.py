"""The safetensors format: header length, JSON header, tensor byte ranges (pure).

A file is an 8-byte little-endian header length ``N``, ``N`` bytes of JSON, then the tensors' bytes. Each tensor
names its dtype, shape and ``data_offsets`` relative to the end of the header; the offsets cover the buffer with no
holes and no overlaps.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any

from ferry.cache._errors import SafetensorsError

__all__ = ["DTYPES", "MAX_HEADER", "SafetensorsHeader", "TensorInfo", "header_length", "parse_header"]

MAX_HEADER = 100_000_000
# dtype -> (bytes per element, numpy dtype string or None when numpy has no such type)
DTYPES: dict[str, tuple[float, str | None]] = {
    "BOOL": (1, "bool"),
    "U8": (1, "uint8"),
    "I8": (1, "int8"),
    "F8_E5M2": (1, None),
    "F8_E4M3": (1, None),
    "F8_E8M0": (1, None),
    "F8_E4M3FNUZ": (1, None),
    "F8_E5M2FNUZ": (1, None),
    "F4": (0.5, None),
    "F6_E2M3": (0.75, None),
    "F6_E3M2": (0.75, None),
    "I16": (2, "<i2"),
    "U16": (2, "<u2"),
    "F16": (2, "<f2"),
    "BF16": (2, None),
    "I32": (4, "<i4"),
    "U32": (4, "<u4"),
    "F32": (4, "<f4"),
    "C64": (8, "<c8"),
    "F64": (8, "<f8"),
    "I64": (8, "<i8"),
    "U64": (8, "<u8"),
}


@dataclass(frozen=True)
class TensorInfo:
    """One tensor: name, dtype, shape and its absolute byte range ``[start, end)`` in the file."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    start: int
    end: int

    @property
    def nbytes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class SafetensorsHeader:
    """The parsed header: tensors in file order, ``__metadata__`` and where the data starts."""

    tensors: tuple[TensorInfo, ...]
    metadata: dict[str, str]
    data_start: int
    file_size: int


def header_length(first8: bytes) -> int:
    """``N`` from the first 8 bytes; raises :class:`SafetensorsError` when it cannot be a header length."""
    if len(first8) < 8:
        raise SafetensorsError("file is shorter than the 8-byte header length")
    (length,) = struct.unpack("<Q", first8[:8])
    if length > MAX_HEADER:
        raise SafetensorsError(f"header length {length} exceeds {MAX_HEADER} bytes; not a safetensors file")
    return int(length)


def parse_header(head: bytes, file_size: int) -> SafetensorsHeader:
    """Parse ``head`` (at least the first ``8 + N`` bytes) of a file of ``file_size`` bytes.

    Checks what the format promises: JSON object, known dtypes, shapes that match the byte counts, offsets that
    cover the data without holes, overlaps or running past the end.
    """
    length = header_length(head)
    if len(head) < 8 + length:
        raise SafetensorsError(f"need {8 + length} header bytes, have {len(head)}")
    if 8 + length > file_size:
        raise SafetensorsError(f"header of {length} bytes runs past the end of a {file_size}-byte file")
    raw = head[8 : 8 + length]
    if not raw.lstrip().startswith(b"{"):
        raise SafetensorsError("header is not a JSON object")
    try:
        body: Any = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SafetensorsError(f"header is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise SafetensorsError("header is not a JSON object")
    metadata = body.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict):
        raise SafetensorsError("__metadata__ must be an object of strings")
    data_start = 8 + length
    tensors: list[TensorInfo] = []
    for name, info in body.items():
        if not isinstance(info, dict):
            raise SafetensorsError(f"tensor {name!r}: entry is not an object")
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if dtype not in DTYPES:
            raise SafetensorsError(f"tensor {name!r}: unknown dtype {dtype!r}")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise SafetensorsError(f"tensor {name!r}: shape must be a list of non-negative integers")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(o, int) and o >= 0 for o in offsets)
            or offsets[0] > offsets[1]
        ):
            raise SafetensorsError(f"tensor {name!r}: data_offsets must be [begin, end] with begin <= end")
        expected = math.prod(shape) * DTYPES[dtype][0]
        if offsets[1] - offsets[0] != expected:
            raise SafetensorsError(
                f"tensor {name!r}: {offsets[1] - offsets[0]} bytes for shape {shape} of {dtype} ({expected:g} expected)"
            )
        tensors.append(TensorInfo(name, dtype, tuple(shape), data_start + offsets[0], data_start + offsets[1]))
    tensors.sort(key=lambda t: (t.start, t.end))
    cursor = data_start
    for t in tensors:
        if t.start != cursor:
            what = "overlaps the previous tensor" if t.start < cursor else f"leaves a hole at byte {cursor}"
            raise SafetensorsError(f"tensor {t.name!r} {what}")
        cursor = t.end
    if cursor != file_size:
        raise SafetensorsError(f"tensors end at byte {cursor} but the file has {file_size} bytes")
    return SafetensorsHeader(tuple(tensors), {str(k): str(v) for k, v in metadata.items()}, data_start, file_size)
