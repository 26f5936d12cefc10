"""The pure AdmissionReview handler: well-formed answers, 400 for malformed input, never a crash (fuzzed)."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import jsonpatch
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferry.coco import CocoProfile, handle_admission
from ferry.coco._admission import MAX_REVIEW_BYTES

KEY = "io.katacontainers.config.hypervisor.cc_init_data"
PROFILE = CocoProfile(kbs_url="https://kbs.coco-system.svc:8080")


def answer(body: bytes, path: str = "validate", ns: bool = True) -> tuple[int, dict[str, Any]]:
    out = handle_admission(path, body, PROFILE, namespace_demands_coco=ns)
    return out.status, json.loads(out.body)


def test_mutate_answers_with_a_base64_json_patch_and_audit_digest(review, bare_pod) -> None:  # type: ignore[no-untyped-def]
    status, body = answer(review(bare_pod), "mutate")
    r = body["response"]
    assert status == 200 and body["kind"] == "AdmissionReview" and body["apiVersion"] == "admission.k8s.io/v1"
    assert r["uid"] == "7c1b2e8e-0000-4000-8000-000000000001" and r["allowed"] is True
    assert r["patchType"] == "JSONPatch"
    patched = jsonpatch.apply_patch(bare_pod, json.loads(base64.b64decode(r["patch"])))
    assert set(r["auditAnnotations"]) == {"initdata-sha384"}
    assert patched["metadata"]["annotations"]["coco.ferry.dev/initdata-digest"].endswith(
        r["auditAnnotations"]["initdata-sha384"]
    )


def test_validate_denies_with_403_and_a_clear_message(review, bare_pod) -> None:  # type: ignore[no-untyped-def]
    _, body = answer(review(bare_pod))
    r = body["response"]
    assert r["allowed"] is False and r["status"]["code"] == 403
    assert "D1" in r["status"]["message"] and "D2" in r["status"]["message"]


def test_validate_warns_and_audits_for_a_dev_class(review, good_pod) -> None:  # type: ignore[no-untyped-def]
    good_pod["spec"]["runtimeClassName"] = "kata-qemu-coco-dev"
    out = handle_admission(
        "validate", review(good_pod), PROFILE.with_environment("development"), namespace_demands_coco=True
    )
    r = json.loads(out.body)["response"]
    assert r["allowed"] is True and any(w.startswith("D1:") for w in r["warnings"])
    assert all(len(w) <= 120 for w in r["warnings"])
    assert "initdata-sha384" in r["auditAnnotations"]


def test_dry_run_is_answered_the_same_and_flagged(review, bare_pod) -> None:  # type: ignore[no-untyped-def]
    wet = handle_admission("mutate", review(bare_pod), PROFILE, namespace_demands_coco=True)
    dry = handle_admission("mutate", review(bare_pod, dry_run=True), PROFILE, namespace_demands_coco=True)
    assert json.loads(dry.body) == json.loads(wet.body)
    assert dry.dry_run and not wet.dry_run


def test_update_adding_ephemeral_containers_is_denied(review, good_pod, clone) -> None:  # type: ignore[no-untyped-def]
    new = clone(good_pod)
    new["spec"]["ephemeralContainers"] = [{"name": "dbg", "image": "busybox"}]
    body = review(new, operation="UPDATE", old=good_pod, sub_resource="ephemeralcontainers")
    _, r = answer(body)
    assert r["response"]["allowed"] is False and "D9" in r["response"]["status"]["message"]


def test_non_pod_objects_and_other_operations_are_allowed_untouched(review) -> None:  # type: ignore[no-untyped-def]
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
    for body in (review(cm, kind="ConfigMap", resource="configmaps"), review({"kind": "Pod"}, operation="DELETE")):
        status, r = answer(body, "mutate")
        assert status == 200 and r["response"] == {"uid": "7c1b2e8e-0000-4000-8000-000000000001", "allowed": True}


def _review_dict(**request: Any) -> bytes:
    return json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}).encode()


def test_malformed_requests_get_400_with_a_reason() -> None:
    cases = {
        b"{not json": "not JSON",
        b"\xff\xfe": "not JSON",
        b"[]": "not a JSON object",
        b'{"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {"uid": "u"}}': "expected",
        b'{"apiVersion": "admission.k8s.io/v1", "kind": "Pod"}': "expected",
        b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}': "no request",
        _review_dict(kind={"kind": "Pod"}): "no uid",
        _review_dict(uid="", kind={"kind": "Pod"}): "no uid",
        _review_dict(uid="u", kind={"kind": "Pod"}, operation="CREATE", object="x"): "without an object",
        _review_dict(uid="u", kind={"kind": "Pod"}, operation="UPDATE", object={}): "oldObject",
        b"[" * 100_000 + b"]" * 100_000: "not JSON",
    }
    for body, reason in cases.items():
        status, r = answer(body)
        assert status == 400 and reason in r["error"], (body[:60], r)


def test_oversized_bodies_get_413_without_parsing() -> None:
    status, body = answer(b" " * (MAX_REVIEW_BYTES + 1))
    assert status == 413 and "over" in body["error"]


def test_gzip_bomb_in_the_annotation_is_a_clean_deny(review, good_pod) -> None:  # type: ignore[no-untyped-def]
    good_pod["metadata"]["annotations"][KEY] = base64.b64encode(gzip.compress(b"\0" * (32 << 20), mtime=0)).decode()
    _, r = answer(review(good_pod))
    assert r["response"]["allowed"] is False and "gzip bomb" in r["response"]["status"]["message"]


def test_huge_annotations_are_denied_by_d8(review, good_pod) -> None:  # type: ignore[no-untyped-def]
    good_pod["metadata"]["annotations"]["big"] = "x" * (300 * 1024)
    _, r = answer(review(good_pod))
    assert r["response"]["allowed"] is False and "D8" in r["response"]["status"]["message"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
pod_like = st.fixed_dictionaries(
    {},
    optional={
        "metadata": st.fixed_dictionaries(
            {},
            optional={
                "labels": st.dictionaries(st.sampled_from(["coco.ferry.dev/confidential", "app"]), json_values),
                "annotations": st.dictionaries(
                    st.sampled_from(
                        [
                            KEY,
                            "io.katacontainers.config.runtime.cc_init_data",
                            "coco.ferry.dev/sealed-secrets",
                            "io.katacontainers.config.hypervisor.kernel_params",
                            "coco.ferry.dev/initdata-digest",
                        ]
                    ),
                    json_values | st.sampled_from(["H4sIAAAAAAAAAwMAAAAAAAAAAAA=", "sealed.a.b.c", "db,x"]),
                ),
            },
        )
        | json_values,
        "spec": st.fixed_dictionaries(
            {},
            optional={
                "runtimeClassName": st.sampled_from(["kata-qemu-snp", "kata-qemu-coco-dev", ""]) | json_values,
                "containers": st.lists(
                    st.fixed_dictionaries(
                        {"name": st.text(max_size=5)},
                        optional={
                            "image": json_values,
                            "env": json_values,
                            "volumeMounts": json_values,
                            "command": json_values,
                        },
                    )
                    | json_values,
                    max_size=3,
                )
                | json_values,
                "volumes": json_values,
                "ephemeralContainers": json_values,
            },
        )
        | json_values,
    },
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    obj=pod_like,
    old=st.none() | pod_like,
    operation=st.sampled_from(["CREATE", "UPDATE", "DELETE", 7]),
    path=st.sampled_from(["mutate", "validate"]),
    uid=st.sampled_from(["u", "", None, 3]),
    ns=st.booleans(),
)
def test_fuzz_structured_reviews_always_get_a_well_formed_answer(obj, old, operation, path, uid, ns) -> None:  # type: ignore[no-untyped-def]
    body = _review_dict(
        uid=uid, kind={"group": "", "version": "v1", "kind": "Pod"}, operation=operation, object=obj, oldObject=old
    )
    out = handle_admission(path, body, PROFILE, namespace_demands_coco=ns)
    assert out.status in (200, 400)
    answer_body = json.loads(out.body)
    if out.status == 200:
        assert answer_body["response"]["uid"] == uid
        assert out.decision != "error", answer_body
        if "patch" in answer_body["response"]:
            jsonpatch.apply_patch(obj, json.loads(base64.b64decode(answer_body["response"]["patch"])))


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_fuzz_raw_bytes_never_crash(body: bytes) -> None:
    out = handle_admission("validate", body, PROFILE)
    assert out.status in (200, 400)
    json.loads(out.body)


def _with(value: object, where: str) -> dict[str, Any]:
    """A pod wired for sealed secrets whose ``where`` (a list in a valid pod) holds ``value`` instead."""
    container: dict[str, Any] = {"name": "app", "image": "registry.example/app@sha256:" + "a" * 64}
    spec: dict[str, Any] = {"runtimeClassName": "kata-qemu-snp", "containers": [container]}
    if where in ("env", "volumeMounts"):
        container[where] = value
    elif where == "sources":
        spec["volumes"] = [{"name": "p", "projected": {"sources": value}}]
    else:
        spec[where] = value
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "annotations": {"coco.ferry.dev/sealed-secrets": "db"}},
        "spec": spec,
    }


@pytest.mark.parametrize("value", [True, 7, "x", {"a": 1}])
@pytest.mark.parametrize("where", ["volumes", "ephemeralContainers", "env", "volumeMounts", "sources"])
@pytest.mark.parametrize("path", ["mutate", "validate"])
def test_a_scalar_where_a_list_belongs_gets_an_answer_not_a_crash(path: str, where: str, value: object) -> None:
    # found by the fuzz test above: {"spec": {"volumes": true}} raised TypeError inside the webhook
    body = _review_dict(
        uid="u", kind={"group": "", "version": "v1", "kind": "Pod"}, operation="CREATE", object=_with(value, where)
    )
    out = handle_admission(path, body, PROFILE, namespace_demands_coco=True)
    assert out.status == 200
    answer_body = json.loads(out.body)
    assert out.decision != "error", answer_body
    assert answer_body["response"]["uid"] == "u"
