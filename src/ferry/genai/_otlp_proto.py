"""OTLP protobuf (``application/x-protobuf``) decoded into the model, with opentelemetry-proto (ferry[genai])."""

from __future__ import annotations

import base64
from typing import Any

from ferry._kernel import require
from ferry.genai._errors import OTLPDecodeError
from ferry.genai._model import Batch, LogRecord, MetricPoint, Span, SpanEvent
from ferry.genai._otlp_wire import Unusual, decode_trace_request

__all__ = ["SIGNALS", "decode_proto", "encode_response", "encode_status"]

SIGNALS = ("traces", "metrics", "logs")

_MODULES = {
    "traces": ("opentelemetry.proto.collector.trace.v1.trace_service_pb2", "ExportTraceService"),
    "metrics": ("opentelemetry.proto.collector.metrics.v1.metrics_service_pb2", "ExportMetricsService"),
    "logs": ("opentelemetry.proto.collector.logs.v1.logs_service_pb2", "ExportLogsService"),
}


def _module(signal: str) -> Any:
    return require(_MODULES[signal][0], extra="genai", feature="OTLP protobuf")


def _value(v: Any) -> Any:
    which = v.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [_value(x) for x in v.array_value.values]
    if which == "kvlist_value":
        return _attrs(v.kvlist_value.values)
    if which == "bytes_value":
        return base64.b64encode(v.bytes_value).decode()
    return getattr(v, which)


_SCALARS = frozenset({"string_value", "int_value", "double_value", "bool_value"})


def _attrs(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    scalars = _SCALARS
    for kv in items:
        value = kv.value
        which = value.WhichOneof("value")
        out[kv.key] = getattr(value, which) if which in scalars else _value(value)
    return out


_ZERO = {16: bytes(16), 8: bytes(8)}


def _hex(raw: bytes, size: int) -> str:
    return raw.hex() if len(raw) == size and raw != _ZERO[size] else ""


def _spans(req: Any) -> tuple[list[Span], int, list[str]]:
    out: list[Span] = []
    rejected = 0
    errors: list[str] = []
    for rs in req.resource_spans:
        resource = _attrs(rs.resource.attributes)
        for ss in rs.scope_spans:
            scope = ss.scope.name
            for s in ss.spans:
                trace_id, span_id = _hex(s.trace_id, 16), _hex(s.span_id, 8)
                if not trace_id or not span_id:
                    rejected += 1
                    errors.append(f"span {s.name!r} has no valid trace_id/span_id")
                    continue
                out.append(
                    Span(
                        trace_id=trace_id,
                        span_id=span_id,
                        parent_id=_hex(s.parent_span_id, 8),
                        name=s.name,
                        start_ns=s.start_time_unix_nano,
                        end_ns=s.end_time_unix_nano,
                        kind=s.kind or 1,
                        attributes=_attrs(s.attributes),
                        status_code=s.status.code,
                        status_message=s.status.message,
                        events=tuple(SpanEvent(e.name, e.time_unix_nano, _attrs(e.attributes)) for e in s.events)
                        if s.events
                        else (),
                        links=tuple((_hex(link.trace_id, 16), _hex(link.span_id, 8)) for link in s.links)
                        if s.links
                        else (),
                        resource=resource,
                        scope=scope,
                    )
                )
    return out, rejected, errors


def _logs(req: Any) -> list[LogRecord]:
    out: list[LogRecord] = []
    for rl in req.resource_logs:
        resource = _attrs(rl.resource.attributes)
        for sl in rl.scope_logs:
            for r in sl.log_records:
                out.append(
                    LogRecord(
                        time_ns=r.time_unix_nano or r.observed_time_unix_nano,
                        event_name=getattr(r, "event_name", ""),
                        body=_value(r.body) if r.HasField("body") else None,
                        attributes=_attrs(r.attributes),
                        trace_id=_hex(r.trace_id, 16),
                        span_id=_hex(r.span_id, 8),
                        severity_number=r.severity_number,
                        resource=resource,
                        scope=sl.scope.name,
                    )
                )
    return out


def _metrics(req: Any) -> list[MetricPoint]:
    out: list[MetricPoint] = []
    for rm in req.resource_metrics:
        resource = _attrs(rm.resource.attributes)
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                kind = m.WhichOneof("data")
                if kind in ("sum", "gauge"):
                    for dp in getattr(m, kind).data_points:
                        value = dp.as_double if dp.WhichOneof("value") == "as_double" else float(dp.as_int)
                        out.append(
                            MetricPoint(
                                m.name,
                                kind,
                                dp.time_unix_nano,
                                _attrs(dp.attributes),
                                value=value,
                                unit=m.unit,
                                resource=resource,
                            )
                        )
                elif kind in ("histogram", "exponential_histogram", "summary"):
                    for dp in getattr(m, kind).data_points:
                        out.append(
                            MetricPoint(
                                m.name,
                                "exponentialHistogram" if kind == "exponential_histogram" else kind,
                                dp.time_unix_nano,
                                _attrs(dp.attributes),
                                count=dp.count,
                                total=dp.sum,
                                bounds=tuple(getattr(dp, "explicit_bounds", ())),
                                bucket_counts=tuple(getattr(dp, "bucket_counts", ())),
                                unit=m.unit,
                                resource=resource,
                            )
                        )
    return out


def decode_proto(signal: str, data: bytes) -> Batch:
    """Decode an ``Export{Trace,Metrics,Logs}ServiceRequest``; malformed bytes raise :class:`OTLPDecodeError`.

    Traces are read by the wire-format walker first (the same result, cheaper); whatever it does not read
    (corrupt or unusual bytes) goes to the official decoder, which accepts it or says why not.
    """
    if signal == "traces":
        try:
            spans, rejected, errors = decode_trace_request(data)
        except Unusual:
            pass
        else:
            return Batch(spans=tuple(spans), rejected=rejected, errors=tuple(errors))
    module = _module(signal)
    request = getattr(module, _MODULES[signal][1] + "Request")()
    decode_error = require("google.protobuf.message", extra="genai", feature="OTLP protobuf").DecodeError
    try:
        request.ParseFromString(data)
    except decode_error as exc:
        raise OTLPDecodeError(f"malformed OTLP protobuf ({signal}): {exc}") from exc
    if signal == "traces":
        spans, rejected, errors = _spans(request)
        return Batch(spans=tuple(spans), rejected=rejected, errors=tuple(errors))
    if signal == "logs":
        return Batch(logs=tuple(_logs(request)))
    return Batch(metrics=tuple(_metrics(request)))


_REJECTED_FIELD = {"traces": "rejected_spans", "metrics": "rejected_data_points", "logs": "rejected_log_records"}


def encode_response(signal: str, rejected: int, message: str) -> bytes:
    """An ``Export*ServiceResponse``; ``partial_success`` is set only when something was rejected."""
    module = _module(signal)
    response = getattr(module, _MODULES[signal][1] + "Response")()
    if rejected:
        setattr(response.partial_success, _REJECTED_FIELD[signal], rejected)
        response.partial_success.error_message = message
    data: bytes = response.SerializeToString()
    return data


def encode_status(code: int, message: str) -> bytes:
    """A ``google.rpc.Status`` (the body OTLP/HTTP returns with an error)."""
    status_pb2 = require("google.rpc.status_pb2", extra="genai", feature="OTLP error responses")
    data: bytes = status_pb2.Status(code=code, message=message).SerializeToString()
    return data
