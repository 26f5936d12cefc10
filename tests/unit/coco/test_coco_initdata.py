"""Initdata: exact encoding, strict decoding, digests of the exact bytes, TEE reference values."""

from __future__ import annotations

import base64
import gzip
import hashlib
import tomllib
from pathlib import Path

import pytest

from ferry.coco import (
    InitdataError,
    build_initdata,
    decode_annotation,
    digest_report,
    encode_annotation,
    parse_initdata,
    read_initdata_input,
    render_initdata,
    tee_reference_values,
)
from ferry.coco._initdata import adjust_digest

DATA = Path(__file__).parent / "data"
CAA_SHA384 = "4bebff2869bcdd3e9848fd8bca681ffb9bd9e018e343aa664c960fb4834129ac5b7fed3ca94b2da609906f1e94924b17"
CAA_SHA384_NO_NEWLINE = (
    "52af3178dd7ad4bf551e629b84b45bfd1fbe1434b980120267181ae3575ea20ca9013b8eadf31d27eed7ff2552d500ef"
)


def test_external_vector_from_peer_pods_docs_decodes_to_the_published_bytes() -> None:
    value = (DATA / "caa-initdata.b64").read_text().strip()
    document = decode_annotation(value)
    assert len(document) == 4557
    assert hashlib.sha384(document).hexdigest() == CAA_SHA384
    # the value the peer-pods docs publish is the hash of the document without its final newline
    assert hashlib.sha384(document.rstrip(b"\n")).hexdigest() == CAA_SHA384_NO_NEWLINE
    doc = parse_initdata(document)
    assert doc.algorithm == "sha384" and set(doc.data) == {"aa.toml", "cdh.toml", "policy.rego"}


def test_the_pod_annotation_copy_missing_one_pad_character_is_refused() -> None:
    value = (DATA / "caa-initdata.b64").read_text().strip()
    with pytest.raises(InitdataError, match="padded standard base64"):
        decode_annotation(value[:-1])


def test_encoding_is_gzip_then_padded_standard_base64_and_deterministic() -> None:
    doc = render_initdata({"aa.toml": "[token_configs]\n"}, algorithm="sha256")
    value = encode_annotation(doc)
    assert value.startswith("H4sI")
    assert value == encode_annotation(doc)  # mtime 0: byte-identical for idempotent patches
    assert len(value) % 4 == 0 and "\n" not in value
    assert gzip.decompress(base64.b64decode(value, validate=True)) == doc


def test_rendered_document_parses_back_with_exact_content() -> None:
    tricky = "has '''triple''' quotes and \"\"\" and \\ backslash\r\n\x01\x7f\n"
    data = {"policy.rego": "package agent_policy\n", "cdh.toml": tricky, "aa.toml": "x = 'y'\r\n", "k": "\x1f"}
    doc = render_initdata(data, algorithm="sha512")
    parsed = tomllib.loads(doc.decode())
    assert parsed == {"version": "0.1.0", "algorithm": "sha512", "data": data}
    assert render_initdata(data, algorithm="sha512") == doc


def test_digest_covers_the_exact_bytes() -> None:
    doc = render_initdata({"aa.toml": "a\n"})
    assert hashlib.sha384(doc).digest() == parse_initdata(doc).digest
    assert parse_initdata(doc.rstrip(b"\n")).digest != parse_initdata(doc).digest


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty"),
        ("H4sI AAAA", "padded standard base64"),
        ("H4sI-_AA", "padded standard base64"),
        ("H4sIAA", "padded standard base64"),
        (base64.b64encode(b'version = "0.1.0"').decode(), "not gzip"),
        (base64.b64encode(gzip.compress(b"x" * 100, mtime=0)[:-12]).decode(), "truncated"),
        (base64.b64encode(gzip.compress(b"x", mtime=0) + b"junk").decode(), "trailing"),
        (base64.b64encode(b"\x1f\x8b\x08" + b"\xff" * 20).decode(), "corrupt"),
    ],
)
def test_decode_refuses_what_kata_would_not_read(value: str, message: str) -> None:
    with pytest.raises(InitdataError, match=message):
        decode_annotation(value)


def test_gzip_bomb_is_cut_at_the_cap() -> None:
    bomb = base64.b64encode(gzip.compress(b"\0" * (64 * 1024 * 1024), mtime=0)).decode()
    assert len(bomb) < 200_000
    with pytest.raises(InitdataError, match="gzip bomb"):
        decode_annotation(bomb)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b'version = "0.2.0"\nalgorithm = "sha384"\n', "version"),
        (b'version = "0.1.0"\nalgorithm = "sha-384"\n', "algorithm"),
        (b'algorithm = "sha384"\n', "version"),
        (b'version = "0.1.0"\nalgorithm = "sha384"\n[data]\n"aa.toml" = 3\n', "table of strings"),
        (b"version = \n", "not valid TOML"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_parse_refuses_bad_documents(document: bytes, message: str) -> None:
    with pytest.raises(InitdataError, match=message):
        parse_initdata(document)


def test_tee_reference_values_fit_each_field() -> None:
    d256, d384, d512 = (hashlib.new(a, b"x").digest() for a in ("sha256", "sha384", "sha512"))
    v = tee_reference_values(d256)
    assert v["snp"] == d256 and v["tdx"] == d256 + b"\0" * 16 and v["cca"] == d256 + b"\0" * 32
    v = tee_reference_values(d384)
    assert v["snp"] == d384[:32] and v["tdx"] == d384 and v["cca"] == d384 + b"\0" * 16
    v = tee_reference_values(d512)
    assert v["snp"] == d512[:32] and v["tdx"] == d512[:48] and v["cca"] == d512
    assert v["pcr8"] == hashlib.sha256(b"\0" * 32 + d512[:32]).digest()
    assert adjust_digest(b"\1\2", 4) == b"\1\2\0\0"


def test_digest_report_shape_is_hex() -> None:
    report = digest_report(b"abc", "sha384")
    assert set(report) == {"algorithm", "digest", "tee"}
    assert set(report["tee"]) == {"snp", "tdx", "cca", "pcr8"}
    assert report["digest"] == hashlib.sha384(b"abc").hexdigest()
    assert [len(report["tee"][k]) for k in ("snp", "tdx", "cca", "pcr8")] == [64, 96, 128, 64]


def test_read_input_accepts_toml_or_annotation() -> None:
    doc = render_initdata({"aa.toml": "a"})
    assert read_initdata_input(doc) == (doc, "toml")
    assert read_initdata_input(encode_annotation(doc).encode() + b"\n") == (doc, "annotation")


def test_build_from_profile_carries_kbs_and_image_policy(profile) -> None:  # type: ignore[no-untyped-def]
    doc = parse_initdata(build_initdata(profile, "package agent_policy\n"))
    aa = tomllib.loads(doc.data["aa.toml"])
    cdh = tomllib.loads(doc.data["cdh.toml"])
    assert aa["token_configs"]["kbs"]["url"] == profile.kbs_url
    assert cdh["kbc"] == {"name": "cc_kbc", "url": profile.kbs_url}
    assert cdh["image"]["image_security_policy_uri"] == "kbs:///default/security-policy/finance"
    assert cdh["image"]["authenticated_registry_credentials_uri"] == "kbs:///default/credential/registry"
    assert doc.algorithm == "sha384"
