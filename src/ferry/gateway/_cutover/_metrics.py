"""Per-step figures of a rehearsal from the requests the load generator recorded (pure)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["OUTCOMES", "RequestRecord", "StepWindow", "percentile", "step_metrics", "strategy_summary"]

OUTCOMES = ("ok", "failed", "reset")
"""``ok``: a 2xx/3xx response. ``failed``: refused, timed out or an error status. ``reset``: the connection dropped
while the request was in flight (and a retry, if the client made one, did not succeed either)."""


@dataclass(frozen=True)
class RequestRecord:
    """One request as the client saw it. ``side`` is who served it (by the address it connected to), if anyone."""

    step: str
    sent_at: float
    latency_s: float
    outcome: str
    side: str | None
    long: bool = False
    retried: bool = False
    detail: str = ""


@dataclass(frozen=True)
class StepWindow:
    """A step of a strategy: its key, title and the weights (old, new) the DNS answered with, if weighted."""

    key: str
    title: str
    weights: tuple[int, int] | None = None


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of ``values`` (0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _figures(records: Sequence[RequestRecord], sides: Sequence[str]) -> dict[str, Any]:
    ok = [r for r in records if r.outcome == "ok"]
    latencies = [r.latency_s * 1000 for r in ok]
    served = {side: sum(1 for r in ok if r.side == side) for side in sides}
    return {
        "sent": len(records),
        "succeeded": len(ok),
        "failed": sum(1 for r in records if r.outcome == "failed"),
        "reset": sum(1 for r in records if r.outcome == "reset"),
        "retried": sum(1 for r in records if r.retried),
        "long": sum(1 for r in records if r.long),
        "served": served,
        "share": {side: (served[side] / len(ok) if ok else 0.0) for side in sides},
        "latency_ms": {
            "p50": round(percentile(latencies, 50), 2),
            "p90": round(percentile(latencies, 90), 2),
            "p99": round(percentile(latencies, 99), 2),
            "max": round(max(latencies, default=0.0), 2),
        },
    }


def step_metrics(
    windows: Sequence[StepWindow], records: Iterable[RequestRecord], sides: Sequence[str] = ("old", "new")
) -> list[dict[str, Any]]:
    """One entry per step: the requests sent during it, what became of them, who served them and how fast."""
    by_step: dict[str, list[RequestRecord]] = {w.key: [] for w in windows}
    for record in records:
        by_step.setdefault(record.step, []).append(record)
    out = []
    for window in windows:
        figures = _figures(by_step[window.key], sides)
        weights = {"old": window.weights[0], "new": window.weights[1]} if window.weights else None
        out.append({"key": window.key, "title": window.title, "weights": weights, **figures})
    return out


def strategy_summary(name: str, steps: Sequence[dict[str, Any]], records: Sequence[RequestRecord]) -> dict[str, Any]:
    """A strategy's totals (``sent``, ``succeeded``, ``failed``, ``reset``, ``lost``) with its steps."""
    figures = _figures(records, ("old", "new"))
    return {
        "name": name,
        "sent": figures["sent"],
        "succeeded": figures["succeeded"],
        "failed": figures["failed"],
        "reset": figures["reset"],
        "lost": figures["failed"] + figures["reset"],
        "retried": figures["retried"],
        "latency_ms": figures["latency_ms"],
        "steps": list(steps),
    }
