"""An example agent: a model behind any OpenAI-compatible HTTP API, tools, and GenAI telemetry over OTLP.

    python examples/genai_agent/agent.py --model-url http://127.0.0.1:8700/v1 --otlp http://127.0.0.1:4318 \
        "Which lighthouse is the tallest?"

It records ``invoke_agent`` > ``chat`` / ``execute_tool`` spans with ferry.genai's instrumentation (content only when
OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT opts in), and exports traces, metrics and logs with the official
OTLP/HTTP protobuf exporters. ``--openai-instrumentation`` also turns on the official OpenAI instrumentation
(opentelemetry-instrumentation-genai-openai, the successor of openai-v2) beside it. ``--search-timeouts N``
makes the first N ``search_web`` calls
time out, so the agent retries the tool with backoff (a slow agent, caused by a retry loop).
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from ferry.genai import GenAITelemetry


class SearchTimeout(TimeoutError):
    """The search backend did not answer in time."""


def build_providers(otlp: str, service: str) -> tuple[Any, Any, Any]:
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": service})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{otlp}/v1/traces")))
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=f"{otlp}/v1/metrics"), export_interval_millis=60_000
    )
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{otlp}/v1/logs")))
    return tracer_provider, meter_provider, logger_provider


class Agent:
    """A ReAct-style loop: ask the model; run the tools it calls; ask again with the results."""

    def __init__(self, telemetry: GenAITelemetry, client: Any, model: str, server: tuple[str, int], *,
                 search_timeouts: int = 0, search_latency: float = 0.05, backoff: float = 0.1) -> None:  # fmt: skip
        self.telemetry = telemetry
        self.client = client
        self.model = model
        self.server = server
        self.search_timeouts = search_timeouts
        self.search_latency = search_latency
        self.backoff = backoff
        self.search = telemetry.tool_function("search_web")(self._search)

    def _search(self, query: str) -> str:
        time.sleep(self.search_latency)
        if self.search_timeouts > 0:
            self.search_timeouts -= 1
            raise SearchTimeout(f"search backend timed out for {query!r}")
        return f"result-marker-5523: Jeddah Light is 133 m tall (query: {query})"

    def _search_with_retries(self, arguments: dict[str, Any], attempts: int = 5) -> str:
        delay = self.backoff
        for attempt in range(1, attempts + 1):
            try:
                result: str = self.search(**arguments)
                return result
            except SearchTimeout:
                if attempt == attempts:
                    raise
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def _chat(self, messages: list[dict[str, Any]]) -> Any:
        host, port = self.server
        with self.telemetry.inference(
            "openai", self.model, server_address=host, server_port=port, messages=messages
        ) as call:
            response = self.client.chat.completions.create(model=self.model, messages=messages, tools=TOOLS)
            choice = response.choices[0]
            message = choice.message.model_dump(exclude_none=True)
            call.set_response(
                model=response.model,
                response_id=response.id,
                finish_reasons=[choice.finish_reason],
                input_tokens=response.usage.prompt_tokens if response.usage else None,
                output_tokens=response.usage.completion_tokens if response.usage else None,
                message=message,
            )
            return choice.message

    def run(self, question: str, max_turns: int = 4) -> str:
        with self.telemetry.agent("researcher", model=self.model):
            messages: list[dict[str, Any]] = [
                {"role": "system", "content": "You answer with facts from search_web."},
                {"role": "user", "content": question},
            ]
            for _ in range(max_turns):
                message = self._chat(messages)
                if not message.tool_calls:
                    return str(message.content)
                messages.append(message.model_dump(exclude_none=True))
                for call in message.tool_calls:
                    result = self._search_with_retries(json.loads(call.function.arguments))
                    messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
            return "no answer"


_QUERY = {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}
TOOLS = [
    {"type": "function", "function": {"name": "search_web", "description": "Search the web.", "parameters": _QUERY}}
]


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("question")
    parser.add_argument("--model-url", required=True, help="base URL of an OpenAI-compatible API (…/v1)")
    parser.add_argument("--model", default="local-model")
    parser.add_argument("--otlp", required=True, help="OTLP/HTTP endpoint, e.g. http://127.0.0.1:4318")
    parser.add_argument("--service", default="genai-example-agent")
    parser.add_argument("--openai-instrumentation", action="store_true", help="also run the official one")
    parser.add_argument("--search-timeouts", type=int, default=0)
    parser.add_argument("--search-latency", type=float, default=0.05)
    parser.add_argument("--backoff", type=float, default=0.1)
    args = parser.parse_args(argv)

    from urllib.parse import urlsplit

    import openai

    tracer_provider, meter_provider, logger_provider = build_providers(args.otlp, args.service)
    if args.openai_instrumentation:
        from opentelemetry.instrumentation.genai.openai import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(
            tracer_provider=tracer_provider, meter_provider=meter_provider, logger_provider=logger_provider
        )
    telemetry = GenAITelemetry(tracer_provider, meter_provider, logger_provider)
    url = urlsplit(args.model_url)
    client = openai.OpenAI(base_url=args.model_url, api_key="not-needed-locally", max_retries=3)
    server = (url.hostname or "127.0.0.1", url.port or 80)
    agent = Agent(
        telemetry, client, args.model, server,
        search_timeouts=args.search_timeouts, search_latency=args.search_latency, backoff=args.backoff,
    )  # fmt: skip
    try:
        answer = agent.run(args.question)
    finally:
        tracer_provider.shutdown()
        meter_provider.shutdown()
        logger_provider.shutdown()
    print(answer)
    return answer


if __name__ == "__main__":
    main()
