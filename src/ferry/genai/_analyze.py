"""Why one agent trace took as long as it did: critical path, attribution, retry loops, tokens and cost (pure).

Each critical-path section is attributed to one bucket by the span that owns it:

- ``retry``: time spent in attempts that were retried, and the backoff between them (see :func:`find_retry_loops`);
- ``model``: inference spans (``chat``, ``text_completion``, ``generate_content``, ``embeddings``) and what runs
  inside them (HTTP client spans);
- ``tool``: ``execute_tool`` spans (per tool) and what runs inside them;
- ``other``: orchestration (agent and workflow spans' own time), human waits and un-instrumented gaps.

The four buckets add up to the trace's duration.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ferry.genai._content import ARGUMENTS_DIGEST
from ferry.genai._critical_path import Section, SpanTree, build_tree, critical_path
from ferry.genai._model import Span
from ferry.genai._normalize import ATTEMPT_ERRORS, ATTEMPTS, CATEGORY, INFERENCE_OPERATIONS
from ferry.genai._pricing import PriceTable, TokenUsage

__all__ = ["RetryLoop", "TraceAnalysis", "analyze_trace", "analyze_traces", "category_of", "group_traces"]


def category_of(span: Span) -> str | None:
    """``model``, ``tool``, ``agent``, ``wait`` or None (a span that takes its parent's category)."""
    cat = span.attributes.get(CATEGORY)
    if isinstance(cat, str):
        return cat
    op = span.attributes.get("gen_ai.operation.name")
    if op in INFERENCE_OPERATIONS:
        return "model"
    if op in ("execute_tool", "retrieval"):
        return "tool"
    if op in ("invoke_agent", "invoke_workflow", "create_agent", "plan"):
        return "agent"
    return None


def _label(span: Span, category: str) -> str:
    attrs = span.attributes
    if category == "model":
        return str(attrs.get("gen_ai.request.model") or attrs.get("gen_ai.response.model") or span.name)
    if category == "tool":
        return str(attrs.get("gen_ai.tool.name") or attrs.get("gen_ai.data_source.id") or span.name)
    return span.name


def _error(span: Span) -> str | None:
    err = span.attributes.get("error.type")
    if err:
        return str(err)
    if span.status_code == 2:
        return span.status_message or "error"
    return None


@dataclass(frozen=True)
class RetryLoop:
    """Repeated attempts at one tool or model call.

    ``reason`` is ``same_error`` (each retried attempt failed with the same error), ``same_arguments`` (same
    arguments digest), ``after_error`` (retried after differing errors) or ``attempts`` (attempts reported inside
    one span: Claude Code's attempt events, or HTTP resends).
    """

    kind: str
    name: str
    attempts: int
    reason: str
    error_type: str | None
    span_ids: tuple[str, ...]
    start_ns: int
    retry_end_ns: int
    end_ns: int
    backoff_ns: int
    retry_ns: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "attempts": self.attempts,
            "reason": self.reason,
            "error_type": self.error_type,
            "span_ids": list(self.span_ids),
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "retry_ns": self.retry_ns,
            "backoff_ns": self.backoff_ns,
        }


@dataclass
class TraceAnalysis:
    """The analysis of one trace. :meth:`to_dict` is the ``ferry genai analyze --format json`` shape."""

    trace_id: str
    root_name: str
    start_ns: int
    duration_ns: int
    critical_path: list[Section]
    names: dict[str, str]
    model_ns: int
    tool_ns: int
    retry_ns: int
    other_ns: int
    retry_loops: list[RetryLoop]
    answer: str
    tools: dict[str, dict[str, int]] = field(default_factory=dict)
    models: dict[str, dict[str, int]] = field(default_factory=dict)
    tokens: dict[str, TokenUsage] = field(default_factory=dict)
    cost_usd: dict[str, float] = field(default_factory=dict)
    span_count: int = 0
    error_count: int = 0
    service: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "duration_ns": self.duration_ns,
            "critical_path": [
                {"span_id": s.span_id, "name": self.names[s.span_id], "start_ns": s.start_ns, "end_ns": s.end_ns}
                for s in self.critical_path
            ],
            "breakdown": {
                "model_ns": self.model_ns,
                "tool_ns": self.tool_ns,
                "retry_ns": self.retry_ns,
                "other_ns": self.other_ns,
            },
            "retry_loops": [loop.to_dict() for loop in self.retry_loops],
            "answer": self.answer,
        }

    def to_detail_dict(self) -> dict[str, Any]:
        """Everything, for the web view and ``ferry genai report``."""
        return {
            **self.to_dict(),
            "root_name": self.root_name,
            "service": self.service,
            "start_ns": self.start_ns,
            "span_count": self.span_count,
            "error_count": self.error_count,
            "tools": self.tools,
            "models": self.models,
            "tokens": {m: u.to_dict() for m, u in self.tokens.items()},
            "cost_usd": self.cost_usd,
        }


def group_traces(spans: Iterable[Span]) -> dict[str, list[Span]]:
    """Spans grouped by trace id, each trace's spans de-duplicated by span id (the last copy wins)."""
    traces: dict[str, dict[str, Span]] = defaultdict(dict)
    for s in spans:
        traces[s.trace_id][s.span_id] = s
    return {tid: list(by_id.values()) for tid, by_id in traces.items()}


def _effective_categories(tree: SpanTree) -> dict[str, tuple[str, str]]:
    cats: dict[str, str] = {}
    labels: dict[str, str] = {}
    stack = [(tree.root.span_id, "other", "")]
    while stack:
        sid, inherited, inherited_label = stack.pop()
        span = tree.spans[sid]
        own = category_of(span)
        if own == "model" or (own == "tool" and span.attributes.get(CATEGORY) != "tool"):
            cat, label = own, _label(span, own)
        elif own == "tool":
            # A tool body span (Claude Code's tool.execution) belongs to the tool call around it.
            cat, label = "tool", inherited_label if inherited == "tool" else _label(span, "tool")
        elif own in ("agent", "wait"):
            cat, label = "other", ""
        else:
            cat, label = inherited, inherited_label
        cats[sid] = cat
        labels[sid] = label
        stack.extend((child, cat, label) for child in tree.children.get(sid, ()))
    return {sid: (cats[sid], labels[sid]) for sid in cats}


def _subtree(tree: SpanTree, sid: str) -> list[str]:
    out, stack = [], [sid]
    while stack:
        cur = stack.pop()
        out.append(cur)
        stack.extend(tree.children.get(cur, ()))
    return out


def find_retry_loops(tree: SpanTree, cats: Mapping[str, tuple[str, str]]) -> list[tuple[RetryLoop, str, list[str]]]:
    """Retry loops with, for each, the span whose own time counts as backoff and the attempt spans."""
    loops: list[tuple[RetryLoop, str, list[str]]] = []
    for parent_id, kids in tree.children.items():
        ordered = sorted(kids, key=lambda k: (tree.window[k][0], k))
        run: list[str] = []

        def close(run: list[str], parent_id: str = parent_id) -> None:
            if len(run) < 2:
                return
            spans = [tree.spans[k] for k in run]
            kind, name = cats[run[0]]
            errors = [_error(s) for s in spans[:-1]]
            digests = {s.attributes.get(ARGUMENTS_DIGEST) for s in spans}
            if errors[0] and len(set(errors)) == 1:
                reason = "same_error"
            elif len(digests) == 1 and None not in digests:
                reason = "same_arguments"
            elif any(s.attributes.get("http.request.resend_count") for s in spans[1:]):
                reason = "attempts"
            else:
                reason = "after_error"
            gaps = sum(max(0, tree.window[b][0] - tree.window[a][1]) for a, b in itertools.pairwise(run))
            loop = RetryLoop(
                kind=kind,
                name=name,
                attempts=len(run),
                reason=reason,
                error_type=errors[0] if reason == "same_error" else None,
                span_ids=tuple(run),
                start_ns=tree.window[run[0]][0],
                retry_end_ns=tree.window[run[-1]][0],
                end_ns=tree.window[run[-1]][1],
                backoff_ns=gaps,
            )
            loops.append((loop, parent_id, run[:-1]))

        for k in ordered:
            cat = cats[k]
            own = category_of(tree.spans[k])
            is_call = own in ("model", "tool") or "http.request.resend_count" in tree.spans[k].attributes
            if run and is_call and cat == cats[run[-1]] and _repeats(tree.spans[run[-1]], tree.spans[k]):
                run.append(k)
                continue
            close(run)
            run = [k] if is_call and cat[0] in ("model", "tool") else []
        close(run)
    for sid, span in tree.spans.items():
        times = span.attributes.get(ATTEMPTS)
        if isinstance(times, list) and len(times) > 1:
            kind, name = cats[sid]
            start, end = tree.window[sid]
            last = min(max(int(t) for t in times), end)
            loop = RetryLoop(
                kind=kind if kind in ("model", "tool") else "model",
                name=name or span.name,
                attempts=len(times),
                reason="attempts",
                error_type=_error(span) or _most_common(span.attributes.get(ATTEMPT_ERRORS)),
                span_ids=(sid,),
                start_ns=start,
                retry_end_ns=last,
                end_ns=end,
                backoff_ns=0,
            )
            loops.append((loop, sid, []))
    return loops


def _most_common(values: Any) -> str | None:
    if not isinstance(values, list) or not values:
        return None
    return str(max(set(values), key=lambda v: (values.count(v), str(v))))


def _repeats(previous: Span, current: Span) -> bool:
    if "http.request.resend_count" in current.attributes and current.name == previous.name:
        return True
    digest_a = previous.attributes.get(ARGUMENTS_DIGEST)
    if digest_a is not None and digest_a == current.attributes.get(ARGUMENTS_DIGEST):
        return True
    return _error(previous) is not None


class _Windows:
    """Retry windows of one span, each tagged with its loop; answers overlaps in O(log n + hits)."""

    def __init__(self, windows: list[tuple[int, int, int]]) -> None:
        self.windows = sorted(windows)
        self.starts = [w[0] for w in self.windows]
        self.max_end: list[int] = []
        high = -(2**63)
        for w in self.windows:
            high = max(high, w[1])
            self.max_end.append(high)

    def overlaps(self, start: int, end: int) -> tuple[int, dict[int, int]]:
        """(the union of the windows inside ``[start, end)``, each loop's share)."""
        j = bisect.bisect_left(self.starts, end) - 1
        pieces: list[tuple[int, int]] = []
        per_loop: dict[int, int] = {}
        while j >= 0 and self.max_end[j] > start:
            ws, we, loop = self.windows[j]
            s, e = max(start, ws), min(end, we)
            if e > s:
                pieces.append((s, e))
                per_loop[loop] = per_loop.get(loop, 0) + e - s
            j -= 1
        total, cursor = 0, start
        for piece_start, piece_end in sorted(pieces):
            lo = max(piece_start, cursor)
            if piece_end > lo:
                total += piece_end - lo
                cursor = piece_end
        return total, per_loop


def _seconds(ns: int) -> str:
    s = ns / 1e9
    if s >= 10:
        return f"{s:.0f} s"
    if s >= 1:
        return f"{s:.1f} s"
    return f"{ns / 1e6:.0f} ms"


def _answer(a: TraceAnalysis) -> str:
    total = a.duration_ns
    if total <= 0:
        return "The trace has no duration."
    parts = {"model": a.model_ns, "tool": a.tool_ns, "retry": a.retry_ns, "other": a.other_ns}
    top = max(parts, key=lambda k: (parts[k], k == "retry"))
    share = f"{_seconds(parts[top])} of {_seconds(total)}"
    if top == "retry" and a.retry_loops:
        loop = max(a.retry_loops, key=lambda lp: lp.retry_ns)
        why = f" after {loop.error_type}" if loop.error_type else ""
        if loop.reason == "same_arguments":
            why = " with the same arguments"
        retries = f"{loop.attempts - 1} retr{'y' if loop.attempts == 2 else 'ies'}"
        lead = f"{share} were {retries} of {loop.kind} {loop.name}{why}"
        if loop.backoff_ns:
            lead += f" (including {_seconds(loop.backoff_ns)} of backoff)"
    elif top == "model":
        calls = sum(m.get("calls", 0) for m in a.models.values())
        busiest = max(a.models, key=lambda m: a.models[m]["critical_ns"]) if a.models else "the model"
        lead = f"{share} were spent waiting for the model ({calls} call{'s' if calls != 1 else ''}, mostly {busiest})"
    elif top == "tool":
        busiest = max(a.tools, key=lambda t: a.tools[t]["critical_ns"]) if a.tools else "?"
        info = a.tools.get(busiest, {})
        calls = info.get("calls", 0)
        lead = (
            f"{share} were spent in tools, mostly {busiest} "
            f"({_seconds(info.get('critical_ns', 0))} over {calls} call{'s' if calls != 1 else ''})"
        )
    else:
        lead = f"{share} were orchestration outside model and tool calls (agent code, waits or un-instrumented work)"
    rest = [
        f"{label} {_seconds(parts[key])}"
        for key, label in (("model", "model"), ("tool", "tools"), ("retry", "retries"), ("other", "other"))
        if key != top
    ]
    if top != "retry" and a.retry_ns and a.retry_loops:
        loop = max(a.retry_loops, key=lambda lp: lp.retry_ns)
        after = f" after {loop.error_type}" if loop.error_type else ""
        index = next(i for i, text in enumerate(rest) if text.startswith("retries "))
        rest[index] += f" ({loop.attempts - 1} of {loop.kind} {loop.name}{after})"
    return f"{lead}; {', '.join(rest)}."


def analyze_trace(spans: Sequence[Span], prices: PriceTable | None = None) -> TraceAnalysis:
    """Analyse one trace's (normalised) spans."""
    tree = build_tree(spans)
    path = critical_path(tree)
    cats = _effective_categories(tree)
    loops_info = find_retry_loops(tree, cats)
    raw_windows: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for index, (loop, owner, attempts) in enumerate(loops_info):
        window = (loop.start_ns, loop.retry_end_ns, index)
        raw_windows[owner].append(window)
        for sid in (s for a in attempts for s in _subtree(tree, a)) if attempts else _subtree(tree, owner)[1:]:
            raw_windows[sid].append(window)
    windows = {sid: _Windows(ws) for sid, ws in raw_windows.items()}
    loop_retry = [0] * len(loops_info)
    buckets = {"model": 0, "tool": 0, "retry": 0, "other": 0}
    tools: dict[str, dict[str, int]] = defaultdict(lambda: {"calls": 0, "errors": 0, "total_ns": 0, "critical_ns": 0})
    models: dict[str, dict[str, int]] = defaultdict(lambda: {"calls": 0, "errors": 0, "total_ns": 0, "critical_ns": 0})
    for section in path:
        retried = 0
        span_windows = windows.get(section.span_id)
        if span_windows is not None:
            retried, per_loop = span_windows.overlaps(section.start_ns, section.end_ns)
            for index, share in per_loop.items():
                loop_retry[index] += share
        rest = section.duration_ns - retried
        cat, label = cats[section.span_id]
        bucket = cat if cat in ("model", "tool") else "other"
        buckets["retry"] += retried
        buckets[bucket] += rest
        if bucket == "tool":
            tools[label]["critical_ns"] += rest
        elif bucket == "model":
            models[label]["critical_ns"] += rest
    tokens: dict[str, TokenUsage] = {}
    errors = 0
    for sid, span in tree.spans.items():
        own = category_of(span)
        err = _error(span)
        errors += err is not None
        if own == "tool" and span.attributes.get(CATEGORY) != "tool":
            info = tools[_label(span, "tool")]
            info["calls"] += 1
            info["errors"] += err is not None
            info["total_ns"] += span.duration_ns
        elif own == "model":
            label = _label(span, "model")
            info = models[label]
            info["calls"] += 1
            info["errors"] += err is not None
            info["total_ns"] += span.duration_ns
            usage = _usage(span.attributes)
            tokens.setdefault(label, TokenUsage()).add(usage)
        del sid
    loops = [_with_retry(loop, loop_retry[index]) for index, (loop, _, _) in enumerate(loops_info)]
    loops.sort(key=lambda lp: (lp.start_ns, lp.span_ids))
    cost = {}
    if prices is not None:
        for model, usage in tokens.items():
            value = prices.cost(model, usage)
            if value is not None:
                cost[model] = value
    root = tree.root
    start, end = tree.window[root.span_id]
    analysis = TraceAnalysis(
        trace_id=root.trace_id,
        root_name=root.name,
        start_ns=start,
        duration_ns=end - start,
        critical_path=path,
        names={sid: s.name for sid, s in tree.spans.items()},
        model_ns=buckets["model"],
        tool_ns=buckets["tool"],
        retry_ns=buckets["retry"],
        other_ns=buckets["other"],
        retry_loops=loops,
        answer="",
        tools=dict(sorted(tools.items())),
        models=dict(sorted(models.items())),
        tokens=dict(sorted(tokens.items())),
        cost_usd=dict(sorted(cost.items())),
        span_count=len(spans),
        error_count=errors,
        service=str(root.resource.get("service.name", "")),
    )
    analysis.answer = _answer(analysis)
    return analysis


def _with_retry(loop: RetryLoop, retry_ns: int) -> RetryLoop:
    return RetryLoop(
        loop.kind,
        loop.name,
        loop.attempts,
        loop.reason,
        loop.error_type,
        loop.span_ids,
        loop.start_ns,
        loop.retry_end_ns,
        loop.end_ns,
        loop.backoff_ns,
        retry_ns,
    )


def _int_attr(attrs: Mapping[str, Any], key: str) -> int:
    value = attrs.get(key)
    if isinstance(value, bool) or value is None:
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _usage(attrs: Mapping[str, Any]) -> TokenUsage:
    return TokenUsage(
        calls=1,
        input=_int_attr(attrs, "gen_ai.usage.input_tokens"),
        output=_int_attr(attrs, "gen_ai.usage.output_tokens"),
        cache_read=_int_attr(attrs, "gen_ai.usage.cache_read.input_tokens"),
        cache_creation=_int_attr(attrs, "gen_ai.usage.cache_creation.input_tokens"),
        reasoning=_int_attr(attrs, "gen_ai.usage.reasoning.output_tokens"),
    )


def analyze_traces(spans: Iterable[Span], prices: PriceTable | None = None) -> list[TraceAnalysis]:
    """Analyse every trace in ``spans``, in order of start time."""
    analyses = [analyze_trace(group, prices) for group in group_traces(spans).values()]
    return sorted(analyses, key=lambda a: (a.start_ns, a.trace_id))
