"""The .env format (pure): comments, blank lines, ``export``, single and double quotes, last duplicate wins."""

from __future__ import annotations

import re

from ferry.config._errors import ParseError

__all__ = ["parse_dotenv"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


def _double_quoted(body: str, source: str, line: int) -> tuple[str, str]:
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], "\\" + body[i + 1]))
            i += 2
            continue
        if ch == '"':
            return "".join(out), body[i + 1 :]
        out.append(ch)
        i += 1
    raise ParseError(f"{source}:{line}: unterminated double quote", hint='close the value with "')


def parse_dotenv(text: str, source: str = "<.env>") -> dict[str, str]:
    """``NAME=value`` lines as a dict. Unquoted values end at `` #``; quoted values may span lines."""
    values: dict[str, str] = {}
    lines = text.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        number = i + 1
        line = lines[i].strip()
        i += 1
        if not line or line.startswith("#"):
            continue
        if line.startswith("export ") or line.startswith("export\t"):
            line = line[len("export") :].lstrip()
        name, eq, rest = line.partition("=")
        name = name.strip()
        if not eq or not _NAME.fullmatch(name):
            raise ParseError(
                f"{source}:{number}: expected NAME=value, found {line[:40]!r}",
                hint="comment the line out with # or fix it",
            )
        rest = rest.lstrip()
        if rest[:1] in ("'", '"'):
            quote = rest[0]
            body = rest[1:]
            while quote not in (body.replace('\\"', "") if quote == '"' else body) and i < len(lines):
                body += "\n" + lines[i]
                i += 1
            if quote == '"':
                value, tail = _double_quoted(body, source, number)
            else:
                end = body.find("'")
                if end < 0:
                    raise ParseError(f"{source}:{number}: unterminated single quote", hint="close the value with '")
                value, tail = body[:end], body[end + 1 :]
            tail = tail.strip()
            if tail and not tail.startswith("#"):
                raise ParseError(f"{source}:{number}: unexpected text after the closing quote: {tail[:20]!r}")
        else:
            value = re.split(r"\s+#", rest, maxsplit=1)[0].rstrip()
        values[name] = value
    return values
