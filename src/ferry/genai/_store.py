"""The embedded trace store: SQLite, one transaction per ingest, retention limits, content dropped unless kept (I/O).

Why SQLite and not DuckDB: it ships with Python (no extra dependency), its write-ahead log gives one atomic
transaction per OTLP request with concurrent readers (the web view reads while the receiver writes), and the
workload is many small appends plus lookups by trace id, which a row store serves well. The analysis runs in
Python over one trace's spans at a time, so a columnar engine would buy little.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ferry.genai._content import CONTENT_EVENT_NAMES, strip_content
from ferry.genai._errors import StoreError
from ferry.genai._model import KIND_INTERNAL, STATUS_UNSET, Batch, LogRecord, MetricPoint, Span, SpanEvent
from ferry.genai._normalize import annotate_attempt_errors, event_name, normalize_spans, spans_from_events

__all__ = ["Retention", "TraceStore", "TraceSummary"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spans (
  trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_id TEXT NOT NULL, name TEXT NOT NULL,
  start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL, ingested_ns INTEGER NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (trace_id, span_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS traces (
  trace_id TEXT PRIMARY KEY, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL, span_count INTEGER NOT NULL,
  service TEXT NOT NULL, ingested_ns INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS traces_by_start ON traces (start_ns);
CREATE INDEX IF NOT EXISTS traces_by_ingest ON traces (ingested_ns);
CREATE TABLE IF NOT EXISTS logs (
  id INTEGER PRIMARY KEY, trace_id TEXT NOT NULL, time_ns INTEGER NOT NULL, ingested_ns INTEGER NOT NULL,
  event_name TEXT NOT NULL, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_by_ingest ON logs (ingested_ns);
CREATE TABLE IF NOT EXISTS metrics (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, time_ns INTEGER NOT NULL, ingested_ns INTEGER NOT NULL, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_by_ingest ON metrics (ingested_ns);
"""


@dataclass(frozen=True)
class Retention:
    """Limits the store keeps: at most ``max_spans`` spans (oldest traces go first), nothing older than
    ``max_age_s``, at most ``max_records`` log records and metric points each."""

    max_spans: int | None = 1_000_000
    max_age_s: float | None = None
    max_records: int | None = 1_000_000


@dataclass(frozen=True)
class TraceSummary:
    trace_id: str
    start_ns: int
    end_ns: int
    span_count: int
    service: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "start_ns": self.start_ns,
            "duration_ns": self.end_ns - self.start_ns,
            "span_count": self.span_count,
            "service": self.service,
        }


def _strip_span(span: Span) -> Span:
    attrs = strip_content(span.attributes)
    if not span.events:
        return span if attrs is span.attributes else replace(span, attributes=attrs)
    events = tuple(
        e if (kept := strip_content(e.attributes)) is e.attributes else replace(e, attributes=kept) for e in span.events
    )
    if attrs is span.attributes and all(a is b for a, b in zip(events, span.events, strict=True)):
        return span
    return replace(span, attributes=attrs, events=events)


_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False, default=str)
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
if _c_make_encoder is not None:
    # The C encoder JSONEncoder.encode builds on every call, built once: the same text, less work per row.
    _c_iterencode = _c_make_encoder(None, str, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True)

    def _encode(o: dict[str, Any]) -> str:
        return "".join(_c_iterencode(o, 0))

else:  # pragma: no cover - CPython always has the C encoder
    _encode = _ENCODER.encode


_quote = json.encoder.encode_basestring_ascii


def _encode_span(span: Span, resources: dict[int, tuple[Any, str]]) -> str:
    """The span's ``data`` column: what the row's other columns do not already hold, as compact JSON.

    Ids, name and times live in their own columns, so ``data`` carries only the kind, attributes, resource and scope,
    plus status, events and links when set. The shared resource is encoded once per request.
    """
    if span.events or span.links or type(span.kind) is not int or type(span.status_code) is not int:
        data: dict[str, Any] = {"kind": span.kind, "attributes": dict(span.attributes)}
        if span.status_code or span.status_message:
            data["status_code"] = span.status_code
            data["status_message"] = span.status_message
        if span.events:
            data["events"] = [
                {"name": e.name, "time_ns": e.time_ns, "attributes": dict(e.attributes)} for e in span.events
            ]
        if span.links:
            data["links"] = [{"trace_id": t, "span_id": s} for t, s in span.links]
        data["resource"] = dict(span.resource)
        data["scope"] = span.scope
        return _encode(data)
    cached = resources.get(id(span.resource))
    if cached is None or cached[0] is not span.resource:
        cached = (span.resource, _encode(dict(span.resource)))
        resources[id(span.resource)] = cached
    attributes = span.attributes
    status = (
        f',"status_code":{span.status_code},"status_message":{_quote(span.status_message)}'
        if span.status_code or span.status_message
        else ""
    )
    return (
        f'{{"kind":{span.kind},"attributes":{_encode(attributes if type(attributes) is dict else dict(attributes))}'
        f'{status},"resource":{cached[1]},"scope":{_quote(span.scope)}}}'
    )


_SPAN_COLUMNS = "trace_id, span_id, parent_id, name, start_ns, end_ns, data"


def _span_from_row(trace_id: str, span_id: str, parent_id: str, name: str, start: int, end: int, data: str) -> Span:
    """A span from its row (``data`` written by :func:`_encode_span`, or a whole span as earlier versions wrote)."""
    d = json.loads(data)
    return Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_id=parent_id,
        name=name,
        start_ns=int(start),
        end_ns=int(end),
        kind=int(d.get("kind", KIND_INTERNAL)),
        attributes=d.get("attributes", {}),
        status_code=int(d.get("status_code", STATUS_UNSET)),
        status_message=d.get("status_message", ""),
        events=tuple(
            SpanEvent(e["name"], int(e["time_ns"]), dict(e.get("attributes", {}))) for e in d.get("events", ())
        ),
        links=tuple((link["trace_id"], link["span_id"]) for link in d.get("links", ())),
        resource=d.get("resource", {}),
        scope=d.get("scope", ""),
    )


def _strip_log(record: LogRecord) -> LogRecord:
    body = record.body
    names_only = isinstance(body, str) and body.startswith(("claude_code.", "codex.", "gen_ai."))
    if event_name(record) in CONTENT_EVENT_NAMES or (body is not None and not names_only):
        body = None
    return replace(record, attributes=strip_content(record.attributes), body=body)


class TraceStore:
    """A SQLite file (or ``":memory:"``) of normalised spans, logs and metric points.

    Args:
        path: the database file.
        keep_content: keep prompts, completions and tool arguments/results (dropped on ingest by default).
        retention: limits enforced after every ingest.
    """

    def __init__(self, path: str | Path, *, keep_content: bool = False, retention: Retention | None = None) -> None:
        self.path = str(path)
        self.keep_content = keep_content
        self.retention = retention or Retention()
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=5.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA cache_size=-16000")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the trace store: {exc}", where=self.path) from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> TraceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def prepare(self, batch: Batch) -> Batch:
        """Normalise, add event-described spans, and drop content unless kept (pure; no write)."""
        spans = normalize_spans(annotate_attempt_errors(batch.spans, batch.logs) if batch.logs else batch.spans)
        if batch.logs or any(s.events for s in spans):  # without either, no event describes a span
            spans += normalize_spans(spans_from_events(spans, batch.logs))
        logs = list(batch.logs)
        if not self.keep_content:
            spans = [_strip_span(s) for s in spans]
            logs = [_strip_log(r) for r in logs]
        return Batch(tuple(spans), tuple(logs), batch.metrics, batch.rejected, batch.errors)

    def ingest(self, batch: Batch, *, now_ns: int | None = None) -> int:
        """Write ``batch`` in one transaction (all or nothing) and enforce retention; returns spans written."""
        prepared = self.prepare(batch)
        now = now_ns if now_ns is not None else time.time_ns()
        resources: dict[int, tuple[Any, str]] = {}
        span_rows = [
            (
                s.trace_id,
                s.span_id,
                s.parent_id,
                s.name,
                s.start_ns,
                s.end_ns,
                now,
                _encode_span(s, resources),
            )
            for s in prepared.spans
        ]
        log_rows = [(r.trace_id, r.time_ns, now, event_name(r), _encode(r.to_dict())) for r in prepared.logs]
        metric_rows = [(m.name, m.time_ns, now, _encode(m.to_dict())) for m in prepared.metrics]
        traces = sorted({s.trace_id for s in prepared.spans})
        with self._lock:
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
                db.executemany("INSERT OR REPLACE INTO spans VALUES (?, ?, ?, ?, ?, ?, ?, ?)", span_rows)
                db.executemany(
                    "INSERT INTO logs (trace_id, time_ns, ingested_ns, event_name, data) VALUES (?, ?, ?, ?, ?)",
                    log_rows,
                )
                db.executemany(
                    "INSERT INTO metrics (name, time_ns, ingested_ns, data) VALUES (?, ?, ?, ?)", metric_rows
                )
                db.executemany(
                    """INSERT OR REPLACE INTO traces
                       SELECT trace_id, MIN(start_ns), MAX(end_ns), COUNT(*),
                              COALESCE((SELECT json_extract(data, '$.resource."service.name"') FROM spans s2
                                        WHERE s2.trace_id = spans.trace_id AND s2.parent_id = '' LIMIT 1), ''),
                              ?
                       FROM spans WHERE trace_id = ? GROUP BY trace_id""",
                    [(now, t) for t in traces],
                )
                self._enforce(now)
                db.execute("COMMIT")
            except BaseException as exc:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                    raise StoreError("the trace store is busy", where=self.path, hint="retry later") from exc
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"cannot write to the trace store: {exc}", where=self.path) from exc
                raise
        return len(span_rows)

    def _enforce(self, now: int) -> None:
        db, r = self._db, self.retention
        if r.max_age_s is not None:
            cutoff = now - int(r.max_age_s * 1e9)
            db.execute(
                "DELETE FROM spans WHERE trace_id IN (SELECT trace_id FROM traces WHERE ingested_ns < ?)", (cutoff,)
            )
            db.execute("DELETE FROM traces WHERE ingested_ns < ?", (cutoff,))
            db.execute("DELETE FROM logs WHERE ingested_ns < ?", (cutoff,))
            db.execute("DELETE FROM metrics WHERE ingested_ns < ?", (cutoff,))
        if r.max_spans is not None:
            (total,) = db.execute("SELECT COALESCE(SUM(span_count), 0) FROM traces").fetchone()
            if total > r.max_spans:
                excess = total - r.max_spans
                victims: list[str] = []
                removed = 0
                for trace_id, count in db.execute(
                    "SELECT trace_id, span_count FROM traces ORDER BY ingested_ns, start_ns"
                ):
                    if removed >= excess:
                        break
                    victims.append(trace_id)
                    removed += count
                db.executemany("DELETE FROM spans WHERE trace_id = ?", [(v,) for v in victims])
                db.executemany("DELETE FROM traces WHERE trace_id = ?", [(v,) for v in victims])
        if r.max_records is not None:
            for table in ("logs", "metrics"):
                db.execute(
                    f"DELETE FROM {table} WHERE id <= (SELECT MAX(id) FROM {table}) - ?",
                    (r.max_records,),
                )

    def traces(self, *, limit: int = 100) -> list[TraceSummary]:
        """The most recent traces (by start time), newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT trace_id, start_ns, end_ns, span_count, service FROM traces ORDER BY start_ns DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [TraceSummary(*row) for row in rows]

    def spans(self, trace_id: str) -> list[Span]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_SPAN_COLUMNS} FROM spans WHERE trace_id = ? ORDER BY start_ns", (trace_id,)
            ).fetchall()
        return [_span_from_row(*row) for row in rows]

    def all_spans(self, trace_ids: Sequence[str] | None = None) -> list[Span]:
        with self._lock:
            rows = self._db.execute(f"SELECT {_SPAN_COLUMNS} FROM spans ORDER BY trace_id, start_ns").fetchall()
        spans = [_span_from_row(*row) for row in rows]
        if trace_ids is not None:
            wanted = set(trace_ids)
            spans = [s for s in spans if s.trace_id in wanted]
        return spans

    def logs(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT data FROM logs ORDER BY id").fetchall()
        return [json.loads(row[0]) for row in rows]

    def metrics(self) -> list[MetricPoint]:
        with self._lock:
            rows = self._db.execute("SELECT data FROM metrics ORDER BY id").fetchall()
        out = []
        for (data,) in rows:
            d = json.loads(data)
            out.append(
                MetricPoint(
                    d["name"], d["kind"], d["time_ns"], d["attributes"], d["value"], d["count"], d["sum"],
                    tuple(d["bounds"]), tuple(d["bucket_counts"]), d["unit"], d["resource"],
                )
            )  # fmt: skip
        return out

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {
                table: self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("spans", "traces", "logs", "metrics")
            }

    def ingest_many(self, batches: Iterable[Batch]) -> int:
        return sum(self.ingest(b) for b in batches)
