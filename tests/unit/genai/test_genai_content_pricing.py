"""Which attributes are content; price tables and costs."""

from __future__ import annotations

import pytest

from ferry.genai import PriceTable, PriceTableError, TokenUsage, content_keys, strip_content
from ferry.genai._content import arguments_digest


def test_content_keys_and_stripping() -> None:
    attrs = {
        "gen_ai.input.messages": "[...]",
        "gen_ai.tool.call.arguments": "{}",
        "gen_ai.prompt.0.content": "hi",
        "user_prompt": "<REDACTED>",
        "gen_ai.request.model": "m",
        "ferry.genai.arguments_digest": "abc",
    }
    assert content_keys(attrs) == ["gen_ai.input.messages", "gen_ai.prompt.0.content", "gen_ai.tool.call.arguments"]
    assert strip_content(attrs) == {"user_prompt": "<REDACTED>", "gen_ai.request.model": "m",
                                    "ferry.genai.arguments_digest": "abc"}  # fmt: skip


def test_arguments_digest_is_canonical() -> None:
    assert arguments_digest('{"a": 1, "b": 2}') == arguments_digest({"b": 2, "a": 1})
    assert arguments_digest("not json") != arguments_digest("not json either")
    assert len(arguments_digest({})) == 16


def test_price_lookup_exact_then_longest_prefix() -> None:
    table = PriceTable.from_mapping({
        "claude-*": {"input": 3, "output": 15},
        "claude-opus-*": {"input": 15, "output": 75},
        "claude-opus-4": {"input": 1, "output": 2},
    })  # fmt: skip
    assert table.price("claude-opus-4").input == 1  # type: ignore[union-attr]
    assert table.price("claude-opus-4-1").input == 15  # type: ignore[union-attr]
    assert table.price("claude-haiku").input == 3  # type: ignore[union-attr]
    assert table.price("gpt-4o") is None
    usage = TokenUsage(calls=1, input=2_000_000, output=1_000_000, cache_read=1_000_000)
    assert table.cost("claude-haiku", usage) == 3 + 3 + 15  # cache priced at input without a cache_read price


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], "must map model names"),
        ({"m": 3}, "mapping of prices"),
        ({"m": {"input": 1}}, "'input' and 'output' prices are required"),
        ({"m": {"input": 1, "output": -1}}, "non-negative"),
        ({"m": {"input": 1, "output": 1, "cached": 1}}, "unknown price field"),
    ],
)
def test_bad_price_tables(data: object, message: str) -> None:
    with pytest.raises(PriceTableError, match=message):
        PriceTable.from_mapping(data, source="prices.yaml")


@pytest.mark.parametrize(
    "key", ["gen_ai.prompt.0.content", "gen_ai.completion.1.text", "llm.input_messages.0", "llm.output_messages.2"]
)
def test_prefixed_content_alone_is_stripped_and_lookalikes_are_kept(key: str) -> None:
    attrs = {"gen_ai.request.model": "m", key: "s3cret"}
    assert strip_content(attrs) == {"gen_ai.request.model": "m"}
    lookalikes = {"x." + key: "kept", key.replace(".", "_", 1): "kept", "m": "n"}
    assert strip_content(lookalikes) is lookalikes
