"""Admission latency of `ferry coco webhook serve` over loopback TLS.

Open-loop load: C keep-alive TLS clients share a target rate R; each request has a scheduled send time and its
latency is measured from that time (so a server that falls behind is charged for the queue, no coordinated
omission). Requests alternate /mutate and /validate AdmissionReviews of a realistic confidential pod (the
validated one carries ferry-built initdata with a generated kata-agent policy, so D2-D5 run in full). CPU per
request is the server process's user+system CPU time (from /proc) divided by the requests it answered.

    python benchmarks/coco/bench_webhook.py --rates 200,400,800 --duration 10 --clients 16

Caveat: client and server share this machine's cores (2 cores, shared with other engineers' work), so the figures
include the load generator's own CPU contention; a dedicated server core would do better.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ferry._kernel import ManagedProcess, free_port
from ferry.coco import initdata_for_pod, issue_webhook_certificates, load_profile

REPO = Path(__file__).resolve().parents[2]
PROFILE = REPO / "examples" / "coco" / "profile.yaml"


def _pod() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "ledger-7f9c", "namespace": "confidential", "labels": {"app": "ledger"}},
        "spec": {
            "containers": [
                {
                    "name": "ledger",
                    "image": "registry.example/finance/ledger@sha256:" + "5f" * 32,
                    "command": ["/ledger"],
                    "args": ["--listen=:8443"],
                    "env": [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "ledger-db", "key": "pw"}}}],
                    "volumeMounts": [{"name": "db", "mountPath": "/sealed/db", "readOnly": True}],
                    "readinessProbe": {"exec": {"command": ["cat", "/tmp/ready"]}},
                    "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}},
                }
            ],
            "volumes": [{"name": "db", "secret": {"secretName": "ledger-db"}}],
        },
    }


def _reviews() -> list[tuple[str, bytes]]:
    profile = load_profile(PROFILE)
    bare = _pod()
    good = _pod()
    good["spec"]["runtimeClassName"] = "kata-qemu-snp"
    good["metadata"]["annotations"] = {
        "io.katacontainers.config.hypervisor.cc_init_data": initdata_for_pod(good, profile)[0]
    }
    out = []
    for i, (path, obj) in enumerate((("/mutate/namespace", bare), ("/validate/namespace", good))):
        request = {
            "uid": f"bench-{i}",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": "confidential",
            "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller"},
            "object": obj,
        }
        body = json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: webhook\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        out.append((path, head.encode() + body))
    return out


async def _client(
    port: int,
    ctx: ssl.SSLContext,
    schedule: list[float],
    reviews: list[tuple[str, bytes]],
    lat: list[float],
    errors: list[str],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="127.0.0.1")
    try:
        for n, at in enumerate(schedule):
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            writer.write(reviews[n % len(reviews)][1])
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(
                next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
            )
            body = await reader.readexactly(length)
            lat.append(time.perf_counter() - at)
            if not head.startswith(b"HTTP/1.1 200") or b'"uid"' not in body:
                errors.append(head.split(b"\r\n", 1)[0].decode())
    finally:
        writer.close()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _run_rate(
    port: int, ctx: ssl.SSLContext, rate: float, duration: float, clients: int, pid: int
) -> dict[str, Any]:
    reviews = _reviews()
    total = int(rate * duration)
    start = time.perf_counter() + 0.2
    schedules: list[list[float]] = [[] for _ in range(clients)]
    for i in range(total):
        schedules[i % clients].append(start + i / rate)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    cpu0 = _cpu_seconds(pid)
    wall0 = time.perf_counter()
    await asyncio.gather(*(_client(port, ctx, s, reviews, latencies[i], errors) for i, s in enumerate(schedules)))
    wall = time.perf_counter() - wall0
    cpu = _cpu_seconds(pid) - cpu0
    lat = sorted(x for part in latencies for x in part)
    q = statistics.quantiles(lat, n=100, method="inclusive")
    return {
        "target_rps": rate,
        "achieved_rps": round(len(lat) / wall, 1),
        "requests": len(lat),
        "errors": len(errors),
        "p50_ms": round(q[49] * 1000, 3),
        "p90_ms": round(q[89] * 1000, 3),
        "p99_ms": round(q[98] * 1000, 3),
        "max_ms": round(lat[-1] * 1000, 3),
        "server_cpu_ms_per_request": round(cpu / max(1, len(lat)) * 1000, 3),
        "server_cpu_utilisation": round(cpu / wall, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="200,400,800")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--json", dest="json_out", default=None, help="Also write the results here.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ferry-coco-bench-") as tmp:
        d = Path(tmp)
        certs = issue_webhook_certificates("ferry-coco-webhook", "coco-system", extra_names=["127.0.0.1"])
        (d / "ca.crt").write_bytes(certs.ca_pem)
        (d / "tls.crt").write_bytes(certs.cert_pem)
        (d / "tls.key").write_bytes(certs.key_pem)
        port = free_port()
        argv = [sys.executable, "-m", "ferry", "coco", "webhook", "serve", "--host", "127.0.0.1", "--port", str(port),
                "--cert", str(d / "tls.crt"), "--key", str(d / "tls.key"), "--profile", str(PROFILE)]  # fmt: skip
        with ManagedProcess(argv, name="ferry-coco-webhook", ready_port=("127.0.0.1", port), start_timeout=30) as proc:
            assert proc.pid is not None
            ctx = ssl.create_default_context(cafile=str(d / "ca.crt"))
            asyncio.run(_run_rate(port, ctx, 100, 1.0, args.clients, proc.pid))  # warm-up: caches, TLS sessions
            results = [
                asyncio.run(_run_rate(port, ctx, float(r), args.duration, args.clients, proc.pid))
                for r in args.rates.split(",")
            ]
    load = os.getloadavg()
    report = {
        "clients": args.clients,
        "duration_s": args.duration,
        "cpus": os.cpu_count(),
        "loadavg": load,
        "results": results,
    }
    print(f"ferry coco webhook, loopback TLS, {args.clients} keep-alive clients, {args.duration:g} s per rate, "
          f"{os.cpu_count()} CPUs, load average {load[0]:.2f}")  # fmt: skip
    print(
        f"{'target/s':>9} {'got/s':>7} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'cpu ms/req':>10} {'errors':>6}"
    )
    for r in results:
        print(f"{r['target_rps']:>9g} {r['achieved_rps']:>7} {r['p50_ms']:>8} {r['p90_ms']:>8} {r['p99_ms']:>8} "
              f"{r['max_ms']:>8} {r['server_cpu_ms_per_request']:>10} {r['errors']:>6}")  # fmt: skip
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
