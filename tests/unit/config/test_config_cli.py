"""ferry's own settings (flags > FERRY_* > settings file > defaults) and ``ferry config show / explain``."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from ferry.cli._settings import build_reader
from ferry.testing import run_cli


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "ferry.yaml").write_text(
        "log:\n  level: info\ncache:\n  dir: /srv/ferry-cache\nregistry:\n  token: t0ps3cret\n"
    )
    return tmp_path


def _show(workdir: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, dict[str, object]]:
    result = run_cli([*args, "config", "show", "--format", "json"], cwd=str(workdir), env=env)
    assert result.exit_code == 0, result.stderr
    return {row["key"]: row for row in result.json()["settings"]}


def test_settings_precedence_flags_env_file_defaults(workdir: Path) -> None:
    rows = _show(workdir)
    assert (rows["log.level"]["value"], rows["log.level"]["source"]) == ("'info'", "ferry.yaml")
    assert rows["output.format"]["source"] == "defaults"
    rows = _show(workdir, env={"FERRY_LOG_LEVEL": "error"})
    assert (rows["log.level"]["source"], rows["log.level"]["encoded"]) == ("env", "FERRY_LOG_LEVEL")
    rows = _show(workdir, "--log-level", "debug", env={"FERRY_LOG_LEVEL": "error"})
    assert (rows["log.level"]["source"], rows["log.level"]["encoded"]) == ("flags", "--log-level")
    assert [s["source"] for s in rows["log.level"]["shadowed"]] == ["env", "ferry.yaml", "defaults"]  # type: ignore[index]
    assert rows["cache.dir"]["value"] == "'/srv/ferry-cache'"


def test_settings_file_from_flag_and_environment(workdir: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.yaml"
    other.write_text("log:\n  level: critical\n")
    assert _show(workdir, env={"FERRY_CONFIG": str(other)})["log.level"]["value"] == "'critical'"
    assert _show(workdir, "--config", str(other))["log.level"]["source"] == str(other)
    missing = run_cli(["--config", str(tmp_path / "nope.yaml"), "config", "show"], cwd=str(workdir))
    assert missing.exit_code == 2 and "nope.yaml" in missing.stderr and "not found" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    assert _show(tmp_path / "..")["log.level"]["source"] == "defaults"  # no ./ferry.yaml: optional


def test_secrets_are_redacted_in_show_and_explain(workdir: Path) -> None:
    show = run_cli(["config", "show", "--format", "json"], cwd=str(workdir))
    text = run_cli(["config", "show"], cwd=str(workdir))
    explain = run_cli(["config", "explain", "registry.token"], cwd=str(workdir))
    for out in (show.stdout, text.stdout, explain.stdout):
        assert "t0ps3cret" not in out
        assert "redacted" in out


def test_explain_text_json_and_exit_codes(workdir: Path) -> None:
    result = run_cli(["--log-level", "warning", "config", "explain", "log.level"], cwd=str(workdir))
    assert result.exit_code == 0
    assert "from flags as --log-level" in result.stdout
    assert "shadowed ferry.yaml (log.level): 'info'" in result.stdout
    data = run_cli(["config", "explain", "cache.dir", "--format", "json"], cwd=str(workdir)).json()
    assert data["provider"] == "ferry.yaml" and data["shadowed"][0]["provider"] == "defaults"
    missing = run_cli(["config", "explain", "no.such.key"], cwd=str(workdir))
    assert missing.exit_code == 1 and "not set" in missing.stdout and "FERRY_NO_SUCH_KEY" in missing.stdout


def test_output_format_setting_is_every_commands_default(workdir: Path) -> None:
    (workdir / "ferry.yaml").write_text("output:\n  format: json\n")
    result = run_cli(["config", "show"], cwd=str(workdir))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["settings"]
    assert (
        run_cli(["config", "show", "--format", "text"], cwd=str(workdir)).stdout.lstrip().startswith("ferry settings")
    )


def test_log_level_configures_logging_and_bad_values_are_usage_errors(workdir: Path) -> None:
    assert run_cli(["--log-level", "debug", "config", "show"], cwd=str(workdir)).exit_code == 0
    assert logging.getLogger("ferry").level == logging.DEBUG
    bad = run_cli(["config", "show"], cwd=str(workdir), env={"FERRY_LOG_LEVEL": "loud"})
    assert bad.exit_code == 2
    assert "env (FERRY_LOG_LEVEL)" in bad.stderr and "expected one of debug" in bad.stderr
    (workdir / "ferry.yaml").write_text("log:\n  level: [unclosed\n")
    broken = run_cli(["config", "show"], cwd=str(workdir))
    assert broken.exit_code == 2 and "ferry.yaml:" in broken.stderr and "invalid YAML" in broken.stderr


def test_build_reader_is_usable_from_python(tmp_path: Path) -> None:
    reader = build_reader({"log.level": "info"}, environ={"FERRY_COLOR": "never"}, cwd=tmp_path)
    assert reader.get("log.level") == "info"
    assert reader.get("color") == "never"
    assert reader.get("cache.dir").endswith("ferry")


def test_color_setting_reaches_the_rich_output(workdir: Path) -> None:
    colored = run_cli(["config", "show", "--format", "text"], cwd=str(workdir), env={"FERRY_COLOR": "always"})
    plain = run_cli(["config", "show", "--format", "text"], cwd=str(workdir), env={"FERRY_COLOR": "never"})
    assert "\x1b[" in colored.stdout
    assert "\x1b[" not in plain.stdout
    assert run_cli(["config", "show"], cwd=str(workdir), env={"FERRY_COLOR": "sometimes"}).exit_code == 2
