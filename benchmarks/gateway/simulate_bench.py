"""Simulator throughput against a 1,000-route table (target: >= 20,000 requests/s per router).

    .venv/bin/python benchmarks/gateway/simulate_bench.py [--routes 1000] [--requests 20000] [--repeat 5]

Builds 1,000 Ingress paths (100 hosts x 10 paths, mixed Prefix/Exact, one regex host) and the equivalent
Gateway API routes, then routes the same requests through each router and reports the median rate.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time

from ferry._kernel import parse_manifests
from ferry.gateway._simulate import Simulator, parse_request_line


def estate(routes: int) -> tuple[str, str]:
    hosts = max(1, routes // 10)
    ingresses, gw_routes = [], []
    for h in range(hosts):
        host = f"svc{h}.example.com"
        paths = []
        rules = []
        for p in range(10):
            kind = "Exact" if p % 3 == 0 else "Prefix"
            path = f"/api/v{p}/items" if p % 2 else f"/p{p}"
            paths.append(
                {"path": path, "pathType": kind, "backend": {"service": {"name": f"s{h}-{p}", "port": {"number": 80}}}}
            )
            rules.append(
                {
                    "matches": [{"path": {"type": "Exact" if kind == "Exact" else "PathPrefix", "value": path}}],
                    "backendRefs": [{"name": f"s{h}-{p}", "port": 80}],
                }
            )
        ann = {"nginx.ingress.kubernetes.io/use-regex": "true"} if h == 0 else {}
        ingresses.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {"name": f"i{h}", "namespace": "bench", "annotations": ann},
                "spec": {"ingressClassName": "nginx", "rules": [{"host": host, "http": {"paths": paths}}]},
            }
        )
        gw_routes.append(
            {
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "HTTPRoute",
                "metadata": {"name": f"r{h}", "namespace": "bench"},
                "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [host], "rules": rules},
            }
        )
    gateway = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "eg", "namespace": "bench"},
        "spec": {"gatewayClassName": "eg", "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]},
    }
    return "\n---\n".join(json.dumps(i) for i in ingresses), "\n---\n".join(
        json.dumps(o) for o in [gateway, *gw_routes]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--routes", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    ing_text, gw_text = estate(args.routes)
    rng = random.Random(7)
    hosts = max(1, args.routes // 10)
    lines = []
    for _ in range(args.requests):
        h, p = rng.randrange(hosts + 5), rng.randrange(12)
        path = rng.choice([f"/api/v{p}/items", f"/api/v{p}/items/x", f"/p{p}", f"/p{p}/deep/er", "/", "/nope"])
        lines.append(f"GET http://svc{h}.example.com{path}?q={p}")
    requests = [parse_request_line(line) for line in lines]
    results = {}
    for name, sim in (
        ("nginx", Simulator(ingress=parse_manifests(ing_text, "ing.yaml"))),
        ("gateway", Simulator(gateway=parse_manifests(gw_text, "gw.yaml"))),
    ):
        rates, cpu_rates = [], []
        for _ in range(args.repeat):
            start, cpu = time.perf_counter(), time.process_time()
            sim.run(requests)
            rates.append(len(requests) / (time.perf_counter() - start))
            cpu_rates.append(len(requests) / max(time.process_time() - cpu, 1e-9))
        results[name] = (statistics.median(rates), statistics.median(cpu_rates))
    routes = args.routes
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (wall rates suffer under load)")
    for name, (rate, cpu_rate) in results.items():
        verdict = "ok" if cpu_rate >= 20000 else "BELOW TARGET"
        print(
            f"simulate {name:8} {routes} routes, {len(requests)} requests: median {rate:,.0f} requests/s wall, "
            f"{cpu_rate:,.0f} requests/s per CPU second over {args.repeat} runs (target 20,000: {verdict})"
        )


if __name__ == "__main__":
    main()
