"""Ingest over OTLP/HTTP protobuf into a running ``ferry genai serve`` (target: >= 20,000 spans/s), and its memory
with retention on (RSS sampled while far more spans arrive than retention keeps).

    .venv/bin/python benchmarks/genai/bench_ingest.py [--spans 200000] [--batch 1000] [--clients 2] [--max-spans 50000]

The request bodies are encoded before the clock starts (as an exporter's batch would be); each client keeps one
HTTP/1.1 connection open. Numbers depend on the machine's load: run it on a quiet machine. ``server_cpu_us_per_span``
(the server's user + system CPU time per span) moves far less with the load than the throughput does.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from ferry._kernel import ManagedProcess, free_port


def encode_batches(total: int, batch: int) -> list[bytes]:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

    bodies = []
    n = 0
    while n < total:
        req = ExportTraceServiceRequest()
        rs = req.resource_spans.add()
        rs.resource.attributes.append(KeyValue(key="service.name", value=AnyValue(string_value="bench-agent")))
        ss = rs.scope_spans.add()
        ss.scope.name = "bench"
        for _ in range(min(batch, total - n)):
            trace = (n // 20 + 1).to_bytes(16, "big")
            span = ss.spans.add()
            span.trace_id = trace
            span.span_id = (n + 1).to_bytes(8, "big")
            first = n - n % 20
            if n % 20:
                span.parent_span_id = (first + 1).to_bytes(8, "big")
            span.name = "chat m" if n % 2 else "execute_tool search"
            span.kind = 3 if n % 2 else 1
            span.start_time_unix_nano = 1_700_000_000_000_000_000 + n * 1000
            span.end_time_unix_nano = span.start_time_unix_nano + 50_000_000
            op = "chat" if n % 2 else "execute_tool"
            span.attributes.append(KeyValue(key="gen_ai.operation.name", value=AnyValue(string_value=op)))
            span.attributes.append(KeyValue(key="gen_ai.request.model", value=AnyValue(string_value="m")))
            span.attributes.append(KeyValue(key="gen_ai.usage.input_tokens", value=AnyValue(int_value=512)))
            n += 1
        bodies.append(req.SerializeToString())
    return bodies


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used: a per-span cost that the machine's load barely moves."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def calibration_s() -> float:
    """Seconds for an empty 3,000,000-iteration loop: how busy this machine is (about 0.05 s when idle)."""
    start = time.perf_counter()
    for _ in range(3_000_000):
        pass
    return round(time.perf_counter() - start, 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--max-spans", type=int, default=50_000, help="the server's retention limit")
    args = parser.parse_args()
    bodies = encode_batches(args.spans, args.batch)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="ferry-genai-bench-") as tmp:
        argv = [sys.executable, "-m", "ferry", "genai", "serve", "--port", str(port), "--db", f"{tmp}/s.sqlite",
                "--max-spans", str(args.max_spans)]  # fmt: skip
        with ManagedProcess(argv, name="ferry-genai-serve", ready_port=("127.0.0.1", port)) as server:
            assert server.pid is not None
            rss_start = rss_kb(server.pid)
            samples: list[int] = []
            errors: list[str] = []

            def client(part: list[bytes]) -> None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                for body in part:
                    conn.request("POST", "/v1/traces", body, {"Content-Type": "application/x-protobuf"})
                    response = conn.getresponse()
                    response.read()
                    if response.status != 200:
                        errors.append(str(response.status))
                conn.close()

            threads = [threading.Thread(target=client, args=(bodies[i :: args.clients],)) for i in range(args.clients)]
            cpu_start = cpu_s(server.pid)
            start = time.perf_counter()
            for t in threads:
                t.start()
            while any(t.is_alive() for t in threads):
                samples.append(rss_kb(server.pid))
                time.sleep(0.1)
            elapsed = time.perf_counter() - start
            server_cpu = cpu_s(server.pid) - cpu_start
            rss_end = rss_kb(server.pid)
            db_bytes = sum(f.stat().st_size for f in Path(tmp).iterdir())
    print(json.dumps({
        "calibration_loop_s": calibration_s(),
        "benchmark": "genai.ingest.otlp_http_protobuf",
        "spans": args.spans,
        "batch": args.batch,
        "clients": args.clients,
        "seconds": round(elapsed, 3),
        "spans_per_s": round(args.spans / elapsed),
        "server_cpu_us_per_span": round(server_cpu / args.spans * 1e6, 1),
        "target_spans_per_s": 20_000,
        "errors": len(errors),
        "retention_max_spans": args.max_spans,
        "server_rss_kb": {"start": rss_start, "max": max(samples or [rss_end]), "end": rss_end},
        "store_bytes": db_bytes,
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
