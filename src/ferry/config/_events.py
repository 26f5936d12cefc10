"""Access events: what one read of one key consulted and returned (pure data)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["AccessEvent", "AccessReporter", "ProviderResult"]


@dataclass(frozen=True)
class ProviderResult:
    """What one provider answered: its name, its spelling of the key, and the value as shown (redacted if secret)."""

    provider: str
    encoded: str
    found: bool
    value: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class AccessEvent:
    """One read of one key.

    ``kind`` is ``get`` (reader), ``snapshot`` (a snapshot), ``watch`` (a watch emission) or ``explain``;
    ``outcome`` is ``value``, ``default`` (absent, or unconvertible with a default) , ``missing`` or ``error``.
    ``results`` lists every provider consulted up to the one that answered. Values are already redacted.
    """

    key: str
    kind: str
    type: str
    location: str | None
    timestamp: float
    results: tuple[ProviderResult, ...]
    outcome: str
    value: str | None
    error: str | None
    secret: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        """One line: time, kind, key, type, outcome, value or error, the providers consulted, the call site."""
        stamp = (
            time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.timestamp)) + f".{int(self.timestamp % 1 * 1000):03d}Z"
        )
        consulted = " ".join(
            f"{r.provider}[{r.encoded}]={'hit' if r.found else ('error' if r.error else 'miss')}" for r in self.results
        )
        what = self.value if self.outcome in ("value", "default") else self.error
        where = self.location or "?"
        text = f"{stamp} {self.kind} {self.key} as {self.type} -> {self.outcome} {what} | {consulted} | {where}"
        return text.replace("\n", "\\n").replace("\r", "\\r")


AccessReporter = Callable[[AccessEvent], None]
"""Anything called with each :class:`AccessEvent`."""
