"""D1–D9: every rule has a pod it allows and a pod it denies (or warns about, where that is the rule)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ferry.coco import (
    CocoProfile,
    PodContext,
    encode_annotation,
    evaluate_pod,
    generate_agent_policy,
    generate_signing_key,
    render_aa_toml,
    render_cdh_toml,
    render_initdata,
    seal_vault,
)

KEY = "io.katacontainers.config.hypervisor.cc_init_data"
LEGACY = "io.katacontainers.config.runtime.cc_init_data"
NS = PodContext(namespace="confidential", namespace_demands_coco=True)


def rules(pod: dict[str, Any], profile: CocoProfile, ctx: PodContext = NS) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for v in evaluate_pod(pod, profile, ctx).violations:
        out.setdefault(v.rule, set()).add(v.severity)
    return out


def with_data(pod: dict[str, Any], profile: CocoProfile, **changes: str | None) -> dict[str, Any]:
    data = {
        "aa.toml": render_aa_toml(profile),
        "cdh.toml": render_cdh_toml(profile),
        "policy.rego": generate_agent_policy(pod, profile.agent_policy),
    }
    for k, v in changes.items():
        key = k.replace("_", ".")
        if v is None:
            data.pop(key, None)
        else:
            data[key] = v
    pod = copy.deepcopy(pod)
    pod["metadata"].setdefault("annotations", {})[KEY] = encode_annotation(render_initdata(data))
    return pod


def test_a_correct_pod_is_allowed_without_warnings(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    result = evaluate_pod(good_pod, profile, NS)
    assert result.in_scope and not result.violations
    assert result.digest is not None and len(result.digest) == 96


def test_pods_outside_scope_are_not_judged(bare_pod, profile) -> None:  # type: ignore[no-untyped-def]
    result = evaluate_pod(bare_pod, profile, PodContext(namespace="shop"))
    assert not result.in_scope and not result.violations


# D1 ----------------------------------------------------------------------------------------------------------
def test_d1_denies_a_confidential_pod_without_runtime_class(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    del good_pod["spec"]["runtimeClassName"]
    assert rules(good_pod, profile) == {"D1": {"deny"}}


def test_d1_denies_a_non_coco_class_where_coco_is_demanded(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    good_pod["spec"]["runtimeClassName"] = "kata-qemu"
    assert rules(good_pod, profile)["D1"] == {"deny"}


def test_d1_coco_dev_denied_in_production_warned_in_development(good_pod, profile, dev_profile) -> None:  # type: ignore[no-untyped-def]
    good_pod["spec"]["runtimeClassName"] = "kata-qemu-coco-dev"
    assert rules(good_pod, profile)["D1"] == {"deny"}
    assert rules(good_pod, dev_profile)["D1"] == {"warn"}


def test_d1_pod_labels_demand_coco_in_any_namespace(bare_pod, profile) -> None:  # type: ignore[no-untyped-def]
    bare_pod["metadata"]["labels"]["coco.ferry.dev/confidential"] = "true"
    assert "D1" in rules(bare_pod, profile, PodContext(namespace="shop"))


def test_d1_allows_every_configured_coco_class(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    for cls in ("kata-qemu-snp", "kata-qemu-tdx", "kata-remote"):
        good_pod["spec"]["runtimeClassName"] = cls
        assert "D1" not in rules(good_pod, profile)


# D2 ----------------------------------------------------------------------------------------------------------
def test_d2_denies_missing_initdata(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    del good_pod["metadata"]["annotations"][KEY]
    assert rules(good_pod, profile) == {"D2": {"deny"}}


@pytest.mark.parametrize("value", ["dmVyc2lvbiA9ICIwLjEuMCIK", "H4sI", "not base64!", "H4sIAAAAAAAAA-_"])
def test_d2_denies_values_kata_cannot_read(good_pod, profile, value: str) -> None:  # type: ignore[no-untyped-def]
    good_pod["metadata"]["annotations"][KEY] = value
    assert rules(good_pod, profile)["D2"] == {"deny"}


def test_d2_denies_wrong_version_and_warns_unknown_keys(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    bad = dict(good_pod)
    bad["metadata"] = {"annotations": {KEY: encode_annotation(b'version = "0.2.0"\nalgorithm = "sha384"\n')}}
    assert rules(bad, profile)["D2"] == {"deny"}
    extra = with_data(good_pod, profile, extra_toml="x")
    assert rules(extra, profile) == {"D2": {"warn"}}


# D3 ----------------------------------------------------------------------------------------------------------
def test_d3_denies_the_legacy_key_in_production(good_pod, profile, dev_profile) -> None:  # type: ignore[no-untyped-def]
    good_pod["metadata"]["annotations"][LEGACY] = good_pod["metadata"]["annotations"][KEY]
    assert rules(good_pod, profile) == {"D3": {"deny"}}
    assert rules(good_pod, dev_profile) == {"D3": {"warn"}}


def test_d3_allows_the_current_key(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    assert "D3" not in rules(good_pod, profile)


# D4 ----------------------------------------------------------------------------------------------------------
def test_d4_denies_skipped_sealed_secret_verification(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    cdh = render_cdh_toml(profile).replace("[kbc]", "skip_sealed_secret_verification = true\n\n[kbc]")
    assert rules(with_data(good_pod, profile, cdh_toml=cdh), profile) == {"D4": {"deny"}}


def test_d4_denies_a_kbs_outside_the_allow_list_and_plain_http(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    aa = render_aa_toml(profile).replace("https://kbs.confidential.example:8080", "http://evil.example")
    messages = [v.message for v in evaluate_pod(with_data(good_pod, profile, aa_toml=aa), profile, NS).violations]
    assert any("plain http" in m for m in messages)
    assert any("not in the allowed hosts" in m for m in messages)
    assert any("aa.toml attests to" in m for m in messages)


def test_d4_denies_missing_kbc_and_credentials_outside_the_cdh_dir(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    cdh = 'credentials = [{resource_uri = "kbs:///a/b/c", path = "/etc/passwd"}]\n'
    found = rules(with_data(good_pod, profile, cdh_toml=cdh), profile)
    assert found["D4"] == {"deny"}


def test_d4_warns_when_images_are_not_verified_in_development(good_pod, dev_profile) -> None:  # type: ignore[no-untyped-def]
    cdh = '[kbc]\nname = "cc_kbc"\nurl = "https://kbs.confidential.example:8080"\n'
    assert rules(with_data(good_pod, dev_profile, cdh_toml=cdh), dev_profile) == {"D4": {"warn"}}


# D5 ----------------------------------------------------------------------------------------------------------
def test_d5_denies_a_missing_policy_in_production(good_pod, profile, dev_profile) -> None:  # type: ignore[no-untyped-def]
    pod = with_data(good_pod, profile, policy_rego=None)
    assert rules(pod, profile) == {"D5": {"deny"}}
    assert rules(pod, dev_profile) == {"D5": {"warn"}}


def test_d5_denies_allow_all_and_requests_failing_policy(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    allow_all = "package agent_policy\ndefault AllowRequestsFailingPolicy := true\ndefault ExecProcessRequest := true\n"
    messages = [
        v.message for v in evaluate_pod(with_data(good_pod, profile, policy_rego=allow_all), profile, NS).denies
    ]
    assert any("AllowRequestsFailingPolicy" in m for m in messages)
    assert any("exec an arbitrary shell" in m for m in messages)


def test_d5_denies_a_policy_of_another_package_or_not_rego(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    assert rules(with_data(good_pod, profile, policy_rego="package foo\n"), profile) == {"D5": {"deny"}}
    assert rules(with_data(good_pod, profile, policy_rego="package agent_policy\nx := \n"), profile) == {"D5": {"deny"}}


# D6 ----------------------------------------------------------------------------------------------------------
def test_d6_denies_hypervisor_annotations_coco_does_not_enable(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    good_pod["metadata"]["annotations"]["io.katacontainers.config.hypervisor.default_maxvcpus"] = "8"
    assert rules(good_pod, profile) == {"D6": {"deny"}}


def test_d6_allows_enabled_ones_and_peer_pod_specific_ones(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    good_pod["metadata"]["annotations"]["io.katacontainers.config.hypervisor.default_memory"] = "4096"
    assert "D6" not in rules(good_pod, profile)
    good_pod["spec"]["runtimeClassName"] = "kata-remote"
    good_pod["metadata"]["annotations"]["io.katacontainers.config.hypervisor.machine_type"] = "Standard_DC4as_v5"
    assert "D6" not in rules(good_pod, profile)


def test_d6_denies_the_open_rest_api_without_initdata(good_pod, profile, dev_profile) -> None:  # type: ignore[no-untyped-def]
    del good_pod["metadata"]["annotations"][KEY]
    good_pod["metadata"]["annotations"]["io.katacontainers.config.hypervisor.kernel_params"] = (
        "agent.guest_components_rest_api=all"
    )
    assert rules(good_pod, dev_profile)["D6"] == {"deny"}


# D7 ----------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sealed_value() -> str:
    return seal_vault("kbs:///finance/app/token", generate_signing_key(), "kbs:///default/keys/k1")


def test_d7_allows_sealed_secrets_with_a_data_hub_and_sealed_mounts(good_pod, profile, sealed_value) -> None:  # type: ignore[no-untyped-def]
    c = good_pod["spec"]["containers"][0]
    c["env"] = [{"name": "TOKEN", "value": sealed_value}]
    c["volumeMounts"] = [{"name": "db", "mountPath": "/sealed/db"}]
    good_pod["spec"]["volumes"] = [{"name": "db", "secret": {"secretName": "db"}}]
    pod = with_data(good_pod, profile)
    ctx = PodContext(namespace="confidential", namespace_demands_coco=True, sealed_secrets=frozenset({"db"}))
    assert "D7" not in rules(pod, profile, ctx)


def test_d7_denies_sealed_secrets_without_kbc(good_pod, profile, sealed_value) -> None:  # type: ignore[no-untyped-def]
    good_pod["spec"]["containers"][0]["env"] = [{"name": "TOKEN", "value": sealed_value}]
    pod = with_data(good_pod, profile, cdh_toml='socket = "unix:///x"\n')
    assert rules(pod, profile)["D7"] == {"deny"}


def test_d7_denies_a_malformed_sealed_value_and_warns_mounts_outside_prefix(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    c = good_pod["spec"]["containers"][0]
    c["env"] = [{"name": "TOKEN", "value": "sealed.fakejwsheader.e30.fakesignature"}]
    c["volumeMounts"] = [{"name": "db", "mountPath": "/etc/db"}]
    good_pod["spec"]["volumes"] = [{"name": "db", "secret": {"secretName": "db"}}]
    ctx = PodContext(namespace="confidential", namespace_demands_coco=True, sealed_secrets=frozenset({"db"}))
    assert rules(with_data(good_pod, profile), profile, ctx)["D7"] == {"deny", "warn"}


# D8 ----------------------------------------------------------------------------------------------------------
def test_d8_denies_annotations_over_256_kib(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    good_pod["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = "x" * (256 * 1024)
    assert rules(good_pod, profile) == {"D8": {"deny"}}


def test_d8_warns_peer_pods_initdata_over_user_data_limit(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    good_pod["spec"]["runtimeClassName"] = "kata-remote"
    assert "D8" not in rules(good_pod, profile)
    small = replace(profile, peer_pods_user_data_limit=100)
    assert rules(good_pod, small) == {"D8": {"warn"}}


# D9 ----------------------------------------------------------------------------------------------------------
def test_d9_allows_an_update_that_keeps_initdata(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    new = copy.deepcopy(good_pod)
    new["metadata"]["labels"]["version"] = "2"
    assert not evaluate_pod(new, profile, PodContext(operation="UPDATE", old_pod=good_pod)).violations


def test_d9_denies_changing_initdata_on_update(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    new = with_data(good_pod, profile, aa_toml="[token_configs]\n")
    assert rules(new, profile, PodContext(operation="UPDATE", old_pod=good_pod)) == {"D9": {"deny"}}


def test_d9_denies_adding_ephemeral_containers(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    new = copy.deepcopy(good_pod)
    new["spec"]["ephemeralContainers"] = [{"name": "debugger", "image": "busybox"}]
    ctx = PodContext(operation="UPDATE", old_pod=good_pod, sub_resource="ephemeralcontainers")
    assert rules(new, profile, ctx) == {"D9": {"deny"}}


def test_d9_ignores_updates_of_non_confidential_pods(bare_pod, profile) -> None:  # type: ignore[no-untyped-def]
    new = copy.deepcopy(bare_pod)
    new["spec"]["ephemeralContainers"] = [{"name": "debugger", "image": "busybox"}]
    assert not evaluate_pod(new, profile, PodContext(operation="UPDATE", old_pod=bare_pod)).violations
