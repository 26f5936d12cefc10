"""A real ``ferry genai serve`` on a free loopback port, stopped after each test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from genai_server import Server, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("genai-serve")
    with start_server(tmp, "--max-body", "200000") as proc:
        port = proc.ready_port[1] if proc.ready_port else 0
        yield Server(f"http://127.0.0.1:{port}", tmp / "store.sqlite")
