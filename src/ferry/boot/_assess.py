"""The boot section of ``ferry assess``: fleet worst case, servers at risk, and the fix as artifacts.

Reads the estate's ``boot/`` files (I/O through :mod:`ferry.boot._load`); the judging is the pure fleet audit.
"""

from __future__ import annotations

import json
from pathlib import Path

from ferry._kernel import Artifact, Chart, Estate, Finding, Section, Severity, SourceRef
from ferry.boot._audit import audit_fleet
from ferry.boot._emit import efibootmgr_script, ipxe_script, redfish_requests
from ferry.boot._errors import BootPlanError
from ferry.boot._load import HISTORY, load_fleet
from ferry.boot._parse_binary import EFIVARFS_NAME
from ferry.boot._plan import make_plan

__all__ = ["assess_boot"]


def _dump_paths(estate: Estate) -> list[Path]:
    paths: dict[str, Path] = {}
    for f in estate.files_in("boot"):
        if HISTORY in f.absolute.parts[:-1]:
            continue
        target = f.absolute.parent if EFIVARFS_NAME.match(f.absolute.name) else f.absolute
        paths[str(target)] = target
    return [paths[k] for k in sorted(paths)]


def assess_boot(estate: Estate) -> Section:
    """Audit every boot dump of the estate; plan the fix for each server at risk."""
    fleet = load_fleet(_dump_paths(estate))
    findings: list[Finding] = []
    for error in fleet.errors:
        findings.append(Finding("boot.unreadable-dump", Severity.ERROR, error.message, source=_source(error.where)))
    if not fleet.configs:
        return Section("boot", "no boot dumps found under boot/", findings)
    report = audit_fleet(fleet.configs)
    artifacts: list[Artifact] = []
    for server in report.servers:
        cfg = server.config
        for f in server.findings:
            findings.append(
                Finding(
                    f.code,
                    f.severity,
                    f.message,
                    obj=f"server {cfg.name}",
                    source=SourceRef(cfg.source.split("+", 1)[0], line=f.line),
                    hint=f.hint,
                    details={"options": list(f.options), **f.details},
                )
            )
        if not server.findings or all(f.severity.rank == 0 for f in server.findings):
            continue
        try:
            plan = make_plan(cfg, "steady")
        except BootPlanError:
            continue
        if not plan.changes:
            continue
        artifacts.append(
            Artifact(
                f"boot/{cfg.name}.efibootmgr.sh",
                "text/x-shellscript",
                efibootmgr_script(plan),
                f"steady state for {cfg.name}: worst case {plan.before.total_s:.0f} s -> {plan.after.total_s:.0f} s",
            )
        )
        artifacts.append(
            Artifact(
                f"boot/{cfg.name}.redfish.json",
                "application/json",
                json.dumps(redfish_requests(plan), indent=2) + "\n",
                f"the same fix as Redfish PATCH requests for {cfg.name}'s BMC",
            )
        )
        if plan.provisioning_nic is not None and plan.network_option is not None:
            artifacts.append(
                Artifact(
                    f"boot/{cfg.name}.ipxe",
                    "text/plain",
                    ipxe_script(plan),
                    f"iPXE script for {cfg.name}: only {plan.provisioning_nic.mac}, bounded retries",
                )
            )
    artifacts.append(
        Artifact("boot/fleet-boot-time.svg", "image/svg+xml", report.chart_svg(), "predicted time to boot")
    )
    summary = report.summary()
    ranked = sorted(report.servers, key=lambda s: -s.worst.total_s)
    at_risk = len(report.at_risk)
    text = (
        f"{len(report.servers)} servers; {at_risk} at risk (≥ 5 min lost per boot in the worst case); fleet worst "
        f"case {report.worst_s / 60:.1f} min ({summary['fleet_worst_server']})"
    )
    return Section(
        "boot",
        text,
        findings,
        artifacts,
        metrics={
            "servers": len(report.servers),
            "at_risk": at_risk,
            "fleet_worst_s": summary["fleet_worst_s"],
            "fleet_worst_server": summary["fleet_worst_server"] or "",
            "wasted_worst_total_s": summary["wasted_worst_total_s"],
        },
        charts=[
            Chart(
                "Worst-case time to boot per server",
                [s.config.name for s in ranked],
                [round(s.worst.total_s / 60, 1) for s in ranked],
                "min",
            )
        ],
    )


def _source(where: str | None) -> SourceRef | None:
    if not where:
        return None
    path, _, line = where.rpartition(":")
    if path and line.isdigit():
        return SourceRef(path, line=int(line))
    return SourceRef(where)
