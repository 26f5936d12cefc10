"""Reading the parts of a pod that the rules and the mutation care about (pure, tolerant of any JSON)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ferry.coco._profile import CocoProfile

__all__ = [
    "SEALED_SECRETS_ANNOTATION",
    "PodContext",
    "annotations_of",
    "containers_of",
    "mapping",
    "pod_template",
    "scope_of",
    "sealed_names_of",
]

SEALED_SECRETS_ANNOTATION = "coco.ferry.dev/sealed-secrets"
"""Comma-separated Secret names the webhook wires in as sealed-secret volumes (and D7 treats as sealed)."""

_CONTROLLER_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"}


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def listing(value: Any) -> list[Any]:
    """``value`` when it is a list, else an empty one (what a malformed pod has where a list belongs)."""
    return value if isinstance(value, list) else []


def annotations_of(pod: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping(mapping(pod.get("metadata")).get("annotations"))


def labels_of(pod: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping(mapping(pod.get("metadata")).get("labels"))


def containers_of(pod: Mapping[str, Any], *, ephemeral: bool = True) -> Iterator[tuple[str, int, Mapping[str, Any]]]:
    """(list name, index, container) for init, regular and (optionally) ephemeral containers."""
    spec = mapping(pod.get("spec"))
    keys = ("initContainers", "containers", "ephemeralContainers") if ephemeral else ("initContainers", "containers")
    for key in keys:
        items = spec.get(key)
        if isinstance(items, list):
            for i, c in enumerate(items):
                if isinstance(c, Mapping):
                    yield key, i, c


def pod_template(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The pod a manifest describes: a Pod itself, a controller's template, or a CronJob's job template."""
    kind = obj.get("kind")
    if kind == "Pod":
        return obj
    spec = mapping(obj.get("spec"))
    if kind in _CONTROLLER_KINDS:
        template = spec.get("template")
        return template if isinstance(template, Mapping) else None
    if kind == "CronJob":
        template = mapping(mapping(spec.get("jobTemplate")).get("spec")).get("template")
        return template if isinstance(template, Mapping) else None
    return None


def sealed_names_of(pod: Mapping[str, Any]) -> tuple[str, ...]:
    raw = annotations_of(pod).get(SEALED_SECRETS_ANNOTATION)
    if not isinstance(raw, str):
        return ()
    return tuple(dict.fromkeys(n.strip() for n in raw.split(",") if n.strip()))


@dataclass(frozen=True)
class PodContext:
    """What the request (or the estate) tells about a pod beyond its own spec.

    ``namespace_demands_coco``: the namespace is selected by the profile (from the webhook path the API server
    used, or from the Namespace object in an estate). ``sealed_secrets``: Secret names known to hold sealed values.
    """

    operation: str = "CREATE"
    namespace: str = ""
    namespace_demands_coco: bool = False
    old_pod: Mapping[str, Any] | None = None
    sub_resource: str = ""
    sealed_secrets: frozenset[str] = field(default_factory=frozenset)


def _labels_match(labels: Mapping[str, Any], wanted: Mapping[str, str]) -> bool:
    return bool(wanted) and all(k in labels and str(labels[k]) == v for k, v in wanted.items())


def scope_of(pod: Mapping[str, Any], profile: CocoProfile, ctx: PodContext) -> tuple[bool, bool, str]:
    """(in scope, CoCo demanded, why): demanded by namespace or pod labels; in scope also by a CoCo runtime class."""
    if ctx.namespace_demands_coco or (ctx.namespace and ctx.namespace in profile.namespaces):
        return True, True, f"namespace {ctx.namespace or '(request)'} is confidential"
    if _labels_match(labels_of(pod), profile.pod_labels):
        return True, True, "pod labels select it as confidential"
    runtime_class = mapping(pod.get("spec")).get("runtimeClassName")
    if isinstance(runtime_class, str) and runtime_class in profile.runtime_classes:
        return True, False, f"runtimeClassName {runtime_class} is a CoCo class"
    return False, False, "not confidential"
