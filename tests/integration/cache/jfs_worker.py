"""One JuiceFS client for the multi-node tests and the benchmark: mounts the volume with its own block cache,
prefetches or reads a dataset, and prints one JSON line with checksums and this client's JuiceFS counters."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time

from ferry.cache import JuiceFSRuntime, load_runtime, load_spec


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", required=True)
    parser.add_argument("--cache-dir", required=True)
    parser.add_argument("--prefetch", action="store_true")
    parser.add_argument("--read", action="append", default=[], help="a file to read (repeat to read again)")
    parser.add_argument("--load", default=None, help="a safetensors file to load with ferry.cache.load_safetensors")
    args = parser.parse_args()
    spec = load_spec(args.spec)
    dataset = spec.dataset()
    out: dict[str, object] = {"pid": os.getpid(), "netns": os.stat("/proc/self/ns/net").st_ino, "reads": []}
    with load_runtime(spec.runtimes[0], cache_dir=args.cache_dir, secrets=spec.secrets) as runtime:
        assert isinstance(runtime, JuiceFSRuntime)
        runtime.apply(dataset)
        before = runtime.metrics()
        if args.prefetch:
            result = runtime.prefetch(dataset)
            out["prefetch"] = result.to_dict()
            out["after_prefetch"] = (runtime.metrics() - before).to_dict()
        reads = []
        for path in args.read:
            start = runtime.metrics()
            started = time.monotonic()
            handle = runtime.open(dataset, path)
            fd = handle.open_fd()
            digest = hashlib.sha256()
            try:
                while chunk := os.read(fd, 4 << 20):
                    digest.update(chunk)
            finally:
                os.close(fd)
            delta = runtime.metrics() - start
            reads.append(
                {
                    "path": path,
                    "sha256": digest.hexdigest(),
                    "seconds": time.monotonic() - started,
                    "origin_bytes": handle.origin_bytes,
                    "metrics": delta.to_dict(),
                }
            )
        out["reads"] = reads
        if args.load:
            from ferry.cache import load_safetensors

            started = time.monotonic()
            tensors = load_safetensors(dataset, args.load, runtime=runtime)
            out["load_seconds"] = time.monotonic() - started
            out["tensors"] = {
                k: hashlib.sha256(memoryview(v).cast("B")).hexdigest() for k, v in sorted(tensors.items())
            }
            del tensors
        out["total"] = (runtime.metrics() - before).to_dict()
        out["status"] = [s.to_dict() for s in runtime.status([dataset])]
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
