"""Older and vendor conventions become the current GenAI conventions."""

from __future__ import annotations

from genai_builders import TRACE, S, sid, span

from ferry.genai import LogRecord, SpanEvent, normalize_span, spans_from_events
from ferry.genai._normalize import ATTEMPTS, CATEGORY, normalize_attributes


def test_renamed_attributes() -> None:
    attrs = normalize_attributes({
        "gen_ai.system": "az.ai.inference",
        "gen_ai.usage.prompt_tokens": 10,
        "gen_ai.usage.completion_tokens": 5,
        "gen_ai.usage.cache_write.input_tokens": 3,
        "gen_ai.usage.reasoning_tokens": 2,
        "gen_ai.openai.request.seed": 7,
        "gen_ai.openai.request.service_tier": "auto",
    })  # fmt: skip
    assert attrs == {
        "gen_ai.provider.name": "azure.ai.inference",
        "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.output_tokens": 5,
        "gen_ai.usage.cache_creation.input_tokens": 3,
        "gen_ai.usage.reasoning.output_tokens": 2,
        "gen_ai.request.seed": 7,
        "openai.request.service_tier": "auto",
    }


def test_current_name_wins_over_old_one() -> None:
    attrs = normalize_attributes({"gen_ai.system": "openai", "gen_ai.provider.name": "github"})
    assert attrs == {"gen_ai.provider.name": "github"}


def test_operation_inferred_from_name_and_vendor_kinds() -> None:
    assert normalize_span(span(1, None, "chat gpt-4o", 0, 1)).attributes["gen_ai.operation.name"] == "chat"
    traceloop = span(1, None, "search.tool", 0, 1, traceloop__span__kind="tool")
    assert normalize_span(traceloop).attributes["gen_ai.operation.name"] == "execute_tool"
    openinference = span(1, None, "ChatOpenAI", 0, 1, openinference__span__kind="LLM")
    assert normalize_span(openinference).attributes["gen_ai.operation.name"] == "chat"
    plain = span(1, None, "GET /", 0, 1)
    assert normalize_span(plain) is plain


def test_claude_code_spans() -> None:
    events = (
        SpanEvent("gen_ai.request.attempt", 1 * S, {"attempt": 1}),
        SpanEvent("gen_ai.request.attempt", 3 * S, {}),
    )
    llm = normalize_span(span(2, 1, "claude_code.llm_request", 1, 5, events=events, model="claude-sonnet-4-5",
                              gen_ai__system="anthropic", input_tokens=100, output_tokens=20, cache_read_tokens=1000,
                              cache_creation_tokens=50, request_id="req_1"))  # fmt: skip
    a = llm.attributes
    assert llm.name == "chat claude-sonnet-4-5"
    assert a["gen_ai.operation.name"] == "chat"
    assert a["gen_ai.provider.name"] == "anthropic"
    assert a["gen_ai.usage.input_tokens"] == 1150  # Anthropic's input excludes the cache
    assert a["gen_ai.usage.cache_read.input_tokens"] == 1000
    assert a["gen_ai.usage.cache_creation.input_tokens"] == 50
    assert a["gen_ai.response.id"] == "req_1"
    assert a[ATTEMPTS] == [1 * S, 3 * S]
    tool = normalize_span(span(3, 1, "claude_code.tool", 5, 6, tool_name="Bash", tool_use_id="toolu_1"))
    assert tool.name == "execute_tool Bash"
    assert tool.attributes["gen_ai.tool.call.id"] == "toolu_1"
    assert normalize_span(span(4, 3, "claude_code.tool.blocked_on_user", 5, 6)).attributes[CATEGORY] == "wait"
    failed = normalize_span(span(5, 3, "claude_code.tool.execution", 5, 6, success="false", error="exit 1"))
    assert (failed.attributes[CATEGORY], failed.attributes["error.type"], failed.status_code) == ("tool", "exit 1", 2)
    root = normalize_span(span(1, None, "claude_code.interaction", 0, 9))
    assert (root.name, root.attributes["gen_ai.operation.name"]) == ("invoke_agent claude-code", "invoke_agent")


def test_tool_arguments_digest_is_added_before_content_goes() -> None:
    a = normalize_span(span(1, None, "execute_tool x", 0, 1, gen_ai__tool__call__arguments='{"b": 1, "a": 2}'))
    b = normalize_span(span(2, None, "execute_tool x", 0, 1, gen_ai__tool__call__arguments='{"a":2,"b":1}'))
    assert a.attributes["ferry.genai.arguments_digest"] == b.attributes["ferry.genai.arguments_digest"]


def test_codex_span_events_become_child_spans() -> None:
    turn = span(1, None, "session_task.turn", 0, 10, events=(
        SpanEvent("codex.api_request", 4 * S,
                  {"duration_ms": 3000, "attempt": 1, "model": "gpt-5-codex", "success": "false", "error": "timeout"}),
        SpanEvent("codex.tool_result", 8 * S, {"duration_ms": 2500, "tool_name": "shell", "arguments": '{"cmd":"ls"}'}),
    ))  # fmt: skip
    made = spans_from_events([turn], [])
    chat = next(s for s in made if s.name == "chat gpt-5-codex")
    assert (chat.parent_id, chat.start_ns, chat.end_ns, chat.attributes["error.type"]) == (
        sid(1),
        1 * S,
        4 * S,
        "timeout",
    )
    tool = next(s for s in made if s.name == "execute_tool shell")
    assert (tool.start_ns, tool.end_ns) == (5_500_000_000, 8 * S)
    assert "ferry.genai.arguments_digest" in tool.attributes
    # the same event as a log record is not counted twice
    log = LogRecord(8 * S, event_name="codex.tool_result", attributes={"duration_ms": 2500, "tool_name": "shell"},
                    trace_id=TRACE, span_id=sid(1))  # fmt: skip
    assert len(spans_from_events([turn], [log])) == 2


def test_claude_code_events_without_traces_group_by_prompt() -> None:
    res = {"service.name": "claude-code"}
    logs = [
        LogRecord(1 * S, body="claude_code.user_prompt", attributes={"event.name": "user_prompt", "prompt.id": "p1"},
                  resource=res),
        LogRecord(4 * S, attributes={"event.name": "api_request", "prompt.id": "p1", "duration_ms": 2500, "model": "m",
                                     "input_tokens": 10, "cache_read_tokens": 90, "output_tokens": 5}, resource=res),
        LogRecord(6 * S, attributes={"event.name": "tool_result", "prompt.id": "p1", "duration_ms": 1000,
                                     "tool_name": "Read", "success": "false", "error_type": "ENOENT"}, resource=res),
    ]  # fmt: skip
    made = spans_from_events([], logs)
    root = next(s for s in made if not s.parent_id)
    assert (root.name, root.start_ns, root.end_ns) == ("invoke_agent claude-code", 1 * S, 6 * S)
    chat = next(s for s in made if s.name == "chat m")
    assert chat.attributes["gen_ai.usage.input_tokens"] == 100
    tool = next(s for s in made if s.name == "execute_tool Read")
    assert tool.attributes["error.type"] == "ENOENT"
    assert {s.trace_id for s in made} == {root.trace_id}


def test_spans_already_current_come_back_unchanged_and_old_names_still_change() -> None:
    from ferry.genai import Span, normalize_span

    current = Span("1" * 32, "2" * 16, "", "chat m", 0, 1, attributes={"gen_ai.operation.name": "chat"})
    assert normalize_span(current) is current
    tool = Span("1" * 32, "3" * 16, "", "execute_tool t", 0, 1, attributes={"gen_ai.operation.name": "execute_tool"})
    assert normalize_span(tool) is tool
    cases = {
        "gen_ai.system": ({"gen_ai.system": "openai"}, "gen_ai.provider.name"),
        "openai prefix": ({"gen_ai.openai.request.service_tier": "auto"}, "openai.request.service_tier"),
        "old provider": ({"gen_ai.provider.name": "az.ai.openai"}, "gen_ai.provider.name"),
        "error": ({"error.type": "timeout"}, "error.type"),
        "tool args": ({"gen_ai.tool.call.arguments": '{"q": 1}'}, "ferry.genai.arguments_digest"),
    }
    for why, (attrs, key) in cases.items():
        op = "execute_tool" if why == "tool args" else "chat"
        span = Span("1" * 32, "4" * 16, "", f"{op} x", 0, 1, attributes={"gen_ai.operation.name": op, **attrs})
        normal = normalize_span(span)
        assert normal is not span, why
        assert key in normal.attributes, why
    assert (
        normalize_span(
            Span(
                "1" * 32, "4" * 16, "", "chat x", 0, 1, attributes={"gen_ai.operation.name": "chat", "error.type": "e"}
            )
        ).status_code
        == 2
    )
