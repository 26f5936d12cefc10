"""ferry cache against real SeaweedFS S3 with signed requests: credentials from Secrets, env and profiles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cache_support import ACCESS, SECRET, tensor_digests, write_safetensors

import ferry.cache as fc
from ferry.testing import run_cli

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _spec(seaweed, prefix: str, *, creds: str = "secret", namespace: str = "ml") -> str:
    mount = [
        "apiVersion: cache.ferry.dev/v1alpha1",
        "kind: Dataset",
        f"metadata: {{name: llm, namespace: {namespace}}}",
        "spec:",
        "  mounts:",
        "  - name: weights",
        f"    mountPoint: s3://models/{prefix}/",
        f"    options: {{endpoint: '{seaweed.endpoint}', region: us-east-1"
        + (", profile: team}" if creds == "profile" else "}"),
    ]
    if creds == "secret":
        mount += [
            "    encryptOptions:",
            "    - {name: aws.accessKeyId, valueFrom: {secretKeyRef: {name: s3cred, key: id}}}",
            "    - {name: aws.secretKey, valueFrom: {secretKeyRef: {name: s3cred, key: secret}}}",
            "---",
            "apiVersion: v1",
            "kind: Secret",
            f"metadata: {{name: s3cred, namespace: {namespace}}}",
            f"stringData: {{id: {ACCESS}, secret: {SECRET}}}",
        ]
    return "\n".join(mount) + "\n"


@pytest.fixture
def uploaded(seaweed, tmp_path: Path) -> tuple[str, Path]:
    prefix = f"t{tmp_path.name}"
    model = write_safetensors(tmp_path / "src" / "model.safetensors", layers=16)
    seaweed.put(f"{prefix}/model.safetensors", model.read_bytes())
    seaweed.put(f"{prefix}/config.json", b'{"architectures": ["Test"]}')
    return prefix, model


def test_prefetch_and_load_from_seaweedfs_with_secret_credentials(seaweed, uploaded, tmp_path: Path) -> None:
    prefix, model = uploaded
    spec = tmp_path / "ds.yaml"
    spec.write_text(_spec(seaweed, prefix))
    cache = str(tmp_path / "c")
    total = model.stat().st_size + len(b'{"architectures": ["Test"]}')
    result = run_cli(
        ["cache", "prefetch", "-f", str(spec), "--cache-dir", cache, "--format", "json", "--chunk-size", "1Mi"]
    )
    assert result.exit_code == 0, result.stderr
    assert result.json() == {
        "datasets": [
            {"namespace": "ml", "name": "llm", "origin_bytes": total, "cached_bytes": total, "total_bytes": total}
        ]
    }
    assert SECRET not in result.stdout + result.stderr
    loaded = run_cli(
        [
            "cache",
            "load",
            "-f",
            str(spec),
            "--path",
            "model.safetensors",
            "--cache-dir",
            cache,
            "--checksums",
            "--format",
            "json",
        ]
    ).json()
    assert loaded["origin_bytes"] == 0
    assert {k: v["sha256"] for k, v in loaded["tensors"].items()} == tensor_digests(model)
    status = run_cli(["cache", "status", "-f", str(spec), "--cache-dir", cache, "--format", "json"]).json()
    assert [f["path"] for f in status["datasets"][0]["files"]] == ["config.json", "model.safetensors"]


def test_cold_load_streams_from_s3_and_verifies_the_etag_listing(seaweed, uploaded, tmp_path: Path) -> None:
    prefix, model = uploaded
    spec = tmp_path / "ds.yaml"
    spec.write_text(_spec(seaweed, prefix))
    out = run_cli(
        [
            "cache",
            "load",
            "-f",
            str(spec),
            "--path",
            "model.safetensors",
            "--cache-dir",
            str(tmp_path / "c"),
            "--checksums",
            "--format",
            "json",
        ]
    )
    assert out.exit_code == 0, out.stderr
    data = out.json()
    assert data["origin_bytes"] == model.stat().st_size
    assert {k: v["sha256"] for k, v in data["tensors"].items()} == tensor_digests(model)


def test_credentials_from_environment_and_profile(seaweed, uploaded, tmp_path: Path, monkeypatch) -> None:
    prefix, model = uploaded
    spec = tmp_path / "env.yaml"
    spec.write_text(_spec(seaweed, prefix, creds="env"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    ok = run_cli(["cache", "prefetch", "-f", str(spec), "--cache-dir", str(tmp_path / "c1"), "--format", "json"])
    assert ok.exit_code == 0, ok.stderr
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    (tmp_path / "creds").write_text(f"[team]\naws_access_key_id = {ACCESS}\naws_secret_access_key = {SECRET}\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "creds"))
    prof = tmp_path / "profile.yaml"
    prof.write_text(_spec(seaweed, prefix, creds="profile"))
    ok = run_cli(["cache", "prefetch", "-f", str(prof), "--cache-dir", str(tmp_path / "c2"), "--format", "json"])
    assert ok.exit_code == 0, ok.stderr
    assert ok.json()["datasets"][0]["origin_bytes"] > model.stat().st_size


def test_wrong_credentials_fail_clearly_without_leaking_them(seaweed, uploaded, tmp_path: Path) -> None:
    prefix, _ = uploaded
    spec = tmp_path / "ds.yaml"
    spec.write_text(_spec(seaweed, prefix).replace(SECRET, "not-the-secret-value"))
    result = run_cli(["cache", "prefetch", "-f", str(spec), "--cache-dir", str(tmp_path / "c"), "--format", "json"])
    assert result.exit_code == 2
    assert "SignatureDoesNotMatch" in result.stderr or "AccessDenied" in result.stderr
    assert "not-the-secret-value" not in result.stdout + result.stderr
    assert result.stderr.count("\n") == 1  # one line, no traceback


def test_reference_from_other_namespaces_reads_the_warm_cache(seaweed, uploaded, tmp_path: Path) -> None:
    prefix, _model = uploaded
    physical = fc.parse_spec(_spec(seaweed, prefix))
    with fc.EmbeddedRuntime(fc.Runtime(), cache_dir=tmp_path / "c", secrets=physical.secrets) as runtime:
        warm = fc.prefetch(physical.dataset(), runtime=runtime)
        assert warm.origin_bytes == warm.total_bytes
        for team in ("shop", "search", "ads"):
            ref = fc.Dataset("llm", team, [fc.Mount("dataset://ml/llm")])
            runtime.apply(ref)
            assert fc.prefetch(ref, runtime=runtime).origin_bytes == 0
            stream = fc.stream_safetensors(ref, "model.safetensors", runtime=runtime)
            assert len(stream.load()) == 32
            assert stream.origin_bytes == 0
    assert json.loads(json.dumps(warm.to_dict()))["origin_bytes"] == warm.total_bytes
    # A consumer in another namespace holds no credentials for the origin: it reads the warm cache all the same.
    with fc.EmbeddedRuntime(fc.Runtime(), cache_dir=tmp_path / "c", env={}) as consumer:
        ref = fc.Dataset("llm", "shop", [fc.Mount("dataset://ml/llm")])
        consumer.apply(ref)
        assert fc.prefetch(ref, runtime=consumer).origin_bytes == 0
        assert len(fc.load_safetensors(ref, "model.safetensors", runtime=consumer)) == 32
