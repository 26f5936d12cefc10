"""Shared state of one conversion run: the outcome recorder and the emitted objects (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ferry.gateway._convert._model import DIFFERENCE_ANNOTATION, ConvertOptions, Outcome, Ownership, Status
from ferry.gateway._ingress import ControllerConfig, Ingress

__all__ = ["Context", "Grants", "new_object", "obj_ref"]

GW = "gateway.networking.k8s.io"
GW_V1 = "gateway.networking.k8s.io/v1"
EG = "gateway.envoyproxy.io"
EG_V1 = "gateway.envoyproxy.io/v1alpha1"


def obj_ref(obj: Mapping[str, Any]) -> str:
    meta = obj["metadata"]
    ns = meta.get("namespace")
    return f"{obj['kind']} {ns}/{meta['name']}" if ns else f"{obj['kind']} {meta['name']}"


def new_object(api_version: str, kind: str, namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


@dataclass
class Grants:
    """ReferenceGrants to emit: (to namespace, from group, from kind, from namespace) → {(to group, to kind, name)}."""

    wanted: dict[tuple[str, str, str, str], set[tuple[str, str, str]]] = field(default_factory=dict)

    def allow(
        self, from_group: str, from_kind: str, from_ns: str, to_group: str, to_kind: str, to_ns: str, name: str
    ) -> None:
        if from_ns == to_ns:
            return
        self.wanted.setdefault((to_ns, from_group, from_kind, from_ns), set()).add((to_group, to_kind, name))

    def emit(self, ctx: Context) -> None:
        for (to_ns, from_group, from_kind, from_ns), targets in sorted(self.wanted.items()):
            spec = {
                "from": [{"group": from_group, "kind": from_kind, "namespace": from_ns}],
                "to": [{"group": g, "kind": k, "name": n} for g, k, n in sorted(targets)],
            }
            from ferry.gateway._convert._naming import join_name

            grant = new_object(GW_V1, "ReferenceGrant", to_ns, join_name(from_ns, from_kind, "refs"), spec)
            ctx.emit(grant, owner="application", reason=f"lets {from_kind}s in {from_ns} reference objects here")


@dataclass
class Context:
    """Collects objects, differences and annotation outcomes while converting."""

    options: ConvertOptions
    config: ControllerConfig
    services: Mapping[tuple[str, str], Mapping[str, int]] = field(default_factory=dict)
    objects: list[dict[str, Any]] = field(default_factory=list)
    differences: list[tuple[str, str]] = field(default_factory=list)
    outcomes: dict[tuple[str, str, str], Outcome] = field(default_factory=dict)
    ownership: list[Ownership] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    grants: Grants = field(default_factory=Grants)
    emitted: set[str] = field(default_factory=set)

    def emit(self, obj: dict[str, Any], *, owner: str, reason: str, source: Ingress | None = None) -> dict[str, Any]:
        if source is not None:
            meta = obj["metadata"]
            meta.setdefault("labels", {})["gateway.ferry.dev/ingress"] = source.name
        ref = obj_ref(obj)
        self.objects.append(obj)
        self.emitted.add(ref)
        self.ownership.append(Ownership(ref, owner, obj["metadata"].get("namespace", ""), reason))
        return obj

    def differ(self, obj: dict[str, Any], text: str) -> None:
        """Record that ``obj`` cannot express an nginx behaviour exactly; the object carries the note too."""
        annotations = obj["metadata"].setdefault("annotations", {})
        current = annotations.get(DIFFERENCE_ANNOTATION, "")
        lines = [line for line in current.split("\n") if line]
        if text not in lines:
            lines.append(text)
            annotations[DIFFERENCE_ANNOTATION] = "\n".join(lines)
            self.differences.append((obj_ref(obj), text))

    def record(self, ingress: Ingress, key: str, status: Status, note: str = "", objects: tuple[str, ...] = ()) -> None:
        """Say what happened to annotation ``key`` of ``ingress`` (worst status wins when recorded twice)."""
        value = ingress.annotation(key)
        if value is None:  # the common case: converters record every key they could act on
            return
        slot = (ingress.namespace, ingress.name, value.canonical)
        previous = self.outcomes.get(slot)
        if previous is not None and previous.status.rank >= status.rank:
            if objects:
                merged = tuple(dict.fromkeys((*previous.objects, *objects)))
                self.outcomes[slot] = Outcome(*_head(previous), previous.status, previous.note, merged)
            return
        merged = tuple(dict.fromkeys((*(previous.objects if previous else ()), *objects)))
        self.outcomes[slot] = Outcome(ingress.namespace, ingress.name, value.canonical, value.raw, status, note, merged)

    def backend_port(self, namespace: str, service: str, port: int | str) -> int | None:
        if isinstance(port, int):
            return port
        return self.services.get((namespace, service), {}).get(port)


def _head(outcome: Outcome) -> tuple[str, str, str, str]:
    return (outcome.namespace, outcome.name, outcome.key, outcome.value)
