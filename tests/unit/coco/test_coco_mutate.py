"""/mutate: only where absent, never overwriting, idempotent, and the patched pod is a valid Pod."""

from __future__ import annotations

import copy

import jsonpatch
import kubernetes_validate

from ferry.coco import PodContext, decode_annotation, evaluate_pod, mutate_pod, parse_initdata

KEY = "io.katacontainers.config.hypervisor.cc_init_data"
NS = PodContext(namespace="confidential", namespace_demands_coco=True)


def apply(pod, patch):  # type: ignore[no-untyped-def]
    return jsonpatch.apply_patch(pod, patch)


def test_injects_runtime_class_and_initdata_into_a_bare_confidential_pod(bare_pod, profile) -> None:  # type: ignore[no-untyped-def]
    m = mutate_pod(bare_pod, profile, NS)
    assert m.injected == ("runtimeClassName", "initdata")
    pod = apply(bare_pod, m.patch)
    kubernetes_validate.validate(pod, "1.35.0", strict=True)
    assert pod["spec"]["runtimeClassName"] == "kata-qemu-snp"
    doc = parse_initdata(decode_annotation(pod["metadata"]["annotations"][KEY]))
    assert m.digest == doc.digest.hex()
    assert pod["metadata"]["annotations"]["coco.ferry.dev/initdata-digest"] == f"sha384:{m.digest}"
    assert "registry.example/app@sha256:" in doc.data["policy.rego"]
    assert not evaluate_pod(pod, profile, NS).violations  # what /mutate produces, /validate admits


def test_patch_is_idempotent(bare_pod, profile) -> None:  # type: ignore[no-untyped-def]
    once = apply(bare_pod, mutate_pod(bare_pod, profile, NS).patch)
    assert mutate_pod(once, profile, NS).patch == []


def test_never_overwrites_user_initdata_or_runtime_class(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    good_pod["spec"]["runtimeClassName"] = "kata-qemu-tdx"
    good_pod["spec"]["containers"].append({"name": "sidecar", "image": "registry.example/sidecar:1"})
    assert mutate_pod(good_pod, profile, NS).patch == []


def test_regenerates_its_own_initdata_when_another_webhook_changed_the_pod(bare_pod, profile) -> None:  # type: ignore[no-untyped-def]
    pod = apply(bare_pod, mutate_pod(bare_pod, profile, NS).patch)
    pod["spec"]["containers"].append({"name": "mesh", "image": "registry.example/mesh:1"})
    m = mutate_pod(pod, profile, NS)
    assert [op["op"] for op in m.patch] == ["replace", "replace"]
    again = apply(pod, m.patch)
    assert (
        "registry.example/mesh:1"
        in parse_initdata(decode_annotation(again["metadata"]["annotations"][KEY])).data["policy.rego"]
    )
    assert mutate_pod(again, profile, NS).patch == []


def test_keeps_legacy_key_pods_for_validation_to_reject(bare_pod, profile) -> None:  # type: ignore[no-untyped-def]
    bare_pod["metadata"]["annotations"] = {"io.katacontainers.config.runtime.cc_init_data": "H4sIAAAA"}
    m = mutate_pod(bare_pod, profile, NS)
    assert m.injected == ("runtimeClassName",)


def test_sealed_secret_wiring_adds_volumes_and_mounts_once(bare_pod, profile) -> None:  # type: ignore[no-untyped-def]
    bare_pod["metadata"]["annotations"] = {"coco.ferry.dev/sealed-secrets": "db, api-token"}
    bare_pod["spec"]["initContainers"] = [{"name": "init", "image": "registry.example/init:1"}]
    m = mutate_pod(bare_pod, profile, NS)
    assert "sealedSecrets" in m.injected
    pod = apply(bare_pod, m.patch)
    kubernetes_validate.validate(pod, "1.35.0", strict=True)
    assert [v["secret"]["secretName"] for v in pod["spec"]["volumes"]] == ["db", "api-token"]
    for c in pod["spec"]["containers"] + pod["spec"]["initContainers"]:
        assert {m["mountPath"] for m in c["volumeMounts"]} == {"/sealed/db", "/sealed/api-token"}
    assert mutate_pod(pod, profile, NS).patch == []
    policy = parse_initdata(decode_annotation(pod["metadata"]["annotations"][KEY])).data["policy.rego"]
    assert "/sealed/db" in policy  # the agent policy allows the mounts the wiring added


def test_sealed_wiring_reuses_an_existing_volume_and_appends(bare_pod, profile) -> None:  # type: ignore[no-untyped-def]
    bare_pod["metadata"]["annotations"] = {"coco.ferry.dev/sealed-secrets": "db"}
    bare_pod["spec"]["volumes"] = [{"name": "mine", "secret": {"secretName": "db"}}]
    bare_pod["spec"]["containers"][0]["volumeMounts"] = [{"name": "cache", "mountPath": "/cache"}]
    bare_pod["spec"]["volumes"].append({"name": "cache", "emptyDir": {}})
    pod = apply(bare_pod, mutate_pod(bare_pod, profile, NS).patch)
    assert len(pod["spec"]["volumes"]) == 2
    assert pod["spec"]["containers"][0]["volumeMounts"][-1] == {
        "name": "mine",
        "mountPath": "/sealed/db",
        "readOnly": True,
    }


def test_no_mutation_on_update_or_outside_scope(bare_pod, good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    assert mutate_pod(bare_pod, profile, PodContext(namespace="shop")).patch == []
    old = copy.deepcopy(bare_pod)
    assert (
        mutate_pod(bare_pod, profile, PodContext(operation="UPDATE", old_pod=old, namespace_demands_coco=True)).patch
        == []
    )


def test_runtime_class_only_pods_get_initdata_but_keep_their_class(bare_pod, profile) -> None:  # type: ignore[no-untyped-def]
    bare_pod["spec"]["runtimeClassName"] = "kata-qemu-tdx"
    m = mutate_pod(bare_pod, profile, PodContext(namespace="shop"))
    assert m.injected == ("initdata",)


def test_pod_without_metadata_annotations_gets_a_whole_map(profile) -> None:  # type: ignore[no-untyped-def]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"generateName": "x-"},
        "spec": {"containers": [{"name": "a", "image": "b"}]},
    }
    patched = apply(pod, mutate_pod(pod, profile, NS).patch)
    assert KEY in patched["metadata"]["annotations"]


def test_apply_patch_matches_jsonpatch(bare_pod, profile) -> None:  # type: ignore[no-untyped-def]
    from ferry.coco import apply_patch

    bare_pod["metadata"]["annotations"] = {"coco.ferry.dev/sealed-secrets": "db"}
    bare_pod["spec"]["volumes"] = [{"name": "cache", "emptyDir": {}}]
    m = mutate_pod(bare_pod, profile, NS)
    assert apply_patch(bare_pod, m.patch) == apply(bare_pod, m.patch)
    assert "volumes" in bare_pod["spec"] and len(bare_pod["spec"]["volumes"]) == 1  # the input is not changed
