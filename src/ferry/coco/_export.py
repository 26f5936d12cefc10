"""``ferry coco export``: the rules as Kyverno and core Kubernetes admission policies (pure).

Targets: ``kyverno`` (``kyverno.io/v1`` ClusterPolicy, Kyverno < 1.18), ``kyverno-cel`` (``policies.kyverno.io/v1``
MutatingPolicy and ValidatingPolicy, Kyverno >= 1.18) and ``kubernetes`` (``admissionregistration.k8s.io/v1``
MutatingAdmissionPolicy and ValidatingAdmissionPolicy with their bindings). Engines without TOML, gzip or Rego
cannot judge the inside of initdata: every rule that is not (fully) expressible is listed in the report and in
the ``coco.ferry.dev/inexpressible`` annotation of each policy, so nobody mistakes an export for the webhook.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ferry.coco._errors import CocoError
from ferry.coco._initdata import INITDATA_ANNOTATION, LEGACY_INITDATA_ANNOTATION
from ferry.coco._profile import DEV_RUNTIME_CLASSES, CocoProfile
from ferry.coco._rules import ANNOTATION_SIZE_LIMIT, ENABLED_COCO, HYPERVISOR_PREFIX

__all__ = ["EXPORT_TARGETS", "ExportResult", "export_policies"]

EXPORT_TARGETS = ("kyverno", "kyverno-cel", "kubernetes")


@dataclass(frozen=True)
class ExportResult:
    """The policy objects, and per rule how far the target could express it (full / partial / none + why)."""

    target: str
    objects: list[dict[str, Any]]
    coverage: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def inexpressible(self) -> dict[str, str]:
        return {rule: c["why"] for rule, c in self.coverage.items() if c["level"] != "full"}

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "coverage": self.coverage, "objects": self.objects}


def _q(value: str) -> str:
    return json.dumps(value)


def _list(values: Any) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


_ANN = "object.metadata.annotations"


def _has_ann(key: str, obj: str = "object") -> str:
    return f"(has({obj}.metadata.annotations) && {_q(key)} in {obj}.metadata.annotations)"


def _ann(key: str, obj: str = "object") -> str:
    return f"{obj}.metadata.annotations[{_q(key)}]"


def _scope_cel(profile: CocoProfile, obj: str = "object") -> str:
    """CEL: is this pod demanded confidential (namespace labels or pod labels)?"""
    parts = []
    if profile.namespace_labels:
        ns = " && ".join(
            f"{_q(k)} in namespaceObject.metadata.labels && namespaceObject.metadata.labels[{_q(k)}] == {_q(v)}"
            for k, v in profile.namespace_labels.items()
        )
        parts.append(f"(namespaceObject != null && has(namespaceObject.metadata.labels) && {ns})")
    if profile.namespaces:
        parts.append(f"(namespaceObject != null && namespaceObject.metadata.name in {_list(profile.namespaces)})")
    if profile.pod_labels:
        pod = " && ".join(
            f"{_q(k)} in {obj}.metadata.labels && {obj}.metadata.labels[{_q(k)}] == {_q(v)}"
            for k, v in profile.pod_labels.items()
        )
        parts.append(f"(has({obj}.metadata.labels) && {pod})")
    return " || ".join(parts) or "false"


def _coco_class_cel(profile: CocoProfile, obj: str = "object") -> str:
    return f"(has({obj}.spec.runtimeClassName) && {obj}.spec.runtimeClassName in {_list(profile.runtime_classes)})"


def _validations(profile: CocoProfile, *, gzip: bool) -> tuple[list[dict[str, str]], dict[str, dict[str, str]]]:
    """CEL validations (for pods in scope) and the coverage they achieve."""
    in_scope = f"(({_scope_cel(profile)}) || {_coco_class_cel(profile)})"
    create = "request.operation == 'CREATE'"
    guard = f"!({create} && {in_scope}) || "
    enabled = sorted(HYPERVISOR_PREFIX + s for s in ENABLED_COCO)
    value = _ann(INITDATA_ANNOTATION)
    initdata_ok = (
        f"{_has_ann(INITDATA_ANNOTATION)} && {value}.startsWith('H4sI') && size({value}) % 4 == 0 && "
        f"{value}.matches('^[A-Za-z0-9+/]*={{0,2}}$')"
    )
    if gzip:
        initdata_ok += f" && string(gzip.decompress(base64.decode({value}))).contains('version = \"0.1.0\"')"
    out = [
        {
            "expression": f"!({create} && ({_scope_cel(profile)})) || {_coco_class_cel(profile)}",
            "message": f"D1: confidential pod needs runtimeClassName, one of {', '.join(profile.runtime_classes)}",
        },
        {
            "expression": f"{guard}initdata_present",
            "message": f"D2: confidential pod needs initdata in {INITDATA_ANNOTATION}: base64 of gzip (starts H4sI)",
        },
        {
            "expression": f"{guard}!{_has_ann(LEGACY_INITDATA_ANNOTATION)}",
            "message": f"D3: {LEGACY_INITDATA_ANNOTATION} is ignored by Kata >= 3.20; use {INITDATA_ANNOTATION}",
        },
        {
            "expression": f"{guard}!has({_ANN}) || {_ANN}.all(k, !k.startsWith({_q(HYPERVISOR_PREFIX)}) || "
            f"k in {_list(enabled)})",
            "message": "D6: hypervisor annotation not enabled for CoCo runtime classes: Kata will refuse the sandbox",
        },
        {
            "expression": f"{guard}{_has_ann(INITDATA_ANNOTATION)} || !object.spec.containers.exists(c, "
            "has(c.env) && c.env.exists(e, has(e.value) && e.value.startsWith('sealed.')))",
            "message": "D7: pod uses sealed secrets but has no initdata: the data hub cannot unseal them",
        },
        {
            "expression": f"!has({_ANN}) || {_ANN}.map(k, size(k) + size({_ANN}[k])).sum() <= {ANNOTATION_SIZE_LIMIT}",
            "message": "D8: annotations total more than 256 KiB",
        },
        {
            "expression": "request.operation != 'UPDATE' || oldObject == null || !("
            + _scope_cel(profile, "oldObject")
            + " || "
            + _coco_class_cel(profile, "oldObject")
            + ") || ("
            + f"({_has_ann(INITDATA_ANNOTATION)} ? {value} : '') == "
            + f"({_has_ann(INITDATA_ANNOTATION, 'oldObject')} ? {_ann(INITDATA_ANNOTATION, 'oldObject')} : '')"
            + " && (has(object.spec.ephemeralContainers) ? size(object.spec.ephemeralContainers) : 0) <= "
            + "(has(oldObject.spec.ephemeralContainers) ? size(oldObject.spec.ephemeralContainers) : 0))",
            "message": "D9: no initdata change and no ephemeral containers on a running confidential pod",
        },
    ]
    if profile.production:
        out.insert(
            1,
            {
                "expression": f"{guard}!has(object.spec.runtimeClassName) || "
                f"!(object.spec.runtimeClassName in {_list(DEV_RUNTIME_CLASSES)})",
                "message": "D1: no-TEE coco-dev runtime class in a production profile",
            },
        )
    for item in out:
        item["expression"] = item["expression"].replace("initdata_present", initdata_ok)
    coverage = {
        "D1": {"level": "full", "why": ""},
        "D2": {
            "level": "partial",
            "why": "presence, base64 alphabet, padding and the gzip magic are checked"
            + (
                "; the document is decompressed (gzip library) but TOML fields (version, algorithm, data table) "
                "cannot be parsed in CEL"
                if gzip
                else "; decompressing and parsing the TOML document is impossible without a gzip library"
            ),
        },
        "D3": {"level": "full", "why": ""},
        "D4": {"level": "none", "why": "aa.toml / cdh.toml live inside gzip-compressed TOML; no TOML parser in CEL"},
        "D5": {"level": "none", "why": "judging the agent policy needs a Rego engine (the webhook uses regorus)"},
        "D6": {
            "level": "partial",
            "why": "enabled annotations checked; the kernel_params REST-API check needs initdata decoding",
        },
        "D7": {
            "level": "partial",
            "why": "inline sealed env values need initdata; Secret-backed sealed secrets and cdh [kbc] are not seen",
        },
        "D8": {"level": "partial", "why": "sizes counted in characters, not bytes; peer-pods user-data limit skipped"},
        "D9": {"level": "full", "why": ""},
    }
    return out, coverage


def _jsonpatch_runtime_class(profile: CocoProfile) -> str:
    return (
        f"({_scope_cel(profile)}) && !has(object.spec.runtimeClassName) ? "
        f'[JSONPatch{{op: "add", path: "/spec/runtimeClassName", value: {_q(profile.runtime_class)}}}] : []'
    )


def _jsonpatch_initdata(profile: CocoProfile, annotation: str) -> str:
    key = INITDATA_ANNOTATION.replace("~", "~0").replace("/", "~1")
    in_scope = f"(({_scope_cel(profile)}) || {_coco_class_cel(profile)})"
    return (
        f"!{in_scope} || {_has_ann(INITDATA_ANNOTATION)} || {_has_ann(LEGACY_INITDATA_ANNOTATION)} ? [] : "
        f"(has(object.metadata.annotations) ? "
        f'[JSONPatch{{op: "add", path: "/metadata/annotations/{key}", value: {_q(annotation)}}}] : '
        f'[JSONPatch{{op: "add", path: "/metadata/annotations", '
        f"value: {{{_q(INITDATA_ANNOTATION)}: {_q(annotation)}}}}}])"
    )


def _annotations(coverage: Mapping[str, Mapping[str, str]], title: str) -> dict[str, str]:
    missing = {r: c["why"] for r, c in coverage.items() if c["level"] != "full"}
    return {
        "policies.kyverno.io/title": title,
        "policies.kyverno.io/category": "Confidential Computing",
        "policies.kyverno.io/subject": "Pod",
        "coco.ferry.dev/generated-by": "ferry coco export",
        "coco.ferry.dev/inexpressible": "; ".join(
            f"{r} ({c['level']}): {c['why']}"
            for r, c in sorted(((r, coverage[r]) for r in missing), key=lambda x: x[0])
        ),
    }


_POD_RULES = {
    "apiGroups": [""],
    "apiVersions": ["v1"],
    "operations": ["CREATE", "UPDATE"],
    "resources": ["pods", "pods/ephemeralcontainers"],
}
_NOT_SYSTEM = {
    "matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system"]}]
}


def _cel_objects(
    profile: CocoProfile, annotation: str, *, kyverno: bool
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    validations, coverage = _validations(profile, gzip=kyverno)
    coverage = dict(coverage)
    coverage["initdata"] = {
        "level": "partial",
        "why": "one initdata for every pod: the per-pod kata-agent policy the webhook generates is not expressible",
    }
    name = f"ferry-coco-{profile.name}"
    mutations = [
        {"patchType": "JSONPatch", "jsonPatch": {"expression": _jsonpatch_runtime_class(profile)}},
        {"patchType": "JSONPatch", "jsonPatch": {"expression": _jsonpatch_initdata(profile, annotation)}},
    ]
    constraints_mut = {
        "resourceRules": [{**_POD_RULES, "operations": ["CREATE"], "resources": ["pods"]}],
        "namespaceSelector": _NOT_SYSTEM,
    }
    constraints_val = {"resourceRules": [_POD_RULES], "namespaceSelector": _NOT_SYSTEM}
    meta_ann = _annotations(coverage, "Confidential Containers (ferry coco)")
    if kyverno:
        mutating = {
            "apiVersion": "policies.kyverno.io/v1",
            "kind": "MutatingPolicy",
            "metadata": {"name": f"{name}-inject", "annotations": meta_ann},
            "spec": {
                "failurePolicy": "Fail",
                "reinvocationPolicy": "IfNeeded",
                "matchConstraints": constraints_mut,
                "mutations": mutations,
            },
        }
        validating = {
            "apiVersion": "policies.kyverno.io/v1",
            "kind": "ValidatingPolicy",
            "metadata": {"name": f"{name}-validate", "annotations": meta_ann},
            "spec": {
                "failurePolicy": "Fail",
                "validationActions": ["Deny"],
                "matchConstraints": constraints_val,
                "validations": validations,
            },
        }
        return [mutating, validating], coverage
    mutating = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingAdmissionPolicy",
        "metadata": {"name": f"{name}-inject", "annotations": meta_ann},
        "spec": {
            "failurePolicy": "Fail",
            "reinvocationPolicy": "IfNeeded",
            "matchConstraints": constraints_mut,
            "mutations": mutations,
        },
    }
    mutating_binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingAdmissionPolicyBinding",
        "metadata": {"name": f"{name}-inject"},
        "spec": {"policyName": f"{name}-inject"},
    }
    validating = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": f"{name}-validate", "annotations": meta_ann},
        "spec": {"failurePolicy": "Fail", "matchConstraints": constraints_val, "validations": validations},
    }
    validating_binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": f"{name}-validate"},
        "spec": {"policyName": f"{name}-validate", "validationActions": ["Deny"]},
    }
    return [mutating, mutating_binding, validating, validating_binding], coverage


def _match(profile: CocoProfile, operations: list[str]) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    if profile.namespace_labels:
        blocks.append(
            {
                "resources": {
                    "kinds": ["Pod"],
                    "operations": operations,
                    "namespaceSelector": {"matchLabels": dict(profile.namespace_labels)},
                }
            }
        )
    if profile.namespaces:
        blocks.append(
            {"resources": {"kinds": ["Pod"], "operations": operations, "namespaces": list(profile.namespaces)}}
        )
    if profile.pod_labels:
        blocks.append(
            {
                "resources": {
                    "kinds": ["Pod"],
                    "operations": operations,
                    "selector": {"matchLabels": dict(profile.pod_labels)},
                }
            }
        )
    return {"any": blocks}


def _cluster_policy(profile: CocoProfile, annotation: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    enabled = sorted(HYPERVISOR_PREFIX + s for s in ENABLED_COCO)
    ann = "request.object.metadata.annotations"
    old_ann = "request.oldObject.metadata.annotations"
    coverage = {
        "D1": {"level": "full", "why": ""},
        "D2": {"level": "partial", "why": "only presence and the H4sI gzip prefix: JMESPath cannot decompress"},
        "D3": {"level": "full", "why": ""},
        "D4": {"level": "none", "why": "aa.toml / cdh.toml are inside gzip-compressed initdata"},
        "D5": {"level": "none", "why": "judging the agent policy needs a Rego engine"},
        "D6": {"level": "partial", "why": "enabled annotations only; kernel_params needs initdata decoding"},
        "D7": {"level": "none", "why": "sealed-secret wiring needs the initdata cdh.toml"},
        "D8": {"level": "none", "why": "JMESPath cannot total annotation sizes reliably"},
        "D9": {"level": "full", "why": ""},
        "initdata": {
            "level": "partial",
            "why": "one initdata for every pod: the per-pod kata-agent policy the webhook generates is not expressible",
        },
        "scope": {
            "level": "partial",
            "why": "pods made confidential only by their runtime class are not matched (ClusterPolicy match blocks)",
        },
    }
    dev_rule: list[dict[str, Any]] = []
    if profile.production:
        dev_rule = [
            {
                "name": "no-coco-dev-in-production",
                "match": _match(profile, ["CREATE"]),
                "validate": {
                    "failureAction": "Enforce",
                    "message": "D1: no-TEE coco-dev runtime class in a production profile",
                    "deny": {
                        "conditions": {
                            "any": [
                                {
                                    "key": "{{ request.object.spec.runtimeClassName || '' }}",
                                    "operator": "AnyIn",
                                    "value": list(DEV_RUNTIME_CLASSES),
                                }
                            ]
                        }
                    },
                },
            }
        ]
    rules: list[dict[str, Any]] = [
        {
            "name": "inject-runtime-class",
            "match": _match(profile, ["CREATE"]),
            "mutate": {"patchStrategicMerge": {"spec": {"+(runtimeClassName)": profile.runtime_class}}},
        },
        {
            "name": "inject-initdata",
            "match": _match(profile, ["CREATE"]),
            "preconditions": {
                "all": [
                    {
                        "key": f"{{{{ {ann}.\"{LEGACY_INITDATA_ANNOTATION}\" || '' }}}}",
                        "operator": "Equals",
                        "value": "",
                    }
                ]
            },
            "mutate": {"patchStrategicMerge": {"metadata": {"annotations": {f"+({INITDATA_ANNOTATION})": annotation}}}},
        },
        {
            "name": "require-runtime-class",
            "match": _match(profile, ["CREATE"]),
            "validate": {
                "failureAction": "Enforce",
                "message": f"D1: confidential pod needs runtimeClassName, one of {', '.join(profile.runtime_classes)}",
                "deny": {
                    "conditions": {
                        "any": [
                            {
                                "key": "{{ request.object.spec.runtimeClassName || '' }}",
                                "operator": "AnyNotIn",
                                "value": list(profile.runtime_classes),
                            }
                        ]
                    }
                },
            },
        },
        *dev_rule,
        {
            "name": "require-initdata",
            "match": _match(profile, ["CREATE"]),
            "validate": {
                "failureAction": "Enforce",
                "message": f"D2: confidential pod needs base64(gzip(TOML)) initdata in {INITDATA_ANNOTATION}",
                "pattern": {"metadata": {"annotations": {INITDATA_ANNOTATION: "H4sI*"}}},
            },
        },
        {
            "name": "no-legacy-initdata-key",
            "match": _match(profile, ["CREATE"]),
            "validate": {
                "failureAction": "Enforce",
                "message": f"D3: {LEGACY_INITDATA_ANNOTATION} is ignored by Kata >= 3.20; use {INITDATA_ANNOTATION}",
                "pattern": {"metadata": {"=(annotations)": {f"X({LEGACY_INITDATA_ANNOTATION})": "null"}}},
            },
        },
        {
            "name": "only-enabled-hypervisor-annotations",
            "match": _match(profile, ["CREATE"]),
            "validate": {
                "failureAction": "Enforce",
                "message": "D6: hypervisor annotation not enabled for CoCo runtime classes",
                "deny": {
                    "conditions": {
                        "any": [
                            {
                                "key": f"{{{{ keys({ann} || `{{}}`)[?starts_with(@, '{HYPERVISOR_PREFIX}')] }}}}",
                                "operator": "AnyNotIn",
                                "value": enabled,
                            }
                        ]
                    }
                },
            },
        },
        {
            "name": "immutable-initdata",
            "match": _match(profile, ["UPDATE"]),
            "validate": {
                "failureAction": "Enforce",
                "message": "D9: initdata cannot change on a running confidential pod",
                "deny": {
                    "conditions": {
                        "any": [
                            {
                                "key": f"{{{{ {ann}.\"{INITDATA_ANNOTATION}\" || '' }}}}",
                                "operator": "NotEquals",
                                "value": f"{{{{ {old_ann}.\"{INITDATA_ANNOTATION}\" || '' }}}}",
                            },
                            {
                                "key": "{{ length(request.object.spec.ephemeralContainers || `[]`) }}",
                                "operator": "GreaterThan",
                                "value": "{{ length(request.oldObject.spec.ephemeralContainers || `[]`) }}",
                            },
                        ]
                    }
                },
            },
        },
    ]
    policy = {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {
            "name": f"ferry-coco-{profile.name}",
            "annotations": {
                **_annotations(coverage, "Confidential Containers (ferry coco)"),
                "policies.kyverno.io/minversion": "1.11.0",
                "pod-policies.kyverno.io/autogen-controllers": "none",
            },
        },
        "spec": {
            "background": False,
            "webhookConfiguration": {"failurePolicy": "Fail", "timeoutSeconds": 10},
            "rules": rules,
        },
    }
    return [policy], coverage


def export_policies(profile: CocoProfile, target: str, initdata_annotation: str) -> ExportResult:
    """The policies for ``target``; ``initdata_annotation`` is the encoded initdata they inject."""
    if target == "kyverno":
        objects, coverage = _cluster_policy(profile, initdata_annotation)
    elif target in ("kyverno-cel", "kubernetes"):
        objects, coverage = _cel_objects(profile, initdata_annotation, kyverno=target == "kyverno-cel")
    else:
        raise CocoError(f"unknown export target {target!r}", hint=f"use one of {', '.join(EXPORT_TARGETS)}")
    return ExportResult(target, objects, coverage)
