from __future__ import annotations

import json
from pathlib import Path

from ferry._kernel import Severity, load_estate
from ferry.boot import assess_boot


def test_assessor_on_the_example_estate(example_boot: Path) -> None:
    section = assess_boot(load_estate([example_boot.parent]))
    assert section.system == "boot"
    assert section.metrics["servers"] == 8
    assert section.metrics["at_risk"] == 2
    assert section.metrics["fleet_worst_server"] == "hpe-01"
    assert section.worst() is Severity.CRITICAL
    names = {a.name for a in section.artifacts}
    assert {
        "boot/web-01.efibootmgr.sh",
        "boot/web-01.redfish.json",
        "boot/web-01.ipxe",
        "boot/fleet-boot-time.svg",
    } <= names
    assert "boot/web-02.efibootmgr.sh" not in names  # healthy: nothing to fix
    redfish = next(a for a in section.artifacts if a.name == "boot/hpe-01.redfish.json")
    assert json.loads(redfish.content)[-1]["body"]["Attributes"]["NetworkBootRetry"] == "Disabled"
    finding = next(f for f in section.findings if f.obj == "server web-01" and f.code == "boot.network-timeouts")
    assert finding.source is not None and finding.source.path.endswith("web-01.efibootmgr.txt")
    assert section.charts[0].labels[0] == "hpe-01"
    json.dumps(section.to_dict())


def test_assessor_reports_unreadable_dumps(tmp_path: Path) -> None:
    boot = tmp_path / "boot"
    boot.mkdir()
    (boot / "x.efibootmgr.txt").write_text("BootOrder: zz\n")
    section = assess_boot(load_estate([tmp_path]))
    assert [f.code for f in section.findings] == ["boot.unreadable-dump"]
    assert section.findings[0].source is not None and section.findings[0].source.line == 1


def test_assessor_is_registered() -> None:
    from ferry.assess._registry import discover

    assert [e.system for e in discover(frozenset({"boot"}))] == ["boot"]
