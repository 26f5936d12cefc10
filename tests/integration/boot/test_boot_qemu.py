"""One emulated boot in CI: OVMF under QEMU (TCG), two NICs, the first dead, DHCP/TFTP on the second.

OVMF creates its own boot options; ferry reads them from the NVRAM, keeps PXEv4 on NIC 0 then PXEv4 on NIC 1
(every other option deactivated), predicts the time with the audit's timing model (60 s for the dead PXEv4
attempt, 3.2 s for the one that boots) and checks the serial console's measurement is within 15%. About 100 s.
"""

from __future__ import annotations

import json

import pytest

from ferry.boot import OptionKind, verify_qemu
from ferry.testing import run_cli

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.mark.timeout(420)
def test_dead_nic_then_provisioning_nic_matches_the_prediction() -> None:
    report = verify_qemu(2, 1, order=[(0, OptionKind.PXE4), (1, OptionKind.PXE4)], before=False, timeout_s=360)
    # OVMF's own options: PXEv4, PXEv6, HTTPv4, HTTPv6 per NIC, the EFI Shell and UiApp
    kinds = sorted(o.kind.value for o in report.config.options)
    assert kinds.count("pxe4") == 2 and kinds.count("http6") == 2 and "shell" in kinds
    (run,) = report.runs
    measured = [(a.kind, a.outcome) for a in run.timeline.attempts]
    assert measured == [(OptionKind.PXE4, "fail"), (OptionKind.PXE4, "success")], run.to_dict()
    assert run.timeline.booted_s is not None
    assert run.predicted.total_s == pytest.approx(63.2)
    # The target is 15%. On an oversubscribed host (shared CI runners, this 2-core machine with others' jobs) the
    # emulated firmware loses timer ticks while its vCPU waits for a CPU and every timeout stretches; the report
    # says so, and the bound widens with the load it measured.
    bound = 0.15 if report.load_per_cpu <= 1.0 else 0.15 + 0.1 * min(report.load_per_cpu - 1.0, 2.0)
    assert run.error is not None and run.error <= bound, json.dumps(report.to_dict()["runs"], indent=1)
    assert run.timeline.phase_s is not None and run.timeline.phase_s >= run.predicted.total_s * 0.95
    # ferry reads the NVRAM back after the boot: the two kept options stay first whatever the firmware re-created
    assert run.drift is not None
    assert run.drift.order_after[:2] == ("pxe4:52:54:00:00:00:01", "pxe4:52:54:00:00:00:02")


def test_verify_cli_rejects_bad_topology() -> None:
    result = run_cli(["boot", "verify", "--qemu", "--nics", "2", "--dhcp-nic", "5"])
    assert result.exit_code == 2 and "not one of the 2 NICs" in result.stderr


@pytest.mark.timeout(300)
def test_no_dhcp_anywhere_the_plan_falls_through_to_the_shell_at_once() -> None:
    result = run_cli(["boot", "verify", "--qemu", "--nics", "1", "--no-before", "--timeout", "240", "--format", "json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 0, json.dumps(report["runs"], indent=1)
    assert report["plan"]["mode"] == "steady"
    assert len(report["plan"]["deactivate"]) == 4  # PXEv4, PXEv6, HTTPv4, HTTPv6 of the one NIC
    (run,) = report["runs"]
    assert run["label"] == "after" and run["ok"]  # within the 3 s slack: straight to the shell
    assert not run["predicted_boots"] and run["predicted_s"] == 0.0
    assert not run["booted"]
    assert [(a["kind"], a["outcome"]) for a in run["measured_attempts"]] == [("shell", "stop")]
