"""Helpers for the genai integration tests: a real ``ferry genai serve`` on a free loopback port, and payloads."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ferry._kernel import ManagedProcess, free_port
from ferry.genai import Span, encode_spans_json


@dataclass
class Server:
    url: str
    db: Path

    def post(self, path: str, body: bytes, content_type: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(
            self.url + path, data=body, method="POST", headers={"Content-Type": content_type, **headers}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def get_json(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.loads(response.read())


def start_server(tmp: Path, *extra: str) -> ManagedProcess:
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "ferry",
        "genai",
        "serve",
        "--port",
        str(port),
        "--db",
        str(tmp / "store.sqlite"),
        *extra,
    ]
    return ManagedProcess(argv, name="ferry-genai-serve", ready_port=("127.0.0.1", port), start_timeout=30)


S = 1_000_000_000


def retry_trace_json(trace: str) -> dict:  # type: ignore[type-arg]
    def sp(n: int, parent: int | None, name: str, a: float, b: float, **attrs: object) -> Span:
        return Span(trace, f"{n:016x}", f"{parent:016x}" if parent else "", name, int(a * S), int(b * S),
                    attributes={k.replace("__", "."): v for k, v in attrs.items()},
                    status_code=2 if "error__type" in attrs else 0, resource={"service.name": "researcher"})  # fmt: skip  # noqa: E501

    spans = [
        sp(1, None, "invoke_agent researcher", 0, 45, gen_ai__operation__name="invoke_agent"),
        sp(2, 1, "chat gpt-4o", 0.1, 2.1, gen_ai__operation__name="chat", gen_ai__request__model="gpt-4o",
           gen_ai__system="openai", gen_ai__input__messages='[{"role":"user","parts":[{"type":"text","content":"secret"}]}]'),  # noqa: E501
        *[sp(3 + i, 1, "execute_tool search_web", 2.2 + 13 * i, 12.2 + 13 * i, gen_ai__operation__name="execute_tool",
             gen_ai__tool__name="search_web", error__type="timeout") for i in range(3)],
        sp(6, 1, "execute_tool search_web", 40.2, 41.2, gen_ai__operation__name="execute_tool", gen_ai__tool__name="search_web"),  # noqa: E501
        sp(7, 1, "chat gpt-4o", 41.3, 44.8, gen_ai__operation__name="chat", gen_ai__request__model="gpt-4o"),
    ]  # fmt: skip
    return encode_spans_json(spans)
