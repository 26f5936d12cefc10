"""The CoCo profile: defaults, every field read, every wrong field named."""

from __future__ import annotations

import pytest

from ferry.coco import CocoProfile, ProfileError, parse_profile


def test_example_profile(profile) -> None:  # type: ignore[no-untyped-def]
    assert profile.name == "finance" and profile.production and profile.tee == "snp"
    assert profile.kbs_host == "kbs.confidential.example"
    assert parse_profile(profile.to_dict()) == profile


def test_defaults() -> None:
    p = parse_profile({"kind": "CocoProfile"})
    assert p == CocoProfile()
    assert parse_profile({"spec": {"runtimeClass": "kata-qemu-tdx"}}).tee == "tdx"


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"environment": "staging"}, "spec.environment"),
        ({"algorithm": "md5"}, "spec.algorithm"),
        ({"kbs": {"url": "ftp://x"}}, "spec.kbs.url"),
        ({"kbs": {"urll": "https://x"}}, "spec.kbs"),
        ({"runtimeClass": "runc"}, "spec.runtimeClass"),
        ({"peerPods": {"userDataLimit": -1}}, "spec.peerPods.userDataLimit"),
        ({"agentPolicy": {"strictness": "lax"}}, "spec.agentPolicy.strictness"),
        ({"agentPolicy": {"allowExec": "sh"}}, "spec.agentPolicy.allowExec"),
        ({"selection": {"podLabels": ["a"]}}, "spec.selection.podLabels"),
        ({"bogus": 1}, "spec"),
    ],
)
def test_wrong_fields_are_named(spec: dict, field: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ProfileError) as info:
        parse_profile({"kind": "CocoProfile", "spec": spec}, "p.yaml")
    assert f"field {field})" in str(info.value) and "p.yaml" in str(info.value)


def test_wrong_kind() -> None:
    with pytest.raises(ProfileError, match="CocoProfile"):
        parse_profile({"kind": "ConfigMap"})
