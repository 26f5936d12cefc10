from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ferry.boot import audit_fleet, load_fleet


def _audit(example_boot: Path):  # type: ignore[no-untyped-def]
    fleet = load_fleet([example_boot])
    assert not fleet.errors
    return audit_fleet(fleet.configs, reboots=3)


def test_every_form_is_read_and_joined(example_boot: Path) -> None:
    fleet = load_fleet([example_boot])
    forms = {c.name: c.form for c in fleet.configs}
    assert forms == {
        "db-01": "efibootmgr-old",
        "dell-01": "redfish",
        "dell-02": "dell-bios",
        "hpe-01": "redfish",
        "smc-01": "efibootmgr",
        "web-01": "efibootmgr",
        "web-02": "efibootmgr",
        "web-03": "efivarfs",
    }
    smc = next(c for c in fleet.configs if c.name == "smc-01")
    assert smc.vendor == "supermicro" and smc.attempt_wait_s == 5  # the BIOS dump of the same name was merged
    assert all(c.nics for c in fleet.configs)  # inventory.yaml joined


def test_json_shape_is_exact(example_boot: Path) -> None:
    data = _audit(example_boot).to_dict()
    assert set(data) == {"servers", "fleet"}
    for server in data["servers"]:
        assert set(server) == {
            "name",
            "boot_order",
            "options",
            "predicted_worst_s",
            "predicted_expected_s",
            "findings",
        }
        for option in server["options"]:
            assert set(option) == {"id", "kind", "active"}
            assert option["id"].startswith("Boot") and len(option["id"]) == 8
        assert all(ref.startswith("Boot") for ref in server["boot_order"])
        assert server["predicted_expected_s"] <= server["predicted_worst_s"]


def test_risk_and_worst_offenders(example_boot: Path) -> None:
    report = _audit(example_boot)
    summary = report.summary()
    assert summary["at_risk"] == 2
    assert summary["fleet_worst_server"] == "hpe-01"
    assert summary["worst_per_update_s"] == round(report.worst_s * 3, 1)
    assert summary["worst_offenders"][:2] == ["hpe-01", "web-01"]
    by_name = {s.config.name: s for s in report.servers}
    web01 = by_name["web-01"]
    assert round(web01.worst.total_s) == 550  # two NICs x (ROM + 4 protocols) + disk: the 9.2 min of reference 4.3
    assert round(web01.expected.total_s) == 18  # NIC 1 has no link; NIC 2's iPXE ROM answers
    codes = {f.code for f in web01.findings}
    assert {"boot.network-timeouts", "boot.network-before-disk", "boot.unused-nic-options"} <= codes
    assert not by_name["web-02"].findings
    assert "boot.vendor-retries" in {f.code for f in by_name["hpe-01"].findings}


def test_svg_chart_is_well_formed(example_boot: Path) -> None:
    svg = _audit(example_boot).chart_svg()
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "hpe-01" in texts and any("at risk" in (t or "") for t in texts)


def test_bad_files_are_errors_not_stops(tmp_path: Path, example_boot: Path) -> None:
    (tmp_path / "good.efibootmgr.txt").write_text((example_boot / "web-02.efibootmgr.txt").read_text())
    (tmp_path / "bad.efibootmgr.txt").write_text("BootOrder: 0001\nBoot0001* x\tHD()\ngarbage here\n")
    (tmp_path / "notes.bin").write_bytes(b"\xff\xfe\x00")
    fleet = load_fleet([tmp_path, tmp_path / "missing"])
    assert [c.name for c in fleet.configs] == ["good"]
    messages = sorted(str(e) for e in fleet.errors)
    assert any("bad.efibootmgr.txt:3" in m for m in messages)
    assert any("no such file" in m for m in messages)
    assert fleet.skipped == (str(tmp_path / "notes.bin"),)
