"""``ferry genai``: why an agent was slow: analyze OTLP traces, report across traces, receive and store OTLP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from ferry.cli._output import console, emit_json, format_option
from ferry.errors import UsageError

__all__ = ["genai"]


def _seconds(ns: float) -> str:
    return f"{ns / 1e9:.2f} s"


@click.group()
def genai() -> None:
    """GenAI telemetry on OpenTelemetry: analyze agent traces, receive and store OTLP, serve the web view."""


def _prices(path: str | None) -> Any:
    if path is None:
        return None
    from ferry.genai import load_price_table

    return load_price_table(path)


@genai.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--prices", "prices_path", type=click.Path(), help="Price table (YAML/JSON, USD per million tokens).")
@format_option()
def analyze(files: tuple[str, ...], prices_path: str | None, output_format: str) -> None:
    """Say why each trace in FILES took as long as it did.

    FILES are OTLP JSON request bodies, OTLP JSON-lines files, or directories of them.
    """
    from ferry.genai import analyze_traces, load_spans

    prices = _prices(prices_path)
    analyses = analyze_traces(load_spans(files), prices)
    if output_format == "json":
        emit_json({"traces": [a.to_dict() for a in analyses]})
        return
    from rich.table import Table

    out = console()
    if not analyses:
        out.print("no traces found")
        return
    table = Table(title="GenAI traces")
    for col in ("trace", "root", "duration", "model", "tool", "retry", "other"):
        table.add_column(col, justify="right" if col not in ("trace", "root") else "left")
    for a in analyses:
        table.add_row(
            a.trace_id[:16],
            a.root_name,
            _seconds(a.duration_ns),
            _seconds(a.model_ns),
            _seconds(a.tool_ns),
            _seconds(a.retry_ns),
            _seconds(a.other_ns),
        )
    out.print(table)
    for a in analyses:
        out.print(f"[bold]{a.trace_id}[/bold]: {a.answer}")


def _parse_time(text: str) -> int:
    if text.isdigit():
        return int(text)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(
            f"cannot read time {text!r}", hint="give nanoseconds since the epoch or an ISO 8601 time"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1_000_000_000)


@genai.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--prices", "prices_path", type=click.Path(), help="Price table (YAML/JSON, USD per million tokens).")
@click.option("--slowest", "top", default=10, show_default=True, help="How many slowest traces to list.")
@click.option(
    "--split-at", default=None, help="Compare traces starting before this time (ns or ISO 8601) with those after."
)
@click.option(
    "--threshold", default=1.2, show_default=True, help="Growth ratio of p50 or p95 that counts as a regression."
)
@format_option()
def report(
    files: tuple[str, ...],
    prices_path: str | None,
    top: int,
    split_at: str | None,
    threshold: float,
    output_format: str,
) -> None:
    """Across traces: percentiles per operation, tool and model; slowest traces; tokens and cost; regressions."""
    from ferry.genai import analyze_traces, load_spans, summarize

    prices = _prices(prices_path)
    spans = load_spans(files)
    analyses = analyze_traces(spans, prices)
    summary = summarize(
        spans, analyses, slowest_n=top, split_at_ns=_parse_time(split_at) if split_at else None, threshold=threshold
    )
    if output_format == "json":
        emit_json(summary)
        return
    from rich.table import Table

    out = console()
    out.print(f"{summary['trace_count']} traces, {summary['span_count']} spans")
    for dimension in ("operation", "tool", "model"):
        rows = summary["percentiles"][dimension]
        if not rows:
            continue
        table = Table(title=f"per {dimension}")
        for col in (dimension, "count", "p50", "p95", "p99", "max"):
            table.add_column(col, justify="left" if col == dimension else "right")
        for row in rows:
            table.add_row(
                row["key"],
                str(row["count"]),
                _seconds(row["p50_ns"]),
                _seconds(row["p95_ns"]),
                _seconds(row["p99_ns"]),
                _seconds(row["max_ns"]),
            )
        out.print(table)
    table = Table(title="tokens and cost per model")
    for col in ("model", "calls", "input", "output", "cache read", "cost USD"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for model, usage in summary["tokens"].items():
        cost = summary["cost_usd"].get(model)
        table.add_row(
            model,
            str(usage["calls"]),
            str(usage["input_tokens"]),
            str(usage["output_tokens"]),
            str(usage["cache_read_input_tokens"]),
            "-" if cost is None else f"{cost:.4f}",
        )
    out.print(table)
    out.print("[bold]slowest traces[/bold]")
    for t in summary["slowest"]:
        out.print(f"  {t['trace_id'][:16]} {_seconds(t['duration_ns'])}: {t['answer']}")
    if summary["regressions"] is not None:
        if not summary["regressions"]:
            out.print("no regressions between the two windows")
        for r in summary["regressions"]:
            out.print(
                f"  regression {r['dimension']} {r['key']}: p50 x{r['ratio_p50']}, p95 x{r['ratio_p95']} "
                f"({_seconds(r['before']['p95_ns'])} -> {_seconds(r['after']['p95_ns'])} at p95)"
            )


def _store(db: str, keep_content: bool, max_spans: int | None, max_age: float | None) -> Any:
    from ferry.genai import Retention, TraceStore

    return TraceStore(db, keep_content=keep_content, retention=Retention(max_spans=max_spans, max_age_s=max_age))


_store_options = [
    click.option("--db", default="ferry-genai.sqlite", show_default=True, help="The SQLite trace store."),
    click.option(
        "--keep-content", is_flag=True, help="Keep prompts, completions and tool arguments (dropped by default)."
    ),
    click.option("--max-spans", default=1_000_000, show_default=True, help="Retention: spans kept (oldest traces go)."),
    click.option("--max-age", default=None, type=float, help="Retention: seconds a trace is kept after ingest."),
]


def _with_store_options(func: Any) -> Any:
    for option in reversed(_store_options):
        func = option(func)
    return func


@genai.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@_with_store_options
@format_option()
def import_(
    files: tuple[str, ...], db: str, keep_content: bool, max_spans: int, max_age: float | None, output_format: str
) -> None:
    """Import OTLP JSON files, JSON-lines files or directories of them into the trace store."""
    from ferry.genai import load_batch

    batch = load_batch(files)
    with _store(db, keep_content, max_spans, max_age) as store:
        written = store.ingest(batch)
        counts = store.counts()
    result = {"spans_written": written, "rejected": batch.rejected, "store": counts, "db": db}
    if output_format == "json":
        emit_json(result)
    else:
        console().print(f"imported {written} spans ({batch.rejected} rejected) into {db}; store holds {counts}")


@genai.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=4318, show_default=True, help="Port (OTLP/HTTP's default is 4318; 0 picks one).")
@click.option("--max-body", default=64 * 1024 * 1024, show_default=True, help="Request size limit in bytes.")
@click.option("--prices", "prices_path", type=click.Path(), help="Price table for cost in the web view.")
@click.option(
    "--max-pending",
    default=8,
    show_default=True,
    type=click.IntRange(min=1),
    help="Export requests in progress at once; more are answered 503 with Retry-After.",
)
@_with_store_options
def serve(
    host: str,
    port: int,
    max_body: int,
    prices_path: str | None,
    max_pending: int,
    db: str,
    keep_content: bool,
    max_spans: int,
    max_age: float | None,
) -> None:
    """Receive OTLP/HTTP (traces, metrics, logs; protobuf or JSON) into the store and serve the web view."""
    import signal
    import sys
    import threading

    from ferry.genai import OTLPReceiver

    store = _store(db, keep_content, max_spans, max_age)
    try:
        receiver = OTLPReceiver(
            store, host=host, port=port, max_body=max_body, prices=_prices(prices_path), max_pending=max_pending
        )
    except OSError as exc:
        store.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", hint="pick another --port") from exc

    def stop(signum: int, frame: Any) -> None:
        threading.Thread(target=receiver.server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stderr.write(f"ferry genai: receiving OTLP/HTTP and serving the web view on {receiver.url}\n")
    sys.stderr.flush()
    try:
        receiver.serve_forever()
    finally:
        receiver.server.server_close()
        store.close()


@genai.command()
@click.argument("out", type=click.Path())
@click.option("--db", default="ferry-genai.sqlite", show_default=True, help="The SQLite trace store.")
@click.option("--trace", "trace_ids", multiple=True, help="Only this trace (repeatable).")
@format_option()
def export(out: str, db: str, trace_ids: tuple[str, ...], output_format: str) -> None:
    """Write the stored spans as one OTLP JSON file (what analyze and import read)."""
    import json
    from pathlib import Path

    from ferry._kernel import atomic_write_text
    from ferry.genai import TraceStore, encode_spans_json

    if not Path(db).exists():
        raise UsageError(f"no trace store at {db}", hint="give --db, or receive some telemetry with ferry genai serve")
    with TraceStore(db) as store:
        spans = store.all_spans(list(trace_ids) if trace_ids else None)
    atomic_write_text(Path(out), json.dumps(encode_spans_json(spans), indent=1) + "\n")
    result = {"out": out, "spans": len(spans), "traces": len({s.trace_id for s in spans})}
    if output_format == "json":
        emit_json(result)
    else:
        console().print(f"wrote {result['spans']} spans of {result['traces']} traces to {out}")
