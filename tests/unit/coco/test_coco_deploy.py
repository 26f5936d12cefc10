"""`ferry coco webhook manifests`: valid Kubernetes objects wired the way the API server needs them."""

from __future__ import annotations

import base64

import kubernetes_validate
import pytest

from ferry.coco import WebhookDeployment, issue_webhook_certificates, render_webhook_manifests

IMAGE = "registry.example/platform/ferry:0.1.0"
DEPLOY = WebhookDeployment(image=IMAGE)


@pytest.fixture(scope="module")
def certs():  # type: ignore[no-untyped-def]
    return issue_webhook_certificates("ferry-coco-webhook", "coco-system")


def test_every_object_validates_strictly(profile, certs) -> None:  # type: ignore[no-untyped-def]
    objects = render_webhook_manifests(profile, certs.ca_pem, DEPLOY)
    assert [o["kind"] for o in objects] == [
        "ConfigMap",
        "Deployment",
        "Service",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
    ]
    for obj in objects:
        kubernetes_validate.validate(obj, "1.37.0", strict=True)


def test_webhooks_are_scoped_idempotent_and_side_effect_free(profile, certs) -> None:  # type: ignore[no-untyped-def]
    d = WebhookDeployment(image=IMAGE, timeout_seconds=3, failure_policy="Ignore")
    _, _, _, mutating, validating = render_webhook_manifests(profile, certs.ca_pem, d)
    assert [w["clientConfig"]["service"]["path"] for w in mutating["webhooks"]] == ["/mutate/namespace", "/mutate"]
    assert [w["clientConfig"]["service"]["path"] for w in validating["webhooks"]] == [
        "/validate/namespace",
        "/validate",
    ]
    for hook in mutating["webhooks"] + validating["webhooks"]:
        assert base64.b64decode(hook["clientConfig"]["caBundle"]) == certs.ca_pem
        assert hook["sideEffects"] == "None" and hook["timeoutSeconds"] == 3 and hook["failurePolicy"] == "Ignore"
        assert hook["admissionReviewVersions"] == ["v1"]
        excluded = hook["namespaceSelector"]["matchExpressions"][0]
        assert excluded["operator"] == "NotIn" and {"kube-system", "coco-system"} <= set(excluded["values"])
    assert all(w["reinvocationPolicy"] == "IfNeeded" for w in mutating["webhooks"])
    assert "pods/ephemeralcontainers" in validating["webhooks"][1]["rules"][0]["resources"]
    assert "UPDATE" in validating["webhooks"][1]["rules"][0]["operations"]
    assert mutating["webhooks"][0]["namespaceSelector"]["matchExpressions"][1] == {
        "key": "coco.ferry.dev/confidential",
        "operator": "In",
        "values": ["true"],
    }
    condition = mutating["webhooks"][1]["matchConditions"][0]["expression"]
    assert "kata-qemu-snp" in condition and "coco.ferry.dev/confidential" in condition


def test_the_profile_travels_in_a_configmap_the_deployment_mounts(profile, certs) -> None:  # type: ignore[no-untyped-def]
    import yaml

    from ferry.coco import parse_profile

    config, deployment, *_ = render_webhook_manifests(profile, certs.ca_pem, DEPLOY)
    assert parse_profile(yaml.safe_load(config["data"]["profile.yaml"])) == profile
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--profile=/profile/profile.yaml" in args and "--cert=/tls/tls.crt" in args
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE


def test_serving_certificate_names_the_service(certs) -> None:  # type: ignore[no-untyped-def]
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(certs.cert_pem)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert "ferry-coco-webhook.coco-system.svc" in names


def test_match_conditions_select_confidential_pods_only(profile, certs) -> None:  # type: ignore[no-untyped-def]
    import celpy
    from celpy import celtypes

    _, _, _, mutating, validating = render_webhook_manifests(profile, certs.ca_pem, DEPLOY)

    def matches(expression: str, obj: dict, operation: str = "CREATE", old: dict | None = None) -> bool:  # type: ignore[type-arg]
        expression = expression.replace("oldObject != null", "true" if old is not None else "false")
        env = celpy.Environment()
        value = env.program(env.compile(expression)).evaluate(
            {
                "object": celpy.json_to_cel(obj),
                "oldObject": celpy.json_to_cel(old),
                "request": celpy.json_to_cel({"operation": operation}),
            }
        )
        return isinstance(value, celtypes.BoolType) and bool(value)

    labelled = {"metadata": {"labels": {"coco.ferry.dev/confidential": "true"}}, "spec": {}}
    by_class = {"metadata": {}, "spec": {"runtimeClassName": "kata-qemu-tdx"}}
    plain = {"metadata": {"labels": {"app": "web"}}, "spec": {"runtimeClassName": "runc"}}
    mutate_condition = mutating["webhooks"][1]["matchConditions"][0]["expression"]
    validate_condition = validating["webhooks"][1]["matchConditions"][0]["expression"]
    assert matches(mutate_condition, labelled) and matches(mutate_condition, by_class)
    assert not matches(mutate_condition, plain)
    assert matches(validate_condition, plain, "UPDATE", old=by_class)  # an UPDATE that drops the class is still seen
    assert not matches(validate_condition, plain, "UPDATE", old=plain)
