"""Output helpers every command uses: ``--format``, JSON on stdout, rich for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["FORMATS", "console", "emit_json", "format_option"]

FORMATS = ("text", "json")

F = TypeVar("F", bound=Callable[..., Any])


def format_option(*choices: str, default: str = "text") -> Callable[[F], F]:
    """``--format`` with the given choices (``text`` and ``json`` when none are given)."""
    values = choices or FORMATS
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(values),
        default=default,
        show_default=True,
        help="Output format.",
    )


def emit_json(data: Any) -> None:
    """Write ``data`` as indented, key-stable JSON with a trailing newline to stdout."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def console(*, stderr: bool = False) -> Any:
    """A rich console (imported lazily so that ``--format json`` never loads rich's renderers)."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)
