"""Older and vendor conventions normalised into the current GenAI conventions (pure).

- ``gen_ai.system`` → ``gen_ai.provider.name``; ``gen_ai.usage.prompt_tokens``/``completion_tokens`` →
  ``input_tokens``/``output_tokens``; ``cache_write`` → ``cache_creation``; ``gen_ai.openai.*`` → ``openai.*``.
- ``gen_ai.operation.name`` inferred from the span name when missing (``chat gpt-4o``, ``execute_tool search``).
- Claude Code's ``claude_code.*`` spans become ``invoke_agent``/``chat``/``execute_tool`` spans (Anthropic token
  semantics: input = raw input + cache read + cache creation); its ``gen_ai.request.attempt`` span events are the
  attempts; its log events (and Codex's) become spans where no span reports the same work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from ferry.genai._content import ARGUMENTS_DIGEST, arguments_digest
from ferry.genai._model import KIND_CLIENT, KIND_INTERNAL, STATUS_ERROR, STATUS_UNSET, LogRecord, Span

__all__ = [
    "ATTEMPTS",
    "ATTEMPT_ERRORS",
    "CATEGORY",
    "INFERENCE_OPERATIONS",
    "annotate_attempt_errors",
    "event_name",
    "normalize_attributes",
    "normalize_span",
    "normalize_spans",
    "spans_from_events",
]

CATEGORY = "ferry.genai.category"
"""Set on spans whose role is not told by ``gen_ai.operation.name``: ``model``, ``tool`` or ``wait``."""
ATTEMPTS = "ferry.genai.attempt_times_ns"
"""Start times of each attempt inside one span (Claude Code's ``gen_ai.request.attempt`` events)."""

INFERENCE_OPERATIONS = frozenset({"chat", "text_completion", "generate_content", "embeddings"})
_OPERATIONS = INFERENCE_OPERATIONS | {
    "execute_tool",
    "invoke_agent",
    "invoke_workflow",
    "create_agent",
    "retrieval",
    "plan",
}

_RENAMES = {
    "gen_ai.system": "gen_ai.provider.name",
    "gen_ai.usage.prompt_tokens": "gen_ai.usage.input_tokens",
    "gen_ai.usage.completion_tokens": "gen_ai.usage.output_tokens",
    "gen_ai.usage.cache_write.input_tokens": "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens": "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_read_input_tokens": "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.reasoning_tokens": "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.openai.request.seed": "gen_ai.request.seed",
    "llm.usage.total_tokens": "gen_ai.usage.total_tokens",
}

_PROVIDERS = {
    "az.ai.inference": "azure.ai.inference",
    "az.ai.openai": "azure.ai.openai",
    "vertex_ai": "gcp.vertex_ai",
    "gemini": "gcp.gemini",
    "bedrock": "aws.bedrock",
    "mistralai": "mistral_ai",
    "watsonx": "ibm.watsonx.ai",
}

_TRACELOOP_KINDS = {"tool": "execute_tool", "agent": "invoke_agent", "workflow": "invoke_workflow"}
_OPENINFERENCE_KINDS = {"LLM": "chat", "TOOL": "execute_tool", "AGENT": "invoke_agent", "EMBEDDING": "embeddings"}


_RENAMED = frozenset(_RENAMES)


def _renames_needed(attrs: Mapping[str, Any]) -> bool:
    """Whether :func:`normalize_attributes` changes anything (a cheap test; the common answer is no)."""
    if not _RENAMED.isdisjoint(attrs) or attrs.get("gen_ai.provider.name") in _PROVIDERS:
        return True
    # One substring search over all keys instead of a startswith per key (a hit is re-checked exactly).
    return "\ngen_ai.openai." in "\n" + "\n".join(attrs) and any(k.startswith("gen_ai.openai.") for k in attrs)


def normalize_attributes(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Current names for renamed attributes (a value under the current name wins)."""
    if not _renames_needed(attrs):
        return dict(attrs)
    out: dict[str, Any] = {}
    for key, value in attrs.items():
        new = _RENAMES.get(key)
        if new is None and key.startswith("gen_ai.openai."):
            new = "openai." + key[len("gen_ai.openai.") :]
        if new is None:
            out[key] = value
        elif new not in attrs:
            out.setdefault(new, value)
    provider = out.get("gen_ai.provider.name")
    if isinstance(provider, str) and provider in _PROVIDERS:
        out["gen_ai.provider.name"] = _PROVIDERS[provider]
    return out


def _infer_operation(name: str, attrs: Mapping[str, Any]) -> str | None:
    first = name.split(" ", 1)[0]
    if first in _OPERATIONS:
        return first
    kind = attrs.get("traceloop.span.kind")
    if isinstance(kind, str) and kind in _TRACELOOP_KINDS:
        return _TRACELOOP_KINDS[kind]
    kind = attrs.get("openinference.span.kind")
    if isinstance(kind, str) and kind in _OPENINFERENCE_KINDS:
        return _OPENINFERENCE_KINDS[kind]
    request_type = attrs.get("llm.request.type")
    if isinstance(request_type, str) and request_type in ("chat", "completion", "embedding"):
        return {"chat": "chat", "completion": "text_completion", "embedding": "embeddings"}[request_type]
    return None


def _num(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return 0
    return 0


def _claude_code(span: Span, attrs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kind = span.name[len("claude_code.") :]
    name = span.name
    if kind == "interaction":
        attrs.setdefault("gen_ai.operation.name", "invoke_agent")
        attrs.setdefault("gen_ai.agent.name", "claude-code")
        attrs.setdefault("gen_ai.provider.name", "anthropic")
        name = "invoke_agent claude-code"
    elif kind == "llm_request":
        model = attrs.get("gen_ai.request.model") or attrs.get("model") or ""
        attrs.setdefault("gen_ai.operation.name", "chat")
        attrs.setdefault("gen_ai.provider.name", "anthropic")
        if model:
            attrs.setdefault("gen_ai.request.model", model)
        raw_in = _num(attrs.get("input_tokens"))
        cache_read = _num(attrs.get("cache_read_tokens"))
        cache_creation = _num(attrs.get("cache_creation_tokens"))
        if "input_tokens" in attrs:
            attrs.setdefault("gen_ai.usage.input_tokens", raw_in + cache_read + cache_creation)
        if "output_tokens" in attrs:
            attrs.setdefault("gen_ai.usage.output_tokens", _num(attrs.get("output_tokens")))
        if "cache_read_tokens" in attrs:
            attrs.setdefault("gen_ai.usage.cache_read.input_tokens", cache_read)
        if "cache_creation_tokens" in attrs:
            attrs.setdefault("gen_ai.usage.cache_creation.input_tokens", cache_creation)
        if "request_id" in attrs:
            attrs.setdefault("gen_ai.response.id", attrs["request_id"])
        if str(attrs.get("success", "true")).lower() == "false" and "error.type" not in attrs:
            attrs["error.type"] = str(attrs.get("status_code") or attrs.get("error") or "error")
        name = f"chat {model}".strip()
    elif kind == "tool":
        tool = str(attrs.get("tool_name", ""))
        attrs.setdefault("gen_ai.operation.name", "execute_tool")
        if tool:
            attrs.setdefault("gen_ai.tool.name", tool)
        if "tool_use_id" in attrs:
            attrs.setdefault("gen_ai.tool.call.id", attrs["tool_use_id"])
        name = f"execute_tool {tool}".strip()
    elif kind == "tool.execution":
        attrs.setdefault(CATEGORY, "tool")
        if str(attrs.get("success", "true")).lower() == "false" and "error.type" not in attrs:
            attrs["error.type"] = str(attrs.get("error") or "error")
    elif kind == "tool.blocked_on_user":
        attrs.setdefault(CATEGORY, "wait")
    return name, attrs


def _tool_arguments(attrs: Mapping[str, Any]) -> Any:
    return attrs.get("gen_ai.tool.call.arguments", attrs.get("tool_parameters", attrs.get("tool_input")))


def normalize_span(span: Span) -> Span:
    """The span under the current conventions; returns ``span`` itself when nothing changes."""
    current = span.attributes
    op = current.get("gen_ai.operation.name")
    if (
        op is not None
        and not span.events
        and (op != "execute_tool" or ARGUMENTS_DIGEST in current or _tool_arguments(current) in (None, ""))
        and (span.status_code != STATUS_UNSET or "error.type" not in current)
        and not span.name.startswith("claude_code.")
        and not _renames_needed(current)
    ):
        return span  # already under the current conventions (what the full path below concludes, found cheaply)
    attrs = normalize_attributes(current)
    name = span.name
    if name.startswith("claude_code."):
        name, attrs = _claude_code(span, attrs)
    if "gen_ai.operation.name" not in attrs:
        op = _infer_operation(name, attrs)
        if op is not None:
            attrs["gen_ai.operation.name"] = op
    if attrs.get("gen_ai.operation.name") == "execute_tool" and ARGUMENTS_DIGEST not in attrs:
        args = _tool_arguments(attrs)
        if args not in (None, ""):
            attrs[ARGUMENTS_DIGEST] = arguments_digest(args)
    attempts = [e.time_ns for e in span.events if e.name == "gen_ai.request.attempt"]
    if len(attempts) > 1 and ATTEMPTS not in attrs:
        attrs[ATTEMPTS] = sorted(attempts)
    status = span.status_code
    if status == STATUS_UNSET and "error.type" in attrs:
        status = STATUS_ERROR
    if attrs == span.attributes and name == span.name and status == span.status_code:
        return span
    return Span(
        trace_id=span.trace_id,
        span_id=span.span_id,
        parent_id=span.parent_id,
        name=name,
        start_ns=span.start_ns,
        end_ns=span.end_ns,
        kind=span.kind,
        attributes=attrs,
        status_code=status,
        status_message=span.status_message,
        events=span.events,
        links=span.links,
        resource=span.resource,
        scope=span.scope,
    )


def normalize_spans(spans: Iterable[Span]) -> list[Span]:
    return [normalize_span(s) for s in spans]


def event_name(record: LogRecord) -> str:
    """The full event name of a log record (Claude Code puts it in the body, short forms in ``event.name``)."""
    if record.event_name:
        return record.event_name
    if isinstance(record.body, str) and record.body.startswith(("claude_code.", "codex.", "gen_ai.")):
        return record.body
    short = record.attributes.get("event.name")
    if isinstance(short, str) and short:
        if "." in short:
            return short
        service = str(record.resource.get("service.name", ""))
        prefix = "codex." if service.startswith("codex") else "claude_code."
        return prefix + short
    return ""


def _derived_id(*parts: str, size: int) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[: size * 2]


def _event_span(
    name: str, attrs: Mapping[str, Any], time_ns: int, trace_id: str, parent_id: str, resource: Mapping[str, Any]
) -> Span | None:
    duration_ns = int(float(attrs.get("duration_ms", 0) or 0) * 1_000_000)
    model = str(attrs.get("model", "") or "")
    failed = str(attrs.get("success", "true")).lower() == "false" or name.endswith("api_error")
    new: dict[str, Any] = {}
    if name in ("claude_code.api_request", "claude_code.api_error", "codex.api_request"):
        provider = "anthropic" if name.startswith("claude_code") else "openai"
        new = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": provider}
        if model:
            new["gen_ai.request.model"] = model
        for src, dst in (
            ("input_tokens", "gen_ai.usage.input_tokens"),
            ("output_tokens", "gen_ai.usage.output_tokens"),
            ("cache_read_tokens", "gen_ai.usage.cache_read.input_tokens"),
            ("cache_creation_tokens", "gen_ai.usage.cache_creation.input_tokens"),
        ):
            if src in attrs:
                new[dst] = _num(attrs[src])
        if provider == "anthropic" and "input_tokens" in attrs:
            new["gen_ai.usage.input_tokens"] += _num(attrs.get("cache_read_tokens")) + _num(
                attrs.get("cache_creation_tokens")
            )
        span_name = f"chat {model}".strip()
        kind = KIND_CLIENT
    elif name in ("claude_code.tool_result", "codex.tool_result"):
        tool = str(attrs.get("tool_name", "") or "")
        new = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool}
        args = attrs.get("tool_parameters", attrs.get("tool_input", attrs.get("arguments")))
        if args not in (None, ""):
            new[ARGUMENTS_DIGEST] = arguments_digest(args)
        span_name = f"execute_tool {tool}".strip()
        kind = KIND_INTERNAL
    else:
        return None
    if failed:
        new["error.type"] = str(attrs.get("error_type") or attrs.get("status_code") or attrs.get("error") or "error")
    merged = {**{k: v for k, v in attrs.items() if k not in ("event.name",)}, **new}
    span_id = _derived_id(trace_id, parent_id, name, str(time_ns), size=8)
    return Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_id=parent_id,
        name=span_name,
        start_ns=time_ns - duration_ns,
        end_ns=time_ns,
        kind=kind,
        attributes=merged,
        status_code=STATUS_ERROR if failed else STATUS_UNSET,
        resource=dict(resource),
        scope="ferry.genai.events",
    )


def spans_from_events(spans: Iterable[Span], logs: Iterable[LogRecord]) -> list[Span]:
    """Spans for model and tool work that only events report (Codex, Claude Code without tracing).

    Codex duplicates its events as span events; those become child spans of the span carrying them. A log event
    becomes a span unless its trace already has a span for it (Claude Code traces, or Codex span events). Events
    without trace context are grouped by ``prompt.id`` (Claude Code) or ``conversation.id`` (Codex) under a derived
    trace whose root spans them all.
    """
    spans = list(spans)
    out: list[Span] = []
    seen: set[tuple[str, str, int]] = set()
    claude_traces = {s.trace_id for s in spans if s.name.startswith(("claude_code.", "invoke_agent claude-code"))}
    for span in spans:
        for ev in span.events:
            if ev.name.startswith("codex."):
                made = _event_span(ev.name, ev.attributes, ev.time_ns, span.trace_id, span.span_id, span.resource)
                if made is not None:
                    out.append(made)
                    seen.add((span.trace_id, ev.name, ev.time_ns))
    orphans: dict[str, list[tuple[str, LogRecord]]] = {}
    traced_groups: set[str] = set()
    for record in logs:
        name = event_name(record)
        if not name.startswith(("claude_code.", "codex.")):
            continue
        if record.trace_id:
            for key in ("prompt.id", "conversation.id"):
                if isinstance(record.attributes.get(key), str):
                    traced_groups.add(record.attributes[key])
            if record.trace_id in claude_traces or (record.trace_id, name, record.time_ns) in seen:
                continue
            made = _event_span(
                name, record.attributes, record.time_ns, record.trace_id, record.span_id, record.resource
            )
            if made is not None:
                out.append(made)
            continue
        group = record.attributes.get("prompt.id") or record.attributes.get("conversation.id")
        if isinstance(group, str) and group:
            orphans.setdefault(group, []).append((name, record))
    for group, records in sorted(orphans.items()):
        if group in traced_groups:
            continue
        trace_id = _derived_id("events", group, size=16)
        root_id = _derived_id(trace_id, "root", size=8)
        children = [
            s
            for s in (_event_span(n, r.attributes, r.time_ns, trace_id, root_id, r.resource) for n, r in records)
            if s is not None
        ]
        if not children:
            continue
        times = [r.time_ns for _, r in records] + [s.start_ns for s in children]
        resource = records[0][1].resource
        service = str(resource.get("service.name", "agent"))
        out.append(
            Span(
                trace_id=trace_id,
                span_id=root_id,
                parent_id="",
                name=f"invoke_agent {service}",
                start_ns=min(times),
                end_ns=max(r.time_ns for _, r in records),
                kind=KIND_INTERNAL,
                attributes={
                    "gen_ai.operation.name": "invoke_agent",
                    "gen_ai.agent.name": service,
                    "session.group": group,
                },
                resource=dict(resource),
                scope="ferry.genai.events",
            )
        )
        out.extend(children)
    return out


ATTEMPT_ERRORS = "ferry.genai.attempt_errors"
"""Errors of the failed attempts inside one span, from the vendor's error events (Claude Code's ``api_error``)."""


def annotate_attempt_errors(spans: Iterable[Span], logs: Iterable[LogRecord]) -> list[Span]:
    """Spans with the errors their failed attempts reported as log events attached (``ATTEMPT_ERRORS``)."""
    errors: dict[tuple[str, str], list[str]] = {}
    for record in logs:
        if not record.trace_id or not record.span_id:
            continue
        name = event_name(record)
        failed = name == "claude_code.api_error" or (
            name == "codex.api_request" and str(record.attributes.get("success", "true")).lower() == "false"
        )
        if failed:
            code = record.attributes.get("status_code")
            text = record.attributes.get("error") or "error"
            errors.setdefault((record.trace_id, record.span_id), []).append(f"{code} {text}" if code else str(text))
    if not errors:
        return list(spans)
    out = []
    for s in spans:
        found = errors.get((s.trace_id, s.span_id))
        if found and ATTEMPT_ERRORS not in s.attributes:
            s = Span(  # noqa: PLW2901 - the annotated copy replaces the span
                s.trace_id, s.span_id, s.parent_id, s.name, s.start_ns, s.end_ns, s.kind,
                {**s.attributes, ATTEMPT_ERRORS: found}, s.status_code, s.status_message, s.events,
                s.links, s.resource, s.scope,
            )  # fmt: skip
        out.append(s)
    return out
