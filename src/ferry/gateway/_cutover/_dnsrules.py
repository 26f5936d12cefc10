"""How Route 53 answers a weighted group (pure): the rehearsal's DNS server answers by these rules.

- Among healthy records with a weight above 0, one is chosen with probability weight / sum of weights.
- When every weight in the group is 0, every healthy record is equally likely.
- With health checks, zero-weight records are answered only when every non-zero record is unhealthy.
- When every record is unhealthy, Route 53 treats them all as healthy (it fails open).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["WeightedRecord", "choose", "distribution"]


@dataclass(frozen=True)
class WeightedRecord:
    """One record of the group: its SetIdentifier, the address it answers, its weight and health."""

    set_identifier: str
    address: str
    weight: int
    healthy: bool = True


def _candidates(records: Sequence[WeightedRecord]) -> tuple[list[WeightedRecord], bool]:
    """The records that can be answered, and whether they are weighed (False: equally likely)."""
    pool = [r for r in records if r.healthy] or list(records)
    if all(r.weight == 0 for r in records):
        return pool, False
    live = [r for r in pool if r.weight > 0]
    if live:
        return live, True
    return pool, False  # every healthy record has weight 0: they answer, equally


def distribution(records: Sequence[WeightedRecord]) -> dict[str, float]:
    """SetIdentifier → probability of being answered."""
    if not records:
        return {}
    candidates, weighed = _candidates(records)
    total = sum(r.weight for r in candidates) if weighed else len(candidates)
    out = {r.set_identifier: 0.0 for r in records}
    for record in candidates:
        out[record.set_identifier] += (record.weight if weighed else 1) / total
    return out


def choose(records: Sequence[WeightedRecord], draw: float) -> WeightedRecord | None:
    """The record Route 53 answers for a uniform ``draw`` in [0, 1); None for an empty group."""
    if not records:
        return None
    candidates, weighed = _candidates(records)
    if not weighed:
        return candidates[min(int(draw * len(candidates)), len(candidates) - 1)]
    point = draw * sum(r.weight for r in candidates)
    running = 0.0
    for record in candidates:
        running += record.weight
        if point < running:
            return record
    return candidates[-1]
