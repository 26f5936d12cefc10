"""Which attributes carry content (prompts, completions, tool arguments and results), and how to drop them (pure).

Content is opt-in in the GenAI conventions. The receiver drops these attributes on ingest unless told to keep them;
the assessor reports telemetry that carries them as content captured without opt-in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "ARGUMENTS_DIGEST",
    "CONTENT_EVENT_NAMES",
    "CONTENT_KEYS",
    "arguments_digest",
    "content_keys",
    "strip_content",
]

ARGUMENTS_DIGEST = "ferry.genai.arguments_digest"
"""A truncated SHA-256 of a tool call's arguments: lets retry loops be found without keeping the arguments."""

CONTENT_KEYS = frozenset(
    {
        # GenAI conventions (opt-in)
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
        "gen_ai.retrieval.query.text",
        "gen_ai.retrieval.documents",
        "gen_ai.memory.query.text",
        "gen_ai.memory.records",
        # before v1.28
        "gen_ai.prompt",
        "gen_ai.completion",
        # OpenInference, Traceloop
        "input.value",
        "output.value",
        "traceloop.entity.input",
        "traceloop.entity.output",
        # Claude Code (gated by OTEL_LOG_USER_PROMPTS, OTEL_LOG_TOOL_DETAILS, OTEL_LOG_TOOL_CONTENT, ...)
        "user_prompt",
        "prompt",
        "tool_parameters",
        "tool_input",
        "full_command",
        "response",
        "body",
        # Codex
        "arguments",
        "output",
    }
)

_CONTENT_PREFIXES = ("gen_ai.prompt.", "gen_ai.completion.", "llm.input_messages.", "llm.output_messages.")

CONTENT_EVENT_NAMES = frozenset(
    {
        "gen_ai.system.message",
        "gen_ai.user.message",
        "gen_ai.assistant.message",
        "gen_ai.tool.message",
        "gen_ai.choice",
        "claude_code.api_request_body",
        "claude_code.api_response_body",
    }
)
"""Events whose body is content."""

_REDACTED = frozenset({"", "<REDACTED>", "[REDACTED]", "REDACTED"})


def _is_content(key: str, value: Any) -> bool:
    if key in CONTENT_KEYS:
        return not (isinstance(value, str) and value.strip() in _REDACTED)
    return key.startswith(_CONTENT_PREFIXES)


def content_keys(attributes: Mapping[str, Any]) -> list[str]:
    """The content-bearing keys present (non-empty, not redacted), sorted."""
    return sorted(k for k, v in attributes.items() if _is_content(k, v))


def strip_content(attributes: Mapping[str, Any]) -> Mapping[str, Any]:
    """``attributes`` without content-bearing keys (the same mapping when it has none)."""
    if CONTENT_KEYS.isdisjoint(attributes):
        # One substring search per prefix over all keys instead of a startswith per key (hits re-checked exactly).
        joined = "\n" + "\n".join(attributes)
        if (
            "\ngen_ai.prompt." not in joined
            and "\ngen_ai.completion." not in joined
            and "\nllm.input_messages." not in joined
            and "\nllm.output_messages." not in joined
        ):
            return attributes  # no candidate key at all (the common case): skip the per-value checks
    if not any(_is_content(k, v) for k, v in attributes.items()):
        return attributes
    return {k: v for k, v in attributes.items() if not _is_content(k, v)}


def arguments_digest(arguments: Any) -> str:
    """A stable short digest of tool arguments (JSON text is canonicalised first)."""
    value = arguments
    if isinstance(arguments, str):
        try:
            value = json.loads(arguments)
        except ValueError:
            value = arguments
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
