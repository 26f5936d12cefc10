"""From command-line style inputs to a plan: hostnames from objects, sides, steps (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from ferry._kernel._manifests import KubeObject
from ferry.gateway._cutover._converted import converted_objects
from ferry.gateway._cutover._errors import UnsafePlanError
from ferry.gateway._cutover._hosts import HostSource, derived_routes, sources_of
from ferry.gateway._cutover._model import CutoverSpec, Endpoint, Gates, Plan, Target
from ferry.gateway._cutover._schedule import PROFILES, build_plan, parse_weights, weights_for_steps

__all__ = ["PlanRequest", "plan_from_objects"]


@dataclass(frozen=True)
class PlanRequest:
    """The inputs of ``ferry gateway cutover plan``, as given (validated when the plan is built)."""

    old_target: str
    new_target: str
    hosts: tuple[str, ...] = ()
    zone_id: str | None = None
    old_alias_zone: str | None = None
    new_alias_zone: str | None = None
    old_set_identifier: str = "ingress-nginx"
    new_set_identifier: str = "envoy-gateway"
    current_ttl: int = 300
    ttl: int = 60
    old_ttl: int | None = None
    new_ttl: int | None = None
    profile: str = "standard"
    steps: int | None = None
    weights: str | None = None
    gates: Gates = field(default_factory=Gates)
    hold_s: int = 0
    longest_request_s: int = 60
    client_cache_s: int = 30
    old_health_check: str | None = None
    new_health_check: str | None = None
    gateway: str | None = None


def _weights(request: PlanRequest) -> tuple[tuple[int, int], ...]:
    chosen = [name for name, value in (("--steps", request.steps), ("--weights", request.weights)) if value]
    if len(chosen) > 1:
        raise UnsafePlanError(["give either --steps or --weights, not both"])
    if request.weights:
        return parse_weights(request.weights)
    if request.steps:
        return weights_for_steps(request.steps)
    if request.profile not in PROFILES:
        raise UnsafePlanError([f"unknown risk profile '{request.profile}' (one of {', '.join(PROFILES)})"])
    return PROFILES[request.profile]


def _gateway(objects: Sequence[KubeObject], old: Sequence[HostSource]) -> str | None:
    for obj in objects:
        if obj.kind == "Gateway" and obj.group == "gateway.networking.k8s.io":
            return f"{obj.namespace}/{obj.name}" if obj.namespace else obj.name
    for obj in objects:
        if obj.kind == "Ingress":
            spec = obj.body.get("spec")
            klass = spec.get("ingressClassName") if isinstance(spec, dict) else None
            klass = klass or obj.annotations.get("kubernetes.io/ingress.class") or "nginx"
            return f"{obj.namespace}/{klass}" if obj.namespace else str(klass)
    return None if not old else "nginx"


def plan_from_objects(request: PlanRequest, objects: Iterable[KubeObject] = ()) -> Plan:
    """The plan for the hostnames the objects publish (plus ``request.hosts``)."""
    found = list(objects)
    old_sources, new_sources = sources_of(found)
    notes: list[str] = []
    if old_sources and not new_sources:
        converted, problem = converted_objects(found)
        _, new_sources = sources_of(converted)
        found += [o for o in converted if o.kind == "Gateway"]
        if not new_sources:
            new_sources = derived_routes(old_sources)
            notes.append(
                "the HTTPRoute names are derived as <ingress>-<host>"
                + (f" (the conversion failed: {problem})" if problem else "")
            )
    hosts = {h.lower().rstrip(".") for h in request.hosts}
    hosts.update(h for source in (*old_sources, *new_sources) for h in source.hosts)
    old = Endpoint(
        "old",
        request.old_set_identifier,
        Target(request.old_target, request.old_alias_zone),
        request.old_ttl if request.old_ttl is not None else request.ttl,
        request.old_health_check,
    )
    new = Endpoint(
        "new",
        request.new_set_identifier,
        Target(request.new_target, request.new_alias_zone),
        request.new_ttl if request.new_ttl is not None else request.ttl,
        request.new_health_check,
    )
    spec = CutoverSpec(
        hostnames=tuple(sorted(hosts)),
        zone_id=request.zone_id,
        old=old,
        new=new,
        current_ttl=request.current_ttl,
        weights=_weights(request),
        gates=request.gates,
        hold_s=request.hold_s,
        longest_request_s=request.longest_request_s,
        client_cache_s=request.client_cache_s,
    )
    gateway = request.gateway or _gateway(found, old_sources)
    plan = build_plan(spec, old_sources, new_sources, gateway)
    return replace(plan, warnings=(*plan.warnings, *notes)) if notes else plan
