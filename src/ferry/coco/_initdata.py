"""Initdata: the TOML document, its annotation encoding, its digest and the TEE reference values (pure).

Kata >= 3.20 reads the annotation ``io.katacontainers.config.hypervisor.cc_init_data`` as padded standard base64
of a gzip stream of the TOML bytes. The digest is the hash of those exact TOML bytes (not of the gzip, not of a
re-serialisation), and the TEE field that binds it is the digest truncated or zero-padded to the field's size.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import re
import tomllib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ferry.coco._errors import InitdataError

__all__ = [
    "ALGORITHMS",
    "INITDATA_ANNOTATION",
    "KNOWN_DATA_KEYS",
    "LEGACY_INITDATA_ANNOTATION",
    "MAX_INITDATA_BYTES",
    "TEE_FIELD_SIZES",
    "Initdata",
    "adjust_digest",
    "decode_annotation",
    "digest_report",
    "encode_annotation",
    "initdata_digest",
    "parse_initdata",
    "read_initdata_input",
    "render_initdata",
    "tee_reference_values",
    "toml_string",
]

INITDATA_ANNOTATION = "io.katacontainers.config.hypervisor.cc_init_data"
LEGACY_INITDATA_ANNOTATION = "io.katacontainers.config.runtime.cc_init_data"
ALGORITHMS = ("sha256", "sha384", "sha512")
VERSION = "0.1.0"
KNOWN_DATA_KEYS = ("aa.toml", "cdh.toml", "policy.rego")
MAX_INITDATA_BYTES = 256 * 1024
"""Cap on the decompressed document: larger is refused (gzip-bomb guard; also the Kubernetes annotation budget)."""

TEE_FIELD_SIZES: Mapping[str, int] = {"snp": 32, "tdx": 48, "cca": 64}
"""Bytes of the hardware field the digest is bound to: SNP HOSTDATA, TDX MRCONFIGID, CCA personalisation value."""

_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
"""Characters a TOML multi-line literal string cannot hold (everything below space but tab and newline, and DEL)."""


@dataclass(frozen=True)
class Initdata:
    """A parsed initdata document; ``raw`` keeps the exact bytes the digest covers."""

    version: str
    algorithm: str
    data: Mapping[str, str]
    raw: bytes = field(repr=False)

    @property
    def digest(self) -> bytes:
        return hashlib.new(self.algorithm, self.raw).digest()


def toml_string(value: str) -> str:
    """A TOML basic string (JSON's escaping is a subset TOML accepts)."""
    return json.dumps(value, ensure_ascii=False)


def _multiline(value: str) -> str:
    if "'''" not in value and not _CONTROL.search(value):
        return "'''\n" + value + "'''"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", escaped)
    return '"""\n' + escaped + '"""'


def render_initdata(data: Mapping[str, str], *, algorithm: str = "sha384", version: str = VERSION) -> bytes:
    """The TOML document, deterministically: same input, same bytes, same digest."""
    if algorithm not in ALGORITHMS:
        raise InitdataError(f"algorithm must be one of {', '.join(ALGORITHMS)}, not {algorithm!r}")
    lines = [f"version = {toml_string(version)}", f"algorithm = {toml_string(algorithm)}", "", "[data]"]
    for key in sorted(data):
        lines.append(f"{toml_string(key)} = {_multiline(data[key])}")
    return ("\n".join(lines) + "\n").encode()


def encode_annotation(document: bytes) -> str:
    """gzip (mtime 0, level 9: byte-identical every time) then padded standard base64, one line."""
    return base64.b64encode(gzip.compress(document, compresslevel=9, mtime=0)).decode("ascii")


def decode_annotation(value: str, *, max_bytes: int = MAX_INITDATA_BYTES) -> bytes:
    """The TOML bytes inside an annotation value, checked the way Kata reads it (D2).

    Refuses: non-ASCII, whitespace or URL-safe base64, missing padding, no gzip header (``H4sI``), a corrupt or
    truncated gzip stream, trailing data, or more than ``max_bytes`` once decompressed (read no further).
    """
    if not value:
        raise InitdataError("the initdata annotation is empty")
    if len(value) % 4 or not _B64.fullmatch(value):
        raise InitdataError(
            "initdata is not padded standard base64 (RFC 4648 §4, one line, '=' padding, no '-' or '_')",
            hint="encode with: gzip -c initdata.toml | base64 -w0",
        )
    try:
        compressed = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InitdataError(f"initdata is not valid base64: {exc}") from exc
    if not compressed.startswith(b"\x1f\x8b\x08"):
        raise InitdataError(
            "initdata is not gzip-compressed (value must start with 'H4sI')",
            hint="Kata >= 3.20 reads base64(gzip(TOML)); plain TOML or plain base64 is not accepted",
        )
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error as exc:
        raise InitdataError(f"initdata gzip stream is corrupt: {exc}") from exc
    if len(out) > max_bytes:
        raise InitdataError(
            f"initdata decompresses to more than {max_bytes} bytes (gzip bomb guard)",
            hint="keep initdata small: a policy, two small TOML files",
        )
    if not inflater.eof:
        raise InitdataError("initdata gzip stream is truncated")
    if inflater.unused_data:
        raise InitdataError("initdata has trailing bytes after the gzip stream")
    return out


def parse_initdata(document: bytes) -> Initdata:
    """Parse and validate a TOML initdata document: version 0.1.0, a known algorithm, ``data`` string → string."""
    try:
        text = document.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InitdataError(f"initdata is not UTF-8 (byte {exc.start})") from exc
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InitdataError(f"initdata is not valid TOML: {exc}") from exc
    version = parsed.get("version")
    if version != VERSION:
        raise InitdataError(f'initdata version must be "{VERSION}", found {version!r}')
    algorithm = parsed.get("algorithm")
    if algorithm not in ALGORITHMS:
        raise InitdataError(f"initdata algorithm must be one of {', '.join(ALGORITHMS)}, found {algorithm!r}")
    data = parsed.get("data", {})
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise InitdataError("initdata 'data' must be a table of strings (file name → file content)")
    return Initdata(version=version, algorithm=algorithm, data=dict(data), raw=document)


def read_initdata_input(content: bytes) -> tuple[bytes, str]:
    """A TOML document or an encoded annotation value → (TOML bytes, which form it was: ``toml`` | ``annotation``)."""
    stripped = content.strip()
    if stripped.startswith(b"H4sI") and b"\n" not in stripped:
        return decode_annotation(stripped.decode("ascii", errors="replace")), "annotation"
    return content, "toml"


def initdata_digest(document: bytes, algorithm: str) -> bytes:
    if algorithm not in ALGORITHMS:
        raise InitdataError(f"algorithm must be one of {', '.join(ALGORITHMS)}, not {algorithm!r}")
    return hashlib.new(algorithm, document).digest()


def adjust_digest(digest: bytes, size: int) -> bytes:
    """Truncate at the end when longer, pad with zero bytes when shorter (Kata ``adjust_digest``)."""
    return digest[:size] + b"\0" * max(0, size - len(digest))


def tee_reference_values(digest: bytes) -> dict[str, bytes]:
    """What each TEE reports once it launched with this initdata.

    ``snp``/``tdx``/``cca``: the digest fitted to HOSTDATA (32), MRCONFIGID (48), personalisation value (64).
    ``pcr8``: vTPM platforms extend PCR 8 once from zero: sha256(32 zero bytes ‖ digest fitted to 32 bytes).
    """
    values = {tee: adjust_digest(digest, size) for tee, size in TEE_FIELD_SIZES.items()}
    values["pcr8"] = hashlib.sha256(b"\0" * 32 + adjust_digest(digest, 32)).digest()
    return values


def digest_report(document: bytes, algorithm: str) -> dict[str, Any]:
    """``{"algorithm", "digest", "tee": {"snp", "tdx", "cca", "pcr8"}}`` in hex."""
    digest = initdata_digest(document, algorithm)
    return {
        "algorithm": algorithm,
        "digest": digest.hex(),
        "tee": {k: v.hex() for k, v in tee_reference_values(digest).items()},
    }
