"""Benchmark: convert + audit N Ingresses (5 annotations each, hosts = N / 5) end to end.

Each size runs in a fresh subprocess (so peak RSS is that size's own), ``--repeat`` times; the median wall time of
the whole pipeline (YAML text → Ingress model → Gateway API objects → audit → YAML and JSON out) is reported, with
its stages and peak RSS. Target: 10,000 Ingresses / 2,000 hosts under 10 s and 1 GiB.

    python benchmarks/gateway/convert_audit.py                 # 100, 1000, 3000, 10000
    python benchmarks/gateway/convert_audit.py --sizes 100 1000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

ANNOTATION_SETS = (
    {"use-regex": "true", "rewrite-target": "/$2", "limit-rps": "20", "enable-cors": "true", "proxy-body-size": "8m"},
    {
        "ssl-redirect": "true",
        "proxy-read-timeout": "120",
        "affinity": "cookie",
        "session-cookie-name": "S",
        "whitelist-source-range": "10.0.0.0/8",
    },
    {
        "auth-type": "basic",
        "auth-secret": "htpasswd",
        "proxy-connect-timeout": "3",
        "upstream-vhost": "internal",
        "configuration-snippet": 'more_set_headers "X: y";',
    },
    {
        "canary": "true",
        "canary-weight": "10",
        "canary-by-header": "X-Canary",
        "load-balance": "ewma",
        "custom-http-errors": "404,503",
    },
    {
        "app-root": "/app",
        "proxy-next-upstream-tries": "2",
        "limit-connections": "10",
        "server-alias": "",
        "x-forwarded-prefix": "/p",
    },
)


def make_estate(count: int, hosts: int) -> str:
    """``count`` Ingresses spread over ``hosts`` hosts and 20 namespaces, 5 annotations each."""
    docs = []
    for i in range(count):
        host = f"app{i % hosts}.example.com"
        ns = f"team{i % 20}"
        variant = ANNOTATION_SETS[(i // hosts) % len(ANNOTATION_SETS)]
        notes = "".join(
            f"\n    nginx.ingress.kubernetes.io/{k}: '{v or f'alias{i}.example.com'}'" for k, v in variant.items()
        )
        path = "/" if variant.get("canary") else f"/svc{i // hosts}(/|$)(.*)" if variant.get("use-regex") else f"/p{i}"
        if variant.get("canary"):
            path = "/"
        docs.append(
            f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ing{i}
  namespace: {ns}
  annotations:{notes}
spec:
  ingressClassName: nginx
  tls:
  - hosts: ['{host}']
    secretName: tls{i % hosts}
  rules:
  - host: '{host}'
    http:
      paths:
      - path: '{path}'
        pathType: {"ImplementationSpecific" if "(" in path else "Prefix"}
        backend: {{service: {{name: svc{i}, port: {{number: 80}}}}}}
"""
        )
    return "---\n".join(docs)


def run_once(count: int) -> dict[str, float]:
    from ferry._kernel import parse_manifests
    from ferry.gateway import read_ingress_input
    from ferry.gateway._audit import build_audit
    from ferry.gateway._convert import convert
    from ferry.gateway._yamlout import dump_stream

    text = make_estate(count, max(1, count // 5))
    cpu = time.process_time()
    start = time.perf_counter()
    objects = parse_manifests(text, "bench.yaml")
    parsed = time.perf_counter()
    data = read_ingress_input(objects)
    modelled = time.perf_counter()
    conversion = convert(data)
    converted = time.perf_counter()
    audit = build_audit(data, conversion)
    audited = time.perf_counter()
    out = dump_stream(conversion.objects)
    report = json.dumps(audit.to_dict())
    done = time.perf_counter()
    cpu_total = time.process_time() - cpu
    annotations = sum(len(i.annotations) for i in data.ingresses)
    return {
        "total_s": done - start,
        "cpu_s": cpu_total,
        "convert_audit_s": audited - modelled,
        "parse_s": parsed - start,
        "model_s": modelled - parsed,
        "convert_s": converted - modelled,
        "audit_s": audited - converted,
        "write_s": done - audited,
        "ingresses": len(data.ingresses),
        "annotations": annotations,
        "objects": len(conversion.objects),
        "yaml_bytes": len(out) + len(report),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 3000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        from ferry.gateway._bulk import bulk_work

        with bulk_work():  # as the CLI does
            result = run_once(args.child)
        print(json.dumps(result))
        return
    rows = []
    for size in args.sizes:
        runs = []
        for _ in range(args.repeat):
            proc = subprocess.run(
                [sys.executable, __file__, "--child", str(size)], capture_output=True, text=True, check=True
            )
            runs.append(json.loads(proc.stdout))
        median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        best = min(r["total_s"] for r in runs)
        rows.append((size, median))
        print(
            f"{size:>6} Ingresses ({median['annotations']:.0f} annotations, {size // 5} hosts, "
            f"{median['objects']:.0f} objects): median {median['total_s']:.2f} s wall (best {best:.2f}), "
            f"{median['cpu_s']:.2f} s CPU; "
            f"convert+audit {median['convert_audit_s']:.2f} s "
            f"[parse {median['parse_s']:.2f}, model {median['model_s']:.2f}, convert {median['convert_s']:.2f}, "
            f"audit {median['audit_s']:.2f}, write {median['write_s']:.2f}], peak RSS {median['peak_rss_mib']:.0f} MiB",
            flush=True,
        )
    if len(rows) > 1:
        (small, first), (large, last) = rows[0], rows[-1]
        growth = (last["total_s"] / first["total_s"]) / (large / small)
        print(f"time per Ingress at {large} vs {small}: x{growth:.2f} (1.0 = linear)")
    print(f"load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall times grow with load)")


if __name__ == "__main__":
    main()
