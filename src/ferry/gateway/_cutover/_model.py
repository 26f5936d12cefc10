"""What a cutover is planned from and what the plan says (pure data)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CutoverSpec", "Endpoint", "Gates", "Phase", "Plan", "Target"]


@dataclass(frozen=True)
class Target:
    """Where one side's load balancer answers: an IP (A/AAAA record), a hostname (CNAME) or a Route 53 alias.

    ``alias_zone`` is the load balancer's canonical hosted zone ID; with it the record is an alias A record, which
    has no TTL of its own (it follows the load balancer's, 60 s for ELB).
    """

    value: str
    alias_zone: str | None = None

    @property
    def record_type(self) -> str:
        if self.alias_zone:
            return "A"
        try:
            address = ipaddress.ip_address(self.value)
        except ValueError:
            return "CNAME"
        return "AAAA" if address.version == 6 else "A"

    @property
    def is_alias(self) -> bool:
        return self.alias_zone is not None


@dataclass(frozen=True)
class Endpoint:
    """One side of the weighted pair: its name, external-dns set-identifier, target, TTL and Route 53 health check."""

    name: str
    set_identifier: str
    target: Target
    ttl: int
    health_check_id: str | None = None


@dataclass(frozen=True)
class Gates:
    """What must hold before the next step: error rate and p99 latency per endpoint, over a window."""

    max_error_rate: float = 0.001
    max_p99_ms: float = 500.0
    window_s: int = 300

    def to_dict(self) -> dict[str, Any]:
        return {"max_error_rate": self.max_error_rate, "max_p99_ms": self.max_p99_ms, "window_s": self.window_s}

    def describe(self) -> str:
        return (
            f"error rate ≤ {self.max_error_rate * 100:g}% and p99 ≤ {self.max_p99_ms:g} ms on each endpoint "
            f"for {self.window_s} s"
        )


@dataclass(frozen=True)
class CutoverSpec:
    """Everything a plan is made from.

    Attributes:
        hostnames: the DNS names to move (from the Ingresses / HTTPRoutes).
        zone_id: the Route 53 hosted zone that holds them, when known (for the commands in the runbook).
        old: the ingress-nginx side (weight 255 at the start).
        new: the Envoy Gateway side (weight 0 at the start).
        current_ttl: the TTL the names have today (waited out after lowering it).
        weights: the (old, new) weights of each shift step, the last one ``(0, 255)``.
        gates: the per-step gate.
        hold_s: a minimum hold per step; the plan holds longer when TTL or the gate window needs it.
        longest_request_s: the longest request or stream the services carry (sizes the drain budgets).
        client_cache_s: how long the worst client caches an answer beyond its TTL (JVMs: 30 s by default).
        restore_ttl: put the original TTL back once the old side is gone.
    """

    hostnames: tuple[str, ...]
    zone_id: str | None
    old: Endpoint
    new: Endpoint
    current_ttl: int
    weights: tuple[tuple[int, int], ...]
    gates: Gates = field(default_factory=Gates)
    hold_s: int = 0
    longest_request_s: int = 60
    client_cache_s: int = 30
    restore_ttl: bool = True

    @property
    def cutover_ttl(self) -> int:
        return self.new.ttl


@dataclass(frozen=True)
class Phase:
    """One step of the timeline.

    Attributes:
        key: stable identifier (``lower-ttl``, ``shift-3``, ``decommission``).
        title: what happens, in a few words.
        start_s: seconds from the start of the cutover.
        hold_s: how long to stay in this phase before the next.
        weights: the (old, new) weights in force during the phase, when the weighted pair exists.
        change_batch: the Route 53 ChangeResourceRecordSets body this phase applies, if any.
        rollback_batch: the batch that undoes it (all traffic back to the old side), if it can be undone by DNS.
        annotations: external-dns annotations per object (``Kind ns/name`` → annotations) to reach the same state.
        gate: what must be true before moving on.
        actions: what people do besides DNS (verify, drain, scale down).
    """

    key: str
    title: str
    start_s: int
    hold_s: int
    weights: tuple[int, int] | None = None
    change_batch: Mapping[str, Any] | None = None
    rollback_batch: Mapping[str, Any] | None = None
    annotations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    gate: str = ""
    actions: Sequence[str] = ()

    @property
    def new_share(self) -> float | None:
        if self.weights is None:
            return None
        old, new = self.weights
        return new / (old + new) if old + new else 0.5

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "start_s": self.start_s,
            "hold_s": self.hold_s,
            "weights": {"old": self.weights[0], "new": self.weights[1]} if self.weights else None,
            "new_share": self.new_share,
            "gate": self.gate,
            "actions": list(self.actions),
            "change_batch": self.change_batch,
            "rollback_batch": self.rollback_batch,
            "annotations": {k: dict(v) for k, v in self.annotations.items()},
        }


@dataclass(frozen=True)
class Plan:
    """A checked cutover plan: the timeline, the draining settings for both sides and any warnings."""

    spec: CutoverSpec
    phases: tuple[Phase, ...]
    draining: Mapping[str, Any]
    warnings: tuple[str, ...] = ()

    @property
    def duration_s(self) -> int:
        last = self.phases[-1]
        return last.start_s + last.hold_s

    def phase(self, key: str) -> Phase:
        for phase in self.phases:
            if phase.key == key:
                return phase
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "hostnames": list(spec.hostnames),
            "zone_id": spec.zone_id,
            "old": _endpoint_dict(spec.old),
            "new": _endpoint_dict(spec.new),
            "current_ttl": spec.current_ttl,
            "cutover_ttl": spec.cutover_ttl,
            "gates": spec.gates.to_dict(),
            "duration_s": self.duration_s,
            "phases": [p.to_dict() for p in self.phases],
            "draining": self.draining,
            "warnings": list(self.warnings),
        }


def _endpoint_dict(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "name": endpoint.name,
        "set_identifier": endpoint.set_identifier,
        "target": endpoint.target.value,
        "record_type": endpoint.target.record_type,
        "alias_zone": endpoint.target.alias_zone,
        "health_check_id": endpoint.health_check_id,
    }
