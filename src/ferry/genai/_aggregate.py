"""Across traces: percentiles per operation, tool and model; the slowest traces; regressions between windows (pure)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ferry.genai._analyze import TraceAnalysis, category_of
from ferry.genai._model import Span
from ferry.genai._pricing import TokenUsage

__all__ = ["Regression", "Stats", "percentile", "percentiles_by", "regressions", "slowest", "summarize"]

_QUANTILES = (50, 90, 95, 99)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile with linear interpolation between closest ranks (``values`` need not be sorted)."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Stats:
    """Duration percentiles (ns) of one group of spans or traces."""

    key: str
    count: int
    p50: float
    p90: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, key: str, values: Sequence[float]) -> Stats:
        p = [percentile(values, q) for q in _QUANTILES]
        return cls(key, len(values), p[0], p[1], p[2], p[3], float(max(values)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "count": self.count,
            "p50_ns": round(self.p50),
            "p90_ns": round(self.p90),
            "p95_ns": round(self.p95),
            "p99_ns": round(self.p99),
            "max_ns": round(self.max),
        }


def _keys(span: Span) -> Iterable[tuple[str, str]]:
    attrs = span.attributes
    op = attrs.get("gen_ai.operation.name")
    if isinstance(op, str):
        yield "operation", op
    cat = category_of(span)
    if cat == "tool" and attrs.get("gen_ai.tool.name"):
        yield "tool", str(attrs["gen_ai.tool.name"])
    if cat == "model":
        model = attrs.get("gen_ai.request.model") or attrs.get("gen_ai.response.model")
        if model:
            yield "model", str(model)


def percentiles_by(spans: Iterable[Span]) -> dict[str, list[Stats]]:
    """``{"operation": [...], "tool": [...], "model": [...]}`` span-duration percentiles, keys sorted."""
    groups: dict[str, dict[str, list[float]]] = {
        "operation": defaultdict(list),
        "tool": defaultdict(list),
        "model": defaultdict(list),
    }
    for span in spans:
        for dimension, key in _keys(span):
            groups[dimension][key].append(span.duration_ns)
    return {dim: [Stats.of(k, v) for k, v in sorted(by.items())] for dim, by in groups.items()}


def slowest(analyses: Iterable[TraceAnalysis], n: int = 10) -> list[TraceAnalysis]:
    """The ``n`` longest traces, longest first."""
    return sorted(analyses, key=lambda a: (-a.duration_ns, a.trace_id))[:n]


@dataclass(frozen=True)
class Regression:
    """A key whose p50 or p95 grew from window A to window B by more than the threshold."""

    dimension: str
    key: str
    before: Stats
    after: Stats
    ratio_p50: float
    ratio_p95: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "key": self.key,
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
            "ratio_p50": round(self.ratio_p50, 3),
            "ratio_p95": round(self.ratio_p95, 3),
        }


def regressions(
    before: Iterable[Span],
    after: Iterable[Span],
    *,
    before_traces: Sequence[TraceAnalysis] = (),
    after_traces: Sequence[TraceAnalysis] = (),
    threshold: float = 1.2,
    min_count: int = 3,
) -> list[Regression]:
    """Keys (operations, tools, models, and whole traces) slower in ``after`` than in ``before``, worst first."""
    a, b = percentiles_by(before), percentiles_by(after)
    if before_traces and after_traces:
        a["trace"] = [Stats.of("end_to_end", [t.duration_ns for t in before_traces])]
        b["trace"] = [Stats.of("end_to_end", [t.duration_ns for t in after_traces])]
    found: list[Regression] = []
    for dimension, stats in b.items():
        old = {s.key: s for s in a.get(dimension, [])}
        for new in stats:
            prev = old.get(new.key)
            if prev is None or prev.count < min_count or new.count < min_count:
                continue
            r50 = new.p50 / prev.p50 if prev.p50 else math.inf
            r95 = new.p95 / prev.p95 if prev.p95 else math.inf
            if r50 >= threshold or r95 >= threshold:
                found.append(Regression(dimension, new.key, prev, new, r50, r95))
    return sorted(found, key=lambda r: (-max(r.ratio_p50, r.ratio_p95), r.dimension, r.key))


def summarize(
    spans: Sequence[Span],
    analyses: Sequence[TraceAnalysis],
    *,
    slowest_n: int = 10,
    split_at_ns: int | None = None,
    threshold: float = 1.2,
) -> dict[str, Any]:
    """The ``ferry genai report`` document: percentiles, slowest traces, tokens and cost, regressions."""
    tokens: dict[str, TokenUsage] = {}
    cost: dict[str, float] = {}
    for a in analyses:
        for model, usage in a.tokens.items():
            tokens.setdefault(model, TokenUsage()).add(usage)
        for model, usd in a.cost_usd.items():
            cost[model] = round(cost.get(model, 0.0) + usd, 6)
    found: list[Regression] | None = None
    if split_at_ns is not None:
        starts = {a.trace_id: a.start_ns for a in analyses}
        before = [s for s in spans if starts.get(s.trace_id, 0) < split_at_ns]
        after = [s for s in spans if starts.get(s.trace_id, 0) >= split_at_ns]
        found = regressions(
            before,
            after,
            before_traces=[a for a in analyses if a.start_ns < split_at_ns],
            after_traces=[a for a in analyses if a.start_ns >= split_at_ns],
            threshold=threshold,
        )
    return {
        "trace_count": len(analyses),
        "span_count": len(spans),
        "percentiles": {dim: [s.to_dict() for s in stats] for dim, stats in percentiles_by(spans).items()},
        "slowest": [
            {"trace_id": a.trace_id, "root_name": a.root_name, "duration_ns": a.duration_ns, "answer": a.answer}
            for a in slowest(analyses, slowest_n)
        ],
        "tokens": {m: u.to_dict() for m, u in sorted(tokens.items())},
        "cost_usd": dict(sorted(cost.items())),
        "regressions": None if found is None else [r.to_dict() for r in found],
    }
