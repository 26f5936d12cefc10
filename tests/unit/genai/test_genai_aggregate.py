"""Percentiles, slowest traces and regressions between windows."""

from __future__ import annotations

from dataclasses import replace

import pytest
from genai_builders import S, agent, chat, tool

from ferry.genai import analyze_traces, percentile, percentiles_by, regressions, slowest, summarize


def _trace(n: int, tool_s: float, model_s: float = 1.0) -> list:  # type: ignore[type-arg]
    t = f"{n:032x}"
    total = model_s + tool_s + 1
    spans = [
        agent(1, 0, total),
        chat(2, 1, 0.1, 0.1 + model_s),
        tool(3, 1, 0.2 + model_s, 0.2 + model_s + tool_s, "fetch"),
    ]
    shift = n * 100 * S
    return [replace(s, trace_id=t, start_ns=s.start_ns + shift, end_ns=s.end_ns + shift) for s in spans]


def test_percentile_interpolates() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5], 99) == 5
    assert percentile([1, 2, 3, 4, 5], 90) == pytest.approx(4.6)
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_percentiles_by_operation_tool_model() -> None:
    spans = [s for n in range(4) for s in _trace(n, tool_s=n + 1)]
    by = percentiles_by(spans)
    assert [s.key for s in by["operation"]] == ["chat", "execute_tool", "invoke_agent"]
    (fetch,) = by["tool"]
    assert (fetch.count, fetch.p50, fetch.max) == (4, 2.5 * S, 4 * S)
    assert [s.key for s in by["model"]] == ["gpt-4o"]


def test_slowest_and_regressions() -> None:
    spans = [s for n in range(10) for s in _trace(n, tool_s=1 if n < 5 else 3 + n / 10)]
    analyses = analyze_traces(spans)
    assert [a.trace_id for a in slowest(analyses, 2)] == [f"{9:032x}", f"{8:032x}"]
    split = 500 * S
    found = regressions([s for s in spans if s.start_ns < split], [s for s in spans if s.start_ns >= split])
    keys = {(r.dimension, r.key) for r in found}
    assert ("tool", "fetch") in keys and ("operation", "execute_tool") in keys
    assert ("model", "gpt-4o") not in keys
    fetch = next(r for r in found if r.key == "fetch")
    assert fetch.ratio_p50 == pytest.approx(3.7)
    summary = summarize(spans, analyses, slowest_n=3, split_at_ns=split)
    assert summary["trace_count"] == 10
    assert len(summary["slowest"]) == 3
    assert summary["tokens"]["gpt-4o"]["calls"] == 10
    assert any(r["dimension"] == "trace" for r in summary["regressions"])
    assert summarize(spans, analyses)["regressions"] is None
