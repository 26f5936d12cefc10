"""The SQLite store: content dropped unless kept, all-or-nothing writes, retention."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from genai_builders import agent, chat, retry_trace, tool

from ferry.genai import Batch, LogRecord, Retention, Span, StoreError, TraceStore


def _with_content() -> list[Span]:
    return [
        agent(1, 0, 3),
        chat(2, 1, 0, 1, gen_ai__input__messages='[{"role":"user","parts":[{"type":"text","content":"s3cret"}]}]'),
        tool(3, 1, 1, 2, "read", gen_ai__tool__call__arguments='{"path":"/etc/s3cret"}'),
    ]


def _raw(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return json.dumps([r for t in ("spans", "logs") for r in conn.execute(f"SELECT * FROM {t}")])


def test_content_is_dropped_on_ingest_but_digest_kept(tmp_path: Path) -> None:
    log = LogRecord(
        1, event_name="gen_ai.user.message", body={"content": "s3cret"}, attributes={"gen_ai.prompt": "s3cret"}
    )
    with TraceStore(tmp_path / "s.sqlite") as store:
        assert store.ingest(Batch(spans=tuple(_with_content()), logs=(log,))) == 3
        spans = store.spans(_with_content()[0].trace_id)
    assert "s3cret" not in _raw(tmp_path / "s.sqlite")
    read = next(s for s in spans if s.name == "execute_tool read")
    assert "ferry.genai.arguments_digest" in read.attributes


def test_content_is_kept_when_asked(tmp_path: Path) -> None:
    with TraceStore(tmp_path / "s.sqlite", keep_content=True) as store:
        store.ingest(Batch(spans=tuple(_with_content())))
    assert "s3cret" in _raw(tmp_path / "s.sqlite")


def test_a_failing_write_leaves_nothing(tmp_path: Path) -> None:
    with TraceStore(tmp_path / "s.sqlite") as store:
        store.ingest(Batch(spans=tuple(retry_trace())))
        before = store.counts()
        poisoned = Batch(spans=(*_with_content(), replace(_with_content()[0], span_id="ab" * 8, start_ns=2**70)))
        with pytest.raises((StoreError, OverflowError)):
            store.ingest(poisoned)
        assert store.counts() == before


def test_retention_by_span_count_drops_oldest_traces(tmp_path: Path) -> None:
    with TraceStore(tmp_path / "s.sqlite", retention=Retention(max_spans=10)) as store:
        for n in range(5):
            spans = [replace(s, trace_id=f"{n + 1:032x}") for s in retry_trace()]
            store.ingest(Batch(spans=tuple(spans)), now_ns=n)
        counts = store.counts()
        assert counts["spans"] <= 10
        assert [t.trace_id for t in store.traces()] == [f"{5:032x}"]


def test_retention_by_age(tmp_path: Path) -> None:
    with TraceStore(tmp_path / "s.sqlite", retention=Retention(max_age_s=10)) as store:
        store.ingest(Batch(spans=tuple(retry_trace())), now_ns=0)
        newer = [replace(s, trace_id="f" * 32) for s in retry_trace()]
        store.ingest(Batch(spans=tuple(newer)), now_ns=11 * 10**9)
        assert [t.trace_id for t in store.traces()] == ["f" * 32]


def test_unopenable_store_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open"):
        TraceStore(tmp_path / "missing-dir" / "s.sqlite")


def _full_spans() -> list[Span]:
    from ferry.genai import SpanEvent

    resource = {"service.name": "agent", "host.name": "h"}
    return [
        Span("a" * 32, "1" * 16, "", "invoke_agent a", 10, 90, 1, {"gen_ai.operation.name": "invoke_agent"},
             resource=resource, scope="lib"),
        Span("a" * 32, "2" * 16, "1" * 16, "chat m", 20, 80, 3,
             {"gen_ai.operation.name": "chat", "n": 3, "f": 0.5, "b": True, "l": [1, "x"], "d": {"k": None}},
             status_code=2, status_message="boom",
             events=(SpanEvent("gen_ai.request.attempt", 21, {"attempt": 1}), SpanEvent("exception", 22)),
             links=(("b" * 32, "3" * 16),), resource=resource, scope="lib"),
        Span("a" * 32, "4" * 16, "1" * 16, "chat m", 30, 40, 3, {"gen_ai.operation.name": "chat"},
             status_code=1, resource={}, scope=""),
    ]  # fmt: skip


def test_spans_read_back_exactly_as_written(tmp_path: Path) -> None:
    with TraceStore(tmp_path / "s.sqlite", keep_content=True) as store:
        spans = _full_spans()
        store.ingest(Batch(spans=tuple(spans)))
        assert store.spans("a" * 32) == spans
        assert store.all_spans() == spans
        (summary,) = store.traces()
        assert (summary.span_count, summary.service, summary.start_ns, summary.end_ns) == (3, "agent", 10, 90)


def test_rows_written_as_whole_spans_by_earlier_versions_still_read(tmp_path: Path) -> None:
    spans = _full_spans()
    with TraceStore(tmp_path / "s.sqlite") as store:
        store.ingest(Batch(spans=(spans[0],)))
    with sqlite3.connect(tmp_path / "s.sqlite") as conn:
        conn.executemany(
            "INSERT INTO spans VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
            [
                (s.trace_id, s.span_id, s.parent_id, s.name, s.start_ns, s.end_ns, json.dumps(s.to_dict()))
                for s in spans[1:]
            ],
        )
    with TraceStore(tmp_path / "s.sqlite") as store:
        assert store.spans("a" * 32) == spans
