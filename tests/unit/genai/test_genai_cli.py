"""``ferry genai`` commands in-process: exact JSON, errors as one line with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

from genai_builders import retry_trace

from ferry.genai import encode_spans_json
from ferry.testing import run_cli

ESTATE_TRACES = Path(__file__).resolve().parents[3] / "examples/estate/traces"


def test_analyze_json_shape(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(encode_spans_json(retry_trace())))
    result = run_cli(["genai", "analyze", str(path), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    (trace,) = result.json()["traces"]
    assert list(trace) == ["trace_id", "duration_ns", "critical_path", "breakdown", "retry_loops", "answer"]
    assert list(trace["critical_path"][0]) == ["span_id", "name", "start_ns", "end_ns"]
    assert list(trace["breakdown"]) == ["model_ns", "tool_ns", "retry_ns", "other_ns"]
    assert trace["breakdown"]["retry_ns"] == 38 * 10**9


def test_analyze_corpus_directory_and_text(shared: Path) -> None:
    result = run_cli(
        ["genai", "analyze", str(shared / "corpus/genai/critical-path/test1.otlp.json"), "--format", "json"]
    )
    (trace,) = result.json()["traces"]
    assert [(s["name"], s["start_ns"]) for s in trace["critical_path"]] == [
        ("operation C", 1000), ("operation D", 20000), ("operation C", 40000), ("operation E", 50000),
        ("operation C", 60000),
    ]  # fmt: skip
    assert trace["breakdown"] == {"model_ns": 0, "tool_ns": 0, "retry_ns": 0, "other_ns": 100000}
    text = run_cli(["genai", "analyze", str(ESTATE_TRACES)])
    assert text.exit_code == 0
    assert "retries of tool search_web" in " ".join(text.stdout.split())


def test_estate_traces_tell_their_story() -> None:
    traces = run_cli(["genai", "analyze", str(ESTATE_TRACES), "--format", "json"]).json()["traces"]
    by_answer = {t["trace_id"]: t for t in traces}
    assert len(by_answer) == 3
    retry = [t for t in traces if t["retry_loops"] and t["retry_loops"][0]["kind"] == "tool"]
    assert retry and retry[0]["breakdown"]["retry_ns"] > sum(
        v for k, v in retry[0]["breakdown"].items() if k != "retry_ns"
    )
    model = [t for t in traces if "waiting for the model" in t["answer"]]
    assert len(model) == 2


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"resourceSpans": []}\n{oops\n')
    result = run_cli(["genai", "analyze", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.startswith("ferry: error: ")
    assert f"{bad}:2" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    missing = run_cli(["genai", "analyze", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    prices = tmp_path / "prices.yaml"
    prices.write_text("gpt-4o: {input: 1}\n")
    result = run_cli(["genai", "analyze", str(bad), "--prices", str(prices)])
    assert result.exit_code == 2 and "'input' and 'output' prices are required" in result.stderr


def test_report_with_prices_and_split(tmp_path: Path) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text("gpt-4o: {input: 2.5, output: 10}\n")
    path = tmp_path / "t.json"
    path.write_text(json.dumps(encode_spans_json(retry_trace())))
    result = run_cli(["genai", "report", str(path), "--prices", str(prices), "--split-at", "2026-01-01T00:00:00",
                      "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["cost_usd"] == {"gpt-4o": round((4000 * 2.5 + 450 * 10) / 1e6, 6)}
    assert doc["regressions"] == []
    assert run_cli(["genai", "report", str(path)]).exit_code == 0
    assert run_cli(["genai", "report", str(path), "--split-at", "yesterday"]).exit_code == 2


def test_import_then_export_round_trip_drops_content(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    result = run_cli(["genai", "import", str(ESTATE_TRACES), "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert result.json()["spans_written"] == 20
    out = tmp_path / "out.json"
    assert run_cli(["genai", "export", str(out), "--db", str(db)]).exit_code == 0
    text = out.read_text()
    assert "Refactor billing" not in text and "pytest tests/billing" not in text
    again = run_cli(["genai", "analyze", str(out), "--format", "json"]).json()["traces"]
    assert len(again) == 3
    assert run_cli(["genai", "export", str(out), "--db", str(tmp_path / "none.sqlite")]).exit_code == 2
