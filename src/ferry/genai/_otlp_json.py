"""OTLP JSON (the OTLP/HTTP JSON encoding and the file exporter's JSON lines) decoded into the model (pure).

OTLP JSON differs from proto3 JSON: ids are hex, enums are integers, 64-bit integers may be strings. Unknown fields
are ignored. A span without a valid trace or span id is rejected and counted; everything else in the payload stays.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ferry.genai._errors import OTLPDecodeError
from ferry.genai._model import Batch, LogRecord, MetricPoint, Span, SpanEvent

__all__ = [
    "any_value",
    "decode_json_bytes",
    "decode_otlp_json",
    "encode_logs_json",
    "encode_spans_json",
    "hex_id",
    "split_json_documents",
    "to_any_value",
]

_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def hex_id(value: Any, size: int) -> str:
    """A lower-case hex id of ``size`` bytes, or ``""`` when missing, malformed or all zero."""
    if not isinstance(value, str) or len(value) != size * 2:
        return ""
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return ""
    return "" if not any(raw) else raw.hex()


def _int(value: Any, default: int = 0) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise OTLPDecodeError(f"expected an integer, got {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise OTLPDecodeError(f"expected an integer, got {value!r}") from exc


def _float(value: Any) -> float:
    if isinstance(value, str) and value in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[value]
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise OTLPDecodeError(f"expected a number, got {value!r}") from exc


def any_value(value: Any) -> Any:
    """Decode an OTLP ``AnyValue`` into a Python value (bytes stay base64 text)."""
    if not isinstance(value, Mapping):
        return None
    if "stringValue" in value:
        return str(value["stringValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "intValue" in value:
        return _int(value["intValue"])
    if "doubleValue" in value:
        return _float(value["doubleValue"])
    if "arrayValue" in value:
        return [any_value(v) for v in (value["arrayValue"] or {}).get("values", ()) or ()]
    if "kvlistValue" in value:
        return attributes((value["kvlistValue"] or {}).get("values", ()))
    if "bytesValue" in value:
        return str(value["bytesValue"])
    return None


def attributes(items: Any) -> dict[str, Any]:
    """Decode a list of ``KeyValue`` into a dict (later duplicates win)."""
    out: dict[str, Any] = {}
    if not isinstance(items, list):
        return out
    for item in items:
        if isinstance(item, Mapping) and isinstance(item.get("key"), str):
            out[item["key"]] = any_value(item.get("value"))
    return out


def _list(container: Mapping[str, Any], key: str) -> list[Any]:
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise OTLPDecodeError(f"'{key}' must be a list, got {type(value).__name__}")
    return value


def _spans(body: Mapping[str, Any]) -> tuple[list[Span], int, list[str]]:
    spans: list[Span] = []
    rejected = 0
    errors: list[str] = []
    for rs in _list(body, "resourceSpans"):
        resource = attributes((rs.get("resource") or {}).get("attributes"))
        for ss in _list(rs, "scopeSpans") or _list(rs, "instrumentationLibrarySpans"):
            scope = str((ss.get("scope") or ss.get("instrumentationLibrary") or {}).get("name", ""))
            for raw in _list(ss, "spans"):
                trace_id = hex_id(raw.get("traceId"), 16)
                span_id = hex_id(raw.get("spanId"), 8)
                if not trace_id or not span_id:
                    rejected += 1
                    errors.append(f"span {raw.get('name', '?')!r} has no valid traceId/spanId")
                    continue
                status = raw.get("status") or {}
                spans.append(
                    Span(
                        trace_id=trace_id,
                        span_id=span_id,
                        parent_id=hex_id(raw.get("parentSpanId"), 8),
                        name=str(raw.get("name", "")),
                        kind=_int(raw.get("kind"), 1) or 1,
                        start_ns=_int(raw.get("startTimeUnixNano")),
                        end_ns=_int(raw.get("endTimeUnixNano")),
                        attributes=attributes(raw.get("attributes")),
                        status_code=_int(status.get("code")),
                        status_message=str(status.get("message", "")),
                        events=tuple(
                            SpanEvent(
                                str(e.get("name", "")), _int(e.get("timeUnixNano")), attributes(e.get("attributes"))
                            )
                            for e in _list(raw, "events")
                        ),
                        links=tuple(
                            (hex_id(link.get("traceId"), 16), hex_id(link.get("spanId"), 8))
                            for link in _list(raw, "links")
                        ),
                        resource=resource,
                        scope=scope,
                    )
                )
    return spans, rejected, errors


def _logs(body: Mapping[str, Any]) -> list[LogRecord]:
    logs: list[LogRecord] = []
    for rl in _list(body, "resourceLogs"):
        resource = attributes((rl.get("resource") or {}).get("attributes"))
        for sl in _list(rl, "scopeLogs"):
            scope = str((sl.get("scope") or {}).get("name", ""))
            for raw in _list(sl, "logRecords"):
                logs.append(
                    LogRecord(
                        time_ns=_int(raw.get("timeUnixNano")) or _int(raw.get("observedTimeUnixNano")),
                        event_name=str(raw.get("eventName", "")),
                        body=any_value(raw.get("body")),
                        attributes=attributes(raw.get("attributes")),
                        trace_id=hex_id(raw.get("traceId"), 16),
                        span_id=hex_id(raw.get("spanId"), 8),
                        severity_number=_int(raw.get("severityNumber")),
                        resource=resource,
                        scope=scope,
                    )
                )
    return logs


def _points(
    name: str, unit: str, kind: str, data: Mapping[str, Any], resource: dict[str, Any]
) -> Iterator[MetricPoint]:
    for dp in _list(data, "dataPoints"):
        time_ns = _int(dp.get("timeUnixNano"))
        attrs = attributes(dp.get("attributes"))
        if kind in ("sum", "gauge"):
            value = _float(dp["asDouble"]) if "asDouble" in dp else float(_int(dp.get("asInt")))
            yield MetricPoint(name, kind, time_ns, attrs, value=value, unit=unit, resource=resource)
        else:
            yield MetricPoint(
                name,
                kind,
                time_ns,
                attrs,
                count=_int(dp.get("count")),
                total=_float(dp["sum"]) if "sum" in dp else None,
                bounds=tuple(_float(b) for b in dp.get("explicitBounds", ()) or ()),
                bucket_counts=tuple(_int(c) for c in dp.get("bucketCounts", ()) or ()),
                unit=unit,
                resource=resource,
            )


def _metrics(body: Mapping[str, Any]) -> list[MetricPoint]:
    points: list[MetricPoint] = []
    for rm in _list(body, "resourceMetrics"):
        resource = attributes((rm.get("resource") or {}).get("attributes"))
        for sm in _list(rm, "scopeMetrics"):
            for metric in _list(sm, "metrics"):
                name = str(metric.get("name", ""))
                unit = str(metric.get("unit", ""))
                for kind in ("sum", "gauge", "histogram", "exponentialHistogram", "summary"):
                    if isinstance(metric.get(kind), Mapping):
                        points.extend(_points(name, unit, kind, metric[kind], resource))
    return points


def decode_otlp_json(body: Any) -> Batch:
    """Decode one OTLP JSON document (an export request or ``TracesData``/``LogsData``/``MetricsData``)."""
    if not isinstance(body, Mapping):
        raise OTLPDecodeError(f"an OTLP JSON document must be an object, got {type(body).__name__}")
    if not {"resourceSpans", "resourceLogs", "resourceMetrics"} & set(body):
        raise OTLPDecodeError("not OTLP JSON: no resourceSpans, resourceLogs or resourceMetrics")
    try:
        spans, rejected, errors = _spans(body)
        logs = _logs(body)
        metrics = _metrics(body)
    except (AttributeError, KeyError, TypeError) as exc:
        raise OTLPDecodeError(f"malformed OTLP JSON: {type(exc).__name__}: {exc}") from exc
    return Batch(tuple(spans), tuple(logs), tuple(metrics), rejected, tuple(errors))


def split_json_documents(text: str) -> Iterable[tuple[int, Any]]:
    """One JSON document, or JSON lines: yields ``(line, document)``; a bad line raises with its number."""
    stripped = text.strip()
    if not stripped:
        return []
    try:
        return [(1, json.loads(stripped))]
    except json.JSONDecodeError as whole_error:
        docs: list[tuple[int, Any]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                docs.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                if not docs:
                    # Not JSON lines either: report the error of the document as a whole.
                    raise OTLPDecodeError(
                        f"invalid JSON: {whole_error.msg} (column {whole_error.colno})",
                        where=f"line {whole_error.lineno}",
                    ) from exc
                raise OTLPDecodeError(f"invalid JSON line: {exc.msg}", where=f"line {number}") from exc
        return docs


def decode_json_bytes(data: bytes) -> Batch:
    """Decode an OTLP JSON body or JSON-lines text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OTLPDecodeError(f"OTLP JSON must be UTF-8: {exc.reason} at byte {exc.start}") from exc
    batch = Batch()
    for line, doc in split_json_documents(text):
        try:
            batch = batch + decode_otlp_json(doc)
        except OTLPDecodeError as exc:
            raise OTLPDecodeError(exc.message, where=f"line {line}") from exc
    return batch


def to_any_value(value: Any) -> dict[str, Any]:
    """Encode a Python value as an OTLP JSON ``AnyValue``."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list | tuple):
        return {"arrayValue": {"values": [to_any_value(v) for v in value]}}
    if isinstance(value, Mapping):
        return {"kvlistValue": {"values": to_key_values(value)}}
    if value is None:
        return {}
    return {"stringValue": str(value)}


def to_key_values(attrs: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": to_any_value(v)} for k, v in attrs.items()]


def encode_spans_json(spans: Iterable[Span]) -> dict[str, Any]:
    """An OTLP JSON ``ExportTraceServiceRequest`` for ``spans`` (grouped by resource and scope)."""
    groups: dict[str, tuple[Mapping[str, Any], dict[str, list[dict[str, Any]]]]] = {}
    for s in spans:
        res_key = json.dumps(dict(s.resource), sort_keys=True, default=str)
        _, scopes = groups.setdefault(res_key, (s.resource, {}))
        raw: dict[str, Any] = {
            "traceId": s.trace_id,
            "spanId": s.span_id,
            "name": s.name,
            "kind": s.kind,
            "startTimeUnixNano": str(s.start_ns),
            "endTimeUnixNano": str(s.end_ns),
            "attributes": to_key_values(s.attributes),
        }
        if s.parent_id:
            raw["parentSpanId"] = s.parent_id
        if s.status_code:
            raw["status"] = {"code": s.status_code, **({"message": s.status_message} if s.status_message else {})}
        if s.events:
            raw["events"] = [
                {"name": e.name, "timeUnixNano": str(e.time_ns), "attributes": to_key_values(e.attributes)}
                for e in s.events
            ]
        if s.links:
            raw["links"] = [{"traceId": t, "spanId": i} for t, i in s.links]
        scopes.setdefault(s.scope, []).append(raw)
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": to_key_values(resource)},
                "scopeSpans": [{"scope": {"name": name}, "spans": items} for name, items in scopes.items()],
            }
            for resource, scopes in groups.values()
        ]
    }


def encode_logs_json(records: Iterable[LogRecord]) -> dict[str, Any]:
    """An OTLP JSON ``ExportLogsServiceRequest`` for ``records``."""
    groups: dict[str, tuple[Mapping[str, Any], list[dict[str, Any]]]] = {}
    for r in records:
        res_key = json.dumps(dict(r.resource), sort_keys=True, default=str)
        _, items = groups.setdefault(res_key, (r.resource, []))
        raw: dict[str, Any] = {
            "timeUnixNano": str(r.time_ns),
            "severityNumber": r.severity_number,
            "attributes": to_key_values(r.attributes),
        }
        if r.event_name:
            raw["eventName"] = r.event_name
        if r.body is not None:
            raw["body"] = to_any_value(r.body)
        if r.trace_id:
            raw["traceId"] = r.trace_id
        if r.span_id:
            raw["spanId"] = r.span_id
        items.append(raw)
    return {
        "resourceLogs": [
            {
                "resource": {"attributes": to_key_values(res)},
                "scopeLogs": [{"scope": {"name": "ferry"}, "logRecords": items}],
            }
            for res, items in groups.values()
        ]
    }
