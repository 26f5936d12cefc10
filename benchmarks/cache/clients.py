"""The contestants, one per process: each loads the model into memory and reports what it cost.

    python clients.py CONTESTANT --endpoint URL --bucket B --key K [--http URL] [--work DIR] [--namespace NS]

Prints one JSON line: ``t_first`` and ``t_done`` (absolute ``time.time()`` when the first tensor and all tensors
were usable as numpy arrays), ``cpu_s`` and ``maxrss_kib`` of this process and its children at ``t_done``, and
``digest`` (over every tensor's sha256, computed after the clock stopped).
"""

from __future__ import annotations

import time

T0 = time.time()

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

# hashlib, resource and subprocess are imported where they are used: what runs before the clock stops is what a
# real consumer would import, nothing of the harness's.

MiB = 1024 * 1024
MARKS: dict[str, float] = {}


class Args:
    """The command line (parsed by hand: argparse and its gettext cost ~10 ms of every contestant's start-up)."""

    def __init__(self, argv: list[str]) -> None:
        self.contestant = argv[0]
        self.endpoint = self.key = self.http = ""
        self.bucket, self.work, self.namespace = "models", ".", "ml"
        self.concurrency: int | None = None
        self.no_digest = False
        rest = iter(argv[1:])
        for flag in rest:
            if flag == "--no-digest":
                self.no_digest = True
                continue
            name = flag.removeprefix("--").replace("-", "_")
            if not flag.startswith("--") or name not in {
                "endpoint",
                "bucket",
                "key",
                "http",
                "work",
                "namespace",
                "concurrency",
            }:
                raise SystemExit(f"unknown option {flag}")
            value = next(rest)
            setattr(self, name, int(value) if name == "concurrency" else value)


def usage() -> tuple[float, int]:
    """CPU of this process and its children; peak RSS in KiB from VmHWM (``ru_maxrss`` of a freshly exec'd child
    starts at its parent's size at fork time, which would charge the harness's memory to every contestant)."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    hwm = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1])
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime, max(hwm, kids.ru_maxrss)


def digest(tensors: dict[str, Any]) -> str:
    import hashlib

    import numpy as np

    total = hashlib.sha256()
    for name in sorted(tensors):
        total.update(name.encode() + hashlib.sha256(memoryview(np.ascontiguousarray(tensors[name])).cast("B")).digest())
    return total.hexdigest()


def views(buffer: Any) -> dict[str, Any]:
    """Tensors as numpy views of an in-memory safetensors image (what the range-GET peers do after fetching)."""
    import struct

    import numpy as np

    (n,) = struct.unpack("<Q", bytes(buffer[:8]))
    header = json.loads(bytes(buffer[8 : 8 + n]))
    header.pop("__metadata__", None)
    kinds = {"F16": np.float16, "F32": np.float32, "BF16": np.uint16}
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = np.dtype(kinds[info["dtype"]])
        out[name] = np.frombuffer(
            buffer, dtype=dtype, count=(end - begin) // dtype.itemsize, offset=8 + n + begin
        ).reshape(info["shape"])
    return out


def run_ferry(args: Args) -> tuple[dict[str, Any], float | None]:
    import ferry.cache as fc

    prefix = args.key.rsplit("/", 1)[0]
    physical = fc.Dataset(
        "bench", "ml", [fc.Mount(f"s3://{args.bucket}/{prefix}/", options={"endpoint": args.endpoint})]
    )
    runtime = fc.EmbeddedRuntime(fc.Runtime(concurrency=args.concurrency), cache_dir=args.work)
    dataset = physical  # a physical dataset needs no apply: the first open records and lists it
    if args.namespace != "ml":
        runtime.apply(physical)
        dataset = fc.Dataset("bench", args.namespace, [fc.Mount("dataset://ml/bench")])
        runtime.apply(dataset)
    stream = fc.stream_safetensors(dataset, args.key.rsplit("/", 1)[1], runtime=runtime)
    MARKS["t_header"] = time.time()  # the header is parsed: tensors' names, dtypes and shapes are known
    tensors: dict[str, Any] = {}
    first = None
    for name, array in stream:
        if first is None:
            first = time.time()
        tensors[name] = array
    return tensors, first


def run_obstore(args: Args) -> tuple[dict[str, Any], float | None]:
    import asyncio

    import obstore
    from obstore.store import S3Store

    store = S3Store(
        args.bucket,
        endpoint=args.endpoint,
        skip_signature=True,
        region="us-east-1",
        client_options={"allow_http": True},
        virtual_hosted_style_request=False,
    )
    size = obstore.head(store, args.key)["size"]
    buffer = bytearray(size)
    chunk = 16 * MiB

    async def fetch() -> None:
        sem = asyncio.Semaphore(16)

        async def one(start: int) -> None:
            async with sem:
                data = await obstore.get_range_async(store, args.key, start=start, end=min(size, start + chunk))
                buffer[start : start + len(data)] = memoryview(data)

        await asyncio.gather(*(one(s) for s in range(0, size, chunk)))

    asyncio.run(fetch())
    return views(buffer), None


def _load_file(path: Path) -> dict[str, Any]:
    from safetensors.numpy import load_file

    return load_file(str(path))


def run_boto3(args: Args) -> tuple[dict[str, Any], float | None]:
    import boto3
    from boto3.s3.transfer import TransferConfig
    from botocore import UNSIGNED
    from botocore.config import Config

    s3 = boto3.client(
        "s3",
        endpoint_url=args.endpoint,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, max_pool_connections=16),
    )
    target = Path(args.work) / "model.safetensors"
    s3.download_file(
        args.bucket, args.key, str(target), Config=TransferConfig(max_concurrency=8, multipart_chunksize=8 * MiB)
    )
    return _load_file(target), None


def run_s5cmd(args: Args) -> tuple[dict[str, Any], float | None]:
    import shutil
    import subprocess

    binary = shutil.which("s5cmd") or str(Path(sys.executable).parent / "s5cmd")
    target = Path(args.work) / "model.safetensors"
    subprocess.run(
        [
            binary,
            "--no-sign-request",
            "--endpoint-url",
            args.endpoint,
            "cp",
            "-c",
            "16",
            "-p",
            "16",
            f"s3://{args.bucket}/{args.key}",
            str(target),
        ],
        check=True,
        capture_output=True,
    )
    return _load_file(target), None


def run_hf_transfer(args: Args) -> tuple[dict[str, Any], float | None]:
    import hf_transfer

    target = Path(args.work) / "model.safetensors"
    hf_transfer.download(args.http, str(target), max_files=100, chunk_size=10 * MiB)
    return _load_file(target), None


def run_runai(args: Args) -> tuple[dict[str, Any], float | None]:
    """run:ai Model Streamer (needs torch; runs from its own venv, see run.py --runai-python)."""
    import os

    os.environ.update(
        {
            "AWS_ENDPOINT_URL": args.endpoint,
            "RUNAI_STREAMER_S3_USE_VIRTUAL_ADDRESSING": "0",
            "AWS_EC2_METADATA_DISABLED": "true",
            "RUNAI_STREAMER_S3_UNSIGNED": "1",
            "AWS_REGION": "us-east-1",
            "RUNAI_STREAMER_CONCURRENCY": "16",
            "RUNAI_STREAMER_CHUNK_BYTESIZE": str(16 * MiB),
        }
    )
    from runai_model_streamer import SafetensorsStreamer

    tensors: dict[str, Any] = {}
    first = None
    with SafetensorsStreamer() as streamer:
        streamer.stream_file(f"s3://{args.bucket}/{args.key}")
        for name, tensor in streamer.get_tensors():
            if first is None:
                first = time.time()
            tensors[name] = tensor.clone().numpy()  # yielded tensors may be reused buffers
    return tensors, first


def run_local_load_file(args: Args) -> tuple[dict[str, Any], float | None]:
    return _load_file(Path(args.work) / "model.safetensors"), None


CONTESTANTS = {
    "ferry": run_ferry,
    "obstore": run_obstore,
    "boto3": run_boto3,
    "s5cmd": run_s5cmd,
    "hf_transfer": run_hf_transfer,
    "runai": run_runai,
    "load_file": run_local_load_file,
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in CONTESTANTS:
        raise SystemExit(f"usage: clients.py {{{','.join(sorted(CONTESTANTS))}}} [--endpoint URL] [--key K] ...")
    args = Args(sys.argv[1:])
    t_import = time.time()
    tensors, first = CONTESTANTS[args.contestant](args)
    t_done = time.time()
    cpu, rss = usage()
    out = {
        "t_start": T0,
        "t_import": t_import,
        "t_first": first or t_done,
        "t_done": t_done,
        "cpu_s": cpu,
        "maxrss_kib": rss,
        "tensors": len(tensors),
        "digest": None if args.no_digest else digest(tensors),
        **MARKS,
    }
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
