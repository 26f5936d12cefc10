"""Fleet audit throughput: parse and audit a Cloudflare-sized fleet (2,000 efibootmgr -v dumps).

Run: ``.venv/bin/python benchmarks/boot/bench_audit.py [--servers 2000] [--repeat 5]``

Prints the median time to parse every dump and to audit (predict both scenarios, find, rank) the fleet.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from ferry.boot import audit_fleet, parse_efibootmgr

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "estate" / "boot" / "web-01.efibootmgr.txt"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    text = EXAMPLE.read_text(encoding="utf-8")
    parse_times, audit_times = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        configs = [parse_efibootmgr(text, path=f"n{i}", name=f"n{i:05d}") for i in range(args.servers)]
        t1 = time.perf_counter()
        report = audit_fleet(configs)
        t2 = time.perf_counter()
        parse_times.append(t1 - t0)
        audit_times.append(t2 - t1)
    print(f"{args.servers} servers x {len(configs[0].options)} options, {args.repeat} repeats")
    print(f"parse  median {statistics.median(parse_times) * 1000:8.1f} ms")
    print(f"audit  median {statistics.median(audit_times) * 1000:8.1f} ms  ({len(report.at_risk)} at risk)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
