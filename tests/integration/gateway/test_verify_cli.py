"""``ferry gateway verify`` end to end: real nginx and real Envoy, expected vs unexpected differences, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ferry.testing import run_cli

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DATA = Path(__file__).parent / "data"
ING, GW, AUDIT = (
    str(DATA / n) for n in ("equivalent-ingress.yaml", "equivalent-gateway.yaml", "equivalent-audit.json")
)


def test_equivalent_conversion_passes_with_audited_differences_expected() -> None:
    result = run_cli(["gateway", "verify", "--ingress", ING, "--gateway", GW, "--audit", AUDIT, "--format", "json"])
    assert result.exit_code == 0, result.stdout[-2000:] + result.stderr
    report = result.json()
    assert report["ok"] is True
    assert report["differences"]["unexpected"] == 0
    expected = [d for d in report["differences"]["items"] if d["expected"]]
    assert expected, "the trailing-slash ssl-redirect difference must be found and classified"
    slash = [d for d in expected if d["request"]["url"].endswith("/api/")]
    assert slash and "ssl-redirect on Ingress shop/web" in slash[0]["reason"]
    assert all(c["agreement"] == 1.0 for c in report["simulator"])
    assert report["weights"] and all(w["ok"] for w in report["weights"])
    assert {w["proxy"] for w in report["weights"]} == {"nginx", "envoy"}


def test_without_the_audit_the_same_differences_are_unexpected_and_exit_1() -> None:
    result = run_cli(["gateway", "verify", "--ingress", ING, "--gateway", GW, "--format", "json"])
    assert result.exit_code == 1
    report = result.json()
    assert report["ok"] is False and report["differences"]["unexpected"] > 0


def test_a_wrong_conversion_is_caught(tmp_path: Path) -> None:
    wrong = tmp_path / "gw.yaml"
    wrong.write_text(
        Path(GW).read_text().replace("{type: Exact, value: /health}", "{type: PathPrefix, value: /health}")
    )
    result = run_cli(
        ["gateway", "verify", "--ingress", ING, "--gateway", str(wrong), "--audit", AUDIT, "--format", "json"]
    )
    assert result.exit_code == 1
    unexpected = [d for d in result.json()["differences"]["items"] if not d["expected"]]
    assert any("/health/" in d["request"]["url"] and "backend" in d["fields"] for d in unexpected)


def test_user_requests_only_and_text_output(tmp_path: Path) -> None:
    reqs = tmp_path / "r.jsonl"
    lines = [
        {"method": "GET", "url": "https://shop.verify.test/health"},
        {"method": "GET", "url": "https://shop.verify.test/api/x", "headers": {"X-Canary": "always"}},
    ]
    reqs.write_text("\n".join(json.dumps(x) for x in lines))
    result = run_cli(["gateway", "verify", "--ingress", ING, "--gateway", GW, "--requests", str(reqs), "--no-generate"])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "2 requests" in result.stdout and "100.00%" in result.stdout


def test_usage_errors() -> None:
    result = run_cli(["gateway", "verify", "--ingress", ING, "--gateway", GW, "--no-generate"])
    assert result.exit_code == 2 and "--no-generate needs --requests" in result.stderr
    result = run_cli(["gateway", "verify", "--ingress", ING, "--gateway", GW, "--audit", "/nonexistent.json"])
    assert result.exit_code == 2 and "cannot read the audit" in result.stderr


def test_example_estate_converted_and_verified_with_full_simulator_agreement(repo: Path) -> None:
    """The example estate end to end: converted by ferry, replayed through both proxies; the simulator agrees."""
    result = run_cli(["gateway", "verify", "--ingress", str(repo / "examples" / "estate"), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    report = result.json()
    assert report["ok"] is True
    assert report["differences"]["unexpected"] == 0, [
        (d["request"]["url"], d["reason"]) for d in report["differences"]["items"] if not d["expected"]
    ]
    # The default ssl-redirect has no annotation: the trailing-slash difference is explained by the note the
    # converter wrote on the redirect route, and the gRPC host is redirected like nginx does.
    noted = [d for d in report["differences"]["items"] if d["reason"].startswith("noted on the converted route")]
    assert noted and all(d["nginx"]["status"] == 308 for d in noted)
    grpc_http = [d for d in report["differences"]["items"] if d["request"]["url"].startswith("http://grpc.")]
    assert all(d["envoy"]["status"] == 308 for d in grpc_http)
    assert report["requests"] >= 100
    assert [c["agreement"] for c in report["simulator"]] == [1.0, 1.0], report["simulator"]
    assert report["weights"] and all(w["ok"] for w in report["weights"])
    assert report["approximations"], "the conversion's audit feeds the classification"
    assert report["differences"]["expected"] > 0
    # Backends that name their port are resolved through the estate's Services on both sides.
    assert not [d for d in report["differences"]["items"] if str(d["nginx"]["backend"]).endswith(":http")]
