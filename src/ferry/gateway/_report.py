"""The conversion report (who owns what, what differs, the audit) and the output layout (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from ferry.gateway._audit import Audit, render_markdown
from ferry.gateway._convert import Conversion
from ferry.gateway._yamlout import dump_stream

__all__ = ["conversion_files", "conversion_report", "conversion_to_dict", "yaml_stream"]


def yaml_stream(conversion: Conversion) -> str:
    """Every object as one YAML stream (deterministic)."""
    if not conversion.objects:
        return ""
    return dump_stream(conversion.objects)


def conversion_files(conversion: Conversion) -> dict[str, str]:
    """Relative path → YAML text: ``<namespace>/<kind>.yaml`` (``cluster/`` for cluster-scoped objects)."""
    grouped: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for obj in conversion.objects:
        namespace = obj["metadata"].get("namespace") or "cluster"
        grouped[f"{namespace}/{obj['kind'].lower()}.yaml"].append(obj)
    return {path: dump_stream(objs) for path, objs in sorted(grouped.items())}


def conversion_report(conversion: Conversion, audit: Audit) -> str:
    """Markdown: ownership, warnings, then the audit."""
    lines = ["# ferry gateway convert", ""]
    options = conversion.options
    mode = (
        "one Gateway per application namespace"
        if options.gateway_per_namespace
        else (f"shared Gateways per ingress class in namespace `{options.gateway_namespace}`")
    )
    lines += [
        f"Target `{options.target.value}`, channel `{options.channel.value}`, {mode}.",
        "",
        "## Who owns what",
        "",
    ]
    lines += ["| object | owner | why |", "|---|---|---|"]
    for owner in conversion.ownership:
        lines.append(f"| `{owner.ref}` | {owner.owner} | {owner.reason} |")
    if conversion.warnings:
        lines += ["", "## Warnings", ""]
        lines += [f"- {w}" for w in conversion.warnings]
    lines += ["", render_markdown(audit).replace("# ingress-nginx annotation audit", "## Annotation audit", 1)]
    return "\n".join(lines)


def conversion_to_dict(conversion: Conversion, audit: Audit, *, objects: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "options": {
            "target": conversion.options.target.value,
            "channel": conversion.options.channel.value,
            "gateway_namespace": conversion.options.gateway_namespace,
            "gateway_per_namespace": conversion.options.gateway_per_namespace,
        },
        "counts": dict(sorted(_count(conversion).items())),
        "ownership": [
            {"object": o.ref, "owner": o.owner, "namespace": o.namespace, "reason": o.reason}
            for o in conversion.ownership
        ],
        "warnings": list(conversion.warnings),
        "audit": audit.to_dict(),
    }
    if objects:
        out["objects"] = [dict(o) for o in conversion.objects]
    return out


def _count(conversion: Conversion) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for obj in conversion.objects:
        counts[obj["kind"]] += 1
    return counts
