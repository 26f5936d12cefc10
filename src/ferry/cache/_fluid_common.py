"""What every Fluid object ferry renders shares: the API group, quantities, names, and the Secrets they read (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["FLUID_API", "dns_label", "dump_stream", "fluid_object", "quantity", "secret_ref", "secret_refs"]

FLUID_API = "data.fluid.io/v1alpha1"
_GI = 1024**3
_MI = 1024**2


def quantity(size: int) -> str:
    """A Kubernetes quantity for ``size`` bytes (``200Gi``, ``512Mi``, or plain bytes)."""
    if size % _GI == 0:
        return f"{size // _GI}Gi"
    if size % _MI == 0:
        return f"{size // _MI}Mi"
    return str(size)


def dns_label(*parts: str) -> str:
    """``parts`` joined by ``-`` as a DNS-1123 label (lowercase, ``[a-z0-9-]``, at most 63 characters).

    A name that must be cut keeps a digest of the whole, so two long names that differ only at the end stay apart.
    """
    text = re.sub(r"[^a-z0-9-]+", "-", "-".join(p for p in parts if p).lower())
    text = re.sub(r"-{2,}", "-", text).strip("-") or "ferry"
    if len(text) <= 63:
        return text
    import hashlib  # here, not at the top: `import ferry.cache` stays free of hashlib (warm loads)

    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{text[:54].rstrip('-')}-{digest}"


def fluid_object(kind: str, name: str, namespace: str, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``data.fluid.io/v1alpha1`` object (no ``spec`` key when ``spec`` is None)."""
    obj: dict[str, Any] = {"apiVersion": FLUID_API, "kind": kind, "metadata": {"name": name, "namespace": namespace}}
    if spec is not None:
        obj["spec"] = spec
    return obj


def secret_ref(name: str, secret: str, key: str) -> dict[str, Any]:
    """An ``encryptOptions`` / ``env`` entry: ``name`` read from key ``key`` of Secret ``secret``."""
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _refs(node: Any) -> Iterator[tuple[str, str]]:
    if isinstance(node, Mapping):
        ref = node.get("secretKeyRef")
        if isinstance(ref, Mapping) and isinstance(ref.get("name"), str) and isinstance(ref.get("key"), str):
            yield ref["name"], ref["key"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def secret_refs(objects: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[str, ...]]:
    """Every Secret the objects read, as ``(namespace, name) -> keys`` (sorted), in the order first read."""
    found: dict[tuple[str, str], set[str]] = {}
    for obj in objects:
        namespace = str((obj.get("metadata") or {}).get("namespace") or "default")
        for name, key in _refs(obj.get("spec")):
            found.setdefault((namespace, name), set()).add(key)
    return {ref: tuple(sorted(keys)) for ref, keys in found.items()}


def dump_stream(objects: list[dict[str, Any]]) -> str:
    """The objects as a YAML stream (key order kept; multi-line strings, like an import script, as ``|`` blocks)."""
    import yaml  # here, not at import time: ``import ferry.cache`` stays light

    class _Dumper(yaml.SafeDumper):
        pass

    def _text(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)

    _Dumper.add_representer(str, _text)
    return yaml.dump_all(objects, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True)
