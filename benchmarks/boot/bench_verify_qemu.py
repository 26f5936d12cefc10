"""Before/after under emulation: OVMF boots as the firmware left it, then with ferry's plan applied.

Run: ``.venv/bin/python benchmarks/boot/bench_verify_qemu.py [--nics 2] [--dhcp-nic 1] [--repeat 1]``

Each repeat boots OVMF under QEMU (TCG) twice — the firmware's own order (every option of every NIC, the dead
NICs first) and the planned order (the provisioning NIC's PXEv4 option first, every other network option
deactivated) — and prints predicted versus measured boot-manager time for both, their medians, and the
before/after ratio. Without DHCP (``--dhcp-nic -1``) nothing can boot and each run ends at the EFI Shell.
Expect about ``nics x 4.2 min`` for the "before" run; keep other load off the machine while it runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from ferry.boot import verify_qemu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nics", type=int, default=2)
    parser.add_argument("--dhcp-nic", type=int, default=1, help="-1: no DHCP anywhere")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", dest="json_file", help="also write the raw reports here")
    args = parser.parse_args(argv)
    dhcp = None if args.dhcp_nic < 0 else args.dhcp_nic
    rows: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
    reports = []
    for i in range(args.repeat):
        started = time.monotonic()
        report = verify_qemu(args.nics, dhcp, on_event=lambda m: print(f"  {m}", file=sys.stderr, flush=True))
        reports.append(report.to_dict())
        for run in report.runs:
            if run.measured_s is not None:
                rows[run.label].append((run.predicted.total_s, run.measured_s))
        print(f"repeat {i + 1}: {time.monotonic() - started:.0f} s wall, ok={report.ok}", flush=True)
    print(f"\nOVMF under QEMU/TCG, {args.nics} NIC(s), DHCP on NIC {dhcp}, {args.repeat} repeat(s)")
    print(f"{'run':8} {'predicted s':>12} {'measured s (median)':>20} {'error %':>8}")
    medians = {}
    for label, values in rows.items():
        if not values:
            continue
        predicted = statistics.median(v[0] for v in values)
        measured = statistics.median(v[1] for v in values)
        medians[label] = measured
        print(f"{label:8} {predicted:12.1f} {measured:20.1f} {100 * abs(predicted - measured) / measured:8.1f}")
    if "before" in medians and "after" in medians and medians["after"] > 0:
        print(f"before/after ratio (measured medians): {medians['before'] / medians['after']:.1f}x")
    if args.json_file:
        with open(args.json_file, "w", encoding="utf-8") as handle:
            json.dump(reports, handle, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
