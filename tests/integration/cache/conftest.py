"""Real origins for the cache tests: SeaweedFS S3 (``weed mini``) and a Range-capable HTTP server with faults."""

from __future__ import annotations

import http.client
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cache_support import HERE
from jfs_support import Weed

from ferry._kernel import ManagedProcess, free_port


@dataclass
class HttpOrigin:
    root: Path
    port: int
    proc: ManagedProcess

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def stats(self) -> dict[str, int]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        conn.request("GET", "/__stats")
        data: dict[str, int] = json.loads(conn.getresponse().read())
        conn.close()
        return data


@pytest.fixture
def http_origin_factory(tmp_path: Path) -> Iterator[Callable[..., HttpOrigin]]:
    """Start ``range_origin.py`` with the given fault flags; every server is stopped at the end."""
    started: list[ManagedProcess] = []
    root = tmp_path / "origin"
    root.mkdir()

    def start(*flags: str, port: int | None = None) -> HttpOrigin:
        port = port or free_port()
        proc = ManagedProcess(
            [sys.executable, str(HERE / "range_origin.py"), "--root", str(root), "--port", str(port), *flags],
            name="range-origin",
            ready_port=("127.0.0.1", port),
            start_timeout=15,
            stop_timeout=3,
        )
        started.append(proc)
        proc.start()
        return HttpOrigin(root, port, proc)

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def http_origin(http_origin_factory: Callable[..., HttpOrigin]) -> HttpOrigin:
    return http_origin_factory()


@dataclass
class Seaweed:
    """The session's SeaweedFS (:class:`jfs_support.Weed`) as the cache tests use it: one bucket, ``models``."""

    server: Weed
    bucket: str = "models"

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    @property
    def host(self) -> str:
        return self.server.host

    def put(self, key: str, data: bytes) -> None:
        self.server.put(self.bucket, key, data)


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seaweed]:
    """SeaweedFS ``weed mini`` on 127.0.0.1 with free ports and an identity (signed requests are enforced)."""
    server = Weed(tmp_path_factory.mktemp("seaweed"))
    server.start()
    try:
        yield Seaweed(server)
    finally:
        server.stop()


# The juicefs runtime's back ends (redis-server, a restartable SeaweedFS) and its no-leftovers guard.
from jfs_support import netns, no_leftovers, own_weed, redis  # noqa: E402, F401
