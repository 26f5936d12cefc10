"""The OTLP/HTTP receiver over real HTTP: the official OTLP exporters, JSON, gzip, bad and oversized payloads."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pytest
from genai_server import Server, retry_trace_json

pytestmark = pytest.mark.integration

S = 1_000_000_000


def _counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("spans", "logs", "metrics")}


def test_json_gzip_ingest_normalises_drops_content_and_analyses(server: Server) -> None:
    trace = "1" * 32
    body = gzip.compress(json.dumps(retry_trace_json(trace)).encode())
    status, headers, payload = server.post("/v1/traces", body, "application/json", **{"Content-Encoding": "gzip"})
    assert status == 200, payload
    assert headers["Content-Type"] == "application/json"
    assert json.loads(payload) == {}
    detail = server.get_json(f"/api/traces/{trace}")
    chat = next(s for s in detail["spans"] if s["span_id"] == f"{2:016x}")
    assert chat["attributes"]["gen_ai.provider.name"] == "openai"
    assert "gen_ai.input.messages" not in chat["attributes"]
    assert "secret" not in json.dumps(detail)
    assert detail["analysis"]["breakdown"]["retry_ns"] > 30 * S
    assert "retries of tool search_web after timeout" in detail["analysis"]["answer"]
    listed = server.get_json("/api/traces")["traces"]
    assert any(t["trace_id"] == trace for t in listed)


def test_partial_success_reports_rejected_spans(server: Server) -> None:
    doc = retry_trace_json("2" * 32)
    doc["resourceSpans"][0]["scopeSpans"][0]["spans"][1]["spanId"] = "xyz"
    status, _, payload = server.post("/v1/traces", json.dumps(doc).encode(), "application/json")
    assert status == 200
    partial = json.loads(payload)["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert "no valid traceId/spanId" in partial["errorMessage"]


def test_bad_payloads_get_400_with_reason_and_write_nothing(server: Server) -> None:
    before = _counts(server.db)
    status, _, payload = server.post("/v1/traces", b'{"resourceSpans": [', "application/json")
    assert status == 400
    assert "invalid JSON" in json.loads(payload)["message"]
    # a valid first span and a malformed second one: nothing of the request is written
    doc = retry_trace_json("3" * 32)
    doc["resourceSpans"][0]["scopeSpans"][0]["spans"][3]["startTimeUnixNano"] = "soon"
    status, _, payload = server.post("/v1/traces", json.dumps(doc).encode(), "application/json")
    assert status == 400
    assert "expected an integer" in json.loads(payload)["message"]
    status, headers, payload = server.post("/v1/traces", b"\x0a\xff\xff\xff", "application/x-protobuf")
    assert status == 400
    assert headers["Content-Type"] == "application/x-protobuf"
    from google.rpc import status_pb2

    assert "malformed OTLP protobuf" in status_pb2.Status.FromString(payload).message
    status, _, _ = server.post("/v1/logs", json.dumps(retry_trace_json("4" * 32)).encode(), "application/json")
    assert status == 400
    status, _, _ = server.post("/v1/traces", b"{}", "text/plain")
    assert status == 415
    assert _counts(server.db) == before


def test_oversized_payloads_get_413(server: Server) -> None:
    before = _counts(server.db)
    status, _, _ = server.post("/v1/traces", b" " * 300_000, "application/json")
    assert status == 413
    bomb = gzip.compress(b" " * 5_000_000)
    status, _, payload = server.post("/v1/traces", bomb, "application/json", **{"Content-Encoding": "gzip"})
    assert status == 413
    assert "exceeds the limit" in json.loads(payload)["message"]
    assert _counts(server.db) == before


def test_official_otlp_exporters_protobuf_traces_metrics_logs(server: Server) -> None:
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    resource = Resource.create({"service.name": "exporter-test"})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=server.url + "/v1/traces")))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("invoke_agent probe") as root:
        root.set_attribute("gen_ai.operation.name", "invoke_agent")
        with tracer.start_as_current_span("chat m") as chat:
            chat.set_attribute("gen_ai.operation.name", "chat")
            chat.set_attribute("gen_ai.request.model", "m")
            chat.set_attribute("gen_ai.usage.input_tokens", 12)
        trace_id = format(root.get_span_context().trace_id, "032x")
    provider.shutdown()

    reader = InMemoryMetricReader()
    meters = MeterProvider(metric_readers=[reader], resource=resource)
    histogram = meters.get_meter("test").create_histogram("gen_ai.client.operation.duration", unit="s")
    histogram.record(0.5, {"gen_ai.operation.name": "chat"})
    data = reader.get_metrics_data()
    assert data is not None
    assert OTLPMetricExporter(endpoint=server.url + "/v1/metrics").export(data).name == "SUCCESS"
    meters.shutdown()

    logs = LoggerProvider(resource=resource)
    logs.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(endpoint=server.url + "/v1/logs")))
    from opentelemetry._logs import LogRecord as ApiLogRecord

    logs.get_logger("test").emit(
        ApiLogRecord(body="gen_ai.client.operation.exception", attributes={"exception.type": "x"})
    )
    logs.shutdown()

    detail = server.get_json(f"/api/traces/{trace_id}")
    names = sorted(s["name"] for s in detail["spans"])
    assert names == ["chat m", "invoke_agent probe"]
    assert detail["analysis"]["tokens"]["m"]["input_tokens"] == 12
    counts = _counts(server.db)
    assert counts["metrics"] >= 1
    assert counts["logs"] >= 1


def test_busy_store_answers_503_with_retry_after(server: Server) -> None:
    before = _counts(server.db)
    holder = sqlite3.connect(server.db, isolation_level=None, timeout=1)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        status, headers, payload = server.post(
            "/v1/traces", json.dumps(retry_trace_json("6" * 32)).encode(), "application/json"
        )
        assert status == 503
        assert headers["Retry-After"] == "1"
        assert "busy" in json.loads(payload)["message"]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _counts(server.db) == before
    status, _, _ = server.post("/v1/traces", json.dumps(retry_trace_json("6" * 32)).encode(), "application/json")
    assert status == 200


def test_json_logs_and_metrics(server: Server, shared: Path) -> None:
    examples = shared / "reference/genai-examples"
    before = _counts(server.db)
    for signal, name in (("logs", "logs.json"), ("logs", "events.json"), ("metrics", "metrics.json")):
        status, _, payload = server.post(f"/v1/{signal}", (examples / name).read_bytes(), "application/json")
        assert status == 200, payload
        assert json.loads(payload) == {}
    after = _counts(server.db)
    assert after["logs"] > before["logs"]
    assert after["metrics"] > before["metrics"]


def test_serve_on_a_taken_port_is_a_clear_error(server: Server) -> None:
    from ferry.testing import run_cli

    port = server.url.rsplit(":", 1)[1]
    result = run_cli(["genai", "serve", "--port", port, "--db", str(server.db.parent / "other.sqlite")])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
