"""Instrumentation: span names and kinds, attributes, metrics with the specified buckets, content modes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ferry.genai import GenAITelemetry


@dataclass
class Sdk:
    telemetry: GenAITelemetry
    spans: Any
    metrics: Any
    logs: Any

    def finished(self) -> list[Any]:
        return list(self.spans.get_finished_spans())

    def everything(self) -> str:
        spans = [s.to_json() for s in self.finished()]
        logs = [r.to_json() for r in self.logs.get_finished_logs()]
        return "\n".join(spans + logs)


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[Sdk]:
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    mode = getattr(request, "param", None)
    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raising=False)
    if mode is not None:
        monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", mode)
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    logs = InMemoryLogRecordExporter()
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    yield Sdk(GenAITelemetry(tracer_provider, meter_provider, logger_provider), spans, reader, logs)
    tracer_provider.shutdown()
    meter_provider.shutdown()
    logger_provider.shutdown()


def _agent_run(t: GenAITelemetry) -> None:
    with t.agent("researcher", model="m"):
        with t.inference(
            "openai",
            "m",
            server_address="127.0.0.1",
            server_port=8700,
            messages=[{"role": "system", "content": "SYS-secret"}, {"role": "user", "content": "USER-secret"}],
        ) as call:
            call.set_request(temperature=0.2, max_tokens=100)
            call.set_response(model="m-1", response_id="r1", finish_reasons=["tool_calls"], input_tokens=30,
                              output_tokens=7, message={"role": "assistant", "content": "ANSWER-secret"})  # fmt: skip
        with t.tool("search", arguments={"q": "ARGS-secret"}, call_id="c1") as tool:
            tool.set_result("RESULT-secret")
        with pytest.raises(TimeoutError), t.tool("search", arguments={"q": "ARGS-secret"}):
            raise TimeoutError("timed out fetching ARGS-secret")


SECRETS = ("SYS-secret", "USER-secret", "ANSWER-secret", "ARGS-secret", "RESULT-secret")


def test_spans_follow_the_conventions(sdk: Sdk) -> None:
    _agent_run(sdk.telemetry)
    by_name = {s.name: s for s in sdk.finished()}
    assert set(by_name) == {"invoke_agent researcher", "chat m", "execute_tool search"}
    chat = by_name["chat m"]
    assert chat.kind.name == "CLIENT"
    a = dict(chat.attributes)
    assert a["gen_ai.operation.name"] == "chat"
    assert a["gen_ai.provider.name"] == "openai"
    assert (a["server.address"], a["server.port"]) == ("127.0.0.1", 8700)
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (30, 7)
    assert a["gen_ai.response.model"] == "m-1"
    assert chat.parent.span_id == by_name["invoke_agent researcher"].context.span_id
    tools = [s for s in sdk.finished() if s.name == "execute_tool search"]
    assert [t.kind.name for t in tools] == ["INTERNAL", "INTERNAL"]
    failed = tools[1]
    assert failed.status.status_code.name == "ERROR"
    assert dict(failed.attributes)["error.type"] == "TimeoutError"
    assert (
        dict(tools[0].attributes)["ferry.genai.arguments_digest"]
        == dict(failed.attributes)["ferry.genai.arguments_digest"]
    )


def test_metrics_use_the_specified_buckets(sdk: Sdk) -> None:
    _agent_run(sdk.telemetry)
    data = sdk.metrics.get_metrics_data()
    metrics = {m.name: m for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
    duration = metrics["gen_ai.client.operation.duration"]
    assert list(duration.data.data_points[0].explicit_bounds) == [
        0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]  # fmt: skip
    usage = metrics["gen_ai.client.token.usage"]
    assert list(usage.data.data_points[0].explicit_bounds)[:4] == [1, 4, 16, 64]
    types = sorted(dict(p.attributes)["gen_ai.token.type"] for p in usage.data.data_points)
    assert types == ["input", "output"]


def test_no_content_without_opt_in(sdk: Sdk) -> None:
    _agent_run(sdk.telemetry)
    assert not sdk.telemetry.capture_content
    text = sdk.everything()
    for secret in SECRETS:
        assert secret not in text, secret


@pytest.mark.parametrize("sdk", ["SPAN_ONLY"], indirect=True)
def test_span_only_puts_content_on_spans(sdk: Sdk) -> None:
    _agent_run(sdk.telemetry)
    spans = "\n".join(s.to_json() for s in sdk.finished())
    for secret in SECRETS:
        assert secret in spans, secret
    assert not list(sdk.logs.get_finished_logs())


@pytest.mark.parametrize("sdk", ["EVENT_ONLY"], indirect=True)
def test_event_only_puts_content_on_events(sdk: Sdk) -> None:
    _agent_run(sdk.telemetry)
    chat = next(s for s in sdk.finished() if s.name == "chat m")
    assert "USER-secret" not in json.dumps(dict(chat.attributes))
    events = [r.to_json() for r in sdk.logs.get_finished_logs()]
    assert any("gen_ai.client.inference.operation.details" in e and "USER-secret" in e for e in events)


@pytest.mark.parametrize("sdk", ["no_such_mode"], indirect=True)
def test_invalid_mode_means_no_content(sdk: Sdk) -> None:
    _agent_run(sdk.telemetry)
    assert "USER-secret" not in sdk.everything()


def test_attempts_and_decorated_tools(sdk: Sdk) -> None:
    t = sdk.telemetry

    @t.tool_function()
    def lookup(key: str) -> str:
        return key.upper()

    with t.inference("openai", "m"):
        for n in (1, 2):
            with t.attempt(n, server_address="h"):
                pass
    assert lookup("k") == "K"
    posts = [s for s in sdk.finished() if s.name == "POST"]
    assert [dict(p.attributes).get("http.request.resend_count") for p in posts] == [None, 1]
    assert any(s.name == "execute_tool lookup" for s in sdk.finished())
