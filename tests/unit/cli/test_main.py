from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ferry import __version__
from ferry.testing import run_cli


def test_version() -> None:
    result = run_cli(["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"ferry {__version__}"


def test_help_lists_groups() -> None:
    result = run_cli(["--help"])
    assert result.exit_code == 0
    assert "assess" in result.stdout


def test_unknown_command_is_usage_error() -> None:
    result = run_cli(["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.stderr


def test_assess_json_and_html(tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [\n")
    html = tmp_path / "out" / "report.html"
    result = run_cli(["assess", str(tmp_path), "--format", "json", "--html", str(html), "--fail-on", "never"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"estate", "sections", "errors"}
    assert any(e["path"].endswith("broken.yaml") and e["line"] == 4 for e in data["errors"])
    assert html.read_text().startswith("<!DOCTYPE html>")


def test_assess_missing_argument_exits_2() -> None:
    result = run_cli(["assess"])
    assert result.exit_code == 2


def test_internal_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    code = (
        "import ferry.cli._assess as a, sys\n"
        "a.run_assess = lambda *x, **k: 1/0\n"
        "from ferry.cli import main\n"
        f"main(['assess', {str(tmp_path)!r}, '--format', 'json'])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("ferry: internal error: ZeroDivisionError")
    assert len(proc.stderr.strip().splitlines()) == 1
