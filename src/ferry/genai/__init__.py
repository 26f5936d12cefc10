"""ferry.genai: GenAI observability on OpenTelemetry.

- Model and normalisation: every source (the current GenAI conventions, older ones, Claude Code, Codex) becomes
  :class:`Span`, :class:`LogRecord` and :class:`MetricPoint` under the current conventions.
- Analysis (pure): :func:`analyze_trace` says why an agent trace took as long as it did: the critical path,
  model / tool / retry / other time, retry loops, tokens and cost; :func:`summarize` works across traces.
- Receiver and store: :class:`TraceStore` (SQLite) and :class:`OTLPReceiver` (OTLP/HTTP, protobuf and JSON) with
  the web view.
- Instrumentation: :class:`GenAITelemetry` records inference, tool, agent and workflow operations with content
  capture off unless ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` opts in.
"""

from ferry.genai._aggregate import Regression as Regression
from ferry.genai._aggregate import Stats as Stats
from ferry.genai._aggregate import percentile as percentile
from ferry.genai._aggregate import percentiles_by as percentiles_by
from ferry.genai._aggregate import regressions as regressions
from ferry.genai._aggregate import slowest as slowest
from ferry.genai._aggregate import summarize as summarize
from ferry.genai._analyze import RetryLoop as RetryLoop
from ferry.genai._analyze import TraceAnalysis as TraceAnalysis
from ferry.genai._analyze import analyze_trace as analyze_trace
from ferry.genai._analyze import analyze_traces as analyze_traces
from ferry.genai._analyze import group_traces as group_traces
from ferry.genai._assessor import assess_estate as assess_estate
from ferry.genai._content import CONTENT_KEYS as CONTENT_KEYS
from ferry.genai._content import content_keys as content_keys
from ferry.genai._content import strip_content as strip_content
from ferry.genai._critical_path import Section as Section
from ferry.genai._critical_path import build_tree as build_tree
from ferry.genai._critical_path import critical_path as critical_path
from ferry.genai._errors import OTLPDecodeError as OTLPDecodeError
from ferry.genai._errors import PayloadTooLargeError as PayloadTooLargeError
from ferry.genai._errors import PriceTableError as PriceTableError
from ferry.genai._errors import StoreError as StoreError
from ferry.genai._errors import TraceNotFoundError as TraceNotFoundError
from ferry.genai._files import load_batch as load_batch
from ferry.genai._files import load_price_table as load_price_table
from ferry.genai._files import load_spans as load_spans
from ferry.genai._instrument import GenAITelemetry as GenAITelemetry
from ferry.genai._instrument import Inference as Inference
from ferry.genai._instrument import ToolCall as ToolCall
from ferry.genai._model import Batch as Batch
from ferry.genai._model import LogRecord as LogRecord
from ferry.genai._model import MetricPoint as MetricPoint
from ferry.genai._model import Span as Span
from ferry.genai._model import SpanEvent as SpanEvent
from ferry.genai._normalize import normalize_span as normalize_span
from ferry.genai._normalize import spans_from_events as spans_from_events
from ferry.genai._otlp_json import decode_json_bytes as decode_json_bytes
from ferry.genai._otlp_json import decode_otlp_json as decode_otlp_json
from ferry.genai._otlp_json import encode_logs_json as encode_logs_json
from ferry.genai._otlp_json import encode_spans_json as encode_spans_json
from ferry.genai._pricing import Price as Price
from ferry.genai._pricing import PriceTable as PriceTable
from ferry.genai._pricing import TokenUsage as TokenUsage
from ferry.genai._receiver import OTLPReceiver as OTLPReceiver
from ferry.genai._store import Retention as Retention
from ferry.genai._store import TraceStore as TraceStore
from ferry.genai._store import TraceSummary as TraceSummary

__all__ = [
    "CONTENT_KEYS",
    "Batch",
    "GenAITelemetry",
    "Inference",
    "LogRecord",
    "MetricPoint",
    "OTLPDecodeError",
    "OTLPReceiver",
    "PayloadTooLargeError",
    "Price",
    "PriceTable",
    "PriceTableError",
    "Regression",
    "Retention",
    "RetryLoop",
    "Section",
    "Span",
    "SpanEvent",
    "Stats",
    "StoreError",
    "TokenUsage",
    "ToolCall",
    "TraceAnalysis",
    "TraceNotFoundError",
    "TraceStore",
    "TraceSummary",
    "analyze_trace",
    "analyze_traces",
    "assess_estate",
    "build_tree",
    "content_keys",
    "critical_path",
    "decode_json_bytes",
    "decode_otlp_json",
    "encode_logs_json",
    "encode_spans_json",
    "group_traces",
    "load_batch",
    "load_price_table",
    "load_spans",
    "normalize_span",
    "percentile",
    "percentiles_by",
    "regressions",
    "slowest",
    "spans_from_events",
    "strip_content",
    "summarize",
]
