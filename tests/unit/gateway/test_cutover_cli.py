"""``ferry gateway cutover plan`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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


def _fake_result(plan_lost: int) -> dict[str, object]:
    def strategy(name: str, lost: int) -> dict[str, object]:
        return {"name": name, "sent": 100, "succeeded": 100 - lost, "failed": lost, "reset": 0, "lost": lost,
                "steps": [], "notes": [], "retried": 0}  # fmt: skip

    return {"strategies": [strategy("naive", 40), strategy("plan", plan_lost)], "time_compression": 120.0,
            "sides": "test", "ttl_s": 60, "current_ttl_s": 300}  # fmt: skip


@pytest.mark.parametrize(("plan_lost", "code"), [(0, 0), (3, 1)])
def test_rehearse_exits_1_when_the_plan_loses_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plan_lost: int, code: int
) -> None:
    # The rehearsal itself runs in the integration tests; here only the verdict's exit code is under test.
    import ferry.gateway._cutover._rehearsal as rehearsal

    monkeypatch.setattr(rehearsal, "rehearse", lambda config, sides=None, progress=None: _fake_result(plan_lost))
    manifest = tmp_path / "ing.yaml"
    manifest.write_text(INGRESS)
    result = run_cli(["gateway", "cutover", "rehearse", "--ingress", str(manifest), "--sides", "python-echo",
                      "--format", "json"])  # fmt: skip
    assert result.exit_code == code
    assert result.json()["strategies"][1]["lost"] == plan_lost
    if code:
        assert "ferry's plan lost 3 of 100" in result.stderr


def test_rehearse_rejects_bad_numbers(tmp_path: Path) -> None:
    manifest = tmp_path / "ing.yaml"
    manifest.write_text(INGRESS)
    result = run_cli(["gateway", "cutover", "rehearse", "--ingress", str(manifest), "--time-compression", "0.5"])
    assert result.exit_code == 2 and "--time-compression" in result.stderr
