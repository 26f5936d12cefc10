"""Plan the fix: the best order for a mode, the options to deactivate, BootNext, vendor switches (pure).

* ``provisioning`` — the one option that works (provisioning NIC x protocol x family) first, then the disks.
* ``steady`` — the disks first, that one network option after them as the fallback.
* ``once`` — the steady-state order, with BootNext set to the network option for one reprovisioning boot.

Every other network option is deactivated (``LOAD_OPTION_ACTIVE`` cleared), not deleted: firmware re-creates
options it finds missing, and a vendor that insists on the full list (Dell ``UefiBootSeq``) gets every existing
entry back, reordered. Vendor switches that stop the firmware from creating them again go in ``bios_attributes``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from ferry.boot._errors import BootPlanError
from ferry.boot._model import BootConfig, BootOption, NicFact, OptionKind, format_ref
from ferry.boot._predict import Prediction, predict
from ferry.boot._timing import TimingModel

__all__ = ["PLAN_MODES", "Plan", "apply_plan_to_config", "make_order_plan", "make_plan"]

PLAN_MODES = ("provisioning", "steady", "once")


@dataclass(frozen=True)
class Plan:
    server: str
    mode: str
    boot_order: tuple[int, ...]
    activate: tuple[int, ...]
    deactivate: tuple[int, ...]
    boot_next: int | None
    clear_boot_next: bool
    network_option: int | None
    provisioning_nic: NicFact | None
    bios_attributes: dict[str, str]
    before: Prediction
    after: Prediction
    before_expected: Prediction
    after_expected: Prediction
    notes: tuple[str, ...] = ()
    vendor: str = "unknown"
    config: BootConfig | None = field(default=None, compare=False, repr=False)

    @property
    def changes(self) -> bool:
        cfg = self.config
        return bool(
            self.activate
            or self.deactivate
            or self.boot_next is not None
            or self.clear_boot_next
            or self.bios_attributes
            or (cfg is not None and cfg.boot_order != self.boot_order)
        )

    def to_dict(self) -> dict[str, Any]:
        nic = self.provisioning_nic
        return {
            "server": self.server,
            "mode": self.mode,
            "boot_order": [format_ref(i) for i in self.boot_order],
            "activate": [format_ref(i) for i in self.activate],
            "deactivate": [format_ref(i) for i in self.deactivate],
            "boot_next": format_ref(self.boot_next) if self.boot_next is not None else None,
            "clear_boot_next": self.clear_boot_next,
            "network_option": format_ref(self.network_option) if self.network_option is not None else None,
            "provisioning_nic": (
                {"mac": nic.mac, "family": nic.family, "protocol": nic.protocol} if nic is not None else None
            ),
            "bios_attributes": dict(self.bios_attributes),
            "predicted": {
                "before_worst_s": round(self.before.total_s, 1),
                "after_worst_s": round(self.after.total_s, 1),
                "before_expected_s": round(self.before_expected.total_s, 1),
                "after_expected_s": round(self.after_expected.total_s, 1),
            },
            "notes": list(self.notes),
        }


def _pick_network(config: BootConfig, nic: NicFact) -> BootOption | None:
    wanted = nic.boot_kind
    candidates = [o for o in config.options if o.kind.is_network and o.nic_key == nic.mac]
    exact = [o for o in candidates if o.kind is wanted]
    if not exact and wanted is OptionKind.PXE4:
        exact = [o for o in candidates if o.kind is OptionKind.NIC_ROM]
    if not exact:
        return None
    in_order = [o for o in exact if o.id in config.boot_order]
    return (in_order or exact)[0]


def _bios_changes(config: BootConfig, nic: NicFact | None) -> dict[str, str]:
    attrs = config.attributes
    out: dict[str, str] = {}
    if config.vendor == "dell":
        for key in attrs:
            m = re.fullmatch(r"(Pxe|Http)Dev(\d+)EnDis", key)
            if not m:
                continue
            base = f"{m.group(1)}Dev{m.group(2)}"
            keep = (
                nic is not None
                and str(attrs.get(f"{base}Interface", "")) == nic.mac
                and m.group(1).lower() == nic.protocol
                and str(attrs.get(f"{base}Protocol", "IPv4")).lower() == nic.family
            )
            target = "Enabled" if keep else "Disabled"
            if str(attrs[key]) != target:
                out[key] = target
    elif config.vendor == "hpe":
        if str(attrs.get("NetworkBootRetry", "Disabled")) == "Enabled":
            out["NetworkBootRetry"] = "Disabled"
        for key in attrs:
            if re.fullmatch(r"NicBoot\d+", key):
                target = "NetworkBoot" if nic is not None and nic.mac == f"NIC {key[7:]}" else "Disabled"
                if str(attrs[key]) != target:
                    out[key] = target
        if nic is not None and "PrebootNetworkEnvPolicy" in attrs:
            target = "IPv6" if nic.family == "ipv6" else "IPv4"
            if str(attrs["PrebootNetworkEnvPolicy"]) != target:
                out["PrebootNetworkEnvPolicy"] = target
    elif config.vendor == "supermicro":
        keep = f"{nic.family}{nic.protocol}support" if nic else ""
        for key, value in attrs.items():
            norm = re.sub(r"[^a-z0-9]", "", re.sub(r"_[0-9A-Fa-f]{4}$", "", key).lower())
            if norm in ("ipv4pxesupport", "ipv6pxesupport", "ipv4httpsupport", "ipv6httpsupport"):
                target = "Enabled" if norm == keep else "Disabled"
                if str(value) != target:
                    out[key] = target
    return out


def make_plan(
    config: BootConfig,
    mode: str = "steady",
    *,
    nic: NicFact | None = None,
    timing: TimingModel | None = None,
) -> Plan:
    """The plan for one server. ``nic`` overrides the inventory's provisioning NIC."""
    if mode not in PLAN_MODES:
        raise BootPlanError(f"unknown mode {mode!r}", hint=f"use one of {', '.join(PLAN_MODES)}")
    prov = nic or config.provisioning_nic
    if nic is not None:
        config = config.with_facts((nic, *(n for n in config.nics if n.mac != nic.mac)))
    notes: list[str] = []
    chosen = _pick_network(config, prov) if prov is not None else None
    if mode in ("provisioning", "once") and chosen is None:
        what = (
            f"no {prov.boot_kind.value} option on NIC {prov.mac}"
            if prov is not None
            else "no provisioning NIC is known"
        )
        raise BootPlanError(
            f"{config.name}: cannot plan {mode}: {what}",
            where=config.source,
            hint="name it in boot/inventory.yaml (provisioning: true) or pass --nic MAC, and enable its network boot",
        )
    if prov is not None and chosen is None:
        notes.append(f"no {prov.boot_kind.value} option on the provisioning NIC {prov.mac}: no network fallback")
    disks = [
        o
        for oid in (*config.boot_order, *(o.id for o in config.orphans))
        if (o := config.option(oid)) is not None
        and o.kind is OptionKind.DISK
        and not o.description.lower().startswith("unavailable")
    ]
    if not disks and mode != "provisioning":
        notes.append("no disk option: the steady-state order has nothing local to boot")
    net_ids = [chosen.id] if chosen is not None else []
    disk_ids = [d.id for d in disks]
    head = net_ids + disk_ids if mode == "provisioning" else disk_ids + net_ids
    head = list(dict.fromkeys(head))
    missing = [i for i in config.boot_order if config.option(i) is None]
    if missing:
        notes.append("dropped from BootOrder, no such option: " + ", ".join(format_ref(i) for i in missing))
    rest = [i for i in config.boot_order if i not in head and config.option(i) is not None]
    order = tuple(head + rest)
    keep = set(head)
    deactivate = tuple(o.id for o in config.options if o.kind.is_network and o.active and o.id not in keep)
    activate = tuple(i for i in head if (o := config.option(i)) is not None and not o.active)
    boot_next = chosen.id if mode == "once" and chosen is not None else None
    clear = config.boot_next is not None and boot_next is None
    shell_ahead = [o.ref for i in rest if (o := config.option(i)) and o.kind is OptionKind.SHELL and o.active]
    if shell_ahead and not head:
        notes.append("the EFI Shell stays reachable; nothing bootable comes first")
    bios = _bios_changes(config, prov)
    planned_mode = "provisioning" if mode in ("provisioning", "once") else "steady"
    plan = Plan(
        server=config.name,
        mode=mode,
        boot_order=order,
        activate=activate,
        deactivate=deactivate,
        boot_next=boot_next,
        clear_boot_next=clear,
        network_option=chosen.id if chosen else None,
        provisioning_nic=prov,
        bios_attributes=bios,
        before=predict(config, timing, scenario="worst", mode=planned_mode),
        after=predict(config, timing, scenario="worst", mode=planned_mode),
        before_expected=predict(config, timing, scenario="expected", mode=planned_mode),
        after_expected=predict(config, timing, scenario="expected", mode=planned_mode),
        notes=tuple(notes),
        vendor=config.vendor,
        config=config,
    )
    after = apply_plan_to_config(config, plan)
    return replace(
        plan,
        after=predict(after, timing, scenario="worst", mode=planned_mode),
        after_expected=predict(after, timing, scenario="expected", mode=planned_mode),
    )


def apply_plan_to_config(config: BootConfig, plan: Plan) -> BootConfig:
    """The configuration as it will be once the plan is applied (used to predict the result)."""
    off, on = set(plan.deactivate), set(plan.activate)
    options = tuple(
        replace(o, active=False) if o.id in off else replace(o, active=True) if o.id in on else o
        for o in config.options
    )
    boot_next = plan.boot_next if plan.boot_next is not None else (None if plan.clear_boot_next else config.boot_next)
    return replace(config, options=options, boot_order=plan.boot_order, boot_next=boot_next)


def make_order_plan(
    config: BootConfig, keep: tuple[int, ...], *, timing: TimingModel | None = None, mode: str = "provisioning"
) -> Plan:
    """A plan that keeps exactly ``keep`` active and first, in that order (emulator runs with chosen timeouts)."""
    missing = [i for i in keep if config.option(i) is None]
    if missing:
        raise BootPlanError("no such option: " + ", ".join(format_ref(i) for i in missing), where=config.source)
    rest = [i for i in config.boot_order if i not in keep and config.option(i) is not None]
    order = (*keep, *rest)
    deactivate = tuple(o.id for o in config.options if o.kind.is_network and o.active and o.id not in keep)
    activate = tuple(i for i in keep if (o := config.option(i)) is not None and not o.active)
    base = Plan(
        server=config.name,
        mode="custom",
        boot_order=order,
        activate=activate,
        deactivate=deactivate,
        boot_next=None,
        clear_boot_next=config.boot_next is not None,
        network_option=None,
        provisioning_nic=config.provisioning_nic,
        bios_attributes={},
        before=predict(config, timing, scenario="expected", mode=mode),
        after=predict(config, timing, scenario="expected", mode=mode),
        before_expected=predict(config, timing, scenario="expected", mode=mode),
        after_expected=predict(config, timing, scenario="expected", mode=mode),
        vendor=config.vendor,
        config=config,
    )
    after = apply_plan_to_config(config, base)
    return replace(
        base,
        after=predict(after, timing, scenario="worst", mode=mode),
        after_expected=predict(after, timing, scenario="expected", mode=mode),
    )
