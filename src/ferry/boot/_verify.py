"""Verify a plan by booting it: OVMF under QEMU, predicted versus measured, before and after (I/O).

1. Enumerate: boot a fresh NVRAM until the boot manager starts its first option; OVMF has then created its boot
   options (per NIC: PXEv4, PXEv6, HTTPv4, HTTPv6, plus one for an iPXE ROM). Read them from the VARS file.
2. Predict with the same timing model ``ferry boot audit`` uses (edk2 defaults), NIC facts from the topology.
3. Boot "before" (as the firmware left it) and "after" (the plan written into the VARS file), timing every attempt
   on the serial console, and compare the boot-manager phase (first attempt to boot, or to the EFI Shell when
   nothing boots) with the prediction. POST is reported, not predicted: under TCG it depends on the host's load.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ferry._kernel import atomic_write_bytes
from ferry.boot._diff import BootDiff, diff_configs
from ferry.boot._efiapp import BOOT_MARKER, efi_boot_target
from ferry.boot._errors import BootDumpError, EmulatorError
from ferry.boot._model import BootConfig, NicFact, OptionKind
from ferry.boot._parse_binary import parse_varstore
from ferry.boot._plan import Plan, apply_plan_to_config, make_order_plan, make_plan
from ferry.boot._predict import Outcome, Prediction, predict
from ferry.boot._qemu import BOOT_FILE, QemuNic, boot_once, ovmf_files
from ferry.boot._serial import SerialTimeline, read_serial
from ferry.boot._timing import TimingModel
from ferry.boot._varstore import VarStoreError, apply_plan_to_image

__all__ = ["RunReport", "VerifyReport", "nic_macs", "verify_qemu"]

ABSOLUTE_SLACK_S = 3.0
"""Short phases (a boot that succeeds at once) are compared with this absolute slack as well as the ratio."""


def _firmware_drift(written: BootConfig, vars_file: Path) -> BootDiff | None:
    """Compare the NVRAM the firmware left with what was written before the boot."""
    try:
        after = parse_varstore(vars_file.read_bytes(), path=str(vars_file), name=written.name)
    except (OSError, BootDumpError):
        return None
    return diff_configs(written, after.with_facts(written.nics))


def _load_per_cpu() -> float:
    return os.getloadavg()[0] / (os.cpu_count() or 1)


def nic_macs(count: int) -> list[str]:
    return [f"52:54:00:00:00:{i + 1:02x}" for i in range(count)]


@dataclass(frozen=True)
class RunReport:
    label: str
    predicted: Prediction
    timeline: SerialTimeline
    tolerance: float
    drift: BootDiff | None = None
    """What the firmware itself changed in NVRAM during the boot (re-created, re-activated, reordered options)."""

    @property
    def measured_s(self) -> float | None:
        return self.timeline.phase_s

    @property
    def error(self) -> float | None:
        measured = self.measured_s
        if measured is None or measured <= 0:
            return None
        return abs(self.predicted.total_s - measured) / measured

    @property
    def ok(self) -> bool:
        measured = self.measured_s
        if measured is None:
            return False
        booted = self.timeline.booted_s is not None
        if booted != self.predicted.boots:
            return False
        diff = abs(self.predicted.total_s - measured)
        return diff <= ABSOLUTE_SLACK_S or (self.error is not None and self.error <= self.tolerance)

    def to_dict(self) -> dict[str, Any]:
        error = self.error
        return {
            "label": self.label,
            "predicted_s": round(self.predicted.total_s, 1),
            "measured_s": round(self.measured_s, 1) if self.measured_s is not None else None,
            "error_pct": round(100 * error, 1) if error is not None else None,
            "ok": self.ok,
            "booted": self.timeline.booted_s is not None,
            "predicted_boots": self.predicted.boots,
            "post_s": round(self.timeline.first_attempt_s, 1) if self.timeline.first_attempt_s is not None else None,
            "predicted_attempts": [a.to_dict() for a in self.predicted.attempts],
            "measured_attempts": [a.to_dict() for a in self.timeline.attempts],
            "firmware_changes": _drift_dict(self.drift),
        }


def _drift_dict(drift: BootDiff | None) -> dict[str, Any] | None:
    if drift is None:
        return None
    data = drift.to_dict()
    return {
        k: data[k] for k in ("changed", "added", "removed", "renumbered", "activated", "deactivated", "order_after")
    }


@dataclass(frozen=True)
class VerifyReport:
    config: BootConfig
    plan: Plan | None
    runs: tuple[RunReport, ...]
    tolerance: float
    accel: str
    notes: tuple[str, ...] = field(default=())
    load_per_cpu: float = 0.0
    """The host's 1-minute load average per CPU, highest seen across the runs (above 1: oversubscribed)."""

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(r.ok for r in self.runs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "tolerance_pct": round(100 * self.tolerance, 1),
            "accel": self.accel,
            "host_load_per_cpu": round(self.load_per_cpu, 2),
            "options": [o.describe() for o in self.config.options],
            "boot_order": [f"Boot{i:04X}" for i in self.config.boot_order],
            "plan": self.plan.to_dict() if self.plan else None,
            "runs": [r.to_dict() for r in self.runs],
            "notes": list(self.notes),
        }


def _stop_enumerate(line: str) -> bool:
    return ">>Start " in line or "BdsDxe:" in line or "iPXE" in line


def _stop_boot(line: str) -> bool:
    # the shell's line may still be arriving: wait until its quoted description is complete
    return BOOT_MARKER in line or ("BdsDxe: starting" in line and 'Shell" from' in line)


def _parse_order(spec: Sequence[tuple[int, OptionKind]], config: BootConfig, macs: list[str]) -> tuple[int, ...]:
    keep: list[int] = []
    for index, kind in spec:
        if not 0 <= index < len(macs):
            raise EmulatorError(f"--order names NIC {index}; there are {len(macs)}")
        found = [o for o in config.options if o.mac == macs[index] and o.kind is kind]
        if not found:
            raise EmulatorError(f"OVMF created no {kind.value} option on NIC {index} ({macs[index]})")
        keep.append(found[0].id)
    return tuple(keep)


def verify_qemu(
    nics: int = 2,
    dhcp_nic: int | None = 1,
    *,
    mode: str = "provisioning",
    order: Sequence[tuple[int, OptionKind]] | None = None,
    before: bool = True,
    after: bool = True,
    nic_rom: bool = False,
    ipv6_pxe: bool = True,
    timeout_s: float = 1800.0,
    tolerance: float = 0.15,
    accel: str = "tcg",
    timing: TimingModel | None = None,
    workdir: str | None = None,
    on_event: Callable[[str], None] | None = None,
) -> VerifyReport:
    """Boot OVMF with ``nics`` NICs (DHCP/TFTP on ``dhcp_nic``, none when None) before and after the plan."""
    if nics < 1 or nics > 8:
        raise EmulatorError(f"{nics} NICs: use 1 to 8")
    if dhcp_nic is not None and not 0 <= dhcp_nic < nics:
        raise EmulatorError(f"--dhcp-nic {dhcp_nic} is not one of the {nics} NICs (0-based)")
    say = on_event or (lambda _msg: None)
    timing = timing or TimingModel()
    macs = nic_macs(nics)
    topology = [QemuNic(mac, dhcp=i == dhcp_nic, rom=nic_rom) for i, mac in enumerate(macs)]
    fw_cfg = {} if ipv6_pxe else {"opt/org.tianocore/IPv6PXESupport": "no"}
    facts = tuple(
        NicFact(mac, link=True, provisioning=i == dhcp_nic, dhcp=i == dhcp_nic, name=f"net{i}")
        for i, mac in enumerate(macs)
    )
    _, template = ovmf_files()
    tmp = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="ferry-boot-verify-"))
    try:
        tftp = tmp / "tftp"
        tftp.mkdir(parents=True, exist_ok=True)
        (tftp / BOOT_FILE).write_bytes(efi_boot_target())
        fresh = tmp / "fresh.vars.fd"
        shutil.copyfile(template, fresh)
        say("enumerating the boot options OVMF creates")
        boot_once(fresh, topology, tftp, timeout_s=300, stop=_stop_enumerate, accel=accel, fw_cfg=fw_cfg)
        image = fresh.read_bytes()
        config = parse_varstore(image, path=str(fresh), name="qemu").with_facts(facts)
        sim_mode = "provisioning" if dhcp_nic is not None else "steady"
        if order is not None:
            plan: Plan | None = make_order_plan(config, _parse_order(order, config, macs), timing=timing, mode=sim_mode)
        elif dhcp_nic is None:
            plan = make_plan(config, "steady", timing=timing)
        else:
            plan = make_plan(config, mode, timing=timing)
        runs: list[RunReport] = []
        load = _load_per_cpu()
        variants: list[tuple[str, BootConfig, bytes]] = []
        if before:
            variants.append(("before", config, image))
        if after and plan is not None:
            try:
                planned_image = apply_plan_to_image(
                    image, plan.boot_order, plan.deactivate, plan.activate, plan.boot_next, plan.clear_boot_next
                )
            except VarStoreError as exc:
                raise EmulatorError(f"cannot write the plan into the NVRAM image: {exc}") from exc
            variants.append(("after", apply_plan_to_config(config, plan), planned_image))
        for label, variant, blob in variants:
            vars_file = tmp / f"{label}.vars.fd"
            atomic_write_bytes(vars_file, blob)
            prediction = predict(variant, timing, scenario="expected", mode=sim_mode)
            say(f"booting '{label}': predicted {prediction.total_s:.0f} s in the boot manager")
            lines = boot_once(
                vars_file,
                topology,
                tftp,
                timeout_s=min(timeout_s, prediction.total_s * 2 + 240),
                stop=_stop_boot,
                accel=accel,
                fw_cfg=fw_cfg,
                on_line=lambda t, text: (
                    say(f"{t:7.1f}s {text.strip()}") if text.strip().startswith((">>", "BdsDxe")) else None
                ),
            )
            drift = _firmware_drift(variant, vars_file)
            runs.append(RunReport(label, prediction, read_serial(lines), tolerance, drift))
            load = max(load, _load_per_cpu())
        notes = []
        if load > 1.0:
            notes.append(
                f"the host was oversubscribed (load {load:.1f} per CPU): the emulated firmware loses timer ticks when "
                "its vCPU waits for a CPU, so measured timeouts stretch beyond the firmware's own"
            )
        for run in runs:
            if run.drift is not None and run.drift.activated:
                notes.append(
                    f"'{run.label}': the firmware re-activated {len(run.drift.activated)} option(s) ferry had "
                    "deactivated (edk2 re-creates auto-created options whose attributes differ) and appended them; "
                    "the order held. Switch them off at the source (vendor setting) and re-verify after every boot"
                )
        if any(a.outcome is Outcome.STOP for r in runs for a in r.predicted.attempts):
            notes.append("nothing can boot (no DHCP answer): the phase ends when the EFI Shell starts")
        return VerifyReport(config, plan, tuple(runs), tolerance, accel, tuple(notes), load)
    finally:
        if workdir is None:
            shutil.rmtree(tmp, ignore_errors=True)
