"""Where ingest's time goes, per span: decode, prepare (normalise + strip content), row encoding, and the store's
SQLite work (with retention on), measured in-process as CPU time so the machine's load moves it little.

    .venv/bin/python benchmarks/genai/bench_ingest_stages.py [--spans 40000] [--batch 1000] [--max-spans 10000]

Uses the same request bodies as bench_ingest.py. Each stage's figure is the best of three passes.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_ingest import calibration_s, encode_batches

from ferry.genai import Retention, TraceStore
from ferry.genai._otlp_proto import decode_proto
from ferry.genai._store import _encode_span


def best_us(fn: Callable[[], Any], spans: int, passes: int = 3) -> tuple[float, Any]:
    best = float("inf")
    result = None
    for _ in range(passes):
        start = time.process_time()
        result = fn()
        best = min(best, time.process_time() - start)
    return round(best / spans * 1e6, 2), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=40_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--max-spans", type=int, default=10_000)
    args = parser.parse_args()
    bodies = encode_batches(args.spans, args.batch)
    decode_us, batches = best_us(lambda: [decode_proto("traces", b) for b in bodies], args.spans)
    with tempfile.TemporaryDirectory(prefix="ferry-genai-stages-") as tmp:
        store = TraceStore(Path(tmp) / "s.sqlite", retention=Retention(max_spans=args.max_spans))
        prepare_us, prepared = best_us(lambda: [store.prepare(b) for b in batches], args.spans)

        def encode() -> None:
            for batch in prepared:
                resources: dict[int, Any] = {}
                for span in batch.spans:
                    _encode_span(span, resources)

        encode_us, _ = best_us(encode, args.spans)

        def ingest() -> None:
            for batch in batches:
                store.ingest(batch)

        ingest_us, _ = best_us(ingest, args.spans)
        store.close()
    print(json.dumps({
        "calibration_loop_s": calibration_s(),
        "benchmark": "genai.ingest.stages_cpu_us_per_span",
        "spans": args.spans,
        "batch": args.batch,
        "decode_us": decode_us,
        "prepare_us": prepare_us,
        "encode_us": encode_us,
        "sqlite_us": round(ingest_us - prepare_us - encode_us, 2),
        "total_us": round(decode_us + ingest_us, 2),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
