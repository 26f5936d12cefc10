"""ferry cache next to its peers over an emulated remote link, in one run (see docs/cache.md, "Benchmarks").

    sudo .venv/bin/python benchmarks/cache/run.py --size 64MiB --reps 3 --out /tmp/cache-bench.md

Creates a private network namespace (so fixed ports collide with nobody), starts SeaweedFS ``weed mini`` as the
origin and ``linkproxy.py`` in front of it on core 0, shapes the namespace's loopback with HTB (calibrated so that
8 plain range GETs see the configured rate), and runs each contestant as a fresh process on core 1, interleaved.
Scenarios: cold load (file to numpy arrays in memory, process start included), first tensor, warm zero-copy load
from ferry's cache vs ``load_file`` of a local copy, four consumers in four namespaces (origin bytes), and the
unshaped loopback (client CPU-seconds per GiB). Everything it started is stopped and the namespace deleted.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import ctypes
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_model import parse_size, write  # noqa: E402

CLONE_NEWNET = 0x40000000
WEED_S3, PROXY, STATS = 8333, 8000, 8001
COLD = ["ferry", "obstore", "boto3", "s5cmd", "hf_transfer"]
LABELS = {
    "ferry": "ferry cache (embedded runtime, 16 GETs in flight, 512 KiB–16 MiB ramp, tensors from the cache map)",
    "obstore": "obstore get_range_async, 16 MiB chunks, 16 in flight + numpy views",
    "boto3": "boto3 download_file, TransferConfig(max_concurrency=8), 8 MiB parts + load_file",
    "s5cmd": "s5cmd cp -c 16 -p 16 + load_file",
    "hf_transfer": "hf_transfer.download over HTTP (max_files=100, 10 MiB) + load_file",
    "runai": "run:ai Model Streamer (S3, concurrency 16, 16 MiB chunks; torch, own venv)",
}
PYTHONS: dict[str, str] = {}


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True)


def setns(path: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns({path})")
    finally:
        os.close(fd)


@contextlib.contextmanager
def namespace(name: str) -> Iterator[None]:
    sh("ip", "netns", "add", name)
    home = f"/proc/{os.getpid()}/ns/net"
    saved = os.open(home, os.O_RDONLY)
    try:
        setns(f"/run/netns/{name}")
        sh("ip", "link", "set", "lo", "up")
        yield
    finally:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.setns(saved, CLONE_NEWNET)
        os.close(saved)
        subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


def shape(rate_mbit: float | None) -> None:
    """HTB on the namespace's loopback for the link's direction only: packets leaving the proxy's port (proxy →
    client) share one class at ``rate_mbit``; everything else (requests, ACKs, and SeaweedFS's own internal
    traffic — its S3 gateway, filer and volume server talk over this loopback too, several hops per byte) goes
    unshaped. Shaping the whole loopback charged those internal hops to the link and capped it near 50 MB/s."""
    subprocess.run(["tc", "qdisc", "del", "dev", "lo", "root"], check=False, capture_output=True)
    if not rate_mbit:
        return
    sh(*["tc", "qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "20"])
    link = f"{rate_mbit:.0f}mbit"
    sh(*f"tc class add dev lo parent 1: classid 1:10 htb rate {link} ceil {link} burst 1m cburst 1m".split())
    sh(
        *[
            "tc",
            "class",
            "add",
            "dev",
            "lo",
            "parent",
            "1:",
            "classid",
            "1:20",
            "htb",
            "rate",
            "100gbit",
            "ceil",
            "100gbit",
            "burst",
            "4m",
            "cburst",
            "4m",
        ]
    )
    sh(*f"tc filter add dev lo parent 1: protocol ip prio 1 u32 match ip sport {PROXY} 0xffff flowid 1:10".split())


class Proc:
    """A child pinned to a core, always stopped."""

    def __init__(self, argv: list[str], core: int, log: Path) -> None:
        self.log = log.open("wb")
        self.proc = subprocess.Popen(
            ["taskset", "-c", str(core), *argv], stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self.log.close()


def wait_port(port: int, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"port {port} not ready")


def http_call(port: int, method: str, path: str, body: bytes | None = None) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request(method, path, body=body, headers={"Content-Length": str(len(body or b""))})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    if resp.status >= 300:
        raise RuntimeError(f"{method} {path}: {resp.status} {data[:200]!r}")
    return data


def put_object(key: str, path: Path) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", WEED_S3, timeout=600)
    size = path.stat().st_size
    with path.open("rb") as fh:
        conn.request("PUT", f"/models/{key}", body=fh, headers={"Content-Length": str(size)})
        resp = conn.getresponse()
        resp.read()
    conn.close()
    if resp.status != 200:
        raise RuntimeError(f"upload failed: {resp.status}")


def probe(port: int, key: str, size: int, streams: int = 8) -> float:
    """MB/s that ``streams`` plain range GETs see (the link as TCP sees it): curl processes on the clients' core,
    bodies to /dev/null. Native clients, so that the probe measures the link and not the harness's own CPU (a
    Python probe sharing a busy machine under-read the link and made the calibration raise the rate too far)."""
    part = -(-size // streams)
    url = f"http://127.0.0.1:{port}/models/{key}"
    start = time.monotonic()
    procs = [
        subprocess.Popen(
            [
                "taskset",
                "-c",
                "1",
                "curl",
                "-sf",
                "-o",
                "/dev/null",
                "-r",
                f"{i * part}-{min(size, (i + 1) * part) - 1}",
                url,
            ]
        )
        for i in range(streams)
    ]
    if any(p.wait(600) for p in procs):
        raise RuntimeError(f"probe: a plain GET of {url} failed")
    return size / (time.monotonic() - start) / 1e6


def steady_probe(port: int, key: str, streams: int = 8, warmup: float = 1.0, window: float = 5.0) -> float:
    """MB/s of the link in steady state: ``streams`` plain GETs of the whole file (curl, clients' core), bytes counted
    by the proxy over ``window`` seconds after ``warmup``. Unlike timing 8 range GETs to their end, no stream
    finishes early and leaves the others unable to fill the link (50 MB/s each), so this is the link's rate, the
    number to calibrate on."""
    url = f"http://127.0.0.1:{port}/models/{key}"
    procs = [
        subprocess.Popen(["taskset", "-c", "1", "curl", "-s", "-o", "/dev/null", url], stderr=subprocess.DEVNULL)
        for _ in range(streams)
    ]
    try:
        time.sleep(warmup)
        b0, t0 = stats()["down_bytes"], time.monotonic()
        time.sleep(window)
        b1, t1 = stats()["down_bytes"], time.monotonic()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
    return (b1 - b0) / (t1 - t0) / 1e6


def client(contestant: str, work: Path, endpoint_port: int, key: str, *extra: str) -> tuple[float, dict[str, Any]]:
    argv = [
        PYTHONS.get(contestant, sys.executable),
        str(HERE / "clients.py"),
        contestant,
        "--endpoint",
        f"http://127.0.0.1:{endpoint_port}",
        "--key",
        key,
        "--http",
        f"http://127.0.0.1:{endpoint_port}/models/{key}",
        "--work",
        str(work),
        *extra,
    ]
    spawn = time.time()
    out = subprocess.run(["taskset", "-c", "1", *argv], check=False, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(f"{contestant} failed: {out.stderr[-2000:]}")
    return spawn, json.loads(out.stdout.strip().splitlines()[-1])


def stats(reset: bool = False) -> dict[str, int]:
    data: dict[str, int] = json.loads(http_call(STATS, "GET", "/reset" if reset else "/"))
    return data


def summarize(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} [{min(values):.2f}–{max(values):.2f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="64MiB")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--link-mbit", type=float, default=1000.0)
    parser.add_argument("--conn-rate", type=float, default=50e6)
    parser.add_argument("--first-byte", type=float, default=0.02)
    parser.add_argument("--calibrate", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--contestants", default=",".join(COLD))
    parser.add_argument("--skip-loopback", action="store_true")
    parser.add_argument("--skip-shared", action="store_true")
    parser.add_argument("--probe-only", action="store_true", help="calibrate the link, print the probe, stop")
    parser.add_argument("--runai-python", default=None, help="a Python with runai-model-streamer[s3] (and torch)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/ferry-cache-bench.md"))
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run.py needs root for the network namespace and tc (sudo .venv/bin/python ...)")
    weed = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    size = parse_size(args.size)
    contestants = [c for c in args.contestants.split(",") if c]
    if args.runai_python:
        PYTHONS["runai"] = args.runai_python
        contestants.append("runai")
    # Contestants start as fresh interpreters: with PYTHONDONTWRITEBYTECODE set, a ferry module edited since the
    # last bootstrap would be recompiled at every start and charged to ferry's start-up.
    compileall.compile_dir(str(HERE.parents[1] / "src" / "ferry"), quiet=1)
    tmp = Path(tempfile.mkdtemp(prefix="ferry-cache-bench-", dir="/tmp"))
    procs: list[Proc] = []
    results: dict[str, Any] = {"size": size, "runs": {}, "machine": os.uname().release}
    try:
        model = tmp / "model.safetensors"
        file_sha = write(model, size)
        size = model.stat().st_size
        # In a child: this process stays small, so that nothing it holds is charged to the contestants it forks.
        expected = client("load_file", tmp, 0, "")[1]["digest"]
        key = "bench/model.safetensors"
        with namespace(f"ferrybench{os.getpid()}"):
            data = tmp / "weed"
            data.mkdir()
            procs.append(
                Proc(
                    [
                        weed,
                        "mini",
                        f"-dir={data}",
                        "-ip=127.0.0.1",
                        "-ip.bind=127.0.0.1",
                        "-admin.ui=false",
                        "-webdav=false",
                        "-master.telemetry=false",
                        "-bucket=models",
                    ],
                    0,
                    tmp / "weed.log",
                )
            )
            wait_port(WEED_S3)
            for _ in range(100):
                try:
                    put_object(key, model)
                    break
                except (RuntimeError, OSError):
                    time.sleep(0.3)
            http_call(WEED_S3, "GET", f"/models/{key}")  # read back once: the origin serves from its page cache
            procs.append(
                Proc(
                    [
                        sys.executable,
                        str(HERE / "linkproxy.py"),
                        "--listen",
                        str(PROXY),
                        "--upstream",
                        f"127.0.0.1:{WEED_S3}",
                        "--rate",
                        str(args.conn_rate),
                        "--first-byte",
                        str(args.first_byte),
                        "--stats",
                        str(STATS),
                    ],
                    0,
                    tmp / "proxy.log",
                )
            )
            wait_port(PROXY)
            wait_port(STATS)
            rate = args.link_mbit
            shape(rate)
            target = args.link_mbit / 8
            measured = steady_probe(PROXY, key)
            best = (abs(measured - target), rate, measured)
            for _ in range(4 if args.calibrate else 0):
                if abs(measured - target) / target < 0.02:
                    break
                # Never more than 20% above the configured rate: beyond that the probe is CPU-bound, not link-bound.
                rate = min(args.link_mbit * 1.2, rate * target / measured)
                shape(rate)
                measured = steady_probe(PROXY, key)
                best = min(best, (abs(measured - target), rate, measured))
            if best[1] != rate:  # the probe is noisy on a shared machine: keep the rate that came closest
                _, rate, measured = best
                shape(rate)
            results["link"] = {"configured_mbit": args.link_mbit, "htb_mbit": rate, "probe_MBps": measured}
            results["link"]["whole_file_MBps"] = probe(PROXY, key, size)
            results["link"]["one_connection_MBps"] = probe(PROXY, key, size, streams=1)
            results["load"] = [os.getloadavg()[0]]
            if args.probe_only:
                print(json.dumps(results["link"]), f"load {os.getloadavg()}", flush=True)
                print("origin direct, shaped:", probe(WEED_S3, key, size), flush=True)
                shape(None)
                print("origin direct, unshaped:", probe(WEED_S3, key, size), flush=True)
                print("proxy, unshaped:", probe(PROXY, key, size), flush=True)
                return
            cold: dict[str, list[dict[str, Any]]] = {c: [] for c in contestants}
            warm: dict[str, list[dict[str, Any]]] = {"ferry-warm": [], "load_file-warm": []}
            for rep in range(args.reps):
                for name in contestants:
                    work = tmp / f"{name}-{rep}"
                    work.mkdir()
                    stats(reset=True)
                    spawn, out = client(name, work, PROXY, key)
                    seen = stats()
                    cold[name].append({**out, "spawn": spawn, **seen})
                    if name == "ferry":
                        stats(reset=True)
                        spawn, out = client("ferry", work, PROXY, key)
                        warm["ferry-warm"].append({**out, "spawn": spawn, **stats()})
                    if name == "s5cmd":
                        spawn, out = client("load_file", work, PROXY, key)
                        warm["load_file-warm"].append({**out, "spawn": spawn, "down_bytes": 0})
                    shutil.rmtree(work, ignore_errors=True)
            results["runs"]["cold"] = cold
            results["runs"]["warm"] = warm
            results["load"].append(os.getloadavg()[0])
            if not args.skip_shared:
                shared = tmp / "shared"
                shared.mkdir()
                stats(reset=True)
                started = time.time()
                argv = [
                    sys.executable,
                    str(HERE / "clients.py"),
                    "ferry",
                    "--endpoint",
                    f"http://127.0.0.1:{PROXY}",
                    "--key",
                    key,
                    "--work",
                    str(shared),
                    "--no-digest",
                ]
                consumers = [
                    subprocess.Popen(
                        ["taskset", "-c", "1", *argv, "--namespace", ns], stdout=subprocess.PIPE, text=True
                    )
                    for ns in ("shop", "search", "ads", "support")
                ]
                outs = [json.loads((c.communicate(timeout=900)[0] or "{}").strip().splitlines()[-1]) for c in consumers]
                results["runs"]["shared"] = {
                    "origin_bytes": stats()["down_bytes"],
                    "wall": max(o["t_done"] for o in outs) - started,
                }
            if not args.skip_loopback:
                shape(None)
                loop: dict[str, list[dict[str, Any]]] = {c: [] for c in contestants}
                for name in contestants:
                    work = tmp / f"loop-{name}"
                    work.mkdir()
                    spawn, out = client(name, work, WEED_S3, key)
                    loop[name].append({**out, "spawn": spawn})
                    shutil.rmtree(work, ignore_errors=True)
                results["runs"]["loopback"] = loop
        report = render(results, size, expected, file_sha, args)
        args.out.write_text(report)
        args.out.with_suffix(".json").write_text(json.dumps(results, indent=1))
        print(report)
    finally:
        for p in reversed(procs):
            p.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def render(results: dict[str, Any], size: int, expected: str, file_sha: str, args: argparse.Namespace) -> str:
    link = results["link"]
    limit = size / (args.link_mbit * 1e6 / 8)
    gib = size / 2**30
    lines = [
        f"# ferry cache vs peers — {size} bytes ({gib:.3f} GiB), {args.reps} repetitions",
        "",
        f"Link: {args.link_mbit:.0f} Mbit/s (HTB {link['htb_mbit']:.0f} Mbit/s; 8 plain GETs measured "
        f"{link['probe_MBps']:.1f} MB/s in steady state, {link.get('whole_file_MBps', 0):.1f} MB/s timing 8 range "
        f"GETs of the file to their end; one connection {link['one_connection_MBps']:.1f} MB/s), "
        f"{args.conn_rate / 1e6:.0f} MB/s per connection, {args.first_byte * 1000:.0f} ms first byte. "
        f"Link limit {limit:.2f} s. File sha256 {file_sha[:16]}…",
        "",
        "| contestant | wall s median [min–max] | % link | first tensor s | client CPU s | CPU s/GiB | peak RSS MiB "
        "| RSS/file | origin bytes ×file | GETs | conns | verified |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    runs = results["runs"]
    best_peer = None
    for name, items in [*runs["cold"].items(), *runs["warm"].items()]:
        if not items:
            continue
        walls = [i["t_done"] - i["spawn"] for i in items]
        firsts = [i["t_first"] - i["spawn"] for i in items]
        cpu = statistics.median(i["cpu_s"] for i in items)
        rss = statistics.median(i["maxrss_kib"] for i in items) / 1024
        ok = sum(i["digest"] == expected for i in items)
        origin = statistics.median(i.get("down_bytes", 0) for i in items) / size
        label = LABELS.get(name, name)
        gets = statistics.median(i.get("requests", 0) for i in items)
        conns = statistics.median(i.get("connections", 0) for i in items)
        pct = f"{100 * limit / statistics.median(walls):.0f}" if "warm" not in name else "–"
        lines.append(
            f"| {label} | {summarize(walls)} | {pct} | {statistics.median(firsts):.2f} | {cpu:.2f} | {cpu / gib:.2f} "
            f"| {rss:.0f} | {rss * 2**20 / size:.2f} | {origin:.3f} | {gets:.0f} | {conns:.0f} | {ok}/{len(items)} |"
        )
        if name in COLD and name != "ferry":
            median = statistics.median(walls)
            if best_peer is None or median < best_peer[1]:
                best_peer = (name, median, cpu)
    if best_peer and runs["cold"].get("ferry"):
        ferry_wall = statistics.median(i["t_done"] - i["spawn"] for i in runs["cold"]["ferry"])
        lines += [
            "",
            f"Cold: ferry {ferry_wall:.2f} s vs best peer {best_peer[0]} {best_peer[1]:.2f} s "
            f"(ratio {ferry_wall / best_peer[1]:.3f}).",
        ]
    if runs["warm"].get("ferry-warm") and runs["warm"].get("load_file-warm") and best_peer:
        fw = statistics.median(i["t_done"] - i["spawn"] for i in runs["warm"]["ferry-warm"])
        lw = statistics.median(i["t_done"] - i["spawn"] for i in runs["warm"]["load_file-warm"])
        lines.append(
            f"Warm: ferry zero-copy {fw:.3f} s vs load_file of a local copy {lw:.3f} s ({lw / fw:.1f}x), "
            f"vs refetching best peer {best_peer[1] / fw:.1f}x."
        )
    shared = runs.get("shared")
    if shared:
        lines.append(
            f"Four consumers in four namespaces (ferry, one cache dir): origin bytes "
            f"{shared['origin_bytes'] / size:.3f}x the file, all done {shared['wall']:.2f} s after the start "
            "(peers without a shared cache: 4x)."
        )
    loop = runs.get("loopback")
    if loop:
        lines += [
            "",
            "Unshaped loopback (origin on core 0, client on core 1), one run each:",
            "",
            "| contestant | wall s | client CPU s | CPU s/GiB |",
            "|---|---|---|---|",
        ]
        for name, items in loop.items():
            i = items[0]
            lines.append(
                f"| {LABELS.get(name, name)} | {i['t_done'] - i['spawn']:.2f} | {i['cpu_s']:.2f} | "
                f"{i['cpu_s'] / gib:.2f} |"
            )
    lines += [
        "",
        "Load average (1 min) after calibration, after the cold and warm runs, at the end: "
        + ", ".join(f"{x:.2f}" for x in [*results.get("load", []), os.getloadavg()[0]])
        + " (2 cores, shared with other engineers' work).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
