"""Emit a plan as what operators run: efibootmgr commands, Redfish PATCH bodies, an iPXE script (pure)."""

from __future__ import annotations

import shlex
from typing import Any

from ferry.boot._model import format_ref
from ferry.boot._plan import Plan

__all__ = ["efibootmgr_commands", "efibootmgr_script", "ipxe_script", "redfish_requests"]


def _hex(option_id: int) -> str:
    return f"{option_id:04X}"


def efibootmgr_commands(plan: Plan) -> list[list[str]]:
    """The efibootmgr invocations, in order: deactivate, activate, order, BootNext."""
    cmds: list[list[str]] = []
    for option_id in plan.deactivate:
        cmds.append(["efibootmgr", "-q", "-b", _hex(option_id), "-A"])
    for option_id in plan.activate:
        cmds.append(["efibootmgr", "-q", "-b", _hex(option_id), "-a"])
    if plan.config is None or plan.config.boot_order != plan.boot_order:
        cmds.append(["efibootmgr", "-q", "-o", ",".join(_hex(i) for i in plan.boot_order)])
    if plan.boot_next is not None:
        cmds.append(["efibootmgr", "-q", "-n", _hex(plan.boot_next)])
    elif plan.clear_boot_next:
        cmds.append(["efibootmgr", "-q", "-N"])
    return cmds


def efibootmgr_script(plan: Plan) -> str:
    lines = [
        "#!/bin/sh",
        f"# ferry boot plan for {plan.server} ({plan.mode}): worst case "
        f"{plan.before.total_s:.0f} s -> {plan.after.total_s:.0f} s",
        "set -eu",
    ]
    lines += [shlex.join(cmd) for cmd in efibootmgr_commands(plan)]
    if len(lines) == 3:
        lines.append("# nothing to change")
    lines.append("efibootmgr -v")
    return "\n".join(lines) + "\n"


def redfish_requests(plan: Plan, *, system: str = "1") -> list[dict[str, Any]]:
    """PATCH requests, relative to the service root's host: BootOptions, the whole BootOrder, BootNext, BIOS."""
    base = f"/redfish/v1/Systems/{system}"
    requests: list[dict[str, Any]] = []
    for option_id in plan.deactivate:
        requests.append(
            {
                "method": "PATCH",
                "path": f"{base}/BootOptions/{format_ref(option_id)}",
                "body": {"BootOptionEnabled": False},
            }
        )
    for option_id in plan.activate:
        requests.append(
            {
                "method": "PATCH",
                "path": f"{base}/BootOptions/{format_ref(option_id)}",
                "body": {"BootOptionEnabled": True},
            }
        )
    pending = plan.vendor in ("dell", "hpe")
    boot: dict[str, Any] = {"BootOrder": [format_ref(i) for i in plan.boot_order]}
    requests.append({"method": "PATCH", "path": f"{base}/Settings" if pending else base, "body": {"Boot": boot}})
    if plan.boot_next is not None:
        requests.append(
            {
                "method": "PATCH",
                "path": base,
                "body": {
                    "Boot": {
                        "BootSourceOverrideEnabled": "Once",
                        "BootSourceOverrideTarget": "UefiBootNext",
                        "BootNext": format_ref(plan.boot_next),
                    }
                },
            }
        )
    elif plan.clear_boot_next:
        requests.append({"method": "PATCH", "path": base, "body": {"Boot": {"BootSourceOverrideEnabled": "Disabled"}}})
    if plan.bios_attributes:
        requests.append(
            {"method": "PATCH", "path": f"{base}/Bios/Settings", "body": {"Attributes": dict(plan.bios_attributes)}}
        )
    return requests


def ipxe_script(plan: Plan, *, url: str | None = None, tries: int = 3, timeout_ms: int = 15000) -> str:
    """An iPXE script that configures only the provisioning NIC (found by MAC), retrying DHCP ``tries`` times.

    ``url`` is what to chain once the interface is up (default: the boot file DHCP names, over TFTP for PXE).
    """
    nic = plan.provisioning_nic
    if nic is None:
        raise ValueError("an iPXE script needs the provisioning NIC")
    if tries < 1:
        raise ValueError("tries must be at least 1")
    configurator = "ipv6" if nic.family == "ipv6" else "dhcp"
    target = url or ("${filename}" if nic.protocol == "http" else "tftp://${next-server}/${filename}")
    return (
        "\n".join(
            [
                "#!ipxe",
                f"# ferry boot plan for {plan.server}: network boot on {nic.mac} only",
                f"# ({nic.protocol} over {nic.family}, at most {tries} DHCP attempts of {timeout_ms / 1000:g} s each);",
                "# every other interface stays closed.",
                f"set ferry_mac {nic.mac}",
                "set ferry_idx:int32 -1",
                ":ferry_find",
                "inc ferry_idx",
                "isset ${net${ferry_idx}/mac} || goto ferry_absent",
                "iseq ${net${ferry_idx}/mac} ${ferry_mac} || goto ferry_find",
                "ifclose",
                "set ferry_try:int32 0",
                ":ferry_dhcp",
                f"ifconf --configurator {configurator} --timeout {timeout_ms} net${{ferry_idx}} && goto ferry_boot",
                "inc ferry_try",
                f"iseq ${{ferry_try}} {tries} && goto ferry_failed || goto ferry_dhcp",
                ":ferry_boot",
                f"chain {target} || goto ferry_failed",
                ":ferry_absent",
                "echo ferry: provisioning NIC ${ferry_mac} not present",
                ":ferry_failed",
                "echo ferry: network boot on ${ferry_mac} failed; handing back to the firmware",
                "exit 1",
            ]
        )
        + "\n"
    )
