"""The webhook over real HTTPS: `ferry coco webhook serve` started as a process on 127.0.0.1, real TLS clients.

No Kubernetes API server runs here; the tests send what it sends (AdmissionReview v1 POSTs over TLS, verified
against the CA that becomes caBundle) and check what it needs back.
"""

from __future__ import annotations

import base64
import http.client
import json
import shutil
import socket
import ssl
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonpatch
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferry._kernel import ManagedProcess, free_port
from ferry.coco import issue_webhook_certificates

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
PROFILE = REPO / "examples" / "coco" / "profile.yaml"
SERVICE = "ferry-coco-webhook.coco-system.svc"
KEY = "io.katacontainers.config.hypervisor.cc_init_data"


@dataclass
class Webhook:
    port: int
    dir: Path
    proc: ManagedProcess

    def context(self, ca: Path | None = None) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(ca or self.dir / "ca.crt"))

    def connection(self, ca: Path | None = None) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context(ca), timeout=10)

    def call(self, method: str, path: str, body: bytes | None = None, **headers: str) -> tuple[int, bytes]:
        conn = self.connection()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def raw(self, data: bytes, *, hostname: str = "127.0.0.1") -> bytes:
        """Send raw bytes over TLS and read until the server closes or answers."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        with sock, self.context().wrap_socket(sock, server_hostname=hostname) as tls:
            tls.sendall(data)
            chunks = []
            while True:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks):
                    head, _, rest = b"".join(chunks).partition(b"\r\n\r\n")
                    length = [
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ]
                    if length and len(rest) >= length[0]:
                        break
            return b"".join(chunks)


def _write_certs(directory: Path, service: str = "ferry-coco-webhook") -> None:
    certs = issue_webhook_certificates(service, "coco-system", extra_names=["127.0.0.1"])
    (directory / "ca.crt").write_bytes(certs.ca_pem)
    # write key first: the watcher reloads once both are stable
    (directory / "tls.key").write_bytes(certs.key_pem)
    (directory / "tls.crt").write_bytes(certs.cert_pem)


def _start(directory: Path) -> Webhook:
    port = free_port()
    argv = [
        sys.executable, "-m", "ferry", "coco", "webhook", "serve",
        "--host", "127.0.0.1", "--port", str(port),
        "--cert", str(directory / "tls.crt"), "--key", str(directory / "tls.key"),
        "--profile", str(directory / "profile.yaml"), "--watch-interval", "0.2",
    ]  # fmt: skip
    proc = ManagedProcess(argv, name="ferry-coco-webhook", ready_port=("127.0.0.1", port), start_timeout=30)
    proc.start()
    return Webhook(port, directory, proc)


def _serve(directory: Path) -> Iterator[Webhook]:
    _write_certs(directory)
    shutil.copy(PROFILE, directory / "profile.yaml")
    hook = _start(directory)
    try:
        yield hook
    finally:
        hook.proc.stop()


@pytest.fixture(scope="module")
def webhook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webhook]:
    """One server for the tests that do not change its files (metrics are checked as deltas)."""
    yield from _serve(tmp_path_factory.mktemp("webhook"))


@pytest.fixture
def own_webhook(tmp_path: Path) -> Iterator[Webhook]:
    """A server of the test's own, for reload tests that rewrite its certificate and profile."""
    yield from _serve(tmp_path)


def review(obj: dict[str, Any], *, uid: str = "uid-1", operation: str = "CREATE", old: Any = None) -> bytes:
    request = {
        "uid": uid,
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "namespace": "confidential",
        "operation": operation,
        "object": obj,
        "oldObject": old,
        "dryRun": False,
    }
    return json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}).encode()


def pod() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "confidential"},
        "spec": {"containers": [{"name": "web", "image": "registry.example/web:1.0"}]},
    }


def test_mutate_then_validate_over_https(webhook: Webhook) -> None:
    status, body = webhook.call("POST", "/mutate/namespace", review(pod()), **{"Content-Type": "application/json"})
    answer = json.loads(body)["response"]
    assert status == 200 and answer["uid"] == "uid-1" and answer["allowed"] and answer["patchType"] == "JSONPatch"
    patched = jsonpatch.apply_patch(pod(), json.loads(base64.b64decode(answer["patch"])))
    assert patched["spec"]["runtimeClassName"] == "kata-qemu-snp" and patched["metadata"]["annotations"][
        KEY
    ].startswith("H4sI")
    status, body = webhook.call("POST", "/validate/namespace", review(patched, uid="uid-2"))
    answer = json.loads(body)["response"]
    assert answer == {"uid": "uid-2", "allowed": True, "auditAnnotations": answer["auditAnnotations"]}
    status, body = webhook.call("POST", "/validate/namespace", review(pod(), uid="uid-3"))
    answer = json.loads(body)["response"]
    assert answer["allowed"] is False and answer["status"]["code"] == 403 and "D1" in answer["status"]["message"]
    # the same pod outside a confidential namespace, without labels: not ferry's business
    status, body = webhook.call("POST", "/validate", review(pod(), uid="uid-4"))
    assert json.loads(body)["response"] == {"uid": "uid-4", "allowed": True}


def _metrics(webhook: Webhook) -> dict[str, float]:
    status, body = webhook.call("GET", "/metrics")
    assert status == 200
    out = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def test_health_readiness_and_metrics(webhook: Webhook) -> None:
    assert webhook.call("GET", "/healthz") == (200, b"ok\n")
    assert webhook.call("GET", "/readyz") == (200, b"ready\n")
    before = _metrics(webhook)
    webhook.call("POST", "/mutate/namespace", review(pod()))
    webhook.call("POST", "/validate/namespace", review(pod()))
    dry = json.loads(review(pod()))
    dry["request"]["dryRun"] = True
    webhook.call("POST", "/mutate/namespace", json.dumps(dry).encode())
    webhook.call("POST", "/validate", b"{")
    after = _metrics(webhook)

    def delta(name: str) -> float:
        return after.get(name, 0) - before.get(name, 0)

    assert delta('ferry_coco_admission_requests_total{webhook="mutate",decision="patched",dry_run="false"}') == 1
    assert delta('ferry_coco_admission_requests_total{webhook="mutate",decision="patched",dry_run="true"}') == 1
    assert delta('ferry_coco_admission_requests_total{webhook="validate",decision="denied",dry_run="false"}') == 1
    assert delta('ferry_coco_injections_total{what="initdata"}') == 1  # the dry run injected nothing for real
    assert delta('ferry_coco_rule_violations_total{rule="D1"}') == 1
    assert delta('ferry_coco_http_errors_total{status="400"}') == 1
    assert delta('ferry_coco_admission_duration_seconds_count{webhook="mutate"}') == 2


def test_keep_alive_serves_many_reviews_on_one_connection_with_sni(webhook: Webhook) -> None:
    conn = webhook.connection()
    for i in range(20):
        conn.request("POST", "/validate/namespace", body=review(pod(), uid=f"u{i}"))
        response = conn.getresponse()
        assert json.loads(response.read())["response"]["uid"] == f"u{i}"
    conn.close()
    # what the API server does: SNI and hostname check against the Service DNS name
    answer = webhook.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", hostname=SERVICE)
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"ok\n")


def test_a_client_that_does_not_trust_the_ca_cannot_connect(webhook: Webhook, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    _write_certs(other)
    with pytest.raises(ssl.SSLCertVerificationError):
        webhook.connection(ca=other / "ca.crt").request("GET", "/healthz")


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"POST /validate HTTP/1.1\r\nContent-Length: 5\r\n\r\n{bad}", b"400"),
        (b"GET /validate HTTP/1.1\r\n\r\n", b"405"),
        (b"GET /nope HTTP/1.1\r\n\r\n", b"404"),
        (b"POST /mutate HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", b"400"),
        (b"POST /mutate HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}", b"400"),
        (b"POST /mutate HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", b"413"),
        (b"POST /mutate HTTP/1.1\r\nContent-Length: nine\r\n\r\n", b"400"),
        (b"NONSENSE\r\n\r\n", b"400"),
        (b"GET / SPDY/3\r\n\r\n", b"400"),
        (b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", b"431"),
        (b"POST /validate HTTP/1.1\r\nContent-Length: 2\r\n\r\n[]", b"400"),
    ],
)
def test_malformed_http_gets_a_well_formed_error_never_500(
    webhook: Webhook, request_bytes: bytes, status: bytes
) -> None:
    answer = webhook.raw(request_bytes)
    assert answer.startswith(b"HTTP/1.1 " + status), answer[:200]
    assert b"Content-Length:" in answer


def test_non_pod_and_missing_uid_over_https(webhook: Webhook) -> None:
    cm = json.loads(review(pod()))
    cm["request"]["kind"] = {"group": "", "version": "v1", "kind": "ConfigMap"}
    cm["request"]["resource"] = {"group": "", "version": "v1", "resource": "configmaps"}
    status, body = webhook.call("POST", "/mutate", json.dumps(cm).encode())
    assert status == 200 and json.loads(body)["response"] == {"uid": "uid-1", "allowed": True}
    del cm["request"]["uid"]
    status, body = webhook.call("POST", "/mutate", json.dumps(cm).encode())
    assert status == 400 and b"uid" in body


def test_a_stalled_client_does_not_block_others(webhook: Webhook) -> None:
    sock = socket.create_connection(("127.0.0.1", webhook.port), timeout=10)
    with sock, webhook.context().wrap_socket(sock, server_hostname="127.0.0.1") as stalled:
        stalled.sendall(b"POST /validate HTTP/1.1\r\nContent-Length: 1000\r\n\r\n{")
        started = time.monotonic()
        assert webhook.call("GET", "/healthz")[0] == 200
        assert time.monotonic() - started < 5  # well before the 10 s body timeout would free the server


def _wait_for(predicate: Any, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
def test_certificate_hot_reload(own_webhook: Webhook, tmp_path: Path) -> None:
    webhook = own_webhook
    old_ca = tmp_path / "old-ca.crt"
    shutil.copy(tmp_path / "ca.crt", old_ca)
    _write_certs(tmp_path)

    def new_ca_trusted() -> bool:
        try:
            return webhook.call("GET", "/healthz")[0] == 200
        except ssl.SSLError:
            return False

    assert _wait_for(new_ca_trusted)
    with pytest.raises(ssl.SSLCertVerificationError):
        webhook.connection(ca=old_ca).request("GET", "/healthz")
    assert 'ferry_coco_reloads_total{what="certificate",result="ok"}' in webhook.call("GET", "/metrics")[1].decode()


@pytest.mark.slow
def test_profile_hot_reload_and_a_broken_profile_keeps_the_old_one(own_webhook: Webhook, tmp_path: Path) -> None:
    webhook = own_webhook
    profile = tmp_path / "profile.yaml"
    profile.write_text(profile.read_text().replace("runtimeClass: kata-qemu-snp", "runtimeClass: kata-qemu-tdx"))

    def injected_class() -> str:
        answer = json.loads(webhook.call("POST", "/mutate/namespace", review(pod()))[1])["response"]
        patch = json.loads(base64.b64decode(answer["patch"]))
        return str(next(op["value"] for op in patch if op["path"] == "/spec/runtimeClassName"))

    assert _wait_for(lambda: injected_class() == "kata-qemu-tdx")
    profile.write_text("spec: {environment: staging}\n")
    assert _wait_for(lambda: 'what="profile",result="failed"' in webhook.call("GET", "/metrics")[1].decode())
    assert injected_class() == "kata-qemu-tdx"


@pytest.mark.slow
def test_reload_from_kubelet_style_volumes(tmp_path: Path) -> None:
    """Certificate and profile mounted as a Secret and a ConfigMap volume, updated the way kubelet does it."""
    from ferry.config import kubelet_update

    tls, config = tmp_path / "tls", tmp_path / "profile"
    first = issue_webhook_certificates("ferry-coco-webhook", "coco-system", extra_names=["127.0.0.1"])
    kubelet_update(tls, {"tls.crt": first.cert_pem, "tls.key": first.key_pem})
    kubelet_update(config, {"profile.yaml": PROFILE.read_bytes()})
    (tmp_path / "ca.crt").write_bytes(first.ca_pem)
    port = free_port()
    argv = [
        sys.executable, "-m", "ferry", "coco", "webhook", "serve", "--port", str(port),
        "--cert", str(tls / "tls.crt"), "--key", str(tls / "tls.key"), "--profile", str(config / "profile.yaml"),
        "--watch-interval", "0.2",
    ]  # fmt: skip
    with ManagedProcess(argv, name="ferry-coco-webhook", ready_port=("127.0.0.1", port), start_timeout=30) as proc:
        hook = Webhook(port, tmp_path, proc)
        second = issue_webhook_certificates("ferry-coco-webhook", "coco-system", extra_names=["127.0.0.1"])
        kubelet_update(tls, {"tls.crt": second.cert_pem, "tls.key": second.key_pem})
        (tmp_path / "new-ca.crt").write_bytes(second.ca_pem)

        def served_by_new_ca() -> bool:
            conn = hook.connection(ca=tmp_path / "new-ca.crt")
            try:
                conn.request("GET", "/healthz")
                return conn.getresponse().status == 200
            except ssl.SSLError:
                return False
            finally:
                conn.close()

        assert _wait_for(served_by_new_ca)
        changed = PROFILE.read_text().replace("runtimeClass: kata-qemu-snp", "runtimeClass: kata-qemu-tdx")
        kubelet_update(config, {"profile.yaml": changed})
        hook.dir = tmp_path
        (tmp_path / "ca.crt").write_bytes(second.ca_pem)

        def injected() -> str:
            answer = json.loads(hook.call("POST", "/mutate/namespace", review(pod()))[1])["response"]
            patch = json.loads(base64.b64decode(answer["patch"]))
            return str(next(op["value"] for op in patch if op["path"] == "/spec/runtimeClassName"))

        assert _wait_for(lambda: injected() == "kata-qemu-tdx")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.binary(max_size=200)
    | st.builds(
        lambda uid, kind, obj: json.dumps(
            {
                "apiVersion": "admission.k8s.io/v1",
                "kind": "AdmissionReview",
                "request": {"uid": uid, "kind": kind, "operation": "CREATE", "object": obj},
            }
        ).encode(),
        st.one_of(st.none(), st.text(max_size=8), st.integers()),
        st.one_of(st.none(), st.just({"group": "", "version": "v1", "kind": "Pod"}), st.text(max_size=5)),
        st.recursive(
            st.none() | st.text(max_size=8) | st.integers(),
            lambda c: (
                st.lists(c, max_size=3)
                | st.dictionaries(
                    st.sampled_from(["metadata", "spec", "annotations", "labels", "containers"]), c, max_size=3
                )
            ),
            max_leaves=12,
        ),
    ),
    path=st.sampled_from(["/mutate", "/validate/namespace"]),
)
def test_fuzz_over_https_never_500(webhook: Webhook, body: bytes, path: str) -> None:
    status, answer = webhook.call("POST", path, body)
    assert status in (200, 400), (status, answer[:200])
    parsed = json.loads(answer)
    assert ("response" in parsed) == (status == 200)
