"""The example agent end to end: a real model server on loopback, the agent exporting OTLP/HTTP protobuf to a real
``ferry genai serve`` that keeps everything it receives, and the proof that without the opt-in no prompt,
completion, tool argument or tool result leaves the process."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from genai_server import start_server

from ferry._kernel import ManagedProcess, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]
AGENT = REPO / "examples/genai_agent/agent.py"
MODEL = REPO / "examples/genai_agent/model_server.py"
MARKERS = ("prompt-marker-7731", "completion-marker-4419", "result-marker-5523", "You answer with facts")


def _run_agent(tmp: Path, capture: str | None, *extra: str) -> tuple[str, bytes, list[str]]:
    model_port = free_port()
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("OTEL_")}
    if capture is not None:
        env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = capture
    model = ManagedProcess([sys.executable, str(MODEL), "--port", str(model_port), "--latency", "0.02"],
                           name="model-server", ready_port=("127.0.0.1", model_port))  # fmt: skip
    with model, start_server(tmp, "--keep-content") as receiver:
        otlp = f"http://127.0.0.1:{receiver.ready_port[1] if receiver.ready_port else 0}"
        done = subprocess.run(
            [sys.executable, str(AGENT), "What is the tallest lighthouse? prompt-marker-7731",
             "--model-url", f"http://127.0.0.1:{model_port}/v1", "--otlp", otlp, *extra],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        with sqlite3.connect(tmp / "store.sqlite") as db:
            names = [r[0] for r in db.execute("SELECT name FROM spans ORDER BY start_ns")]
            rows = [r[0] for t in ("spans", "logs", "metrics") for r in db.execute(f"SELECT data FROM {t}")]
    return done.stdout, "\n".join(rows).encode(), names


def test_without_opt_in_no_content_leaves_the_process(tmp_path: Path) -> None:
    answer, stored, names = _run_agent(tmp_path, None, "--openai-instrumentation", "--search-timeouts", "1")
    assert "completion-marker-4419" in answer  # the agent did see the content...
    assert names.count("chat local-model") == 2  # ...and the official instrumentation adds no duplicate spans
    assert "invoke_agent researcher" in names
    for marker in MARKERS:
        assert marker.encode() not in stored, marker  # ...but none of it went over the wire
    assert b"gen_ai.client.operation.duration" in stored
    assert b"ferry.genai.arguments_digest" in stored


def test_opt_in_span_and_event_sends_content(tmp_path: Path) -> None:
    _, stored, _ = _run_agent(tmp_path, "SPAN_AND_EVENT")
    for marker in MARKERS:
        assert marker.encode() in stored, marker
    assert b"gen_ai.input.messages" in stored
    assert b"gen_ai.tool.call.arguments" in stored


def test_retry_loop_of_the_agent_is_the_answer(tmp_path: Path) -> None:
    from ferry.genai import TraceStore, analyze_traces

    # Backoff of 0.5 s, 1 s, 2 s: the retry loop outweighs the tool calls by seconds, however loaded the machine is.
    _run_agent(tmp_path, None, "--search-timeouts", "3", "--backoff", "0.5")
    with TraceStore(tmp_path / "store.sqlite") as store:
        (analysis,) = analyze_traces(store.all_spans())
    result = analysis.to_dict()
    (loop,) = result["retry_loops"]
    assert loop["name"] == "search_web" and loop["attempts"] == 4 and loop["reason"] == "same_error"
    assert result["breakdown"]["retry_ns"] > result["breakdown"]["model_ns"]
    assert "3 retries of tool search_web" in result["answer"]
    assert json.dumps(result)
