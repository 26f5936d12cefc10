"""The plan as markdown and as plain rows for the terminal (pure)."""

from __future__ import annotations

import json

from ferry.gateway._cutover._model import Plan

__all__ = ["duration", "plan_markdown"]


def duration(seconds: int) -> str:
    """``5400`` → ``1 h 30 min``; ``90`` → ``1 min 30 s``."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else "", f"{secs} s" if secs else ""]
    return " ".join(p for p in parts if p) or "0 s"


def plan_markdown(plan: Plan) -> str:
    """A runbook: the timeline, each phase with its gate, batch, rollback and annotations, then the draining."""
    spec = plan.spec
    zone = spec.zone_id or "$ZONE_ID"
    lines = [
        "# Weighted-DNS cutover plan",
        "",
        f"- Hostnames: {', '.join(f'`{h}`' for h in spec.hostnames)} (hosted zone `{zone}`)",
        f"- Old side: `{spec.old.set_identifier}` → `{spec.old.target.value}` ({spec.old.target.record_type})",
        f"- New side: `{spec.new.set_identifier}` → `{spec.new.target.value}` ({spec.new.target.record_type})",
        f"- TTL: {spec.current_ttl} s today, {spec.cutover_ttl} s during the cutover",
        f"- Gate per step: {spec.gates.describe()}",
        f"- Total: {duration(plan.duration_s)}",
        "",
        "| # | phase | starts at | hold | weights old/new | gate |",
        "|---|---|---|---|---|---|",
    ]
    for i, phase in enumerate(plan.phases, start=1):
        weights = f"{phase.weights[0]}/{phase.weights[1]}" if phase.weights else "—"
        lines.append(
            f"| {i} | {phase.title} | {duration(phase.start_s)} | {duration(phase.hold_s)} | {weights} | "
            f"{phase.gate or '—'} |"
        )
    if plan.warnings:
        lines += ["", "## Warnings", ""] + [f"- {w}" for w in plan.warnings]
    for i, phase in enumerate(plan.phases, start=1):
        lines += ["", f"## {i}. {phase.title} (`{phase.key}`)", ""]
        lines += [f"- {a}" for a in phase.actions]
        if phase.gate:
            lines.append(f"- Gate: {phase.gate}")
        if phase.change_batch is not None:
            lines += [
                "",
                f"Route 53 change batch (`aws route53 change-resource-record-sets --hosted-zone-id {zone} "
                f"--change-batch file://{i:02d}-{phase.key}.json`):",
                "",
                "```json",
                json.dumps(phase.change_batch, indent=2),
                "```",
            ]
        if phase.annotations:
            lines += ["", "external-dns annotations:", ""]
            for ref, notes in phase.annotations.items():
                pairs = ", ".join(f"`{k}: {v}`" for k, v in notes.items())
                lines.append(f"- {ref}: {pairs}")
        if phase.rollback_batch is not None:
            lines += ["", "Rollback:", "", "```json", json.dumps(phase.rollback_batch, indent=2), "```"]
    d = plan.draining
    lines += [
        "",
        "## Draining",
        "",
        f"Sized for requests up to {d['longest_request_s']} s.",
        "",
        f"- Envoy Gateway: `EnvoyProxy.spec.shutdown.drainTimeout: {d['envoy']['drain_timeout_s']}s`, "
        f"`minDrainDuration: {d['envoy']['min_drain_duration_s']}s`, Envoy pods "
        f"`terminationGracePeriodSeconds: {d['envoy']['termination_grace_period_s']}`",
        f"- ingress-nginx: `worker-shutdown-timeout: {d['nginx']['worker_shutdown_timeout_s']}s`, "
        f"`--shutdown-grace-period={d['nginx']['shutdown_grace_period_s']}`, preStop `/wait-shutdown`, "
        f"`terminationGracePeriodSeconds: {d['nginx']['termination_grace_period_s']}`",
        f"- Load balancers: deregistration delay {d['load_balancer']['deregistration_delay_s']} s",
        "",
    ]
    return "\n".join(lines)
