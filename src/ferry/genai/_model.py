"""The one model every source is normalised into: spans, events (log records) and metric points (pure data)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "KIND_CLIENT",
    "KIND_CONSUMER",
    "KIND_INTERNAL",
    "KIND_PRODUCER",
    "KIND_SERVER",
    "STATUS_ERROR",
    "STATUS_OK",
    "STATUS_UNSET",
    "Batch",
    "LogRecord",
    "MetricPoint",
    "Span",
    "SpanEvent",
]

KIND_INTERNAL = 1
KIND_SERVER = 2
KIND_CLIENT = 3
KIND_PRODUCER = 4
KIND_CONSUMER = 5

STATUS_UNSET = 0
STATUS_OK = 1
STATUS_ERROR = 2

Attributes = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class SpanEvent:
    """An event recorded on a span (``gen_ai.request.attempt``, ``exception``)."""

    name: str
    time_ns: int
    attributes: Attributes = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Span:
    """One span. Ids are lower-case hex; ``parent_id`` is ``""`` for a root. Links are never parents."""

    trace_id: str
    span_id: str
    parent_id: str
    name: str
    start_ns: int
    end_ns: int
    kind: int = KIND_INTERNAL
    attributes: Attributes = field(default_factory=dict)
    status_code: int = STATUS_UNSET
    status_message: str = ""
    events: tuple[SpanEvent, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    resource: Attributes = field(default_factory=dict)
    scope: str = ""

    @property
    def duration_ns(self) -> int:
        return max(0, self.end_ns - self.start_ns)

    @property
    def failed(self) -> bool:
        return self.status_code == STATUS_ERROR or "error.type" in self.attributes

    def to_dict(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_id": self.parent_id,
            "name": self.name,
            "kind": self.kind,
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "status_code": self.status_code,
            "status_message": self.status_message,
            "attributes": dict(self.attributes),
            "events": [{"name": e.name, "time_ns": e.time_ns, "attributes": dict(e.attributes)} for e in self.events],
            "links": [{"trace_id": t, "span_id": s} for t, s in self.links],
            "resource": dict(self.resource),
            "scope": self.scope,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Span:
        return cls(
            trace_id=data["trace_id"],
            span_id=data["span_id"],
            parent_id=data.get("parent_id", ""),
            name=data["name"],
            kind=int(data.get("kind", KIND_INTERNAL)),
            start_ns=int(data["start_ns"]),
            end_ns=int(data["end_ns"]),
            status_code=int(data.get("status_code", STATUS_UNSET)),
            status_message=data.get("status_message", ""),
            attributes=dict(data.get("attributes", {})),
            events=tuple(
                SpanEvent(e["name"], int(e["time_ns"]), dict(e.get("attributes", {}))) for e in data.get("events", ())
            ),
            links=tuple((link["trace_id"], link["span_id"]) for link in data.get("links", ())),
            resource=dict(data.get("resource", {})),
            scope=data.get("scope", ""),
        )


@dataclass(frozen=True, slots=True)
class LogRecord:
    """A log record; an *event* when ``event_name`` is set (``gen_ai.client.inference.operation.details``)."""

    time_ns: int
    event_name: str = ""
    body: Any = None
    attributes: Attributes = field(default_factory=dict)
    trace_id: str = ""
    span_id: str = ""
    severity_number: int = 0
    resource: Attributes = field(default_factory=dict)
    scope: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "time_ns": self.time_ns,
            "event_name": self.event_name,
            "body": self.body,
            "attributes": dict(self.attributes),
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "severity_number": self.severity_number,
            "resource": dict(self.resource),
            "scope": self.scope,
        }


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One data point of a metric, flattened: sums and gauges carry ``value``, histograms ``count``/``sum``/buckets."""

    name: str
    kind: str
    time_ns: int
    attributes: Attributes = field(default_factory=dict)
    value: float | None = None
    count: int | None = None
    total: float | None = None
    bounds: tuple[float, ...] = ()
    bucket_counts: tuple[int, ...] = ()
    unit: str = ""
    resource: Attributes = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "time_ns": self.time_ns,
            "attributes": dict(self.attributes),
            "value": self.value,
            "count": self.count,
            "sum": self.total,
            "bounds": list(self.bounds),
            "bucket_counts": list(self.bucket_counts),
            "unit": self.unit,
            "resource": dict(self.resource),
        }


@dataclass(frozen=True, slots=True)
class Batch:
    """What one OTLP request or file carried, decoded; ``rejected`` counts items dropped with ``errors`` saying why."""

    spans: tuple[Span, ...] = ()
    logs: tuple[LogRecord, ...] = ()
    metrics: tuple[MetricPoint, ...] = ()
    rejected: int = 0
    errors: tuple[str, ...] = ()

    def __add__(self, other: Batch) -> Batch:
        return Batch(
            self.spans + other.spans,
            self.logs + other.logs,
            self.metrics + other.metrics,
            self.rejected + other.rejected,
            self.errors + other.errors,
        )
