"""The import program a rendered DataProcess runs, run here the way Fluid runs it: ``python3 <source file>``.

The origin is a real HTTP server on 127.0.0.1 (a free port) serving a directory; the "dataset" is a temporary
directory standing in for the JuiceFS volume that Fluid mounts at ``/data``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ferry.cache import parse_spec, render_fluid


@dataclass
class Origin:
    url: str
    root: Path
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    fail_once: set[str] = field(default_factory=set)
    redirects: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def origin(tmp_path: Path) -> Iterator[Origin]:
    root = tmp_path / "origin"
    (root / "base" / "shards").mkdir(parents=True)
    state = Origin("", root)

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self) -> None:
            state.requests.append((self.path, self.headers.get("Authorization")))
            if self.path in state.fail_once:
                state.fail_once.discard(self.path)
                self.send_error(503, "try again")
                return
            if self.path in state.redirects:  # like the Hub sending a download to its CDN
                self.send_response(302)
                self.send_header("Location", state.redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            super().do_GET()

        def log_message(self, fmt: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/base/"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


def _write(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def _process(text: str) -> dict[str, Any]:
    objects = render_fluid(parse_spec(text), runtime_kind="juicefs")
    return next(o for o in objects if o["kind"] == "DataProcess")


def _run(
    process: dict[str, Any], volume: Path, tmp_path: Path, secrets: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the DataProcess's script as Fluid does, with /data standing for ``volume``."""
    script = process["spec"]["processor"]["script"]
    assert script["command"] == ["python3"]
    source = tmp_path / "preprocess.sh"
    source.write_text(script["source"])
    env = {"PATH": os.environ.get("PATH", "")}
    for item in script["env"]:
        if "valueFrom" in item:  # what the kubelet resolves from the Secret
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = (secrets or {})[f"{ref['name']}/{ref['key']}"]
        else:
            env[item["name"]] = item["value"]
    mount = process["spec"]["dataset"]["mountPath"]
    env["FERRY_DEST"] = str(volume) + env["FERRY_DEST"].removeprefix(mount)
    for mounted in script.get("volumeMounts", []):  # host paths: mounted where the script expects them
        host = next(v["hostPath"]["path"] for v in script["volumes"] if v["name"] == mounted["name"])
        env["FERRY_SOURCE"] = env["FERRY_SOURCE"].replace(mounted["mountPath"], host, 1)
    return subprocess.run(
        [sys.executable, str(source)], check=False, env=env, capture_output=True, text=True, timeout=120
    )


def test_http_files_and_safetensors_index_land_in_the_dataset(origin: Origin, tmp_path: Path) -> None:
    config = _write(origin.root / "base" / "config.json", b'{"model": "tiny"}')
    weights = {f"shards/model-0000{i}.safetensors": os.urandom(300_000 + i) for i in (1, 2)}
    for name, data in weights.items():
        _write(origin.root / "base" / name, data)
    index = {
        "weight_map": {"a": "model-00001.safetensors", "b": "model-00002.safetensors", "c": "model-00001.safetensors"}
    }
    _write(origin.root / "base" / "shards" / "model.safetensors.index.json", json.dumps(index).encode())
    text = f"""apiVersion: cache.ferry.dev/v1alpha1
kind: Dataset
metadata: {{name: tiny, namespace: ml}}
spec:
  mounts:
  - name: model
    mountPoint: {origin.url}
    files: [{{path: config.json, size: 17, sha256: {config}}}]
    options: {{index: shards/model.safetensors.index.json}}
    encryptOptions: [{{name: token, valueFrom: {{secretKeyRef: {{name: hub, key: token}}}}}}]
  - {{name: other, mountPoint: "s3://b/o/"}}
"""
    process = _process(text)
    origin.fail_once.add("/base/shards/model-00002.safetensors")  # a 503 is retried
    volume = tmp_path / "volume"
    done = _run(process, volume, tmp_path, {"hub/token": "t0ken"})
    assert done.returncode == 0, done.stderr
    dest = volume / "model"
    assert (dest / "config.json").read_bytes() == b'{"model": "tiny"}'
    for name, data in weights.items():
        assert (dest / name).read_bytes() == data
    assert json.loads((dest / "shards" / "model.safetensors.index.json").read_text()) == index
    assert not list(volume.rglob("*.ferry-partial"))
    assert {auth for _, auth in origin.requests} == {"Bearer t0ken"}
    assert [p for p, _ in origin.requests].count("/base/shards/model-00002.safetensors") == 2
    # a restarted pod skips what is already in place with the declared size and sha256
    origin.requests.clear()
    again = _run(process, volume, tmp_path, {"hub/token": "t0ken"})
    assert again.returncode == 0, again.stderr
    assert "config.json already in place" in again.stdout
    assert "/base/config.json" not in [p for p, _ in origin.requests]


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ("{path: w.bin, size: 5}", "6 bytes, the dataset declares 5"),
        ("{path: w.bin, sha256: " + "ab" * 32 + "}", "sha256"),
    ],
)
def test_wrong_bytes_are_never_published(origin: Origin, tmp_path: Path, declared: str, message: str) -> None:
    _write(origin.root / "base" / "w.bin", b"abcdef")
    text = f"""apiVersion: cache.ferry.dev/v1alpha1
kind: Dataset
metadata: {{name: wts, namespace: ml}}
spec: {{mounts: [{{name: m, mountPoint: "{origin.url}", files: [{declared}]}}]}}
"""
    volume = tmp_path / "volume"
    done = _run(_process(text), volume, tmp_path)
    assert done.returncode != 0 and message in done.stderr
    assert not (volume / "w.bin").exists() and not list(volume.rglob("*.ferry-partial"))


def test_a_missing_file_fails_at_once(origin: Origin, tmp_path: Path) -> None:
    text = f"""apiVersion: cache.ferry.dev/v1alpha1
kind: Dataset
metadata: {{name: wts, namespace: ml}}
spec: {{mounts: [{{name: m, mountPoint: "{origin.url}", files: [gone.bin]}}]}}
"""
    done = _run(_process(text), tmp_path / "volume", tmp_path)
    assert done.returncode != 0 and "HTTP 404" in done.stderr
    assert [p for p, _ in origin.requests] == ["/base/gone.bin"]  # a 404 is not retried


def test_host_paths_are_copied_into_the_dataset(tmp_path: Path) -> None:
    tree = tmp_path / "srv" / "model"
    _write(tree / "config.json", b"{}")
    _write(tree / "sub" / "weights.safetensors", b"w" * 1000)
    single = tmp_path / "srv" / "tokenizer.json"
    _write(single, b"tok")
    text = f"""apiVersion: cache.ferry.dev/v1alpha1
kind: Dataset
metadata: {{name: local, namespace: ml}}
spec:
  mounts:
  - {{name: tree, mountPoint: "local://{tree}"}}
  - {{name: one, mountPoint: "{single}"}}
"""
    objects = render_fluid(parse_spec(text), runtime_kind="juicefs")
    first, second = (o for o in objects if o["kind"] == "DataProcess")
    volume = tmp_path / "volume"
    for process in (first, second):
        done = _run(process, volume, tmp_path)
        assert done.returncode == 0, done.stderr
    assert (volume / "tree" / "config.json").read_bytes() == b"{}"
    assert (volume / "tree" / "sub" / "weights.safetensors").read_bytes() == b"w" * 1000
    assert (volume / "one" / "tokenizer.json").read_bytes() == b"tok"


def test_the_token_never_follows_a_redirect_to_another_host(origin: Origin, tmp_path: Path) -> None:
    _write(origin.root / "cdn" / "blob", b"weights")
    other = origin.url.replace("127.0.0.1", "localhost").replace("/base/", "/cdn/blob")  # same server, other host
    origin.redirects["/base/model.safetensors"] = other
    origin.redirects["/base/config.json"] = "/cdn/blob"  # same host: the token stays
    text = f"""apiVersion: cache.ferry.dev/v1alpha1
kind: Dataset
metadata: {{name: hub, namespace: ml}}
spec:
  mounts:
  - name: m
    mountPoint: {origin.url}
    files: [model.safetensors, config.json]
    encryptOptions: [{{name: token, valueFrom: {{secretKeyRef: {{name: hub, key: token}}}}}}]
"""
    done = _run(_process(text), tmp_path / "volume", tmp_path, {"hub/token": "t0ken"})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "volume" / "model.safetensors").read_bytes() == b"weights"
    assert (tmp_path / "volume" / "config.json").read_bytes() == b"weights"
    assert origin.requests == [
        ("/base/model.safetensors", "Bearer t0ken"),
        ("/cdn/blob", None),
        ("/base/config.json", "Bearer t0ken"),
        ("/cdn/blob", "Bearer t0ken"),
    ]
