"""Reading OTLP JSON files, JSON-lines files and directories of them (I/O)."""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from pathlib import Path

from ferry.genai._errors import OTLPDecodeError, PriceTableError
from ferry.genai._model import Batch, Span
from ferry.genai._normalize import annotate_attempt_errors, normalize_spans, spans_from_events
from ferry.genai._otlp_json import decode_json_bytes
from ferry.genai._pricing import PriceTable

__all__ = ["load_batch", "load_price_table", "load_spans", "otlp_files"]

_SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz")


def otlp_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """The files named, and the ``.json``/``.jsonl`` files below the directories named, sorted per directory."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                if found.is_file() and found.name.endswith(_SUFFIXES) and not found.name.startswith("."):
                    yield found
        elif path.is_file():
            yield path
        else:
            raise OTLPDecodeError("no such file or directory", where=str(path))


def load_batch(paths: Iterable[str | Path]) -> Batch:
    """Decode every OTLP JSON document in ``paths``; a bad file raises naming the file and line."""
    batch = Batch()
    for path in otlp_files(paths):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise OTLPDecodeError(f"cannot read: {exc.strerror or exc}", where=str(path)) from exc
        if path.name.endswith(".gz"):
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError) as exc:
                raise OTLPDecodeError(f"not valid gzip: {exc}", where=str(path)) from exc
        try:
            batch = batch + decode_json_bytes(data)
        except OTLPDecodeError as exc:
            where = f"{path}:{exc.where[5:]}" if exc.where and exc.where.startswith("line ") else str(path)
            raise OTLPDecodeError(exc.message, where=where, hint="expected OTLP JSON or OTLP JSON lines") from exc
    return batch


def load_spans(paths: Iterable[str | Path]) -> list[Span]:
    """Normalised spans from ``paths``, plus the spans that Codex and Claude Code events describe."""
    batch = load_batch(paths)
    spans = normalize_spans(annotate_attempt_errors(batch.spans, batch.logs))
    return spans + normalize_spans(spans_from_events(spans, batch.logs))


def load_price_table(path: str | Path) -> PriceTable:
    """A price table from a YAML or JSON file (see :class:`PriceTable`)."""
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PriceTableError(f"cannot read: {exc.strerror or exc}", where=str(path)) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PriceTableError(f"not valid YAML or JSON: {exc}", where=str(path)) from exc
    return PriceTable.from_mapping(data, source=str(path))
