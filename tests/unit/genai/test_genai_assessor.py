"""The genai section of ``ferry assess`` over the example estate."""

from __future__ import annotations

from pathlib import Path

from ferry._kernel import Severity, load_estate
from ferry.genai import assess_estate

ESTATE = Path(__file__).resolve().parents[3] / "examples/estate"


def test_example_estate_findings() -> None:
    section = assess_estate(load_estate([str(ESTATE)]))
    codes = sorted(f.code for f in section.findings)
    assert codes == ["genai.content-captured", "genai.content-captured", "genai.retry-loop", "genai.slow-model",
                     "genai.slow-model"]  # fmt: skip
    content = [f for f in section.findings if f.code == "genai.content-captured"]
    assert all(f.severity is Severity.ERROR for f in content)
    keys = {k for f in content for k in f.details["keys"]}
    assert {"user_prompt", "tool_input", "full_command", "prompt"} <= keys
    assert all(f.source and f.source.path.endswith("claude-code-session.otlp.jsonl") for f in content)
    loop = next(f for f in section.findings if f.code == "genai.retry-loop")
    assert "retries of tool search_web" in loop.message and "search_web" in (loop.hint or "")
    assert section.metrics == {"traces": 3, "slow_traces": 3, "retry_loops": 1, "content_captured": 2,
                               "unreadable_files": 0}  # fmt: skip
    assert section.artifacts[0].name == "genai-analysis.json"


def test_estate_without_traces(tmp_path: Path) -> None:
    (tmp_path / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    (tmp_path / "traces").mkdir()
    (tmp_path / "traces" / "junk.json").write_text("[1, 2]")
    section = assess_estate(load_estate([str(tmp_path)]))
    assert section.metrics["traces"] == 0
    assert [f.code for f in section.findings] == ["genai.unreadable"]
