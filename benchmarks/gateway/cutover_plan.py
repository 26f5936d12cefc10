"""How long planning takes as the number of hostnames grows (every batch and rollback is replayed against a
simulated zone, so the cost is the checking). Run: ``.venv/bin/python benchmarks/gateway/cutover_plan.py``."""

from __future__ import annotations

import statistics
import time

from ferry.gateway import PROFILES, CutoverSpec, Endpoint, Target, build_plan


def main() -> None:
    for hosts in (1, 10, 100, 300):
        spec = CutoverSpec(
            hostnames=tuple(f"h{i}.example.com" for i in range(hosts)),
            zone_id="Z1",
            old=Endpoint("old", "ingress-nginx", Target("old.elb.amazonaws.com"), 60),
            new=Endpoint("new", "envoy-gateway", Target("new.elb.amazonaws.com"), 60),
            current_ttl=300,
            weights=PROFILES["cautious"],
        )
        times = []
        for _ in range(5):
            start = time.perf_counter()
            build_plan(spec)
            times.append(time.perf_counter() - start)
        print(f"{hosts:4d} hostnames: median {statistics.median(times) * 1000:8.1f} ms per plan (cautious profile)")


if __name__ == "__main__":
    main()
