"""A real ``ferry genai serve`` on a free loopback port, stopped after each test module."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ferry._kernel import ManagedProcess, free_port


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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("genai-serve")
    with start_server(tmp, "--max-body", "200000") as proc:
        port = proc.ready_port[1] if proc.ready_port else 0
        yield Server(f"http://127.0.0.1:{port}", tmp / "store.sqlite")
