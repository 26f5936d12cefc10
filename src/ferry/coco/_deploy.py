"""``ferry coco webhook manifests``: the Deployment, Service and webhook configurations to run the webhook (pure).

Two webhooks per configuration, so the server knows *why* a pod is confidential without reading Namespaces:
``ns.coco.ferry.dev`` matches namespaces carrying the profile's labels (path ``/mutate/namespace``), and
``pod.coco.ferry.dev`` matches pods elsewhere whose labels or runtime class make them confidential (path
``/mutate``), narrowed by a CEL matchCondition so other pods never leave the API server. kube-system and the
webhook's own namespace are always excluded.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from ferry._kernel import dump_yaml
from ferry.coco._profile import CocoProfile

__all__ = ["WebhookDeployment", "render_webhook_manifests"]


@dataclass(frozen=True)
class WebhookDeployment:
    """Where and how the webhook runs. ``image`` is an image with ferry and its ``coco`` extra installed."""

    image: str
    namespace: str = "coco-system"
    name: str = "ferry-coco-webhook"
    replicas: int = 2
    port: int = 8443
    failure_policy: str = "Fail"
    timeout_seconds: int = 5
    tls_secret: str = "ferry-coco-webhook-tls"
    profile_configmap: str = "ferry-coco-profile"


def _cel_string_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def _pod_condition(profile: CocoProfile) -> str:
    parts = [
        "(has(object.spec.runtimeClassName) && object.spec.runtimeClassName in "
        + _cel_string_list(list(profile.runtime_classes))
        + ")"
    ]
    if profile.pod_labels:
        checks = " && ".join(
            f"{json.dumps(k)} in object.metadata.labels && object.metadata.labels[{json.dumps(k)}] == {json.dumps(v)}"
            for k, v in profile.pod_labels.items()
        )
        parts.append(f"(has(object.metadata.labels) && {checks})")
    return " || ".join(parts)


def _webhooks(profile: CocoProfile, d: WebhookDeployment, ca_bundle: str, kind: str) -> list[dict[str, Any]]:
    excluded = {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system", d.namespace]}
    ns_labels = [{"key": k, "operator": "In", "values": [v]} for k, v in profile.namespace_labels.items()]
    not_ns = [{"key": k, "operator": "NotIn", "values": [v]} for k, v in profile.namespace_labels.items()]
    operations = ["CREATE"] if kind == "mutate" else ["CREATE", "UPDATE"]
    resources = ["pods"] if kind == "mutate" else ["pods", "pods/ephemeralcontainers"]
    out = []
    for scope, selector, path, pod_conditions in (
        ("ns", {"matchExpressions": [excluded, *ns_labels]}, f"/{kind}/namespace", []),
        (
            "pod",
            {"matchExpressions": [excluded, *not_ns]},
            f"/{kind}",
            [{"name": "confidential-pod", "expression": _pod_condition(profile)}],
        ),
    ):
        if scope == "ns" and not ns_labels:
            continue
        conditions = pod_conditions
        if kind == "validate" and scope == "pod":
            conditions = [
                {
                    "name": "confidential-pod",
                    "expression": "(request.operation == 'UPDATE' && oldObject != null && "
                    + _pod_condition(profile).replace("object.", "oldObject.")
                    + ") || "
                    + "("
                    + _pod_condition(profile)
                    + ")",
                }
            ]
        hook: dict[str, Any] = {
            "name": f"{scope}.{kind}.coco.ferry.dev",
            "admissionReviewVersions": ["v1"],
            "clientConfig": {
                "service": {"namespace": d.namespace, "name": d.name, "path": path, "port": 443},
                "caBundle": ca_bundle,
            },
            "rules": [
                {
                    "operations": operations,
                    "apiGroups": [""],
                    "apiVersions": ["v1"],
                    "resources": resources,
                    "scope": "Namespaced",
                }
            ],
            "failurePolicy": d.failure_policy,
            "matchPolicy": "Equivalent",
            "namespaceSelector": selector,
            "objectSelector": {},
            "sideEffects": "None",
            "timeoutSeconds": d.timeout_seconds,
        }
        if conditions:
            hook["matchConditions"] = conditions
        if kind == "mutate":
            hook["reinvocationPolicy"] = "IfNeeded"
        out.append(hook)
    return out


def render_webhook_manifests(profile: CocoProfile, ca_pem: bytes, d: WebhookDeployment) -> list[dict[str, Any]]:
    """The objects to apply. ``ca_pem`` is the CA that signed the serving certificate (it becomes ``caBundle``)."""
    ca_bundle = base64.b64encode(ca_pem).decode()
    labels = {"app.kubernetes.io/name": d.name, "app.kubernetes.io/part-of": "ferry"}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": d.name, "namespace": d.namespace, "labels": labels},
        "spec": {
            "replicas": d.replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": d.name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [
                        {
                            "name": "webhook",
                            "image": d.image,
                            "args": [
                                "coco",
                                "webhook",
                                "serve",
                                "--host=0.0.0.0",
                                f"--port={d.port}",
                                "--cert=/tls/tls.crt",
                                "--key=/tls/tls.key",
                                "--profile=/profile/profile.yaml",
                            ],
                            "ports": [{"name": "https", "containerPort": d.port}],
                            "readinessProbe": {"httpGet": {"path": "/readyz", "port": "https", "scheme": "HTTPS"}},
                            "livenessProbe": {"httpGet": {"path": "/healthz", "port": "https", "scheme": "HTTPS"}},
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "64Mi"},
                                "limits": {"memory": "256Mi"},
                            },
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]},
                            },
                            "volumeMounts": [
                                {"name": "tls", "mountPath": "/tls", "readOnly": True},
                                {"name": "profile", "mountPath": "/profile", "readOnly": True},
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "tls", "secret": {"secretName": d.tls_secret}},
                        {"name": "profile", "configMap": {"name": d.profile_configmap}},
                    ],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": d.name, "namespace": d.namespace, "labels": labels},
        "spec": {
            "selector": {"app.kubernetes.io/name": d.name},
            "ports": [{"name": "https", "port": 443, "targetPort": "https"}],
        },
    }
    mutating = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": "ferry-coco", "labels": labels},
        "webhooks": _webhooks(profile, d, ca_bundle, "mutate"),
    }
    validating = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "ferry-coco", "labels": labels},
        "webhooks": _webhooks(profile, d, ca_bundle, "validate"),
    }
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": d.profile_configmap, "namespace": d.namespace, "labels": labels},
        "data": {"profile.yaml": dump_yaml(profile.to_dict())},
    }
    return [config, deployment, service, mutating, validating]
