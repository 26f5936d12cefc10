"""Access reporting: one event per read, and a file log that one environment variable turns on."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import TextIO

from ferry.config._events import AccessEvent, AccessReporter

__all__ = ["ACCESS_LOG_ENV", "AccessLog", "call_site", "reporter_from_env"]

ACCESS_LOG_ENV = "FERRY_CONFIG_ACCESS_LOG"
"""Set to a file path (or ``-`` for stderr) and every Reader built afterwards logs each read, one line each."""

_PACKAGE_DIR = str(Path(__file__).resolve().parent)


class AccessLog:
    """Writes each event as one line to a file (appending) or a stream. Thread-safe."""

    def __init__(self, target: str | os.PathLike[str] | TextIO, *, json_lines: bool = False) -> None:
        self._lock = threading.Lock()
        self._json = json_lines
        self._path: Path | None = None
        self._stream: TextIO | None = None
        if isinstance(target, str | os.PathLike):
            if str(target) == "-":
                self._stream = sys.stderr
            else:
                self._path = Path(target)
                self._path.parent.mkdir(parents=True, exist_ok=True)
                with self._path.open("a", encoding="utf-8"):
                    pass  # fail now, at construction, if it cannot be written
        else:
            self._stream = target

    def __call__(self, event: AccessEvent) -> None:
        text = json.dumps(event.to_dict(), default=str) if self._json else event.line()
        with self._lock:
            if self._path is not None:  # opened per line: nothing to leak, every line on disk at once
                with self._path.open("a", encoding="utf-8") as handle:
                    handle.write(text + "\n")
            elif self._stream is not None:
                self._stream.write(text + "\n")
                self._stream.flush()


def reporter_from_env(environ: Mapping[str, str] | None = None) -> AccessReporter | None:
    """The access log :data:`ACCESS_LOG_ENV` asks for, or None. A file that cannot be opened is said on stderr."""
    target = (os.environ if environ is None else environ).get(ACCESS_LOG_ENV, "").strip()
    if not target:
        return None
    try:
        return AccessLog(target, json_lines=target.endswith(".jsonl"))
    except OSError as exc:
        sys.stderr.write(f"ferry.config: cannot open the access log {target}: {exc}; access logging is off\n")
        return None


def call_site() -> str | None:
    """``file:line`` of the first frame outside ferry.config (the caller of get/watch/explain)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    return None if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"
