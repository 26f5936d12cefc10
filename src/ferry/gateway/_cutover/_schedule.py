"""The cutover timeline: lower the TTL, create the weighted pair, shift in gated steps, wait for the old side to go
idle, remove it, drain it, decommission it (pure).

Holds follow the reference schedule: every step at least ``max(10 × TTL, gate window, requested hold)``; the TTL is
waited out before the first weight change; the old side stays up until no client can still hold an answer naming
it (TTL + the longest client cache beyond TTL). Every batch is replayed against a simulated zone, and so is every
rollback; a plan that breaks Route 53's rules anywhere is refused with every reason at once.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from ferry.gateway._cutover._draining import check_draining, draining_settings
from ferry.gateway._cutover._errors import UnsafePlanError
from ferry.gateway._cutover._externaldns import weighted_annotations
from ferry.gateway._cutover._hosts import HostSource
from ferry.gateway._cutover._model import CutoverSpec, Phase, Plan
from ferry.gateway._cutover._route53 import MAX_WEIGHT, ZoneState, change, change_batch, record_set

__all__ = ["PROFILES", "build_plan", "check_spec", "parse_weights", "weights_for_steps"]

PROFILES: dict[str, tuple[tuple[int, int], ...]] = {
    "cautious": ((254, 1), (242, 13), (230, 26), (192, 64), (128, 128), (64, 192), (0, 255)),
    "standard": ((242, 13), (192, 64), (128, 128), (0, 255)),
    "fast": ((192, 64), (0, 255)),
}
"""Risk profiles: the (old, new) weights of each shift. ``cautious`` is the reference's 0.4 % → 100 % schedule."""

_MAX_STEPS = 20
_MAX_CHANGES = 1000


def weights_for_steps(steps: int) -> tuple[tuple[int, int], ...]:
    """``steps`` shifts growing quadratically (small first steps, where a fault costs least), ending at 100 %."""
    if not 1 <= steps <= _MAX_STEPS:
        raise UnsafePlanError([f"the number of steps must be 1-{_MAX_STEPS}, got {steps}"])
    out: list[tuple[int, int]] = []
    previous = 0
    for i in range(1, steps + 1):
        new = max(round(MAX_WEIGHT * (i / steps) ** 2), previous + 1)
        out.append((MAX_WEIGHT - new, new))
        previous = new
    return tuple(out)


def parse_weights(text: str) -> tuple[tuple[int, int], ...]:
    """``"242:13,192:64,0:255"`` → ((242, 13), (192, 64), (0, 255)). Values are checked by :func:`check_spec`."""
    steps: list[tuple[int, int]] = []
    for part in text.split(","):
        pieces = part.strip().split(":")
        if len(pieces) != 2:
            raise UnsafePlanError([f"step '{part.strip()}' is not OLD:NEW (for example 192:64)"])
        try:
            steps.append((int(pieces[0]), int(pieces[1])))
        except ValueError:
            raise UnsafePlanError([f"step '{part.strip()}' has a weight that is not an integer"]) from None
    return tuple(steps)


def check_spec(spec: CutoverSpec) -> list[str]:
    """Why the inputs cannot make a safe plan; [] when they can."""
    reasons: list[str] = []
    if not spec.hostnames:
        reasons.append("no hostnames to move (give Ingress/HTTPRoute files or --host)")
    for side in (spec.old, spec.new):
        if not side.set_identifier.strip():
            reasons.append(f"the {side.name} side has no set-identifier")
        if side.ttl <= 0:
            reasons.append(f"the {side.name} side's TTL must be positive, got {side.ttl}")
    if spec.old.set_identifier.strip() and spec.old.set_identifier == spec.new.set_identifier:
        reasons.append(f"both sides use the set-identifier '{spec.old.set_identifier}'; each record needs its own")
    if spec.old.ttl != spec.new.ttl and not (spec.old.target.is_alias or spec.new.target.is_alias):
        reasons.append(
            f"differing TTLs in the weighted group ({spec.old.name} {spec.old.ttl} s, "
            f"{spec.new.name} {spec.new.ttl} s); Route 53 keeps one TTL per group"
        )
    if spec.current_ttl <= 0:
        reasons.append(f"the current TTL must be positive, got {spec.current_ttl}")
    if not spec.weights:
        reasons.append("no shift steps")
    for i, (old, new) in enumerate(spec.weights, start=1):
        for who, weight in ((spec.old.name, old), (spec.new.name, new)):
            if not 0 <= weight <= MAX_WEIGHT:
                reasons.append(f"step {i}: {who} weight {weight} is outside 0-{MAX_WEIGHT}")
        if old == 0 and new == 0:
            reasons.append(f"step {i}: every weight is 0 (Route 53 would answer both sides equally)")
    if spec.weights and spec.weights[-1][0] != 0:
        reasons.append(f"the last step {spec.weights[-1][0]}:{spec.weights[-1][1]} leaves traffic on the old side")
    if spec.longest_request_s <= 0 or spec.client_cache_s < 0 or spec.hold_s < 0:
        reasons.append("longest request must be positive, client cache and hold non-negative")
    return reasons


def _batch(spec: CutoverSpec, comment: str, weights: tuple[int, int], ttl: int, *, old: str | None = "UPSERT") -> Any:
    changes = []
    for host in spec.hostnames:
        if old:
            changes.append(change(old, record_set(host, spec.old, weight=weights[0], ttl=ttl)))
        changes.append(change("UPSERT", record_set(host, spec.new, weight=weights[1], ttl=ttl)))
    return change_batch(comment, changes)


def _shares(weights: tuple[int, int]) -> str:
    old, new = weights
    return f"{old}/{new} ({new / (old + new) * 100:.1f}% to the new side)"


def build_plan(
    spec: CutoverSpec,
    old_sources: Sequence[HostSource] = (),
    new_sources: Sequence[HostSource] = (),
    gateway: str | None = None,
) -> Plan:
    """The checked plan for ``spec``; raises :class:`UnsafePlanError` with every reason when it is not safe."""
    reasons = check_spec(spec)
    if reasons:
        raise UnsafePlanError(reasons)
    ttl = spec.cutover_ttl
    hold = max(spec.hold_s, 10 * ttl, spec.gates.window_s)
    draining = draining_settings(spec.longest_request_s)
    old_start = [record_set(h, spec.old, weight=None, ttl=spec.current_ttl) for h in spec.hostnames]
    phases: list[Phase] = []
    clock = 0

    def add(phase_hold: int, **fields: Any) -> None:
        nonlocal clock
        phases.append(Phase(start_s=clock, hold_s=phase_hold, **fields))
        clock += phase_hold

    def notes(weights: tuple[int, int] | None, *, old_present: bool = True, at_ttl: int = ttl) -> Any:
        return weighted_annotations(
            spec, old_sources, new_sources, gateway, weights=weights, ttl=at_ttl, old_present=old_present
        )

    simple = old_start
    if spec.current_ttl > ttl and not spec.old.target.is_alias:
        simple = [record_set(h, spec.old, weight=None, ttl=ttl) for h in spec.hostnames]
        add(
            spec.current_ttl + ttl,
            key="lower-ttl",
            title=f"Lower the TTL from {spec.current_ttl} s to {ttl} s and wait out the old TTL",
            change_batch=change_batch("ferry cutover: lower TTL", [change("UPSERT", r) for r in simple]),
            rollback_batch=change_batch("ferry cutover: restore TTL", [change("UPSERT", r) for r in old_start]),
            annotations=notes(None),
            gate=f"{spec.current_ttl + ttl} s have passed, so no resolver still holds the {spec.current_ttl} s answer",
            actions=("apply the batch (or the ttl annotation) a day ahead when the current TTL is long",),
        )
    start_weights = (MAX_WEIGHT, 0)
    create = [change("DELETE", r) for r in simple]
    for host in spec.hostnames:
        create.append(change("CREATE", record_set(host, spec.old, weight=MAX_WEIGHT, ttl=ttl)))
        create.append(change("CREATE", record_set(host, spec.new, weight=0, ttl=ttl)))
    rollback = _batch(spec, "ferry cutover: roll back to the old side", start_weights, ttl)
    add(
        hold,
        key="create-weighted",
        title=f"Replace the simple record by the weighted pair {spec.old.set_identifier} 255 / "
        f"{spec.new.set_identifier} 0 (no traffic moves)",
        weights=start_weights,
        change_batch=change_batch("ferry cutover: create the weighted pair", create),
        rollback_batch=rollback,
        annotations=notes(start_weights),
        gate="the new side answers every hostname correctly out of band (ferry gateway verify, Host-header checks)",
        actions=(
            "attach Route 53 health checks to both records so a zero-weight old side stays a fallback",
            "replay traffic against the new side while it has weight 0",
        ),
    )
    for i, weights in enumerate(spec.weights, start=1):
        add(
            hold,
            key=f"shift-{i}",
            title=f"Shift {_shares(weights)}",
            weights=weights,
            change_batch=_batch(spec, f"ferry cutover: step {i} of {len(spec.weights)}", weights, ttl),
            rollback_batch=rollback,
            annotations=notes(weights),
            gate=spec.gates.describe(),
            actions=("compare 4xx/5xx and latency per endpoint before the next step",),
        )
    final = spec.weights[-1]
    idle = max(hold, 5 * ttl + spec.client_cache_s)
    add(
        idle,
        key="wait-idle",
        title="Keep the old side fully up until no new connection reaches it",
        weights=final,
        rollback_batch=rollback,
        annotations=notes(final),
        gate=f"the old load balancer sees no new connection for {5 * ttl + spec.client_cache_s} s "
        f"(5 × TTL + {spec.client_cache_s} s of client caching beyond TTL)",
        actions=("watch the old load balancer's new-connection and request counts",),
    )
    remove = [change("DELETE", record_set(h, spec.old, weight=final[0], ttl=ttl)) for h in spec.hostnames]
    restore = [change("CREATE", record_set(h, spec.old, weight=MAX_WEIGHT, ttl=ttl)) for h in spec.hostnames]
    restore += [change("UPSERT", record_set(h, spec.new, weight=0, ttl=ttl)) for h in spec.hostnames]
    add(
        ttl + spec.client_cache_s,
        key="remove-old",
        title=f"Delete the {spec.old.set_identifier} weighted record",
        weights=None,
        change_batch=change_batch("ferry cutover: remove the old side's record", remove),
        rollback_batch=change_batch("ferry cutover: bring the old side back", restore),
        annotations=notes(final, old_present=False),
        gate="no answer naming the old side can still be cached",
        actions=tuple(
            f"delete {s.ref} (external-dns then deletes its weighted record) or apply the batch" for s in old_sources
        ),
    )
    nginx = draining["nginx"]
    drain_hold = max(nginx["termination_grace_period_s"], draining["load_balancer"]["deregistration_delay_s"])
    add(
        drain_hold,
        key="drain-old",
        title="Drain ingress-nginx gracefully (the DNS rollback window closes here)",
        gate="the old side has no connection left (or its budgets have run out)",
        actions=(
            f"scale ingress-nginx to 0 with preStop /wait-shutdown and worker-shutdown-timeout "
            f"{nginx['worker_shutdown_timeout_s']}s",
            f"let the load balancer's deregistration delay ({draining['load_balancer']['deregistration_delay_s']} s) "
            "run out; never delete the LoadBalancer Service first",
        ),
    )
    add(
        0,
        key="decommission",
        title="Decommission ingress-nginx and its load balancer",
        actions=("delete the ingress-nginx release and its LoadBalancer Service",),
    )
    if spec.restore_ttl and spec.current_ttl > ttl and not spec.new.target.is_alias:
        batch = _batch(spec, "ferry cutover: restore the TTL", final, spec.current_ttl, old=None)
        add(
            0,
            key="restore-ttl",
            title=f"Raise the TTL back to {spec.current_ttl} s",
            weights=None,
            change_batch=batch,
            annotations=notes(final, old_present=False, at_ttl=spec.current_ttl),
        )
    problems = _replay(old_start, phases) + check_draining(draining)
    if problems:
        raise UnsafePlanError(problems)
    warnings = _warnings(spec, old_sources, new_sources)
    biggest = max((len(p.change_batch["Changes"]) for p in phases if p.change_batch is not None), default=0)
    if biggest > _MAX_CHANGES:
        warnings.append(
            f"a batch holds {biggest} changes, over Route 53's {_MAX_CHANGES} per request; "
            "plan the hostnames in groups (--host) so each group's batches stay atomic"
        )
    return Plan(spec=spec, phases=tuple(phases), draining=draining, warnings=tuple(warnings))


def _replay(start: list[dict[str, Any]], phases: Sequence[Phase]) -> list[str]:
    zone = ZoneState(start)
    reasons: list[str] = []
    for phase in phases:
        before = dict(zone.records)
        if phase.change_batch is not None:
            reasons.extend(f"{phase.key}: {r}" for r in zone.apply(phase.change_batch))
        if phase.rollback_batch is not None:
            trial = ZoneState(zone.records.values())
            reasons.extend(f"{phase.key} rollback: {r}" for r in trial.apply(phase.rollback_batch))
        if reasons:
            zone.records = before
            break
    return reasons


def _warnings(spec: CutoverSpec, old: Sequence[HostSource], new: Sequence[HostSource]) -> list[str]:
    out: list[str] = []
    if not (spec.old.health_check_id and spec.new.health_check_id):
        out.append(
            "no Route 53 health check on both records: a zero-weight old side cannot act as a fallback "
            "(give --old-health-check and --new-health-check)"
        )
    shares = [w[1] / (w[0] + w[1]) for w in spec.weights]
    if any(b < a for a, b in itertools.pairwise(shares)):
        out.append("the new side's share goes down between steps; check the order of --weights")
    if spec.cutover_ttl > 60:
        out.append(f"a TTL of {spec.cutover_ttl} s stretches every step; Route 53 advises 60 s or less with checks")
    aliases = [side.target.is_alias for side in (spec.old, spec.new)]
    plain = spec.old if not aliases[0] else spec.new
    if any(aliases) and not all(aliases) and plain.ttl != 60:
        out.append(
            f"the alias record follows its load balancer's 60 s TTL; give the {plain.name} side's record 60 s too "
            f"(it has {plain.ttl} s)"
        )
    for side, sources in (("old", old), ("new", new)):
        owners: dict[str, list[str]] = {}
        for source in sources:
            for host in source.hosts:
                owners.setdefault(host, []).append(source.ref)
        shared = sorted((host, refs) for host, refs in owners.items() if len(refs) > 1)
        if shared:
            host, refs = shared[0]
            more = f" and {len(shared) - 1} more" if len(shared) > 1 else ""
            out.append(
                f"{len(shared)} hostname(s) are published by several {side}-side objects ({host}: "
                f"{', '.join(refs)}{more}); the plan annotates them identically, keep them identical or external-dns "
                "sees conflicting endpoints"
            )
    return out
