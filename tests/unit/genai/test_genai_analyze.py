"""Attribution of a trace's time to model, tool, retry and other; retry loops; tokens; the plain-language answer."""

from __future__ import annotations

from genai_builders import S, agent, chat, retry_trace, sid, span, tool
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferry.genai import PriceTable, SpanEvent, analyze_trace, normalize_span


def test_retry_loop_trace_exact_json() -> None:
    result = analyze_trace(retry_trace()).to_dict()
    assert set(result) == {"trace_id", "duration_ns", "critical_path", "breakdown", "retry_loops", "answer"}
    assert result["duration_ns"] == 45 * S
    assert result["breakdown"] == {
        "model_ns": 5_500_000_000,
        "tool_ns": 1 * S,
        "retry_ns": 38 * S,
        "other_ns": 500_000_000,
    }
    assert result["critical_path"][:3] == [
        {"span_id": sid(1), "name": "invoke_agent researcher", "start_ns": 0, "end_ns": 100_000_000},
        {"span_id": sid(2), "name": "chat gpt-4o", "start_ns": 100_000_000, "end_ns": 2_100_000_000},
        {"span_id": sid(1), "name": "invoke_agent researcher", "start_ns": 2_100_000_000, "end_ns": 2_200_000_000},
    ]
    starts = [s["start_ns"] for s in result["critical_path"]]
    assert starts == sorted(starts)
    assert result["retry_loops"] == [
        {
            "kind": "tool",
            "name": "search_web",
            "attempts": 4,
            "reason": "same_error",
            "error_type": "timeout",
            "span_ids": [sid(3), sid(4), sid(5), sid(6)],
            "start_ns": 2_200_000_000,
            "end_ns": 41_200_000_000,
            "retry_ns": 38 * S,
            "backoff_ns": 8 * S,
        }
    ]
    assert result["answer"] == (
        "38 s of 45 s were 3 retries of tool search_web after timeout (including 8.0 s of backoff); "
        "model 5.5 s, tools 1.0 s, other 500 ms."
    )


def test_model_dominated_trace() -> None:
    spans = [agent(1, 0, 20), chat(2, 1, 0.5, 12.5, model="big"), tool(3, 1, 12.6, 13.6, "read_file"),
             chat(4, 1, 13.7, 19.7, model="big")]  # fmt: skip
    a = analyze_trace(spans)
    assert (a.model_ns, a.tool_ns, a.retry_ns) == (18 * S, 1 * S, 0)
    assert a.retry_loops == []
    assert a.answer.startswith("18 s of 20 s were spent waiting for the model (2 calls, mostly big)")


def test_tool_dominated_trace_names_the_tool() -> None:
    spans = [agent(1, 0, 10), chat(2, 1, 0, 1), tool(3, 1, 1, 8.5, "compile"), tool(4, 1, 9, 9.5, "lint")]
    a = analyze_trace(spans)
    assert a.tools["compile"]["critical_ns"] == 7_500_000_000
    assert a.answer.startswith("8.0 s of 10 s were spent in tools, mostly compile (7.5 s over 1 call)")


def test_different_successful_calls_are_not_a_loop() -> None:
    spans = [agent(1, 0, 4), tool(2, 1, 0, 1, "read", ferry__genai__arguments_digest="a"),
             tool(3, 1, 1.1, 2, "read", ferry__genai__arguments_digest="b")]  # fmt: skip
    assert analyze_trace(spans).retry_loops == []


def test_same_arguments_repeated_is_a_loop() -> None:
    spans = [agent(1, 0, 4), tool(2, 1, 0, 1, "read", ferry__genai__arguments_digest="a"),
             tool(3, 1, 1.1, 2, "read", ferry__genai__arguments_digest="a")]  # fmt: skip
    (loop,) = analyze_trace(spans).retry_loops
    assert (loop.reason, loop.attempts, loop.retry_ns) == ("same_arguments", 2, 1_100_000_000)


def test_model_retry_after_error_and_http_children_count_as_model() -> None:
    spans = [
        agent(1, 0, 10),
        chat(2, 1, 0, 3, error__type="429"),
        chat(3, 1, 4, 9),
        span(4, 3, "POST", 4.1, 8.9, kind=3, http__request__method="POST"),
    ]
    a = analyze_trace([*spans[:1], spans[1].__class__(**{**_fields(spans[1]), "status_code": 2}), *spans[2:]])
    assert a.retry_ns == 4 * S
    assert a.model_ns == 5 * S
    assert a.retry_loops[0].error_type == "429"


def _fields(s: object) -> dict[str, object]:
    return {k: getattr(s, k) for k in s.__slots__}  # type: ignore[attr-defined]


def test_attempts_inside_one_span_are_retry_time() -> None:
    events = (
        SpanEvent("gen_ai.request.attempt", 1 * S, {"attempt": 1}),
        SpanEvent("gen_ai.request.attempt", 7 * S, {"attempt": 2}),
    )
    llm = span(2, 1, "claude_code.llm_request", 1, 9, events=events, model="claude-sonnet", attempt=2)
    a = analyze_trace([normalize_span(agent(1, 0, 10)), normalize_span(llm)])
    assert a.retry_ns == 6 * S
    assert a.model_ns == 2 * S
    assert a.retry_loops[0].reason == "attempts"
    assert a.retry_loops[0].attempts == 2


def test_tokens_and_cost_per_model() -> None:
    prices = PriceTable.from_mapping({"gpt-4o": {"input": 2.5, "output": 10.0, "cache_read": 1.25}})
    usage = {
        "gen_ai__usage__input_tokens": 1_000_000,
        "gen_ai__usage__output_tokens": 100_000,
        "gen_ai__usage__cache_read__input_tokens": 400_000,
    }
    spans = [agent(1, 0, 3), chat(2, 1, 0, 1, **usage), chat(3, 1, 1, 2, model="local", gen_ai__usage__input_tokens=10)]
    a = analyze_trace(spans, prices)
    assert a.tokens["gpt-4o"].to_dict()["input_tokens"] == 1_000_000
    assert a.cost_usd == {"gpt-4o": round((600_000 * 2.5 + 400_000 * 1.25 + 100_000 * 10) / 1e6, 6)}
    assert "local" not in a.cost_usd


def test_orchestration_gap_is_other() -> None:
    a = analyze_trace([agent(1, 0, 10), chat(2, 1, 0, 1)])
    assert (a.other_ns, a.model_ns) == (9 * S, 1 * S)
    assert "orchestration" in a.answer


@st.composite
def _trees(draw: st.DrawFn) -> list:  # type: ignore[type-arg]
    n = draw(st.integers(1, 25))
    spans = [agent(1, 0, 100)]
    for i in range(2, n + 1):
        parent = draw(st.integers(1, i - 1))
        start = draw(st.floats(0, 100, allow_nan=False))
        length = draw(st.floats(0, 60, allow_nan=False))
        kind = draw(st.sampled_from(["chat", "tool", "plain", "fail"]))
        if kind == "chat":
            spans.append(chat(i, parent, start, start + length))
        elif kind == "tool":
            spans.append(tool(i, parent, start, start + length, draw(st.sampled_from(["a", "b"]))))
        elif kind == "fail":
            spans.append(tool(i, parent, start, start + length, "a", error="timeout"))
        else:
            spans.append(span(i, parent, "work", start, start + length))
    return spans


# A shared, loaded machine must not turn slow data generation into a failure.
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_trees())
def test_breakdown_always_adds_up_to_the_duration(spans: list) -> None:  # type: ignore[type-arg]
    a = analyze_trace(spans)
    assert a.model_ns + a.tool_ns + a.retry_ns + a.other_ns == a.duration_ns
    assert min(a.model_ns, a.tool_ns, a.retry_ns, a.other_ns) >= 0
    assert sum(s.duration_ns for s in a.critical_path) == a.duration_ns
    assert all(lp.retry_ns <= a.retry_ns for lp in a.retry_loops)


def test_claude_code_session_attempts_carry_their_errors() -> None:
    from pathlib import Path

    from ferry.genai import analyze_traces, load_spans

    path = Path(__file__).resolve().parents[3] / "examples/estate/traces/claude-code-session.otlp.jsonl"
    (a,) = analyze_traces(load_spans([path]))
    (loop,) = a.retry_loops
    assert (loop.kind, loop.name, loop.attempts, loop.reason, loop.error_type) == (
        "model", "claude-sonnet-4-5", 3, "attempts", "529 Overloaded",
    )  # fmt: skip
    assert loop.retry_ns == a.retry_ns == 9_280_000_000
    assert a.tokens["claude-sonnet-4-5"].input == 2_100 + 18_000 + 1_200 + 900 + 21_000 + 400 + 23_500
    assert "retries 9.3 s (2 of model claude-sonnet-4-5 after 529 Overloaded)" in a.answer
    # the permission wait is neither model nor tool time
    assert a.tool_ns < 5_500_000_000
