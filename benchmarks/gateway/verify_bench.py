"""Verify the example estate end to end (target: under 60 s): convert, start nginx + Envoy + echo backends, replay.

    .venv/bin/python benchmarks/gateway/verify_bench.py [--repeat 3] [--estate examples/estate]

Runs ``ferry gateway verify --ingress <estate> --format json`` as a user would (a fresh process each time) and
reports the median wall time, the phases (prepare, start, replay) and the agreement rates.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--estate", default=str(REPO / "examples" / "estate"))
    args = parser.parse_args()
    ferry = str(Path(sys.executable).parent / "ferry")
    walls, report = [], {}
    for _ in range(args.repeat):
        start = time.perf_counter()
        proc = subprocess.run(
            [ferry, "gateway", "verify", "--ingress", args.estate, "--format", "json"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        walls.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"ferry gateway verify failed: {proc.stderr.strip()}")
        report = json.loads(proc.stdout)
    median = statistics.median(walls)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(
        f"verify {args.estate}: median {median:.1f} s over {args.repeat} runs "
        f"(min {min(walls):.1f}, max {max(walls):.1f}; target 60 s: {'ok' if median < 60 else 'OVER TARGET'})"
    )
    print(f"  phases of the last run: {report['timings']}")
    print(
        f"  {report['requests']} requests; differences: {report['differences']['expected']} expected, "
        f"{report['differences']['unexpected']} unexpected; weighted splits: {len(report['weights'])}"
    )
    for check in report["simulator"]:
        print(f"  simulator vs {check['proxy']}: {check['agree']}/{check['requests']} ({check['agreement']:.2%})")


if __name__ == "__main__":
    main()
