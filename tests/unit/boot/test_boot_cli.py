from __future__ import annotations

import json
import shutil
from pathlib import Path

from ferry.boot import read_efivarfs
from ferry.testing import run_cli


def test_audit_json_and_exit_codes(example_boot: Path, tmp_path: Path) -> None:
    svg = tmp_path / "fleet.svg"
    result = run_cli(["boot", "audit", str(example_boot), "--format", "json", "--svg", str(svg)])
    assert result.exit_code == 1  # two servers at risk
    data = json.loads(result.stdout)
    assert {s["name"] for s in data["servers"]} >= {"web-01", "hpe-01", "web-03"}
    assert data["errors"] == []
    assert "at risk" in result.stderr and svg.read_text().startswith("<svg")
    ok = run_cli(["boot", "audit", str(example_boot / "web-02.efibootmgr.txt"), "--format", "json"])
    assert ok.exit_code == 0, ok.stderr
    never = run_cli(["boot", "audit", str(example_boot), "--fail-on", "never"])
    assert never.exit_code == 0
    assert "worst offenders" in never.stdout and "hpe-01" in never.stdout


def test_audit_bad_input_is_exit_2_with_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "x.efibootmgr.txt"
    bad.write_text("BootOrder: 0001\nBoot0001* a\tHD()\nnonsense\n")
    result = run_cli(["boot", "audit", str(bad), "--format", "json"])
    assert result.exit_code == 2
    assert f"{bad}:3" in result.stderr
    assert "Traceback" not in result.stderr


def test_plan_writes_artifacts(example_boot: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(
        [
            "boot",
            "plan",
            str(example_boot),
            "--server",
            "web-01",
            "--mode",
            "provisioning",
            "--out",
            str(out),
            "--format",
            "json",
        ]
    )
    assert result.exit_code == 0, result.stderr
    plans = json.loads(result.stdout)["plans"]
    assert [p["server"] for p in plans] == ["web-01"]
    assert plans[0]["boot_order"][0] == "Boot0007"
    assert (out / "web-01.efibootmgr.sh").read_text().startswith("#!/bin/sh")
    assert json.loads((out / "web-01.redfish.json").read_text())[0]["method"] == "PATCH"
    assert (out / "web-01.ipxe").read_text().startswith("#!ipxe")
    text = run_cli(["boot", "plan", str(example_boot / "web-01.efibootmgr.txt"), "--nic", "3c:ec:ef:1a:00:02"])
    assert text.exit_code == 0 and "efibootmgr -q -o 0010,0007" in text.stdout


def test_plan_without_a_provisioning_nic_is_exit_2(example_boot: Path) -> None:
    result = run_cli(["boot", "plan", str(example_boot / "web-01.efibootmgr.txt"), "--mode", "provisioning"])
    assert result.exit_code == 2
    assert "no provisioning NIC is known" in result.stderr


def test_diff_detects_the_regression(example_boot: Path) -> None:
    result = run_cli(
        [
            "boot",
            "diff",
            str(example_boot / "history" / "web-03.efibootmgr.txt"),
            str(example_boot / "web-03.efivars"),
            "--inventory",
            str(example_boot / "inventory.yaml"),
            "--format",
            "json",
        ]
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["regressed"] and data["activated"] == ["Boot0001", "Boot0003"]
    assert data["plan"]["boot_order"][:2] == ["Boot0005", "Boot0002"]


def test_apply_to_an_efivarfs_directory(example_boot: Path, tmp_path: Path) -> None:
    target = tmp_path / "web-03.efivars"
    shutil.copytree(example_boot / "web-03.efivars", target)
    args = ["boot", "apply", "--efivars", str(target), "--inventory", str(example_boot / "inventory.yaml")]
    dry = run_cli([*args, "--dry-run", "--format", "json"])
    assert dry.exit_code == 0 and json.loads(dry.stdout)["applied"] is False
    assert read_efivarfs(target).boot_order == (1, 3, 6, 2, 5, 0)
    result = run_cli([*args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["boot_order"] == ["Boot0005", "Boot0002", "Boot0001", "Boot0003", "Boot0006", "Boot0000"]
    after = read_efivarfs(target)
    assert [o.ref for o in after.options if not o.active] == ["Boot0001", "Boot0003", "Boot0006"]
    again = run_cli(["boot", "audit", str(target), "--format", "json"])
    assert again.exit_code == 0
    assert json.loads(again.stdout)["servers"][0]["predicted_worst_s"] == 1.0


def test_apply_needs_exactly_one_target() -> None:
    result = run_cli(["boot", "apply", "--mode", "steady"])
    assert result.exit_code == 2 and "name one target" in result.stderr


def test_redfish_must_be_https(example_boot: Path) -> None:
    result = run_cli(["boot", "apply", str(example_boot / "hpe-01.redfish.json"), "--redfish", "http://bmc"])
    assert result.exit_code == 2 and "HTTPS only" in result.stderr
