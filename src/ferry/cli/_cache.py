"""``ferry cache``: datasets as cached resources — apply, prefetch, status, ls, gc, load, render."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from ferry.cli._output import console, emit_json, format_option
from ferry.errors import UsageError

if TYPE_CHECKING:
    from ferry.cache import CacheRuntime, Spec

__all__ = ["cache"]

_cache_dir = click.option(
    "--cache-dir",
    envvar="FERRY_CACHE_DIR",
    default=None,
    metavar="DIR",
    help="The embedded runtime's store (env FERRY_CACHE_DIR; default: the Runtime's cacheDir, "
    "else ~/.cache/ferry/cache).",
)
_file = click.option(
    "-f",
    "--file",
    "files",
    multiple=True,
    metavar="FILE",
    help="YAML with Datasets, Runtimes, DataLoads (and Secrets for their credentials).",
)
_dataset = click.option(
    "--dataset",
    "dataset_ref",
    default=None,
    metavar="NAMESPACE/NAME",
    help="Which dataset of the file(s) (default: the only one).",
)


@click.group()
def cache() -> None:
    """Model weights and datasets as cached resources: prefetch once, share by reference, load zero-copy."""


def _spec(files: tuple[str, ...]) -> Spec:
    from ferry._kernel import KubeObject
    from ferry.cache import DataLoad, Dataset, Runtime, Secret, Spec, load_spec

    datasets: list[Dataset] = []
    runtimes: list[Runtime] = []
    loads: list[DataLoad] = []
    secrets: list[Secret] = []
    others: list[KubeObject] = []
    for f in files:
        s = load_spec(f)
        datasets += s.datasets
        runtimes += s.runtimes
        loads += s.dataloads
        secrets += s.secrets
        others += s.others
    return Spec(tuple(datasets), tuple(runtimes), tuple(loads), tuple(secrets), tuple(others))


@contextmanager
def _runtime(
    spec: Spec | None, cache_dir: str | None, concurrency: int | None = None, chunk_size: str | None = None
) -> Iterator[CacheRuntime]:
    from dataclasses import replace

    from ferry.cache import Runtime, load_runtime
    from ferry.cache._units import parse_quantity

    runtime_spec = spec.runtimes[0] if spec and len(spec.runtimes) == 1 else Runtime()
    if spec and len(spec.runtimes) > 1:
        raise UsageError(
            "the files declare more than one Runtime; ferry uses one store per command",
            hint="keep one Runtime per file set",
        )
    if concurrency is not None:
        runtime_spec = replace(runtime_spec, concurrency=concurrency)
    if chunk_size is not None:
        try:
            runtime_spec = replace(runtime_spec, chunk_size=parse_quantity(chunk_size))
        except ValueError as exc:
            raise UsageError(f"--chunk-size: {exc}") from None
    runtime = load_runtime(runtime_spec, cache_dir=cache_dir, secrets=spec.secrets if spec else ())
    try:
        if spec:
            for d in spec.datasets:
                runtime.apply(d)
        yield runtime
    finally:
        runtime.close()


@contextmanager
def _progress(enabled: bool, total: int, label: str) -> Iterator[Callable[[int], None] | None]:
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    with Progress(
        "[bold]{task.description}",
        BarColumn(),
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total or None)
        yield lambda n: bar.advance(task, n)


@cache.command("apply")
@_file
@_cache_dir
@click.option("--no-list", is_flag=True, help="Record the declarations without listing the origins.")
@format_option()
def apply_cmd(files: tuple[str, ...], cache_dir: str | None, no_list: bool, output_format: str) -> None:
    """Record Datasets (and list their files at the origin) in the cache's metadata."""
    if not files:
        raise UsageError("give the declarations with -f FILE")
    spec = _spec(files)
    with _runtime(spec, cache_dir) as runtime:
        statuses = [] if no_list else _list_all(runtime, spec)
        applied = [{"kind": "Dataset", "namespace": d.namespace, "name": d.name} for d in spec.datasets]
        if output_format == "json":
            emit_json({"applied": applied, "datasets": [s.to_dict() for s in statuses]})
            return
        out = console()
        for item in applied:
            out.print(f"dataset {item['namespace']}/{item['name']} applied")
        for s in statuses:
            out.print(f"  {s.namespace}/{s.name}: {len(s.files)} files, {_size(s.total_bytes)}")


def _list_all(runtime: CacheRuntime, spec: Spec) -> list[Any]:
    from ferry.cache._runtime import ListsFiles

    if isinstance(runtime, ListsFiles):
        for d in spec.datasets:
            runtime.files(d, refresh=d.reference is None)
    return runtime.status(list(spec.datasets))


def _size(n: int) -> str:
    from ferry.cache._units import format_bytes

    return format_bytes(n)


@cache.command("prefetch")
@_file
@_dataset
@_cache_dir
@click.option("--path", "paths", multiple=True, metavar="GLOB", help="Only these files (paths or globs).")
@click.option("--pin/--unpin", default=None, help="Pin the files against eviction (or unpin them).")
@click.option("--concurrency", type=click.IntRange(1, 256), default=None, help="Ranged GETs in flight per file.")
@click.option("--chunk-size", default=None, metavar="SIZE", help="Bytes per ranged GET (e.g. 16Mi).")
@click.option(
    "--schedule",
    "follow",
    is_flag=True,
    help="Keep running: repeat DataLoads with policy Cron at their schedule (Ctrl-C stops).",
)
@format_option()
def prefetch_cmd(
    files: tuple[str, ...],
    dataset_ref: str | None,
    cache_dir: str | None,
    paths: tuple[str, ...],
    pin: bool | None,
    concurrency: int | None,
    chunk_size: str | None,
    follow: bool,
    output_format: str,
) -> None:
    """Warm datasets in the cache (their DataLoads' targets when the file declares DataLoads)."""
    from ferry.cache import DataLoad

    if not files:
        raise UsageError("give the declarations with -f FILE")
    spec = _spec(files)
    chosen = [spec.dataset(dataset_ref)] if dataset_ref else list(spec.datasets)
    if not chosen:
        raise UsageError("the files declare no Dataset")
    with _runtime(spec, cache_dir, concurrency, chunk_size) as runtime:

        def run_once() -> list[Any]:
            results = []
            for d in chosen:
                loads: list[DataLoad | None] = [
                    ld for ld in spec.dataloads if ld.dataset == d.name and ld.namespace == d.namespace
                ]
                if paths:
                    loads = [DataLoad("cli", d.namespace, d.name, paths)]
                for load in loads or [None]:  # no DataLoad: the whole dataset
                    with _progress(output_format == "text", _planned(runtime, d, load), d.key) as tick:
                        results.append(runtime.prefetch(d, load, progress=tick, pin=pin))
            return results

        results = run_once()
        _emit_prefetch(results, output_format)
        if follow:
            _follow(spec, runtime, output_format)


def _planned(runtime: CacheRuntime, dataset: Any, load: Any) -> int:
    from ferry.cache._runtime import ListsFiles

    if not isinstance(runtime, ListsFiles):
        return 0
    _, rows = runtime.files(dataset, refresh=dataset.reference is None)
    return sum(r.size for r in rows if load is None or load.selects(r.path))


def _emit_prefetch(results: list[Any], output_format: str) -> None:
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for r in results:
        key = (r.namespace, r.name)
        if key in merged:
            merged[key]["origin_bytes"] += r.origin_bytes
            merged[key]["cached_bytes"] += r.cached_bytes
            merged[key]["total_bytes"] += r.total_bytes
        else:
            merged[key] = r.to_dict()
    if output_format == "json":
        emit_json({"datasets": list(merged.values())})
        return
    from rich.table import Table

    table = Table("dataset", "from origin", "cached", "total", "seconds")
    for r in results:
        table.add_row(
            f"{r.namespace}/{r.name}",
            _size(r.origin_bytes),
            _size(r.cached_bytes),
            _size(r.total_bytes),
            f"{r.seconds:.2f}",
        )
    console().print(table)


def _follow(spec: Spec, runtime: CacheRuntime, output_format: str) -> None:
    from datetime import datetime

    from ferry.cache import CronSchedule

    cron = [(ld, CronSchedule.parse(ld.schedule)) for ld in spec.dataloads if ld.policy == "Cron" and ld.schedule]
    if not cron:
        raise UsageError("--schedule needs a DataLoad with policy: Cron and a schedule")
    while True:
        now = datetime.now()
        load, schedule = min(cron, key=lambda item: item[1].next_after(now))
        when = schedule.next_after(now)
        console(stderr=True).print(f"next: DataLoad {load.namespace}/{load.name} at {when:%Y-%m-%d %H:%M}")
        time.sleep(max(0.0, (when - datetime.now()).total_seconds()))
        dataset = spec.dataset(f"{load.namespace}/{load.dataset}")
        _emit_prefetch([runtime.prefetch(dataset, load)], output_format)


@cache.command("status")
@_file
@_cache_dir
@format_option()
def status_cmd(files: tuple[str, ...], cache_dir: str | None, output_format: str) -> None:
    """Cached and total bytes per dataset and file (every applied dataset, or those of -f)."""
    spec = _spec(files) if files else None
    with _runtime(spec, cache_dir) as runtime:
        statuses = runtime.status(list(spec.datasets) if spec else None)
    if output_format == "json":
        emit_json({"datasets": [s.to_dict() for s in statuses]})
        return
    from rich.table import Table

    table = Table("dataset", "files", "cached", "total", "cached %", "reference", "last error")
    for s in statuses:
        table.add_row(
            f"{s.namespace}/{s.name}",
            str(len(s.files)),
            _size(s.cached_bytes),
            _size(s.total_bytes),
            f"{s.percentage:.1f}%",
            s.reference or "",
            s.last_error or "",
        )
    console().print(table)


@cache.command("ls")
@click.argument("dataset", required=False, metavar="[NAMESPACE/NAME]")
@_file
@_cache_dir
@format_option()
def ls_cmd(dataset: str | None, files: tuple[str, ...], cache_dir: str | None, output_format: str) -> None:
    """List the datasets in the cache, or the files of one (-f: the Runtime those files declare)."""
    with _runtime(_spec(files) if files else None, cache_dir) as runtime:
        statuses = runtime.status()
    if dataset is not None:
        namespace, _, name = dataset.rpartition("/")
        statuses = [s for s in statuses if s.name == name and s.namespace == (namespace or "default")]
        if not statuses:
            from ferry.cache import DatasetError

            raise DatasetError(f"Dataset {dataset} is not in the cache", hint="see ferry cache ls")
        listed = statuses[0].files
        if output_format == "json":
            emit_json({"files": [f.to_dict() for f in listed]})
            return
        from rich.table import Table

        table = Table("path", "size", "cached", "pinned")
        for f in listed:
            table.add_row(f.path, _size(f.size), "yes" if f.cached else "no", "yes" if f.pinned else "")
        console().print(table)
        return
    if output_format == "json":
        emit_json(
            {
                "datasets": [
                    {k: v for k, v in s.to_dict().items() if k != "files"} | {"files": len(s.files)} for s in statuses
                ]
            }
        )
        return
    for s in statuses:
        ref = f" -> {s.reference}" if s.reference else ""
        console().print(
            f"{s.namespace}/{s.name}{ref}  {len(s.files)} files  {_size(s.cached_bytes)} of "
            f"{_size(s.total_bytes)} cached ({s.percentage:.1f}%)"
        )


@cache.command("gc")
@_file
@_cache_dir
@click.option("--all", "all_unpinned", is_flag=True, help="Remove every unpinned blob, not only what the quota needs.")
@click.option("--target", default=None, metavar="SIZE", help="Evict least recently used blobs down to SIZE.")
@format_option()
def gc_cmd(
    files: tuple[str, ...], cache_dir: str | None, all_unpinned: bool, target: str | None, output_format: str
) -> None:
    """Remove leftovers and orphans, and evict least recently used unpinned blobs down to the quota (-f: the
    Runtime those files declare, e.g. a juicefs one)."""
    from ferry.cache._units import parse_quantity

    try:
        target_bytes = parse_quantity(target) if target else None
    except ValueError as exc:
        raise UsageError(f"--target: {exc}") from None
    with _runtime(_spec(files) if files else None, cache_dir) as runtime:
        result = runtime.gc(all_unpinned=all_unpinned, target_bytes=target_bytes)
    if output_format == "json":
        emit_json(result.to_dict())
        return
    console().print(
        f"removed {len(result.removed)} blobs ({_size(result.freed_bytes)}), {result.partials_removed} "
        f"leftover partial files; {_size(result.used_bytes)} in use"
    )


@cache.command("load")
@_file
@_dataset
@_cache_dir
@click.option("--path", "path", required=True, metavar="FILE", help="The safetensors file inside the dataset.")
@click.option("--checksums", is_flag=True, help="Add each tensor's sha256 (of its raw bytes).")
@format_option()
def load_cmd(
    files: tuple[str, ...],
    dataset_ref: str | None,
    cache_dir: str | None,
    path: str,
    checksums: bool,
    output_format: str,
) -> None:
    """Load a safetensors file through the cache and describe its tensors."""
    from ferry.cache import stream_safetensors

    if not files:
        raise UsageError("give the declarations with -f FILE")
    spec = _spec(files)
    dataset = spec.dataset(dataset_ref)
    started = time.monotonic()
    with _runtime(spec, cache_dir) as runtime:
        stream = stream_safetensors(dataset, path, runtime=runtime)
        tensors = stream.load()
        seconds = time.monotonic() - started
        origin_bytes = stream.origin_bytes
    described: dict[str, dict[str, Any]] = {}
    for info in stream.header.tensors:
        entry: dict[str, Any] = {"dtype": info.dtype, "shape": list(info.shape)}
        if checksums:
            entry["sha256"] = hashlib.sha256(memoryview(tensors[info.name]).cast("B")).hexdigest()
        described[info.name] = entry
    if output_format == "json":
        emit_json({"origin_bytes": origin_bytes, "seconds": round(seconds, 4), "tensors": described})
        return
    console().print(
        f"{len(described)} tensors from {dataset.key}:{path} in {seconds:.2f} s ({_size(origin_bytes)} from the origin)"
    )


@cache.command("render")
@_file
@click.option("--fluid", is_flag=True, help="Render Fluid objects (data.fluid.io/v1alpha1).")
@click.option(
    "--runtime",
    "runtime_kind",
    type=click.Choice(["alluxio", "jindo", "juicefs"]),
    default=None,
    help="Fluid's engine for physical datasets [default: juicefs for a Runtime of type juicefs, else alluxio].",
)
@format_option("yaml", "json", default="yaml")
def render_cmd(files: tuple[str, ...], fluid: bool, runtime_kind: str | None, output_format: str) -> None:
    """Render datasets for Kubernetes: Dataset + runtime + DataLoad (+ imports for JuiceFS), references, consumers.

    The objects go to stdout; notes, and the Secrets the objects read that the input does not declare (with the
    kubectl command that creates them), go to stderr. Secret values are never printed.
    """
    from ferry.cache._fluid import plan_fluid
    from ferry.cache._fluid_common import dump_stream

    if not fluid:
        raise UsageError("choose what to render: --fluid")
    if not files:
        raise UsageError("give the declarations with -f FILE")
    plan = plan_fluid(_spec(files), runtime_kind=runtime_kind)
    if output_format == "json":
        emit_json({"apiVersion": "v1", "kind": "List", "items": plan.objects})
    else:
        click.echo(dump_stream(plan.objects), nl=False)
    err = console(stderr=True)
    for note in plan.notes:
        err.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
    for namespace, name in plan.undeclared:
        keys = plan.secrets[(namespace, name)]
        literals = " ".join(f'--from-literal={k}="${_env_name(k)}"' for k in keys)
        err.print(
            f"needs Secret {namespace}/{name} (keys: {', '.join(keys)}), which the input does not declare; "
            f"create it before applying: kubectl -n {namespace} create secret generic {name} {literals}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def _env_name(key: str) -> str:
    import re

    return re.sub(r"[^A-Z0-9]+", "_", key.upper()).strip("_")
