"""Token prices per model and what a model's tokens cost (pure).

A price table maps a model name (exact, or a prefix ending in ``*``) to USD per million tokens::

    gpt-4o-mini: {input: 0.15, output: 0.60, cache_read: 0.075}
    claude-*:    {input: 3.0, output: 15.0, cache_read: 0.3, cache_creation: 3.75}

Cached tokens are a subset of input tokens (as the conventions say); they are priced at ``cache_read`` /
``cache_creation`` when given and at ``input`` otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ferry.genai._errors import PriceTableError

__all__ = ["Price", "PriceTable", "TokenUsage"]

_FIELDS = ("input", "output", "cache_read", "cache_creation")


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million tokens."""

    input: float
    output: float
    cache_read: float | None = None
    cache_creation: float | None = None


@dataclass(slots=True)
class TokenUsage:
    """Tokens one model used, summed over calls; cache counts are subsets of ``input``."""

    calls: int = 0
    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_creation: int = 0
    reasoning: int = 0

    def add(self, other: TokenUsage) -> None:
        self.calls += other.calls
        self.input += other.input
        self.output += other.output
        self.cache_read += other.cache_read
        self.cache_creation += other.cache_creation
        self.reasoning += other.reasoning

    def to_dict(self) -> dict[str, int]:
        return {
            "calls": self.calls,
            "input_tokens": self.input,
            "output_tokens": self.output,
            "cache_read_input_tokens": self.cache_read,
            "cache_creation_input_tokens": self.cache_creation,
            "reasoning_output_tokens": self.reasoning,
        }


class PriceTable:
    """Prices by model name; exact names win over ``prefix*`` patterns, longer patterns over shorter."""

    def __init__(self, prices: Mapping[str, Price] | None = None) -> None:
        self._exact = {k: v for k, v in (prices or {}).items() if not k.endswith("*")}
        self._prefixes = sorted(
            ((k[:-1], v) for k, v in (prices or {}).items() if k.endswith("*")), key=lambda kv: -len(kv[0])
        )

    @classmethod
    def from_mapping(cls, data: Any, *, source: str = "price table") -> PriceTable:
        """Build from parsed YAML/JSON: ``{model: {input, output, cache_read?, cache_creation?}}``."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise PriceTableError("a price table must map model names to prices", where=source)
        prices: dict[str, Price] = {}
        for model, entry in data.items():
            where = f"{source} (model {model})"
            if not isinstance(entry, Mapping):
                raise PriceTableError("each model needs a mapping of prices", where=where)
            unknown = set(entry) - set(_FIELDS)
            if unknown:
                raise PriceTableError(
                    f"unknown price field(s) {', '.join(sorted(map(str, unknown)))}",
                    where=where,
                    hint=f"use {', '.join(_FIELDS)} (USD per million tokens)",
                )
            values: dict[str, float | None] = {}
            for key in _FIELDS:
                raw = entry.get(key)
                if raw is None:
                    values[key] = None
                    continue
                if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0:
                    raise PriceTableError(f"price '{key}' must be a non-negative number, got {raw!r}", where=where)
                values[key] = float(raw)
            if values["input"] is None or values["output"] is None:
                raise PriceTableError("'input' and 'output' prices are required", where=where)
            prices[str(model)] = Price(
                values["input"], values["output"], values["cache_read"], values["cache_creation"]
            )
        return cls(prices)

    def __len__(self) -> int:
        return len(self._exact) + len(self._prefixes)

    def price(self, model: str) -> Price | None:
        if model in self._exact:
            return self._exact[model]
        for prefix, price in self._prefixes:
            if model.startswith(prefix):
                return price
        return None

    def cost(self, model: str, usage: TokenUsage) -> float | None:
        """USD for ``usage`` of ``model``, or None when the model has no price."""
        price = self.price(model)
        if price is None:
            return None
        read_price = price.cache_read if price.cache_read is not None else price.input
        creation_price = price.cache_creation if price.cache_creation is not None else price.input
        fresh = max(0, usage.input - usage.cache_read - usage.cache_creation)
        total = (
            fresh * price.input
            + usage.cache_read * read_price
            + usage.cache_creation * creation_price
            + usage.output * price.output
        )
        return round(total / 1_000_000, 6)
