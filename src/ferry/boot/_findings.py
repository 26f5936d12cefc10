"""What is wrong with one server's boot configuration, and what it costs (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ferry._kernel import Severity
from ferry.boot._model import BootConfig, OptionKind
from ferry.boot._parse_vendor import ASSUMED_ORDER
from ferry.boot._predict import Outcome, Prediction, option_works

__all__ = ["AT_RISK_S", "BootFinding", "find"]

AT_RISK_S = 300.0
"""A server whose worst case wastes five minutes or more per boot is at risk (one Cloudflare-sized failure)."""


@dataclass(frozen=True)
class BootFinding:
    code: str
    severity: Severity
    message: str
    options: tuple[str, ...] = ()
    hint: str | None = None
    line: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "options": list(self.options),
            "hint": self.hint,
            "line": self.line,
        }


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


def _time_findings(worst: Prediction) -> list[BootFinding]:
    out: list[BootFinding] = []
    wasted = worst.wasted_s
    failed = tuple(a.ref for a in worst.attempts if a.outcome is Outcome.FAIL and a.kind and a.kind.is_network)
    if failed:
        severity = (
            Severity.CRITICAL
            if wasted >= 3 * AT_RISK_S
            else Severity.ERROR
            if wasted >= AT_RISK_S
            else Severity.WARNING
        )
        out.append(
            BootFinding(
                "boot.network-timeouts",
                severity,
                f"{len(failed)} network boot attempt(s) time out before the server boots: {_minutes(wasted)} wasted "
                "per boot in the worst case",
                failed,
                hint="run 'ferry boot plan' and apply it: one network option on the provisioning NIC, the rest off",
                details={"wasted_s": round(wasted, 1)},
            )
        )
    if not worst.boots:
        stop = worst.attempts[-1] if worst.attempts and worst.attempts[-1].outcome is Outcome.STOP else None
        message = (
            f"the boot stops in the EFI Shell ({stop.ref}) before any option boots"
            if stop
            else "no option in BootNext/BootOrder can boot this server"
        )
        out.append(
            BootFinding(
                "boot.no-bootable-option",
                Severity.CRITICAL,
                message,
                (stop.ref,) if stop else (),
                hint="put the OS loader (or the provisioning NIC while provisioning) ahead in BootOrder",
            )
        )
    return out


def find(config: BootConfig, worst: Prediction) -> list[BootFinding]:
    """Every finding for one server, given its worst-case prediction."""
    out = _time_findings(worst)
    prov = config.provisioning_nic
    active_net = [o for o in config.options if o.active and o.kind.is_network and o.id in config.boot_order]
    first_disk = next(
        (
            i
            for i, oid in enumerate(config.boot_order)
            if (o := config.option(oid)) and o.kind is OptionKind.DISK and o.active
        ),
        None,
    )
    if first_disk is not None:
        ahead = tuple(
            o.ref
            for oid in config.boot_order[:first_disk]
            if (o := config.option(oid)) and o.active and o.kind.is_network and o.kind.value not in config.disabled
        )
        if ahead:
            out.append(
                BootFinding(
                    "boot.network-before-disk",
                    Severity.WARNING,
                    f"{len(ahead)} active network option(s) come before the first disk; a reboot after a firmware "
                    "update walks through all of them",
                    ahead,
                    hint="steady state: disk first, one network option after it as the fallback",
                )
            )
    elif config.options:
        out.append(BootFinding("boot.no-disk", Severity.WARNING, "no active disk option in BootOrder"))
    if prov is not None:
        dead = tuple(o.ref for o in active_net if o.nic_key and o.nic_key != prov.mac)
        if dead:
            out.append(
                BootFinding(
                    "boot.unused-nic-options",
                    Severity.WARNING,
                    f"{len(dead)} active network option(s) on NICs that are not on the provisioning network",
                    dead,
                    hint="deactivate them (efibootmgr -A) or disable network boot on those NICs in the BIOS",
                )
            )
        wrong = tuple(
            o.ref
            for o in active_net
            if o.nic_key == prov.mac and o.kind is not OptionKind.NIC_ROM and o.kind is not prov.boot_kind
        )
        if wrong:
            out.append(
                BootFinding(
                    "boot.unused-protocols",
                    Severity.WARNING,
                    f"{len(wrong)} option(s) on the provisioning NIC use a protocol or IP family it does not serve "
                    f"({prov.protocol} over {prov.family} is served)",
                    wrong,
                    hint="deactivate them or switch the protocol off in the BIOS (e.g. IPv6 PXE support)",
                )
            )
        works = [o for o in config.options if o.kind.is_network and o.nic_key == prov.mac and option_works(o, prov)]
        if not works:
            out.append(
                BootFinding(
                    "boot.provisioning-option-missing",
                    Severity.ERROR,
                    f"no {prov.boot_kind.value} option exists on the provisioning NIC {prov.mac}"
                    + ("" if prov.dhcp else " (and DHCP is not known to answer there)"),
                    hint="enable network boot on that NIC in the BIOS, then re-run the audit",
                )
            )
    else:
        out.append(
            BootFinding(
                "boot.no-nic-facts",
                Severity.INFO,
                "no NIC facts for this server: every network attempt is assumed to time out",
                hint="add the server to boot/inventory.yaml (MAC, link, provisioning, dhcp)",
            )
        )
    missing = tuple(a.ref for a in worst.attempts if a.outcome is Outcome.MISSING)
    if missing:
        out.append(
            BootFinding("boot.missing-option", Severity.WARNING, "BootOrder names options that do not exist", missing)
        )
    orphans = tuple(o.ref for o in config.orphans if o.active and o.kind is not OptionKind.APP)
    if orphans:
        out.append(
            BootFinding(
                "boot.orphan-options",
                Severity.INFO,
                f"{len(orphans)} active option(s) exist outside BootOrder (firmware may append them after an update)",
                orphans,
            )
        )
    if config.boot_next is not None:
        out.append(
            BootFinding(
                "boot.boot-next-pending",
                Severity.INFO,
                f"BootNext is set to Boot{config.boot_next:04X}: the next boot tries it first, once",
                (f"Boot{config.boot_next:04X}",),
            )
        )
    if config.retry_count:
        out.append(
            BootFinding(
                "boot.vendor-retries",
                Severity.WARNING,
                f"the firmware retries every failed network attempt {config.retry_count} more time(s) "
                f"({config.vendor} retry count), multiplying each timeout by {1 + config.retry_count}",
                hint="lower the retry count (HPE NetworkBootRetryCount) or disable the retry",
            )
        )
    if config.attributes.get(ASSUMED_ORDER):
        out.append(
            BootFinding(
                "boot.assumed-order",
                Severity.INFO,
                "the BIOS attributes carry no boot order; the firmware default (network first) is assumed",
                hint="add an efibootmgr -v or Redfish dump of the same server to audit its real order",
            )
        )
    return out
