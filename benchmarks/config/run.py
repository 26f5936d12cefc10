"""ferry.config benchmarks, side by side with the peers, in one run.

    python benchmarks/config/run.py            # full run (a few minutes on 2 cores)
    python benchmarks/config/run.py --quick    # a short run while developing

1. Warm reads: a snapshot ``get`` and the ``typed()`` view against a plain dict lookup (target: <= 2x), next to
   pydantic-settings attribute access, dynaconf and environs (``pip install 'ferry[bench]'``).
2. A kubelet ``..data`` swap visible to readers (inotify; target: within 100 ms), and the polling fallback.
3. 8 reader threads doing paired reads (two keys from one snapshot) through a reload storm of real kubelet-style
   volume swaps: torn pairs and missing keys must be zero.

Medians of repeated runs, in nanoseconds per read unless said otherwise; ratios are against ``dict[key]`` measured
in the same run. Other processes on the machine move absolute numbers; compare ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import timeit
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ferry.config import Defaults, Directory, Environment, File, Reader, kubelet_update

KEY = "http.timeout"
ENV = {"HTTP_TIMEOUT": "30", "HTTP_HOST": "example.com", "LOG_LEVEL": "info"}


def _rounds(cases: dict[str, str], env: dict[str, Any], number: int, repeat: int) -> dict[str, list[float]]:
    """ns per execution of each statement, ``repeat`` rounds; within a round the cases run back to back, so that a
    load spike from other processes hits every case of that round alike (timeit's loop included for all)."""
    timers = {name: timeit.Timer(stmt, globals=env) for name, stmt in cases.items()}
    out: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, timer in timers.items():
            slow = "dynaconf" in name or "environs" in name
            n = max(1, number // 50) if slow else number
            out[name].append(timer.timeit(n) / n * 1e9)
    return out


def _peers(tmp: Path, env: dict[str, Any], cases: dict[str, str]) -> list[str]:
    """Add the peers that are installed; return the names of those that are not."""
    missing: list[str] = []
    try:
        from pydantic import BaseModel
        from pydantic_settings import BaseSettings, SettingsConfigDict

        class Http(BaseModel):
            timeout: int = 0
            host: str = ""

        class Settings(BaseSettings):
            model_config = SettingsConfigDict(env_nested_delimiter="__")
            http: Http = Http()

        os.environ["HTTP__TIMEOUT"] = "30"
        env["settings"] = Settings()
        cases["pydantic-settings s.http.timeout"] = "settings.http.timeout"
    except ImportError:
        missing.append("pydantic-settings")
    try:
        from dynaconf import Dynaconf

        env["dyn"] = Dynaconf(settings_files=[str(tmp / "app.yaml")], envvar_prefix="BENCH")
        cases["dynaconf settings.http.timeout"] = "dyn.http.timeout"
        cases["dynaconf settings.get('http.timeout')"] = "dyn.get('http.timeout')"
    except ImportError:
        missing.append("dynaconf")
    try:
        from environs import Env

        os.environ["HTTP_TIMEOUT"] = "30"
        env["env"] = Env()
        cases["environs env.int('HTTP_TIMEOUT')"] = "env.int('HTTP_TIMEOUT')"
    except ImportError:
        missing.append("environs")
    return missing


def bench_reads(quick: bool) -> dict[str, Any]:
    number, repeat = (50_000, 7) if quick else (200_000, 25)
    tmp = Path(tempfile.mkdtemp(prefix="ferry-bench-"))
    (tmp / "app.yaml").write_text("http:\n  timeout: 30\n  host: example.com\nlog:\n  level: info\n")
    reader = Reader([Environment(environ={}), File(tmp / "app.yaml"), Defaults({"http.port": 80})])
    snapshot = reader.snapshot()
    flat = {"http.timeout": 30, "http.host": "example.com", "log.level": "info"}
    env: dict[str, Any] = {
        "flat": flat,
        "proxy": MappingProxyType(dict(flat)),
        "ints": snapshot.typed(int),
        "snapshot": snapshot,
        "reader": reader,
    }
    assert snapshot.get(KEY, int) == reader.get(KEY, int) == env["ints"][KEY] == 30  # warm
    cases = {
        "dict[key]": "flat['http.timeout']",
        "MappingProxyType[key]": "proxy['http.timeout']",
        "ferry snapshot.typed(int)[key]": "ints['http.timeout']",
        "ferry snapshot.get(key, int)": "snapshot.get('http.timeout', int)",
        "ferry reader.get(key, int)": "reader.get('http.timeout', int)",
    }
    missing = _peers(tmp, env, cases)
    runs = _rounds(cases, env, number, repeat)
    base_runs = runs["dict[key]"]
    results = {name: statistics.median(r) for name, r in runs.items()}
    best = {name: min(r) for name, r in runs.items()}
    ratio = {name: statistics.median(v / b for v, b in zip(r, base_runs, strict=True)) for name, r in runs.items()}
    print(f"\n1. warm reads of {KEY!r} ({repeat} rounds; ratio = median over rounds of case / dict[key] in that round)")
    print(f"   {'':42} {'median':>10}      {'best':>10}      {'ratio':>7}")
    for name, ns in results.items():
        print(f"   {name:42} {ns:10.1f} ns   {best[name]:10.1f} ns   {ratio[name]:6.2f}x")
    if missing:
        print(f"   (not installed: {', '.join(missing)}; pip install 'ferry[bench]')")
    typed_ratio = ratio["ferry snapshot.typed(int)[key]"]
    get_ratio = ratio["ferry snapshot.get(key, int)"]
    print(
        f"   target <= 2x dict: snapshot.typed(int)[key] {typed_ratio:.2f}x {'MET' if typed_ratio <= 2 else 'MISSED'}; "
        f"snapshot.get(key, int) {get_ratio:.2f}x {'MET' if get_ratio <= 2 else 'MISSED'}"
    )
    return {
        "median_ns": results,
        "best_ns": best,
        "ratio": ratio,
        "missing_peers": missing,
    }


def bench_swap(quick: bool) -> dict[str, Any]:
    swaps = 15 if quick else 100
    out: dict[str, Any] = {}
    print(f"\n2. kubelet ..data swap -> visible to readers ({swaps} swaps; ms from the start of the write)")
    for mechanism, kwargs in (
        ("inotify", {"poll_interval": 30.0}),
        ("polling 0.25 s", {"force_polling": True, "poll_interval": 0.25}),
    ):
        if quick and mechanism.startswith("polling"):
            swaps_here = 5
        else:
            swaps_here = swaps if mechanism == "inotify" else max(10, swaps // 5)
        volume = Path(tempfile.mkdtemp(prefix="ferry-bench-vol-")) / "config"
        kubelet_update(volume, {"value": "0", "log.level": "info"})
        provider = Directory(volume, watch=True, **kwargs)
        reader = Reader([provider])
        seen = threading.Event()
        reader.on_change(lambda _s, event=seen: event.set())
        latencies = []
        for i in range(1, swaps_here + 1):
            seen.clear()
            start = time.perf_counter()
            kubelet_update(volume, {"value": str(i), "log.level": "info"})
            if not seen.wait(5):
                raise SystemExit(f"swap {i} never became visible with {mechanism}")
            latencies.append((time.perf_counter() - start) * 1000)
            assert reader.get("value", int) == i
            time.sleep(0.01)
        provider.close()
        p95 = sorted(latencies)[max(0, int(len(latencies) * 0.95) - 1)]
        print(
            f"   {mechanism:16} median {statistics.median(latencies):7.1f} ms   p95 {p95:7.1f} ms   "
            f"max {max(latencies):7.1f} ms   publications {provider.status.reloads}"
        )
        out[mechanism] = {
            "median_ms": statistics.median(latencies),
            "p95_ms": p95,
            "max_ms": max(latencies),
            "reloads": provider.status.reloads,
            "swaps": swaps_here,
        }
    verdict = out["inotify"]["max_ms"] <= 100
    print(
        f"   target: every swap visible within 100 ms with inotify: {'MET' if verdict else 'MISSED'} "
        f"(max {out['inotify']['max_ms']:.1f} ms; debounce 20 ms)"
    )
    return out


def bench_storm(quick: bool) -> dict[str, Any]:
    threads_n = 8
    per_thread = 20_000 if quick else 1_000_000
    volume = Path(tempfile.mkdtemp(prefix="ferry-bench-storm-")) / "config"
    kubelet_update(volume, {"pair.a": "0", "pair.b": "0", "other": "x"})
    provider = Directory(volume)  # the writer reloads after every swap: as many publications as it can make
    reader = Reader([provider, Defaults({"pair.a": "-1"})])
    stop = threading.Event()
    torn = missing = 0
    lock = threading.Lock()
    generations: set[int] = set()

    def read() -> None:
        nonlocal torn, missing
        t = m = 0
        seen = set()
        for _ in range(per_thread):
            snapshot = reader.snapshot()
            a = snapshot.get("pair.a", default=None)
            b = snapshot.get("pair.b", default=None)
            if a is None or b is None:
                m += 1
            elif a != b:
                t += 1
            seen.add(snapshot.generation)
        with lock:
            torn += t
            missing += m
            generations.update(seen)

    def storm() -> None:
        i = 0
        while not stop.is_set():
            i += 1
            kubelet_update(volume, {"pair.a": str(i), "pair.b": str(i), "other": "x"})
            provider.reload()

    writer = threading.Thread(target=storm)
    readers = [threading.Thread(target=read) for _ in range(threads_n)]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)  # switch threads 50x more often than by default: more interleavings to get wrong
    start = time.perf_counter()
    writer.start()
    for t in readers:
        t.start()
    for t in readers:
        t.join()
    stop.set()
    writer.join()
    sys.setswitchinterval(switch)
    provider.close()
    elapsed = time.perf_counter() - start
    total = threads_n * per_thread
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    print(
        f"\n3. reload storm: {threads_n} reader threads x {per_thread:,} paired reads = {total:,} pairs in "
        f"{elapsed:.1f} s, during {provider.status.reloads} publications (GIL {'on' if gil else 'off'})"
    )
    print(
        f"   torn pairs {torn}   missing keys {missing}   generations seen by readers {len(generations)}   "
        f"target zero/zero: {'MET' if torn == missing == 0 else 'MISSED'}"
    )
    return {
        "pairs": total,
        "torn": torn,
        "missing": missing,
        "reloads": provider.status.reloads,
        "generations_seen": len(generations),
        "seconds": elapsed,
        "gil": gil,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a quick look")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args()
    print(
        f"ferry.config benchmarks — Python {platform.python_version()} ({sys.implementation.name}), "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}{' — quick' if args.quick else ''}"
    )
    results = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "loadavg": os.getloadavg()[0],
        "reads": bench_reads(args.quick),
        "swap": bench_swap(args.quick),
        "storm": bench_storm(args.quick),
    }
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0 if results["storm"]["torn"] == results["storm"]["missing"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
