"""Small builders for GenAI traces in tests (seconds in, nanoseconds out)."""

from __future__ import annotations

from typing import Any

from ferry.genai import Span, SpanEvent

S = 1_000_000_000
TRACE = "0af7651916cd43dd8448eb211c80319c"


def sid(n: int) -> str:
    return f"{n:016x}"


def span(
    n: int,
    parent: int | None,
    name: str,
    start: float,
    end: float,
    *,
    trace: str = TRACE,
    status: int = 0,
    kind: int = 1,
    events: tuple[SpanEvent, ...] = (),
    **attrs: Any,
) -> Span:
    return Span(
        trace_id=trace,
        span_id=sid(n),
        parent_id=sid(parent) if parent is not None else "",
        name=name,
        start_ns=round(start * S),
        end_ns=round(end * S),
        kind=kind,
        attributes={k.replace("__", "."): v for k, v in attrs.items()},
        status_code=status,
        events=events,
        resource={"service.name": "agent"},
        scope="test",
    )


def chat(n: int, parent: int, start: float, end: float, model: str = "gpt-4o", **attrs: Any) -> Span:
    return span(
        n, parent, f"chat {model}", start, end, kind=3,
        gen_ai__operation__name="chat", gen_ai__request__model=model, gen_ai__provider__name="openai", **attrs,
    )  # fmt: skip


def tool(n: int, parent: int, start: float, end: float, name: str, *, error: str | None = None, **attrs: Any) -> Span:
    extra = {"error__type": error} if error else {}
    return span(
        n, parent, f"execute_tool {name}", start, end, status=2 if error else 0,
        gen_ai__operation__name="execute_tool", gen_ai__tool__name=name, **extra, **attrs,
    )  # fmt: skip


def agent(n: int, start: float, end: float, name: str = "researcher") -> Span:
    attrs = {"gen_ai__operation__name": "invoke_agent", "gen_ai__agent__name": name}
    return span(n, None, f"invoke_agent {name}", start, end, **attrs)


def retry_trace() -> list[Span]:
    """45 s: three timed-out search_web attempts (with backoff), then success; two model calls."""
    return [
        agent(1, 0, 45),
        chat(2, 1, 0.1, 2.1, gen_ai__usage__input_tokens=1000, gen_ai__usage__output_tokens=50),
        tool(3, 1, 2.2, 12.2, "search_web", error="timeout"),
        tool(4, 1, 14.2, 24.2, "search_web", error="timeout"),
        tool(5, 1, 28.2, 38.2, "search_web", error="timeout"),
        tool(6, 1, 40.2, 41.2, "search_web"),
        chat(7, 1, 41.3, 44.8, gen_ai__usage__input_tokens=3000, gen_ai__usage__output_tokens=400),
    ]
