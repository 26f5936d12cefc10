"""Command-line arguments as configuration (pure): ``--log-level debug``, ``--log-level=debug``, ``--no-color``."""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["ParsedArgs", "parse_argv"]

_NUMBER = re.compile(r"-[0-9.]")

FlagValue = tuple[str, ...] | bool


class ParsedArgs:
    """Flags by their ``--name`` (a tuple of values, or a bool for bare ``--x`` / ``--no-x``) and the positionals."""

    __slots__ = ("flags", "positionals", "short_flags")

    def __init__(self) -> None:
        self.flags: dict[str, FlagValue] = {}
        self.positionals: list[str] = []
        self.short_flags: list[str] = []


def _is_value(token: str) -> bool:
    return not token.startswith("-") or token == "-" or bool(_NUMBER.match(token))


def parse_argv(args: Sequence[str]) -> ParsedArgs:
    """Parse ``args`` (without the program name).

    A flag collects the values that follow it up to the next flag; repeated flags accumulate; ``--x=v`` takes
    exactly ``v`` (which may be empty or start with ``-``); a bare ``--x`` is true and ``--no-x`` false; values that
    look like negative numbers are values; everything after ``--`` is positional and never a value.
    """
    parsed = ParsedArgs()
    i = 0
    while i < len(args):
        token = args[i]
        i += 1
        if token == "--":
            parsed.positionals.extend(args[i:])
            break
        if not token.startswith("--"):
            if token.startswith("-") and not _is_value(token):
                parsed.short_flags.append(token)
            else:
                parsed.positionals.append(token)
            continue
        name, eq, inline = token.partition("=")
        if eq:
            _add(parsed, name, (inline,))
            continue
        values: list[str] = []
        while i < len(args) and args[i] != "--" and _is_value(args[i]):
            values.append(args[i])
            i += 1
        if values:
            _add(parsed, name, tuple(values))
        elif name.startswith("--no-") and len(name) > 5:
            parsed.flags["--" + name[5:]] = False
        else:
            parsed.flags[name] = True
    return parsed


def _add(parsed: ParsedArgs, name: str, values: tuple[str, ...]) -> None:
    previous = parsed.flags.get(name)
    parsed.flags[name] = (previous if isinstance(previous, tuple) else ()) + values
