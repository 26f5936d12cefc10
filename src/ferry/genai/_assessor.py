"""The genai section of ``ferry assess``: agent telemetry in the estate's ``traces/`` (content captured without
opt-in; slow agents and why)."""

from __future__ import annotations

import json

from ferry._kernel import Artifact, Chart, Estate, Finding, Section, Severity, SourceRef
from ferry.genai._analyze import TraceAnalysis, analyze_traces
from ferry.genai._content import CONTENT_EVENT_NAMES, content_keys
from ferry.genai._errors import OTLPDecodeError
from ferry.genai._model import Batch
from ferry.genai._normalize import annotate_attempt_errors, event_name, normalize_spans, spans_from_events
from ferry.genai._otlp_json import decode_json_bytes

__all__ = ["SLOW_NS", "assess_estate"]

SLOW_NS = 1_000_000_000
"""A trace at least this long is a slow agent worth explaining."""
_RETRY_SHARE = 0.25

_CAPTURE_HINT = (
    "the GenAI conventions make content opt-in: unset OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT "
    "(and OTEL_LOG_USER_PROMPTS / OTEL_LOG_TOOL_DETAILS for Claude Code, TRACELOOP_TRACE_CONTENT=false for "
    "OpenLLMetry, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=false for OpenLIT); ferry genai serve drops "
    "content on ingest unless --keep-content"
)


def _content_findings(path: str, batch: Batch) -> list[Finding]:
    found: dict[str, set[str]] = {}
    for span in batch.spans:
        keys = content_keys(span.attributes) + [k for e in span.events for k in content_keys(e.attributes)]
        if keys:
            found.setdefault(span.trace_id, set()).update(keys)
    for record in batch.logs:
        keys = content_keys(record.attributes)
        if event_name(record) in CONTENT_EVENT_NAMES and record.body not in (None, ""):
            keys.append(f"{event_name(record)} body")
        if keys:
            found.setdefault(record.trace_id or "(no trace)", set()).update(keys)
    return [
        Finding(
            "genai.content-captured",
            Severity.ERROR,
            f"telemetry carries prompts, completions or tool data ({', '.join(sorted(keys))}) without an opt-in",
            obj=f"trace {trace_id}",
            source=SourceRef(path),
            hint=_CAPTURE_HINT,
            details={"keys": sorted(keys)},
        )
        for trace_id, keys in sorted(found.items())
    ]


def _slow_finding(path: str, a: TraceAnalysis) -> Finding | None:
    if a.duration_ns < SLOW_NS:
        return None
    retry_share = a.retry_ns / a.duration_ns
    if retry_share >= _RETRY_SHARE and a.retry_loops:
        loop = max(a.retry_loops, key=lambda lp: lp.retry_ns)
        return Finding(
            "genai.retry-loop",
            Severity.WARNING,
            a.answer,
            obj=f"trace {a.trace_id} ({a.root_name})",
            source=SourceRef(path),
            hint=f"bound the retries of {loop.kind} {loop.name} (fewer attempts, a deadline, or fail fast on "
            f"{loop.error_type or 'repeated arguments'}) and fix its cause",
            details=a.to_dict()["breakdown"],
        )
    top = max(("model", a.model_ns), ("tool", a.tool_ns), ("other", a.other_ns), key=lambda kv: kv[1])[0]
    hints = {
        "model": "the model dominates: use a smaller or faster model, stream, cache prompts, or cut turns",
        "tool": "a tool dominates: make it faster, cache it, or run independent calls in parallel",
        "other": "time outside model and tool calls: instrument the agent's own work to see where it goes",
    }
    return Finding(
        f"genai.slow-{top}",
        Severity.INFO,
        a.answer,
        obj=f"trace {a.trace_id} ({a.root_name})",
        source=SourceRef(path),
        hint=hints[top],
        details=a.to_dict()["breakdown"],
    )


def assess_estate(estate: Estate) -> Section:
    """Findings for the OTLP JSON telemetry under the estate's ``traces/`` directories."""
    findings: list[Finding] = []
    analyses: list[tuple[str, TraceAnalysis]] = []
    unread = 0
    for file in estate.files_in("traces"):
        if not file.path.endswith((".json", ".jsonl")):
            continue
        try:
            batch = decode_json_bytes(file.read_bytes())
        except (OTLPDecodeError, OSError) as exc:
            unread += 1
            findings.append(
                Finding("genai.unreadable", Severity.WARNING, f"not OTLP JSON: {exc}", source=SourceRef(file.path))
            )
            continue
        findings.extend(_content_findings(file.path, batch))
        spans = normalize_spans(annotate_attempt_errors(batch.spans, batch.logs))
        spans += normalize_spans(spans_from_events(spans, batch.logs))
        for a in analyze_traces(spans):
            analyses.append((file.path, a))
            slow = _slow_finding(file.path, a)
            if slow is not None:
                findings.append(slow)
    content = sum(f.code == "genai.content-captured" for f in findings)
    loops = sum(f.code == "genai.retry-loop" for f in findings)
    slow_count = sum(1 for _, a in analyses if a.duration_ns >= SLOW_NS)
    summary = (
        f"{len(analyses)} agent trace(s): {slow_count} slow, {loops} because of a retry loop; "
        f"{content} with content captured without opt-in."
        if analyses
        else "no agent telemetry (OTLP JSON under traces/) in the estate."
    )
    charts = []
    if analyses:
        charts.append(
            Chart(
                "retry share of end-to-end time per trace",
                [a.root_name + " " + a.trace_id[:8] for _, a in analyses],
                [round(100 * a.retry_ns / a.duration_ns, 1) if a.duration_ns else 0.0 for _, a in analyses],
                "%",
            )
        )
    report = {"traces": [{"file": path, **a.to_dict()} for path, a in analyses]}
    return Section(
        system="genai",
        summary=summary,
        findings=findings,
        artifacts=[
            Artifact(
                "genai-analysis.json",
                "application/json",
                json.dumps(report, indent=2),
                "ferry genai analyze output for the estate's traces",
            )
        ]
        if analyses
        else [],
        metrics={
            "traces": len(analyses),
            "slow_traces": slow_count,
            "retry_loops": loops,
            "content_captured": content,
            "unreadable_files": unread,
        },
        charts=charts,
    )
