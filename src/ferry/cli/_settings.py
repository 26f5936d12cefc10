"""ferry's own settings, read with ferry.config: flags > ``FERRY_*`` environment > settings file > defaults.

The settings file is ``--config FILE``, else ``$FERRY_CONFIG``, else ``./ferry.yaml`` (optional). The root command
builds the reader once per run (:func:`configure`) and puts it in ``ctx.obj["config"]``.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ferry.config import CommandLine, ConfigError, Defaults, Environment, File, Reader, cli_flag

__all__ = ["SETTINGS", "Settings", "build_reader", "configure", "settings_file"]

ENV_PREFIX = "FERRY_"
CONFIG_ENV = "FERRY_CONFIG"
DEFAULT_FILE = "ferry.yaml"


@dataclass(frozen=True)
class Setting:
    key: str
    help: str
    choices: tuple[str, ...] = ()


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "log.level", "logging level of ferry's messages on stderr", ("debug", "info", "warning", "error", "critical")
    ),
    Setting("output.format", "default of every command's --format", ("text", "json")),
    Setting("cache.dir", "where ferry keeps downloads and cached data"),
    Setting("color", "colored output", ("auto", "always", "never")),
)


def _default_cache_dir(environ: Mapping[str, str]) -> str:
    base = environ.get("XDG_CACHE_HOME") or str(Path(environ.get("HOME") or Path.home()) / ".cache")
    return str(Path(base) / "ferry")


def settings_file(flags: Mapping[str, Any], environ: Mapping[str, str], cwd: Path) -> tuple[Path, bool]:
    """The settings file and whether it was asked for explicitly (then it must exist)."""
    if flags.get("config.file"):
        return Path(str(flags["config.file"])), True
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV]), True
    return cwd / DEFAULT_FILE, False


def build_reader(flags: Mapping[str, Any], environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Reader:
    """The reader of ferry's settings for the given root flags (dotted keys), environment and working directory."""
    env = dict(os.environ if environ is None else environ)
    path, explicit = settings_file(flags, env, cwd or Path.cwd())
    argv: list[str] = []
    for key, value in flags.items():
        if key != "config.file" and value is not None:
            argv += [f"{cli_flag(key)}={value}"]
    shown = str(path) if explicit else DEFAULT_FILE
    return Reader(
        [
            CommandLine(argv, name="flags"),
            Environment(prefix=ENV_PREFIX, environ=env, name="env"),
            File(path, format="yaml", allow_missing=not explicit, name=shown),
            Defaults(
                {"log.level": "warning", "output.format": "text", "cache.dir": _default_cache_dir(env), "color": "auto"}
            ),
        ],
        environ=env,
    )


@dataclass(frozen=True)
class Settings:
    """ferry's settings, validated."""

    log_level: str
    output_format: str
    cache_dir: Path
    color: str

    @classmethod
    def from_reader(cls, reader: Reader) -> Settings:
        values: dict[str, str] = {}
        for setting in SETTINGS:
            value = reader.get(setting.key)
            if setting.key == "color":
                value = {"true": "always", "false": "never", "yes": "always", "no": "never"}.get(value.lower(), value)
            if setting.choices and value.lower() not in setting.choices:
                explained = reader.explain(setting.key)
                raise ConfigError(
                    f"setting {setting.key} is {value!r}; expected one of {', '.join(setting.choices)}",
                    where=f"{explained.provider} ({explained.encoded})",
                    hint="run 'ferry config explain " + setting.key + "' to see where it is set",
                )
            values[setting.key] = value.lower() if setting.choices else value
        return cls(
            log_level=values["log.level"],
            output_format=values["output.format"],
            cache_dir=Path(values["cache.dir"]).expanduser(),
            color=values["color"],
        )


class _StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at the time (tests capture it per run)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


def _configure_logging(level: str) -> None:
    logger = logging.getLogger("ferry")
    logger.setLevel(level.upper())
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("ferry: %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)


class _OutputDefaults(dict[str, Any]):
    """A click ``default_map`` that gives every command at any depth ``--format`` = the configured default."""

    def __init__(self, output_format: str) -> None:
        super().__init__(output_format=output_format)

    def get(self, key: str, default: Any = None) -> Any:
        if key in self:
            return self[key]
        return _OutputDefaults(self["output_format"])


def configure(ctx: click.Context) -> Settings:
    """Build the settings reader from the root flags, then apply the settings: logging, --format, color."""
    obj = ctx.ensure_object(dict)
    reader = build_reader(obj.get("flags", {}))
    settings = Settings.from_reader(reader)
    obj["config"] = reader
    obj["settings"] = settings
    _configure_logging(settings.log_level)
    if settings.output_format != "text":
        ctx.default_map = _OutputDefaults(settings.output_format)
    if settings.color != "auto":
        ctx.color = settings.color == "always"
        # rich (every human-facing table) follows the NO_COLOR / FORCE_COLOR conventions of this process.
        os.environ.pop("FORCE_COLOR" if settings.color == "never" else "NO_COLOR", None)
        os.environ["NO_COLOR" if settings.color == "never" else "FORCE_COLOR"] = "1"
    return settings
