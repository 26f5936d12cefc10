"""The gateway section of ``ferry assess``: audit the estate's Ingresses and propose the Gateway API objects."""

from __future__ import annotations

from ferry._kernel import Artifact, Chart, Estate, Finding, KubeObject, Section, Severity, SourceRef
from ferry.gateway._audit import TARGETS, build_audit, render_markdown
from ferry.gateway._bulk import bulk_work
from ferry.gateway._convert import Status, Target, convert, services_from
from ferry.gateway._ingress import read_ingress_input
from ferry.gateway._report import yaml_stream

__all__ = ["assess_gateway"]

_SEVERITY = {Status.NONE: Severity.WARNING, Status.MANUAL: Severity.WARNING, Status.APPROXIMATE: Severity.INFO}


def assess_gateway(estate: Estate) -> Section:
    """Audit every Ingress of the estate for the move to Gateway API (Envoy Gateway by default)."""
    with bulk_work():
        return _assess(list(estate.objects))


def _assess(objects: list[KubeObject]) -> Section:
    data = read_ingress_input(objects)
    if not data.ingresses and not data.problems:
        return Section("gateway", "No Ingresses in the estate: nothing to migrate.")
    conversion = convert(data, services=services_from(objects))
    audit = build_audit(data, conversion)
    sources = {(i.namespace, i.name): i.source for i in data.ingresses}
    findings: list[Finding] = []
    for problem in data.problems:
        findings.append(
            Finding(
                code="gateway.input",
                severity=Severity.ERROR if problem.severity == "error" else Severity.WARNING,
                message=problem.message,
                obj=problem.obj,
                source=SourceRef(problem.path, problem.document, problem.line),
            )
        )
    for ingress, entry in audit.entries():
        status = entry.status[Target.ENVOY_GATEWAY]
        if status is Status.EXACT:
            continue
        severity = _SEVERITY[status]
        if entry.key.endswith("snippet"):
            severity = Severity.ERROR
        findings.append(
            Finding(
                code=f"gateway.{status.value}",
                severity=severity,
                message=f"{entry.key}: {status.value} on Envoy Gateway" + (f" — {entry.note}" if entry.note else ""),
                obj=f"Ingress {ingress.namespace}/{ingress.name}",
                source=sources.get((ingress.namespace, ingress.name)),
                details={
                    "key": entry.key,
                    "value": entry.value,
                    "status": {t.value: s.value for t, s in entry.status.items()},
                },
            )
        )
    summary = audit.summary()
    eg = summary["targets"][Target.ENVOY_GATEWAY.value]
    text = (
        f"{summary['ingresses']} Ingresses with {summary['annotations']} annotations: on Envoy Gateway "
        f"{eg['exact']} exact, {eg['approximate']} approximate, {eg['manual']} manual, {eg['none']} none; "
        f"recommended target {summary['recommendation']}."
    )
    metrics: dict[str, float | int | str] = {
        "ingresses": summary["ingresses"],
        "annotations": summary["annotations"],
        "objects": len(conversion.objects),
        "recommendation": summary["recommendation"],
    }
    for target in TARGETS:
        metrics[f"score.{target.value}"] = summary["targets"][target.value]["score"]
    chart = Chart(
        "Annotation parity per target",
        [t.value for t in TARGETS],
        [round(summary["targets"][t.value]["score"] * 100, 1) for t in TARGETS],
        "%",
    )
    artifacts = [
        Artifact(
            "gateway-api.yaml",
            "application/yaml",
            yaml_stream(conversion),
            "Gateway API + Envoy Gateway objects for the estate's Ingresses",
        ),
        Artifact("gateway-audit.md", "text/markdown", render_markdown(audit), "annotation audit across six targets"),
    ]
    return Section("gateway", text, findings, artifacts, metrics, [chart])
