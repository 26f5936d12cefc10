"""`ferry coco ...` end to end in-process: outputs, JSON shapes, exit codes, no secret material printed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from ferry.testing import run_cli

REPO = Path(__file__).resolve().parents[3]
PROFILE = str(REPO / "examples" / "coco" / "profile.yaml")
CAA = str(Path(__file__).parent / "data" / "caa-initdata.b64")
POD = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "confidential"},
    "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "registry.example/web:1"}]},
        },
    },
}


@pytest.fixture
def pod_file(tmp_path: Path) -> str:
    path = tmp_path / "pod.yaml"
    path.write_text(yaml.safe_dump(POD))
    return str(path)


def test_digest_json_shape_for_an_annotation_value() -> None:
    result = run_cli(["coco", "initdata", "digest", CAA, "--algorithm", "sha384", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert set(data) == {"algorithm", "digest", "tee"} and set(data["tee"]) == {"snp", "tdx", "cca", "pcr8"}
    assert data["digest"].startswith("4bebff2869bcdd3e") and data["tee"]["tdx"] == data["digest"]
    assert data["tee"]["snp"] == data["digest"][:64]


def test_build_then_digest_and_inspect_a_toml_file(tmp_path: Path, pod_file: str) -> None:
    out = tmp_path / "initdata.toml"
    assert (
        run_cli(["coco", "initdata", "build", "--profile", PROFILE, "--pod", pod_file, "-o", str(out)]).exit_code == 0
    )
    digest = run_cli(["coco", "initdata", "digest", str(out), "--format", "json"]).json()
    assert digest["algorithm"] == "sha384" and digest["digest"] == hashlib.sha384(out.read_bytes()).hexdigest()
    inspected = run_cli(["coco", "initdata", "inspect", str(out), "--profile", PROFILE, "--format", "json"])
    assert inspected.exit_code == 0, inspected.stdout + inspected.stderr
    assert inspected.json()["violations"] == [] and inspected.json()["form"] == "toml"
    encoded = run_cli(["coco", "initdata", "build", "--profile", PROFILE, "--pod", pod_file, "--encode"])
    assert encoded.stdout.startswith("H4sI")
    text = run_cli(["coco", "initdata", "digest", str(out)])
    assert text.exit_code == 0 and "pcr8" in text.stdout


def test_build_from_given_files_and_json(tmp_path: Path) -> None:
    (tmp_path / "aa.toml").write_text('[token_configs.kbs]\nurl = "https://kbs.confidential.example:8080"\n')
    (tmp_path / "cdh.toml").write_text('[kbc]\nname = "cc_kbc"\nurl = "https://kbs.confidential.example:8080"\n')
    (tmp_path / "policy.rego").write_text("package agent_policy\n")
    result = run_cli([
        "coco", "initdata", "build", "--profile", PROFILE, "--aa-toml", str(tmp_path / "aa.toml"),
        "--cdh-toml", str(tmp_path / "cdh.toml"), "--policy", str(tmp_path / "policy.rego"), "--format", "json",
    ])  # fmt: skip
    data = result.json()
    assert result.exit_code == 0 and data["annotation"].startswith("H4sI")
    assert data["digest"] == hashlib.sha384(data["toml"].encode()).hexdigest()
    assert 'url = "https://kbs.confidential.example:8080"' in data["toml"] and "package agent_policy" in data["toml"]


def test_inspect_exits_1_on_a_deny_and_2_on_garbage(tmp_path: Path) -> None:
    result = run_cli(["coco", "initdata", "inspect", CAA, "--profile", PROFILE, "--format", "json"])
    assert result.exit_code == 1  # the peer-pods sample attests to plain-http KBS URLs outside the allow-list
    rules = {v["rule"] for v in result.json()["violations"]}
    assert rules == {"D4"}
    bad = tmp_path / "bad.b64"
    bad.write_text("H4sInotbase64")
    result = run_cli(["coco", "initdata", "inspect", str(bad)])
    assert result.exit_code == 2 and "padded standard base64" in result.stderr and "Traceback" not in result.stderr


def test_seal_keygen_vault_inspect_never_prints_key_material(tmp_path: Path) -> None:
    keys = run_cli(
        ["coco", "seal", "keygen", "--kid", "kbs:///default/keys/k1", "--output-dir", str(tmp_path), "--format", "json"]
    )
    assert keys.exit_code == 0
    private = json.loads(Path(keys.json()["private_key"]).read_text())
    assert (Path(keys.json()["private_key"]).stat().st_mode & 0o777) == 0o600
    sealed = run_cli(
        ["coco", "seal", "vault", "--resource-uri", "kbs:///finance/db/password", "--key", keys.json()["private_key"]]
    )
    assert sealed.exit_code == 0 and sealed.stdout.startswith("sealed.")
    assert private["d"] not in sealed.stdout
    shown = run_cli(
        ["coco", "inspect", sealed.stdout.strip(), "--public-key", keys.json()["public_key"], "--format", "json"]
    )
    assert shown.exit_code == 0 and shown.json()["verified"] is True
    assert shown.json()["payload"]["name"] == "kbs:///finance/db/password"
    assert private["d"] not in shown.stdout
    other = tmp_path / "other"
    run_cli(["coco", "seal", "keygen", "--kid", "k2", "--output-dir", str(other)])
    forged = run_cli(["coco", "inspect", sealed.stdout.strip(), "--public-key", str(other / "k2-public.json")])
    assert forged.exit_code == 2 and "does not verify" in forged.stderr


def test_envelope_from_encrypted_parts(tmp_path: Path) -> None:
    run_cli(["coco", "seal", "keygen", "--kid", "k1", "--output-dir", str(tmp_path)])
    for name, content in (("key", b"\x01" * 32), ("data", b"\x02" * 48), ("iv", b"\x03" * 12)):
        (tmp_path / name).write_bytes(content)
    result = run_cli([
        "coco", "seal", "envelope", "--provider", "ehsm", "--key-id", "kms-1",
        "--encrypted-key-file", str(tmp_path / "key"), "--encrypted-data-file", str(tmp_path / "data"),
        "--iv-file", str(tmp_path / "iv"), "--key", str(tmp_path / "k1-private.json"), "--format", "json",
    ])  # fmt: skip
    assert result.exit_code == 0 and result.json()["payload"]["encrypted_data"].startswith("<redacted")


def test_policy_generate_and_check(tmp_path: Path, pod_file: str) -> None:
    out = tmp_path / "policy.rego"
    assert run_cli(["coco", "policy", "generate", pod_file, "-o", str(out)]).exit_code == 0
    assert "registry.example/web:1" in out.read_text()
    ok = run_cli(["coco", "policy", "check", str(out), "--format", "json"])
    assert ok.exit_code == 0 and ok.json()["violations"] == [] and ok.json()["engine"].startswith("regorus")
    permissive = tmp_path / "allow.rego"
    permissive.write_text("package agent_policy\ndefault ExecProcessRequest := true\n")
    assert run_cli(["coco", "policy", "check", str(permissive)]).exit_code == 1
    # reads the policy inside initdata: the peer-pods sample denies exec, logs and container creation by default
    assert run_cli(["coco", "policy", "check", CAA]).exit_code == 0


def test_kbs_policy(tmp_path: Path, pod_file: str) -> None:
    init = tmp_path / "initdata.toml"
    run_cli(["coco", "initdata", "build", "--profile", PROFILE, "--pod", pod_file, "-o", str(init)])
    result = run_cli([
        "coco", "kbs-policy", str(init), "--resource", "kbs:///finance/web/token", "--pin-images",
        "--profile", PROFILE, "--format", "json",
    ])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "finance/web/token" in result.json()["policy"] and "registry.example/web:1" in result.json()["policy"]
    assert result.json()["reference_values"]["tee"] == "snp"


def test_validate_manifests(tmp_path: Path, pod_file: str) -> None:
    result = run_cli(["coco", "validate", pod_file, "--confidential-namespace", "--format", "json"])
    assert result.exit_code == 1 and result.json()[0]["allowed"] is False
    assert run_cli(["coco", "validate", pod_file]).exit_code == 0  # not confidential without the flag


def test_export_writes_one_file_per_target(tmp_path: Path) -> None:
    result = run_cli(["coco", "export", "--profile", PROFILE, "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "coco-kubernetes.yaml",
        "coco-kyverno-cel.yaml",
        "coco-kyverno.yaml",
    ]
    assert "D5" in result.stderr and "Rego engine" in result.stderr
    docs = list(yaml.safe_load_all((tmp_path / "coco-kyverno.yaml").read_text()))
    assert docs[0]["kind"] == "ClusterPolicy"
    data = run_cli(["coco", "export", "--target", "kubernetes", "--profile", PROFILE, "--format", "json"]).json()
    assert data[0]["coverage"]["D4"]["level"] == "none"


def test_webhook_certs_and_manifests(tmp_path: Path) -> None:
    assert run_cli(["coco", "webhook", "certs", "--output-dir", str(tmp_path)]).exit_code == 0
    image = "registry.example/platform/ferry:0.1.0"
    result = run_cli(
        ["coco", "webhook", "manifests", "--ca-file", str(tmp_path / "ca.crt"), "--profile", PROFILE, "--image", image]
    )
    assert result.exit_code == 0
    kinds = [d["kind"] for d in yaml.safe_load_all(result.stdout)]
    assert "MutatingWebhookConfiguration" in kinds
    bad = run_cli(["coco", "webhook", "manifests", "--ca-file", str(tmp_path / "tls.key"), "--image", image])
    assert bad.exit_code == 2 and "not a PEM certificate" in bad.stderr


def test_building_initdata_needs_a_kbs(tmp_path: Path) -> None:
    result = run_cli(["coco", "initdata", "build"])
    assert result.exit_code == 2 and "names no KBS" in result.stderr and "spec.kbs.url" in result.stderr


def test_bad_profile_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("kind: CocoProfile\nspec: {environment: staging}\n")
    result = run_cli(["coco", "initdata", "build", "--profile", str(bad)])
    assert (
        result.exit_code == 2 and "spec.environment" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    )


def test_mutate_preview(tmp_path: Path) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "confidential"},
        "spec": POD["spec"]["template"]["spec"],
    }
    path = tmp_path / "pod.yaml"
    path.write_text(yaml.safe_dump(pod))
    result = run_cli(["coco", "mutate", str(path), "--confidential-namespace", "--profile", PROFILE])
    assert result.exit_code == 0, result.stderr
    (patched,) = list(yaml.safe_load_all(result.stdout))
    assert patched["spec"]["runtimeClassName"] == "kata-qemu-snp"
    validated = tmp_path / "patched.yaml"
    validated.write_text(result.stdout)
    assert (
        run_cli(["coco", "validate", str(validated), "--confidential-namespace", "--profile", PROFILE]).exit_code == 0
    )
    patch = run_cli(
        ["coco", "mutate", str(path), "--confidential-namespace", "--profile", PROFILE, "--format", "patch"]
    ).json()
    assert patch[0]["injected"] == ["runtimeClassName", "initdata"]


def test_serve_with_an_unreadable_certificate_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "tls.crt").write_text("not a certificate")
    (tmp_path / "tls.key").write_text("not a key")
    result = run_cli(
        [
            "coco",
            "webhook",
            "serve",
            "--port",
            "0",
            "--cert",
            str(tmp_path / "tls.crt"),
            "--key",
            str(tmp_path / "tls.key"),
            "--profile",
            PROFILE,
        ]
    )
    assert result.exit_code == 2 and "cannot load the TLS certificate" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_digest_reads_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    value = Path(CAA).read_text()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(value.encode())))
    result = run_cli(["coco", "initdata", "digest", "-", "--format", "json"])
    assert result.exit_code == 0 and result.json()["digest"].startswith("4bebff28")


def test_text_output_keeps_brackets(tmp_path: Path) -> None:
    result = run_cli(["coco", "export", "--target", "kubernetes", "--profile", PROFILE, "-o", str(tmp_path)])
    assert result.exit_code == 0 and "[kbc]" in result.stderr.replace("\n", " ")
