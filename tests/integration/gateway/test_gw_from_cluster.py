"""``--from-cluster`` through the official kubernetes client against a fake API server on 127.0.0.1.

No Kubernetes API server can run here, so the test starts a small HTTP server that answers the four list calls
the adapter makes (as a real API server would, JSON lists without apiVersion/kind on the items) and records every
request, to prove the adapter is read-only and never asks for Secrets.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from ferry.testing import run_cli

pytestmark = [pytest.mark.integration, pytest.mark.slow]

INGRESS = {
    "metadata": {
        "name": "web",
        "namespace": "shop",
        "creationTimestamp": "2024-01-01T00:00:00Z",
        "annotations": {"nginx.ingress.kubernetes.io/limit-rps": "5", "nginx.ingress.kubernetes.io/use-regex": "true"},
    },
    "spec": {
        "ingressClassName": "nginx",
        "tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}],
        "rules": [
            {
                "host": "shop.example.com",
                "http": {
                    "paths": [
                        {
                            "path": "/api",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "api", "port": {"name": "http"}}},
                        }
                    ]
                },
            }
        ],
    },
}
LISTS: dict[str, dict[str, Any]] = {
    "/apis/networking.k8s.io/v1/ingresses": {
        "kind": "IngressList",
        "apiVersion": "networking.k8s.io/v1",
        "metadata": {},
        "items": [INGRESS],
    },
    "/apis/networking.k8s.io/v1/ingressclasses": {
        "kind": "IngressClassList",
        "apiVersion": "networking.k8s.io/v1",
        "metadata": {},
        "items": [{"metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx"}}],
    },
    "/api/v1/services": {
        "kind": "ServiceList",
        "apiVersion": "v1",
        "metadata": {},
        "items": [
            {"metadata": {"name": "api", "namespace": "shop"}, "spec": {"ports": [{"name": "http", "port": 8080}]}}
        ],
    },
    "/api/v1/configmaps": {
        "kind": "ConfigMapList",
        "apiVersion": "v1",
        "metadata": {},
        "items": [
            {
                "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
                "data": {"proxy-body-size": "4m"},
            }
        ],
    },
}


class FakeApiServer:
    def __init__(self, status: int = 200) -> None:
        self.requests: list[tuple[str, str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(("GET", self.path, self.headers.get("Authorization", "")))
                path = self.path.split("?", 1)[0]
                body = LISTS.get(path)
                code = status if body is not None else 404
                payload = (
                    body
                    if code == 200
                    else {
                        "kind": "Status",
                        "apiVersion": "v1",
                        "status": "Failure",
                        "reason": "Forbidden" if code == 403 else "NotFound",
                        "code": code,
                    }
                )
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                outer.requests.append(("POST", self.path, ""))
                self.send_response(405)
                self.end_headers()

            do_PUT = do_PATCH = do_DELETE = do_POST

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeApiServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def _kubeconfig(tmp_path: Path, server: str) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "fake", "cluster": {"server": server}}],
        "users": [{"name": "reader", "user": {"token": "read-only-token"}}],
        "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "reader"}}],
        "current-context": "fake",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def api() -> Iterator[FakeApiServer]:
    with FakeApiServer() as server:
        yield server


def test_convert_from_cluster_is_read_only(api: FakeApiServer, tmp_path: Path) -> None:
    kubeconfig = _kubeconfig(tmp_path, api.url)
    result = run_cli(["gateway", "convert", "--from-cluster", "--kubeconfig", str(kubeconfig), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = result.json()
    routes = [
        o for o in data["objects"] if o["kind"] == "HTTPRoute" and o["metadata"]["name"] == "web-shop-example-com"
    ]
    assert routes and routes[0]["spec"]["rules"][0]["backendRefs"][0]["port"] == 8080  # named port via the Service
    assert routes[0]["spec"]["rules"][0]["matches"][0]["path"] == {"type": "RegularExpression", "value": "(?i)/api.*"}
    btp = next(o for o in data["objects"] if o["kind"] == "BackendTrafficPolicy")
    assert btp["spec"]["requestBuffer"] == {"limit": str(4 * 1024 * 1024)}  # from the cluster's ConfigMap
    methods = {m for m, _, _ in api.requests}
    paths = {p.split("?", 1)[0] for _, p, _ in api.requests}
    assert methods == {"GET"}
    assert paths == set(LISTS)
    assert not any("secret" in p for p in paths)
    assert all(auth == "Bearer read-only-token" for _, _, auth in api.requests)


def test_audit_from_cluster(api: FakeApiServer, tmp_path: Path) -> None:
    kubeconfig = _kubeconfig(tmp_path, api.url)
    result = run_cli(["gateway", "audit", "--from-cluster", "--kubeconfig", str(kubeconfig), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    keys = [a["key"] for a in result.json()["ingresses"][0]["annotations"]]
    assert keys == ["limit-rps", "use-regex"]


def test_forbidden_and_unreachable_are_one_line_errors(tmp_path: Path) -> None:
    with FakeApiServer(status=403) as server:
        result = run_cli(
            ["gateway", "convert", "--from-cluster", "--kubeconfig", str(_kubeconfig(tmp_path, server.url))]
        )
    assert result.exit_code == 2 and "403" in result.stderr and "list on ingresses" in result.stderr
    with FakeApiServer() as server:
        url = server.url
    result = run_cli(["gateway", "convert", "--from-cluster", "--kubeconfig", str(_kubeconfig(tmp_path, url))])
    assert result.exit_code == 2 and "cannot reach the API server" in result.stderr
    assert "Traceback" not in result.stderr
    missing = run_cli(["gateway", "convert", "--from-cluster", "--kubeconfig", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "kubeconfig" in missing.stderr
