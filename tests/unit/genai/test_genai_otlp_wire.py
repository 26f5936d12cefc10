"""The OTLP trace wire-format walker against the official protobuf decoder: generated and corrupted payloads."""

from __future__ import annotations

import random
import struct
from typing import Any

import pytest
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as PbSpan

from ferry.genai import OTLPDecodeError
from ferry.genai._model import Span
from ferry.genai._otlp_proto import _spans, decode_proto
from ferry.genai._otlp_wire import Unusual, decode_trace_request

_TEXT = ["", "chat gpt-4o", "execute_tool search_web", "héllo wörld", "日本語", "emoji 🚀", "x" * 300]


def _any(rng: random.Random, depth: int = 0) -> AnyValue:
    pick = rng.randrange(9 if depth < 2 else 6)
    if pick == 0:
        return AnyValue(string_value=rng.choice(_TEXT))
    if pick == 1:
        return AnyValue(
            int_value=rng.choice([0, 1, 127, 128, 512, -1, -(2**63), 2**63 - 1, rng.randrange(-(10**12), 10**12)])
        )
    if pick == 2:
        return AnyValue(double_value=rng.choice([0.0, -1.5, 1e300, 3.25, float("inf")]))
    if pick == 3:
        return AnyValue(bool_value=rng.random() < 0.5)
    if pick == 4:
        return AnyValue(bytes_value=bytes(rng.randrange(256) for _ in range(rng.randrange(20))))
    if pick == 5:
        return AnyValue()  # no member set
    if pick == 6:
        value = AnyValue()
        value.array_value.values.extend(_any(rng, depth + 1) for _ in range(rng.randrange(4)))
        return value
    value = AnyValue()
    value.kvlist_value.values.extend(_kv(rng, depth + 1) for _ in range(rng.randrange(4)))
    return value


def _kv(rng: random.Random, depth: int = 0) -> KeyValue:
    key = rng.choice(["gen_ai.operation.name", "gen_ai.request.model", "gen_ai.usage.input_tokens", "k", "ключ", ""])
    kv = KeyValue(key=key)
    if rng.random() < 0.95:
        kv.value.CopyFrom(_any(rng, depth))
    return kv


def _id(rng: random.Random, size: int) -> bytes:
    pick = rng.random()
    if pick < 0.05:
        return b""
    if pick < 0.08:
        return bytes(size)
    if pick < 0.1:
        return bytes(rng.randrange(256) for _ in range(size - 1))
    return bytes(rng.randrange(256) for _ in range(size))


def _span(rng: random.Random, span: PbSpan) -> None:
    span.trace_id = _id(rng, 16)
    span.span_id = _id(rng, 8)
    if rng.random() < 0.7:
        span.parent_span_id = _id(rng, 8)
    span.name = rng.choice(_TEXT)
    span.kind = rng.choice([0, 1, 2, 3, 4, 5, 7, 300, -3])  # open enum: unknown values are kept
    span.start_time_unix_nano = rng.randrange(2**64)
    span.end_time_unix_nano = rng.choice([0, 1_700_000_000_000_000_000, 2**64 - 1])
    span.attributes.extend(_kv(rng) for _ in range(rng.randrange(6)))
    if rng.random() < 0.3:
        span.trace_state = "vendor=1"
        span.flags = 0x101
        span.dropped_attributes_count = 3
    for _ in range(rng.randrange(3) if rng.random() < 0.4 else 0):
        event = span.events.add(name=rng.choice(_TEXT), time_unix_nano=rng.randrange(2**64))
        event.attributes.extend(_kv(rng) for _ in range(rng.randrange(3)))
    for _ in range(rng.randrange(3) if rng.random() < 0.3 else 0):
        link = span.links.add(trace_id=_id(rng, 16), span_id=_id(rng, 8), trace_state="a=b", flags=1)
        link.attributes.extend(_kv(rng) for _ in range(rng.randrange(2)))
    if rng.random() < 0.4:
        span.status.code = rng.choice([0, 1, 2, 9])
        span.status.message = rng.choice(_TEXT)


def _request(rng: random.Random) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    for _ in range(rng.randrange(1, 4)):
        rs = request.resource_spans.add()
        if rng.random() < 0.9:
            rs.resource.attributes.extend(_kv(rng) for _ in range(rng.randrange(4)))
        if rng.random() < 0.3:
            rs.schema_url = "https://opentelemetry.io/schemas/1.26.0"
        for _ in range(rng.randrange(3)):
            ss = rs.scope_spans.add()
            if rng.random() < 0.8:
                ss.scope.name = rng.choice(_TEXT)
                ss.scope.version = "1.0"
                ss.scope.attributes.extend(_kv(rng) for _ in range(rng.randrange(2)))
            for _ in range(rng.randrange(6)):
                _span(rng, ss.spans.add())
    return request


def _official(data: bytes) -> tuple[list[Span], int, list[str]] | None:
    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(data)
    except DecodeError:
        return None
    return _spans(request)


def _walked(data: bytes) -> tuple[list[Span], int, list[str]] | None:
    try:
        return decode_trace_request(data)
    except Unusual:
        return None


def _same(a: object, b: object) -> bool:
    """Equal, counting NaN equal to NaN (a corrupted double can become one)."""
    return a == b or repr(a) == repr(b)


def test_generated_requests_decode_exactly_as_the_official_decoder_reads_them() -> None:
    rng = random.Random(9)
    for _ in range(300):
        data = _request(rng).SerializeToString()
        expected = _official(data)
        assert expected is not None
        assert decode_trace_request(data) == expected  # the walker reads every canonical encoding itself


def test_the_walker_keeps_the_resource_shared_and_scope_names() -> None:
    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    rs.resource.attributes.append(KeyValue(key="service.name", value=AnyValue(string_value="agent")))
    ss = rs.scope_spans.add()
    ss.scope.name = "lib"
    for n in (1, 2):
        ss.spans.add(trace_id=b"\x01" * 16, span_id=bytes([n]) * 8, name=f"s{n}")
    spans, rejected, errors = decode_trace_request(request.SerializeToString())
    assert (rejected, errors) == (0, [])
    assert spans[0].resource is spans[1].resource
    assert spans[0].resource == {"service.name": "agent"}
    assert [s.scope for s in spans] == ["lib", "lib"]
    assert [s.kind for s in spans] == [1, 1]  # unspecified kind reads as internal


def _mutations(rng: random.Random, data: bytes) -> list[bytes]:
    out = [data[: rng.randrange(len(data))] for _ in range(3)]
    for _ in range(6):
        i = rng.randrange(len(data))
        out.append(data[:i] + bytes([rng.randrange(256)]) + data[i + 1 :])
        out.append(data[:i] + bytes([rng.randrange(256)]) + data[i:])
        out.append(data[:i] + data[i + 1 :])
    out.append(data + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12))))
    return out


def test_corrupted_requests_are_never_accepted_differently_from_the_official_decoder() -> None:
    rng = random.Random(4318)
    walked = fallbacks = refused = 0
    for _ in range(150):
        data = _request(rng).SerializeToString()
        if not data:
            continue
        for bad in _mutations(rng, data):
            expected = _official(bad)
            got = _walked(bad)
            if got is not None:
                walked += 1
                assert expected is not None, bad.hex()  # the walker never accepts what protobuf refuses
                assert _same(got, expected), bad.hex()
            else:
                fallbacks += 1
            try:
                batch = decode_proto("traces", bad)
            except OTLPDecodeError:
                refused += 1
                assert expected is None
            else:
                assert expected is not None
                assert _same((list(batch.spans), batch.rejected, list(batch.errors)), expected)
    assert walked and fallbacks and refused  # all three paths were exercised


def _field(number: int, wire: int, payload: bytes) -> bytes:
    tag = number << 3 | wire
    out = bytearray()
    while True:
        byte = tag & 0x7F
        tag >>= 7
        out.append(byte | (0x80 if tag else 0))
        if not tag:
            break
    if wire == 2:
        out += _varint(len(payload))
    return bytes(out) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _wrap(span: bytes) -> bytes:
    return _field(1, 2, _field(2, 2, _field(2, 2, span)))


_IDS = _field(1, 2, b"\x01" * 16) + _field(2, 2, b"\x02" * 8)


@pytest.mark.parametrize(
    ("span", "why"),
    [
        (_IDS + _field(15, 2, _field(3, 0, b"\x02")) + _field(15, 2, _field(2, 2, b"late")), "status sent twice"),
        (_IDS + _field(9, 2, _field(1, 2, b"k") + _field(2, 2, _field(1, 2, b"a")) + _field(2, 2, b"")), "value x2"),
        (_IDS + _field(9, 2, _field(1, 2, b"k") + _field(2, 2, _field(8, 0, b"\x05"))), "string_value_strindex"),
        (
            _IDS + _field(9, 2, _field(1, 2, b"k") + _field(2, 2, _field(1, 2, b"a") + _field(3, 0, b"\x01"))),
            "oneof x2",
        ),
        (_IDS + _field(6, 0, _varint(2**31)), "kind beyond int32"),
    ],
)
def test_unusual_but_valid_encodings_fall_back_to_the_official_result(span: bytes, why: str) -> None:
    data = _wrap(span)
    with pytest.raises(Unusual):
        decode_trace_request(data)
    expected = _official(data)
    assert expected is not None, why
    batch = decode_proto("traces", data)
    assert (list(batch.spans), batch.rejected, list(batch.errors)) == expected


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (_wrap(_IDS + _field(5, 2, b"\xff\xfe")), "invalid UTF-8 in the name"),
        (_wrap(_IDS + _field(9, 2, _field(1, 2, b"\xc3"))), "invalid UTF-8 in a key"),
        (_wrap(_IDS + b"\x02\x00"), "field number 0"),
        (_wrap(_IDS + _field(7, 1, b"\x00" * 4)), "truncated fixed64"),
        (_wrap(_IDS + b"\x30" + b"\xff" * 11), "over-long varint"),
        (_wrap(_IDS)[:-3], "truncated message"),
        (_wrap(_IDS + _field(20, 3, b"")), "an unterminated group"),
    ],
)
def test_corrupt_payloads_are_rejected_with_a_reason(data: bytes, why: str) -> None:
    assert _walked(data) is None, why
    assert _official(data) is None, why
    with pytest.raises(OTLPDecodeError, match="malformed OTLP protobuf"):
        decode_proto("traces", data)


def test_unknown_fields_are_skipped_as_protobuf_does() -> None:
    extra = _field(99, 0, b"\x07") + _field(100, 1, b"\x00" * 8) + _field(101, 5, b"\x00" * 4) + _field(102, 2, b"?")
    data = _wrap(_IDS + extra + _field(5, 2, b"chat m"))
    expected = _official(data)
    assert expected is not None
    assert decode_trace_request(data) == expected
    assert expected[0][0].name == "chat m"


def test_repeated_attribute_bytes_decode_to_the_same_values() -> None:
    kv = KeyValue(key="n", value=AnyValue(int_value=-5)).SerializeToString()
    as_bool = KeyValue(key="n", value=AnyValue(bool_value=True)).SerializeToString()
    values: list[Any] = []
    for attribute in (kv, as_bool, kv, as_bool):
        (span,), _, _ = decode_trace_request(_wrap(_IDS + _field(9, 2, attribute)))
        values.append(span.attributes["n"])
    assert values == [-5, True, -5, True]
    assert [type(v) for v in values] == [int, bool, int, bool]


def test_doubles_and_big_integers_round_trip() -> None:
    kv = KeyValue(key="d", value=AnyValue(double_value=2.5)).SerializeToString()
    big = KeyValue(key="i", value=AnyValue(int_value=-(2**63))).SerializeToString()
    (span,), _, _ = decode_trace_request(_wrap(_IDS + _field(9, 2, kv) + _field(9, 2, big)))
    assert span.attributes == {"d": 2.5, "i": -(2**63)}
    assert struct.pack("<d", span.attributes["d"]) == struct.pack("<d", 2.5)


def test_the_attribute_cache_stays_bounded() -> None:
    from ferry.genai import _otlp_wire

    long_value = KeyValue(key="big", value=AnyValue(string_value="x" * 10_000)).SerializeToString()
    (span,), _, _ = decode_trace_request(_wrap(_IDS + _field(9, 2, long_value)))
    assert span.attributes == {"big": "x" * 10_000}
    assert long_value not in _otlp_wire._PAIRS  # long values are decoded, not kept
    for n in range(_otlp_wire._PAIRS_MAX + 10):
        short = KeyValue(key="n", value=AnyValue(int_value=n)).SerializeToString()
        (span,), _, _ = decode_trace_request(_wrap(_IDS + _field(9, 2, short)))
        assert span.attributes == {"n": n}
        assert len(_otlp_wire._PAIRS) <= _otlp_wire._PAIRS_MAX
