"""Instrumentation: record GenAI operations under the current conventions, built on opentelemetry-util-genai.

:class:`GenAITelemetry` opens ``chat``/``text_completion``/``generate_content``/``embeddings`` inference spans,
``execute_tool``, ``invoke_agent`` and ``invoke_workflow`` spans with opentelemetry-util-genai's
``TelemetryHandler``, which also records ``gen_ai.client.operation.duration`` and ``gen_ai.client.token.usage``
with the specified buckets and emits ``gen_ai.client.inference.operation.details`` events.

Content (messages, system instructions, tool arguments and results) is handed to the handler only when
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` is ``SPAN_ONLY``, ``EVENT_ONLY`` or ``SPAN_AND_EVENT``;
unset (or ``NO_CONTENT``) nothing of it is recorded. Tool calls always carry a truncated SHA-256 of their
arguments (``ferry.genai.arguments_digest``) so retry loops can be found without the arguments.

Retries: the logical operation's span covers every attempt (as the conventions say); :meth:`GenAITelemetry.attempt`
makes each physical attempt visible as a CLIENT child span with ``http.request.resend_count``.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from ferry._kernel import require
from ferry.genai._content import ARGUMENTS_DIGEST, arguments_digest

__all__ = ["GenAITelemetry", "Message"]

F = TypeVar("F", bound=Callable[..., Any])

Message = Mapping[str, Any]
"""A chat message as OpenAI-compatible APIs take it: ``{"role": "user", "content": "..."}``."""


def _util() -> tuple[Any, Any]:
    handler = require("opentelemetry.util.genai.handler", extra="genai", feature="GenAI instrumentation")
    types = require("opentelemetry.util.genai.types", extra="genai", feature="GenAI instrumentation")
    return handler, types


def _input_messages(types: Any, messages: Sequence[Message]) -> list[Any]:
    out = []
    for m in messages:
        parts: list[Any] = []
        if m.get("content"):
            parts.append(types.TextPart(content=str(m["content"])))
        for call in m.get("tool_calls") or ():
            fn = call.get("function", {})
            parts.append(
                types.ToolCallRequestPart(arguments=fn.get("arguments"), name=fn.get("name", ""), id=call.get("id"))
            )
        if m.get("role") == "tool":
            parts = [types.ToolCallResponsePart(response=m.get("content"), id=m.get("tool_call_id"))]
        out.append(types.InputMessage(role=str(m.get("role", "user")), parts=parts))
    return out


class Inference:
    """An open inference operation: set what the response said before the ``with`` block ends."""

    def __init__(self, invocation: Any, types: Any, capture: bool) -> None:
        self._inv = invocation
        self._types = types
        self._capture = capture

    @property
    def span(self) -> Any:
        return self._inv.span

    def set_request(
        self, *, temperature: float | None = None, max_tokens: int | None = None, seed: int | None = None
    ) -> None:
        if temperature is not None:
            self._inv.temperature = temperature
        if max_tokens is not None:
            self._inv.max_tokens = max_tokens
        if seed is not None:
            self._inv.seed = seed

    def set_response(
        self,
        *,
        model: str | None = None,
        response_id: str | None = None,
        finish_reasons: Sequence[str] = (),
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cache_read_tokens: int | None = None,
        message: Message | None = None,
    ) -> None:
        inv = self._inv
        if model:
            inv.response_model_name = model
        if response_id:
            inv.response_id = response_id
        if finish_reasons:
            inv.finish_reasons = list(finish_reasons)
        if input_tokens is not None:
            inv.input_tokens = input_tokens
        if output_tokens is not None:
            inv.output_tokens = output_tokens
        if cache_read_tokens is not None:
            inv.cache_read_input_tokens = cache_read_tokens
        if message is not None and self._capture:
            parts: list[Any] = []
            if message.get("content"):
                parts.append(self._types.TextPart(content=str(message["content"])))
            for call in message.get("tool_calls") or ():
                fn = call.get("function", {})
                parts.append(
                    self._types.ToolCallRequestPart(
                        arguments=fn.get("arguments"), name=fn.get("name", ""), id=call.get("id")
                    )
                )
            reason = finish_reasons[0] if finish_reasons else None
            inv.output_messages = [self._types.OutputMessage(role="assistant", parts=parts, finish_reason=reason)]


class ToolCall:
    """An open ``execute_tool`` operation; set :attr:`result` (recorded only when content capture is on)."""

    def __init__(self, invocation: Any, capture: bool) -> None:
        self._inv = invocation
        self._capture = capture

    @property
    def span(self) -> Any:
        return self._inv.span

    def set_result(self, result: Any) -> None:
        if self._capture:
            self._inv.tool_result = result if isinstance(result, str) else json.dumps(result, default=str)


class GenAITelemetry:
    """GenAI spans, metrics and events for an application or an agent framework.

    Args:
        tracer_provider, meter_provider, logger_provider: the SDK providers (the global ones when not given).
    """

    def __init__(self, tracer_provider: Any = None, meter_provider: Any = None, logger_provider: Any = None) -> None:
        handler_mod, self._types = _util()
        self._handler = handler_mod.TelemetryHandler(
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            logger_provider=logger_provider,
            instrumentation_scope_name="ferry.genai",
        )
        trace = require("opentelemetry.trace", extra="genai", feature="GenAI instrumentation")
        self._trace = trace
        self._tracer = trace.get_tracer("ferry.genai", tracer_provider=tracer_provider)

    @contextmanager
    def _finishing(self, inv: Any) -> Iterator[None]:
        # opentelemetry-util-genai puts str(exception) into the span status; exception messages often quote the
        # prompt or the tool arguments, so without the opt-in only the exception's type is recorded.
        try:
            yield
        except BaseException as exc:
            error = self._types.Error.from_exception(exc)
            if not self.capture_content:
                error = self._types.Error(message=error.type, type=error.type)
            inv.fail(error)
            raise
        else:
            inv.stop()

    @property
    def capture_content(self) -> bool:
        """Whether OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT opted in to content."""
        return bool(self._handler.should_capture_content())

    @contextmanager
    def inference(
        self,
        provider: str,
        model: str,
        *,
        operation: str = "chat",
        server_address: str | None = None,
        server_port: int | None = None,
        messages: Sequence[Message] = (),
        conversation_id: str | None = None,
    ) -> Iterator[Inference]:
        """A ``{operation} {model}`` CLIENT span (operation: chat, text_completion, generate_content)."""
        inv = self._handler.inference(
            provider,
            request_model=model,
            server_address=server_address,
            server_port=server_port,
            operation_name=operation,
            conversation_id=conversation_id,
        )
        capture = self.capture_content
        if capture and messages:
            system = [m for m in messages if m.get("role") == "system"]
            rest = [m for m in messages if m.get("role") != "system"]
            inv.input_messages = _input_messages(self._types, rest)
            if system:
                inv.system_instruction = [self._types.TextPart(content=str(m.get("content", ""))) for m in system]
        with self._finishing(inv):
            yield Inference(inv, self._types, capture)

    @contextmanager
    def embeddings(
        self, provider: str, model: str, *, server_address: str | None = None, server_port: int | None = None
    ) -> Iterator[Any]:
        """An ``embeddings {model}`` CLIENT span."""
        inv = self._handler.embedding(
            provider, request_model=model, server_address=server_address, server_port=server_port
        )
        with self._finishing(inv):
            yield inv

    @contextmanager
    def tool(
        self, name: str, *, arguments: Any = None, call_id: str | None = None, tool_type: str = "function"
    ) -> Iterator[ToolCall]:
        """An ``execute_tool {name}`` INTERNAL span; arguments are recorded only when content capture is on."""
        inv = self._handler.tool(name, tool_type=tool_type)
        if call_id:
            inv.tool_call_id = call_id
        if arguments is not None:
            inv.attributes[ARGUMENTS_DIGEST] = arguments_digest(arguments)
            if self.capture_content:
                inv.arguments = arguments if isinstance(arguments, str) else json.dumps(arguments, default=str)
        with self._finishing(inv):
            yield ToolCall(inv, self.capture_content)

    @contextmanager
    def agent(self, name: str, *, model: str | None = None, conversation_id: str | None = None) -> Iterator[Any]:
        """An ``invoke_agent {name}`` INTERNAL span (an agent in this process)."""
        inv = self._handler.invoke_local_agent(request_model=model, agent_name=name, conversation_id=conversation_id)
        with self._finishing(inv):
            yield inv

    @contextmanager
    def workflow(self, name: str) -> Iterator[Any]:
        """An ``invoke_workflow {name}`` INTERNAL span."""
        inv = self._handler.workflow(name)
        with self._finishing(inv):
            yield inv

    @contextmanager
    def attempt(
        self, number: int, *, server_address: str | None = None, server_port: int | None = None
    ) -> Iterator[Any]:
        """One physical attempt of the current operation: a CLIENT span with ``http.request.resend_count``."""
        attrs: dict[str, Any] = {"http.request.method": "POST"}
        if number > 1:
            attrs["http.request.resend_count"] = number - 1
        if server_address:
            attrs["server.address"] = server_address
        if server_port:
            attrs["server.port"] = server_port
        status = self._trace.Status
        code = self._trace.StatusCode
        with self._tracer.start_as_current_span(
            "POST",
            kind=self._trace.SpanKind.CLIENT,
            attributes=attrs,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                yield span
            except BaseException as exc:
                span.set_attribute("error.type", type(exc).__qualname__)
                span.set_status(status(code.ERROR, type(exc).__qualname__))
                raise

    def tool_function(self, name: str | None = None) -> Callable[[F], F]:
        """Decorate a function as a tool: each call is an ``execute_tool`` span."""

        def wrap(func: F) -> F:
            tool_name = name or func.__name__
            signature = inspect.signature(func)

            @functools.wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                bound = signature.bind(*args, **kwargs)
                with self.tool(tool_name, arguments=dict(bound.arguments)) as call:
                    result = func(*args, **kwargs)
                    call.set_result(result)
                    return result

            return wrapper  # type: ignore[return-value]

        return wrap
