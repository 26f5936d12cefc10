"""JSON with line numbers for error messages (pure)."""

from __future__ import annotations

import json
import re
from typing import Any

from ferry.boot._errors import BootDumpError

__all__ = ["line_of_key", "line_of_value", "load_json"]


def load_json(text: str, *, path: str) -> Any:
    """Parse JSON; a syntax error names its line."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BootDumpError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno) from exc


def line_of_key(text: str, key: str, after: str | None = None) -> int | None:
    """The line of the first ``"key":`` (after the first ``"after":`` when given), for messages about a field."""
    start = 0
    if after is not None:
        found = re.search(rf'"{re.escape(after)}"\s*:', text)
        if found:
            start = found.start()
    match = re.compile(rf'"{re.escape(key)}"\s*:').search(text, start)
    if not match:
        return None
    return text.count("\n", 0, match.start()) + 1


def line_of_value(text: str, key: str, value: str) -> int | None:
    """The line of the first ``"key": "value"`` pair."""
    match = re.search(rf'"{re.escape(key)}"\s*:\s*"{re.escape(value)}"', text)
    return None if match is None else text.count("\n", 0, match.start()) + 1
