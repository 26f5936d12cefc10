"""``ferry gateway cutover plan`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from ferry.testing import run_cli

INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: nginx
  rules: [{host: shop.example.com}, {host: api.example.com}]
"""
TARGETS = ["--old-target", "old-lb.elb.amazonaws.com", "--new-target", "new-lb.elb.amazonaws.com"]


def test_plan_json_from_ingress_files(tmp_path: Path) -> None:
    manifest = tmp_path / "ing.yaml"
    manifest.write_text(INGRESS)
    result = run_cli(["gateway", "cutover", "plan", "--ingress", str(manifest), *TARGETS, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["hostnames"] == ["api.example.com", "shop.example.com"]
    assert [p["key"] for p in data["phases"]][:3] == ["lower-ttl", "create-weighted", "shift-1"]
    shift = next(p for p in data["phases"] if p["key"] == "shift-1")
    assert shift["weights"] == {"old": 242, "new": 13}
    assert shift["change_batch"]["Changes"][0]["Action"] == "UPSERT"
    assert "HTTPRoute shop/web-shop-example-com" in shift["annotations"]


def test_plan_text_and_markdown() -> None:
    text = run_cli(["gateway", "cutover", "plan", "--host", "shop.example.com", *TARGETS, "--profile", "cautious"])
    assert text.exit_code == 0, text.stderr
    assert "cutover plan" in text.stdout and "254/1" in text.stdout and "warning" in text.stdout
    md = run_cli(["gateway", "cutover", "plan", "--host", "shop.example.com", *TARGETS, "--format", "markdown"])
    assert md.exit_code == 0 and md.stdout.startswith("# Weighted-DNS cutover plan")
    assert "$ZONE_ID" in md.stdout


def test_plan_writes_artifacts(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    svg = tmp_path / "t.svg"
    result = run_cli(
        [
            "gateway",
            "cutover",
            "plan",
            "--host",
            "shop.example.com",
            *TARGETS,
            "--steps",
            "3",
            "--out",
            str(out),
            "--svg",
            str(svg),
            "--zone-id",
            "Z9",
        ]
    )
    assert result.exit_code == 0, result.stderr
    assert (out / "plan.md").read_text().count("--hosted-zone-id Z9") >= 5
    assert json.loads((out / "plan.json").read_text())["zone_id"] == "Z9"
    batches = sorted(p.name for p in (out / "batches").iterdir())
    assert batches[0] == "01-lower-ttl.json" and "05-shift-3.json" in batches
    assert json.loads((out / "rollback" / "03-shift-1.json").read_text())["Changes"]
    assert svg.read_text().startswith("<svg")


def test_unsafe_plan_is_refused_with_exit_2() -> None:
    result = run_cli(
        [
            "gateway",
            "cutover",
            "plan",
            "--host",
            "shop.example.com",
            *TARGETS,
            "--weights",
            "256:0,0:0",
            "--old-set-id",
            "x",
            "--new-set-id",
            "x",
            "--new-ttl",
            "300",
        ]
    )
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "unsafe cutover plan refused" in result.stderr
    for reason in ("outside 0-255", "every weight is 0", "both sides use the set-identifier 'x'", "differing TTLs"):
        assert reason in result.stderr


def test_steps_and_weights_together_are_refused() -> None:
    result = run_cli(
        ["gateway", "cutover", "plan", "--host", "a.example.com", *TARGETS, "--steps", "2", "--weights", "0:255"]
    )
    assert result.exit_code == 2 and "either --steps or --weights" in result.stderr


def test_bad_manifest_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: [\n")
    result = run_cli(["gateway", "cutover", "plan", "--ingress", str(bad), *TARGETS])
    assert result.exit_code == 2 and "bad.yaml" in result.stderr and "Traceback" not in result.stderr
