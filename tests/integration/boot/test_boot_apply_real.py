"""Apply plans with real programs: efibootmgr on an efivarfs-style directory, Redfish over HTTPS."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ferry.boot import (
    BootApplyError,
    RedfishClient,
    apply_efibootmgr,
    apply_efivarfs,
    apply_redfish,
    load_dump,
    load_fleet,
    make_plan,
    parse_efibootmgr,
)
from ferry.testing import run_cli

pytestmark = pytest.mark.integration


def _efibootmgr_v(directory: Path) -> str:
    env = {**os.environ, "EFIVARFS_PATH": str(directory) + "/"}
    return subprocess.run(["efibootmgr", "-v"], env=env, capture_output=True, text=True, check=True).stdout


def _web03(example_boot: Path, tmp_path: Path) -> tuple[Path, object]:
    target = tmp_path / "web-03.efivars"
    shutil.copytree(example_boot / "web-03.efivars", target)
    config = next(c for c in load_fleet([example_boot]).configs if c.name == "web-03")
    return target, config


def test_efibootmgr_reads_what_ferry_writes(example_boot: Path, tmp_path: Path) -> None:
    target, config = _web03(example_boot, tmp_path)
    plan = make_plan(config, "once")  # type: ignore[arg-type]
    result = apply_efivarfs(plan, target)
    assert result.config.boot_order == plan.boot_order
    seen = parse_efibootmgr(_efibootmgr_v(target), path="efibootmgr -v", name="web-03")
    assert seen.boot_order == plan.boot_order
    assert seen.boot_next == plan.boot_next == 0x2
    assert {o.id for o in seen.options if not o.active} == set(plan.deactivate)
    assert [(o.id, o.kind) for o in seen.options] == [(o.id, o.kind) for o in load_dump(target).options]


def test_apply_through_the_efibootmgr_program(example_boot: Path, tmp_path: Path) -> None:
    target, config = _web03(example_boot, tmp_path)
    plan = make_plan(config, "once")  # type: ignore[arg-type]
    result = apply_efibootmgr(plan, target)
    assert any(r.startswith("efibootmgr -q -b 0001 -A") for r in result.written)
    seen = parse_efibootmgr(_efibootmgr_v(target), path="efibootmgr -v", name="web-03")
    assert seen.boot_order == plan.boot_order and seen.boot_next == 0x2
    assert not any(o.active for o in seen.options if o.id in plan.deactivate)
    cli = run_cli(["boot", "audit", str(target), "--format", "json", "--fail-on", "never"])
    # BootNext (the one-off reprovisioning) is tried first: 60 s in the worst case, then the disk
    assert json.loads(cli.stdout)["servers"][0]["predicted_worst_s"] == 61.0


def test_redfish_apply_over_https(redfish, example_boot: Path) -> None:  # type: ignore[no-untyped-def]
    client = RedfishClient(redfish.url, username=redfish.user, password=redfish.password, cafile=redfish.cafile)
    config = client.fetch_config()
    assert config.name == "hpe-01" and config.vendor == "hpe" and config.retry_count == 20
    inventory = next(c for c in load_fleet([example_boot]).configs if c.name == "hpe-01").nics
    plan = make_plan(config.with_facts(inventory), "steady")
    pending = apply_redfish(plan, client)  # BootOrder is a pending setting on HPE: not yet visible
    assert pending.config.boot_order == config.boot_order
    assert redfish.read_state()["Pending"]["Boot"]["BootOrder"][0] == "Boot0011"
    done = apply_redfish(plan, client, reset=True)
    assert done.config.boot_order == plan.boot_order
    state = redfish.read_state()
    assert state["Resets"] == 1
    assert state["Bios"]["Attributes"]["NetworkBootRetry"] == "Disabled"
    assert [o["BootOptionReference"] for o in state["BootOptions"] if not o["BootOptionEnabled"]] == [
        "Boot000D",
        "Boot000F",
        "Boot0010",
    ]


def test_redfish_cli_and_refusals(redfish, example_boot: Path) -> None:  # type: ignore[no-untyped-def]
    args = [
        "boot",
        "apply",
        "--redfish",
        redfish.url,
        "--user",
        redfish.user,
        "--cacert",
        redfish.cafile,
        "--inventory",
        str(example_boot / "inventory.yaml"),
        "--reset",
        "--format",
        "json",
    ]
    result = run_cli(args, env={"FERRY_REDFISH_PASSWORD": redfish.password})
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["boot_order"][:2] == ["Boot0011", "Boot000E"]
    wrong = run_cli(args, env={"FERRY_REDFISH_PASSWORD": "nope"})
    assert wrong.exit_code == 2 and "401" in wrong.stderr
    untrusted = run_cli([a for a in args if a not in ("--cacert", redfish.cafile)], env={"FERRY_REDFISH_PASSWORD": "x"})
    assert untrusted.exit_code == 2 and "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr
    client = RedfishClient(redfish.url, username=redfish.user, password=redfish.password, cafile=redfish.cafile)
    with pytest.raises(BootApplyError, match="exactly the existing boot options"):
        client.patch("/redfish/v1/Systems/1", {"Boot": {"BootOrder": ["Boot0011"]}})
