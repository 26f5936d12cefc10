from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ferry.boot import (
    BootConfig,
    BootPlanError,
    NicFact,
    diff_configs,
    efibootmgr_commands,
    efibootmgr_script,
    ipxe_script,
    load_dump,
    load_fleet,
    make_plan,
    redfish_requests,
)


def _server(example_boot: Path, name: str) -> BootConfig:
    return next(c for c in load_fleet([example_boot]).configs if c.name == name)


def test_provisioning_puts_the_working_option_first(example_boot: Path) -> None:
    cfg = _server(example_boot, "web-01")
    plan = make_plan(cfg, "provisioning")
    assert plan.network_option == 0x7  # PXEv4 on the provisioning NIC (edk2 PxeBc, not the iPXE ROM)
    assert plan.boot_order[:2] == (0x7, 0x10)
    assert set(plan.deactivate) == {1, 2, 3, 4, 5, 6, 8, 9, 0xA}
    assert sorted(plan.boot_order) == sorted(cfg.boot_order)  # every existing entry kept, reordered
    assert plan.boot_next is None
    assert plan.before.total_s == pytest.approx(274.5 + 3.2)  # NIC 1 times out, then NIC 2's iPXE ROM boots
    assert plan.after.total_s == pytest.approx(3.2)
    assert plan.after.winner is not None and plan.after.winner.option_id == 0x7


def test_steady_state_disk_first_network_fallback(example_boot: Path) -> None:
    plan = make_plan(_server(example_boot, "web-01"), "steady")
    assert plan.boot_order[:2] == (0x10, 0x7)
    assert plan.after.total_s == pytest.approx(1.0)
    once = make_plan(_server(example_boot, "web-01"), "once")
    assert once.boot_order == plan.boot_order
    assert once.boot_next == 0x7


def test_healthy_server_needs_nothing(example_boot: Path) -> None:
    plan = make_plan(_server(example_boot, "web-02"), "steady")
    assert not plan.deactivate and not plan.activate
    assert plan.to_dict()["predicted"]["before_worst_s"] == plan.to_dict()["predicted"]["after_worst_s"]


def test_no_provisioning_nic_is_a_clear_error(example_boot: Path) -> None:
    cfg = _server(example_boot, "web-01").with_facts(())
    with pytest.raises(BootPlanError, match="no provisioning NIC is known"):
        make_plan(cfg, "provisioning")
    plan = make_plan(cfg, "steady")  # steady state needs no NIC: disk first, every network option off
    assert plan.network_option is None and plan.boot_order[0] == 0x10
    override = make_plan(cfg, "provisioning", nic=NicFact("3c:ec:ef:1a:00:01", provisioning=True, dhcp=True))
    assert override.network_option == 0x2


def test_vendor_switches(example_boot: Path) -> None:
    assert make_plan(_server(example_boot, "hpe-01"), "steady").bios_attributes == {
        "NetworkBootRetry": "Disabled",
        "NicBoot1": "Disabled",
        "PrebootNetworkEnvPolicy": "IPv4",
    }
    assert make_plan(_server(example_boot, "dell-01"), "steady").bios_attributes == {
        "PxeDev2EnDis": "Disabled",
        "HttpDev1EnDis": "Disabled",
    }
    assert make_plan(_server(example_boot, "smc-01"), "steady").bios_attributes == {"IPv6PXESupport_0A1E": "Disabled"}


def test_efibootmgr_commands(example_boot: Path) -> None:
    cfg = _server(example_boot, "web-03")
    plan = make_plan(cfg, "once")
    cmds = efibootmgr_commands(plan)
    assert ["efibootmgr", "-q", "-b", "0001", "-A"] in cmds
    assert ["efibootmgr", "-q", "-o", "0005,0002,0001,0003,0006,0000"] in cmds
    assert cmds[-1] == ["efibootmgr", "-q", "-n", "0002"]
    script = efibootmgr_script(plan)
    assert script.startswith("#!/bin/sh\n") and "set -eu" in script and script.rstrip().endswith("efibootmgr -v")


def test_redfish_bodies(example_boot: Path) -> None:
    plan = make_plan(_server(example_boot, "hpe-01"), "once")
    reqs = redfish_requests(plan, system="1")
    json.dumps(reqs)
    paths = [(r["path"], json.dumps(r["body"], sort_keys=True)) for r in reqs]
    assert ("/redfish/v1/Systems/1/BootOptions/Boot000D", '{"BootOptionEnabled": false}') in paths
    order = next(r for r in reqs if "BootOrder" in r["body"].get("Boot", {}))
    assert order["path"] == "/redfish/v1/Systems/1/Settings"  # HPE and Dell take the order as a pending setting
    assert order["body"]["Boot"]["BootOrder"][:2] == ["Boot0011", "Boot000E"]
    nxt = next(r for r in reqs if "BootNext" in r["body"].get("Boot", {}))
    assert nxt["body"]["Boot"] == {
        "BootSourceOverrideEnabled": "Once",
        "BootSourceOverrideTarget": "UefiBootNext",
        "BootNext": "Boot000E",
    }
    assert reqs[-1]["path"].endswith("/Bios/Settings")


def test_ipxe_script_binds_one_interface_with_bounded_retries(example_boot: Path) -> None:
    plan = make_plan(_server(example_boot, "web-01"), "provisioning")
    script = ipxe_script(plan, tries=4, timeout_ms=8000)
    assert script.startswith("#!ipxe\n")
    assert "set ferry_mac 3c:ec:ef:1a:00:02" in script
    assert "ifconf --configurator dhcp --timeout 8000 net${ferry_idx}" in script
    assert "iseq ${ferry_try} 4 && goto ferry_failed" in script
    assert "autoboot" not in script  # autoboot would try every interface
    labels = set(re.findall(r"^:(\w+)$", script, re.M))
    assert set(re.findall(r"goto (\w+)", script)) <= labels
    v6 = make_plan(
        _server(example_boot, "web-01"), "provisioning", nic=NicFact("3c:ec:ef:1a:00:02", True, True, True, "ipv6")
    )
    assert "--configurator ipv6" in ipxe_script(v6)
    with pytest.raises(ValueError, match="at least 1"):
        ipxe_script(plan, tries=0)


def test_diff_after_a_firmware_update(example_boot: Path) -> None:
    before = load_dump(example_boot / "history" / "web-03.efibootmgr.txt")
    after = load_dump(example_boot / "web-03.efivars")
    result = diff_configs(before, after)
    assert result.regressed and result.changed
    assert [o.ref for o in result.added] == ["Boot0006"]
    assert {o.ref for o in result.activated} == {"Boot0001", "Boot0003"}
    assert result.order_changed
    assert result.worst_before_s == pytest.approx(1.0)
    assert result.worst_after_s > 190
    same = diff_configs(before, before)
    assert not same.changed and not same.regressed
