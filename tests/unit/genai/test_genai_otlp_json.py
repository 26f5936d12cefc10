"""OTLP JSON decoding: the opentelemetry-proto examples, its deviations from proto3 JSON, and bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from genai_builders import retry_trace

from ferry.genai import OTLPDecodeError, decode_json_bytes, decode_otlp_json, encode_logs_json, encode_spans_json
from ferry.genai._otlp_json import any_value, hex_id


def test_proto_examples_decode(shared: Path) -> None:
    examples = shared / "reference/genai-examples"
    traces = decode_json_bytes((examples / "trace.json").read_bytes())
    (span,) = traces.spans
    assert span.trace_id == "5b8efff798038103d269b633813fc60c"  # hex ids are case-insensitive
    assert span.parent_id == "eee19b7ec3c1b173"
    assert (span.kind, span.start_ns, span.end_ns) == (2, 1544712660000000000, 1544712661000000000)
    assert span.attributes["my.span.attr"] == "some value"
    assert span.resource == {"service.name": "my.service"}
    assert span.scope == "my.library"
    logs = decode_json_bytes((examples / "logs.json").read_bytes()).logs
    assert logs and logs[0].time_ns > 0
    events = decode_json_bytes((examples / "events.json").read_bytes()).logs
    assert events[0].event_name == "browser.page_view"
    assert events[0].body["type"] == 0
    assert events[0].body["referrer"] == "https://wwww.google.com"
    metrics = decode_json_bytes((examples / "metrics.json").read_bytes()).metrics
    kinds = {m.kind for m in metrics}
    assert {"sum", "gauge", "histogram"} <= kinds
    histogram = next(m for m in metrics if m.kind == "histogram")
    assert histogram.count is not None and len(histogram.bucket_counts) == len(histogram.bounds) + 1


def test_any_value_forms() -> None:
    assert any_value({"intValue": "42"}) == 42
    assert any_value({"intValue": 42}) == 42
    assert math.isnan(any_value({"doubleValue": "NaN"}))
    assert any_value({"doubleValue": "Infinity"}) == math.inf
    assert any_value({"arrayValue": {"values": [{"boolValue": True}, {"stringValue": "x"}]}}) == [True, "x"]
    assert any_value({"kvlistValue": {"values": [{"key": "a", "value": {"intValue": "1"}}]}}) == {"a": 1}
    assert any_value({"bytesValue": "AAE="}) == "AAE="
    assert any_value({}) is None


def test_ids_of_wrong_length_or_zero_are_empty() -> None:
    assert hex_id("00000000000000000000000000000000", 16) == ""
    assert hex_id("abc", 8) == ""
    assert hex_id("zz" * 8, 8) == ""
    assert hex_id("AB" * 8, 8) == "ab" * 8


def test_spans_without_ids_are_rejected_and_counted() -> None:
    doc = encode_spans_json(retry_trace())
    doc["resourceSpans"][0]["scopeSpans"][0]["spans"][2]["traceId"] = ""
    batch = decode_otlp_json(doc)
    assert (len(batch.spans), batch.rejected) == (6, 1)
    assert "execute_tool search_web" in batch.errors[0]


def test_round_trip_through_json_and_json_lines() -> None:
    spans = retry_trace()
    doc = encode_spans_json(spans)
    assert decode_otlp_json(json.loads(json.dumps(doc))).spans == tuple(spans)
    lines = (json.dumps(doc) + "\n\n" + json.dumps(encode_logs_json([])) + "\n").encode()
    assert len(decode_json_bytes(lines).spans) == 7


def test_bad_input_says_where() -> None:
    with pytest.raises(OTLPDecodeError, match="invalid JSON"):
        decode_json_bytes(b'{"resourceSpans": [')
    with pytest.raises(OTLPDecodeError) as info:
        decode_json_bytes(b'{"resourceSpans": []}\n{"resourceSpans": [}\n')
    assert info.value.where == "line 2"
    with pytest.raises(OTLPDecodeError, match="not OTLP JSON"):
        decode_json_bytes(b'{"apiVersion": "v1"}')
    with pytest.raises(OTLPDecodeError, match="must be a list"):
        decode_json_bytes(b'{"resourceSpans": {"a": 1}}')
    with pytest.raises(OTLPDecodeError, match="UTF-8"):
        decode_json_bytes(b"\xff\xfe")
    with pytest.raises(OTLPDecodeError, match="expected an integer"):
        decode_json_bytes(b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"' + b"1" * 32
                          + b'","spanId":"' + b"2" * 16 + b'","startTimeUnixNano":true}]}]}]}')  # fmt: skip
    assert decode_json_bytes(b"  ").spans == ()


def test_pretty_printed_document_error_points_at_its_line() -> None:
    text = b'{\n  "resourceSpans": [\n    {"scopeSpans": [}\n  ]\n}\n'
    with pytest.raises(OTLPDecodeError, match="invalid JSON") as info:
        decode_json_bytes(text)
    assert info.value.where == "line 3"
