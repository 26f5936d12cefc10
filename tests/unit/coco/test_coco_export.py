"""Exports: valid against the Kyverno CRDs and Kubernetes schemas, honest about what they cannot express, and
(where expressible) deciding like the webhook — the CEL is evaluated with cel-python."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import celpy
import jsonschema
import kubernetes_validate
import pytest
from celpy import celtypes

from ferry.coco import PodContext, evaluate_pod, export_policies

INITDATA = "H4sIAAAAAAAAA6tWKkktLlGyUlAqS8wpTVWqBQBsGFWCEQAAAA=="
KEY = "io.katacontainers.config.hypervisor.cc_init_data"
EXPRESSIBLE = {"D1", "D3", "D6", "D9"}


def _check_schema(obj: dict[str, Any], kyverno_schema: Any) -> None:
    if obj["apiVersion"] == "kyverno.io/v1":
        kyverno_schema("kyverno.io_clusterpolicies.yaml", "v1").validate(obj)
    elif obj["apiVersion"] == "policies.kyverno.io/v1":
        file = {"MutatingPolicy": "mutatingpolicies", "ValidatingPolicy": "validatingpolicies"}[obj["kind"]]
        kyverno_schema(f"policies.kyverno.io_{file}.yaml", "v1").validate(obj)
    else:
        kubernetes_validate.validate(obj, "1.37.0", strict=True)


@pytest.mark.parametrize("target", ["kyverno", "kyverno-cel", "kubernetes"])
@pytest.mark.parametrize("environment", ["production", "development"])
def test_exports_validate_against_their_schemas(target: str, environment: str, profile, kyverno_schema) -> None:  # type: ignore[no-untyped-def]
    result = export_policies(profile.with_environment(environment), target, INITDATA)
    assert result.objects
    for obj in result.objects:
        _check_schema(obj, kyverno_schema)


def test_schema_check_catches_a_wrong_field(profile, kyverno_schema) -> None:  # type: ignore[no-untyped-def]
    policy = export_policies(profile, "kyverno", INITDATA).objects[0]
    broken = copy.deepcopy(policy)
    broken["spec"]["rules"][0]["match"]["any"][0]["resources"]["kinds"] = "Pod"
    with pytest.raises(jsonschema.ValidationError):
        _check_schema(broken, kyverno_schema)
    broken = copy.deepcopy(policy)
    broken["spec"]["rulez"] = []
    with pytest.raises(jsonschema.ValidationError):
        _check_schema(broken, kyverno_schema)


@pytest.mark.parametrize("target", ["kyverno", "kyverno-cel", "kubernetes"])
def test_inexpressible_rules_are_said_in_the_policy_and_the_report(target: str, profile) -> None:  # type: ignore[no-untyped-def]
    result = export_policies(profile, target, INITDATA)
    assert {"D4", "D5"} <= set(result.inexpressible)
    assert result.coverage["D1"]["level"] == "full"
    annotated = [o for o in result.objects if "coco.ferry.dev/inexpressible" in o["metadata"].get("annotations", {})]
    assert annotated
    for obj in annotated:
        text = obj["metadata"]["annotations"]["coco.ferry.dev/inexpressible"]
        assert "D4 (none)" in text and "D5 (none)" in text


def test_cluster_policy_uses_add_if_absent_anchors_and_the_current_key(profile) -> None:  # type: ignore[no-untyped-def]
    policy = export_policies(profile, "kyverno", INITDATA).objects[0]
    rules = {r["name"]: r for r in policy["spec"]["rules"]}
    assert rules["inject-runtime-class"]["mutate"]["patchStrategicMerge"] == {
        "spec": {"+(runtimeClassName)": "kata-qemu-snp"}
    }
    anns = rules["inject-initdata"]["mutate"]["patchStrategicMerge"]["metadata"]["annotations"]
    assert anns == {f"+({KEY})": INITDATA}
    assert rules["require-initdata"]["validate"]["pattern"]["metadata"]["annotations"][KEY] == "H4sI*"


# evaluating the CEL ------------------------------------------------------------------------------------------
def _sum(values: Any) -> celtypes.IntType:
    return celtypes.IntType(sum(int(v) for v in values))


def _evaluate(expression: str, obj: Any, *, old: Any = None, operation: str = "CREATE", namespace: Any = None) -> Any:
    # cel-python lacks heterogeneous null comparison (Kubernetes CEL has it); the activation here always has a
    # namespace, and an old object for every UPDATE, so those guards are true / false
    expression = expression.replace("namespaceObject != null", "true").replace("oldObject == null", "false")
    env = celpy.Environment()
    program = env.program(env.compile(expression), functions={"sum": _sum})
    activation = {
        "object": celpy.json_to_cel(obj),
        "oldObject": celpy.json_to_cel(old),
        "request": celpy.json_to_cel({"operation": operation}),
        "namespaceObject": celpy.json_to_cel(namespace or {"metadata": {"name": "shop", "labels": {}}}),
    }
    return program.evaluate(activation)


def _true(value: Any) -> bool:
    return isinstance(value, celtypes.BoolType) and bool(value)


CONFIDENTIAL_NS = {"metadata": {"name": "confidential", "labels": {"coco.ferry.dev/confidential": "true"}}}


def _cases(good: dict[str, Any]) -> list[tuple[str, dict[str, Any], str, Any]]:
    no_class = copy.deepcopy(good)
    del no_class["spec"]["runtimeClassName"]
    dev = copy.deepcopy(good)
    dev["spec"]["runtimeClassName"] = "kata-qemu-coco-dev"
    legacy = copy.deepcopy(good)
    legacy["metadata"]["annotations"]["io.katacontainers.config.runtime.cc_init_data"] = INITDATA
    hyper = copy.deepcopy(good)
    hyper["metadata"]["annotations"]["io.katacontainers.config.hypervisor.default_maxvcpus"] = "8"
    debug = copy.deepcopy(good)
    debug["spec"]["ephemeralContainers"] = [{"name": "dbg", "image": "busybox"}]
    changed = copy.deepcopy(good)
    changed["metadata"]["annotations"][KEY] = INITDATA
    return [
        ("good", good, "CREATE", None),
        ("no class", no_class, "CREATE", None),
        ("coco-dev", dev, "CREATE", None),
        ("legacy key", legacy, "CREATE", None),
        ("hypervisor annotation", hyper, "CREATE", None),
        ("ephemeral container", debug, "UPDATE", good),
        ("initdata changed", changed, "UPDATE", good),
        ("label update", good, "UPDATE", good),
    ]


@pytest.mark.parametrize("target", ["kyverno-cel", "kubernetes"])
def test_cel_validations_decide_like_the_webhook_on_expressible_rules(target: str, good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    policy = next(
        o
        for o in export_policies(profile, target, INITDATA).objects
        if o["kind"].startswith("Validating") and "validations" in o["spec"]
    )
    for name, pod, operation, old in _cases(good_pod):
        cel_failed = {
            v["message"].split(":")[0]
            for v in policy["spec"]["validations"]
            if v["message"].split(":")[0] in EXPRESSIBLE
            and not _true(_evaluate(v["expression"], pod, old=old, operation=operation, namespace=CONFIDENTIAL_NS))
        }
        ctx = PodContext(operation=operation, namespace="confidential", namespace_demands_coco=True, old_pod=old)
        webhook_denied = {v.rule for v in evaluate_pod(pod, profile, ctx).denies} & EXPRESSIBLE
        assert cel_failed & EXPRESSIBLE == webhook_denied, name


def test_cel_mutations_inject_only_where_absent(bare_pod, good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    policy = export_policies(profile, "kubernetes", INITDATA).objects[0]
    runtime, initdata = (m["jsonPatch"]["expression"] for m in policy["spec"]["mutations"])
    # cel-python has no JSONPatch type: declare it as a map constructor to read the patches the expression builds
    runtime = (
        runtime.replace("JSONPatch{", "{")
        .replace("op:", '"op":')
        .replace("path:", '"path":')
        .replace("value:", '"value":')
    )
    initdata = (
        initdata.replace("JSONPatch{", "{")
        .replace("op:", '"op":')
        .replace("path:", '"path":')
        .replace("value:", '"value":')
    )
    patches = _evaluate(runtime, bare_pod, namespace=CONFIDENTIAL_NS)
    assert json.loads(json.dumps(patches, default=str)) == [
        {"op": "add", "path": "/spec/runtimeClassName", "value": "kata-qemu-snp"}
    ]
    assert list(_evaluate(runtime, good_pod, namespace=CONFIDENTIAL_NS)) == []
    assert list(_evaluate(runtime, bare_pod)) == []  # not a confidential namespace, no labels
    added = _evaluate(initdata, bare_pod, namespace=CONFIDENTIAL_NS)
    assert str(added[0]["path"]) == "/metadata/annotations" and str(added[0]["value"][KEY]) == INITDATA
    bare_pod["metadata"]["annotations"] = {"team": "finance"}
    added = _evaluate(initdata, bare_pod, namespace=CONFIDENTIAL_NS)
    assert str(added[0]["path"]) == "/metadata/annotations/" + KEY and str(added[0]["value"]) == INITDATA
    assert list(_evaluate(initdata, good_pod, namespace=CONFIDENTIAL_NS)) == []
    assert base64.b64decode(INITDATA)[:2] == b"\x1f\x8b"


# the ClusterPolicy's deny conditions, interpreted with JMESPath ----------------------------------------------
def _jmes(template: Any, request: dict[str, Any]) -> Any:
    import re

    import jmespath

    if not isinstance(template, str):
        return template
    match = re.fullmatch(r"\{\{\s*(.+?)\s*\}\}", template)
    return jmespath.search(match.group(1), {"request": request}) if match else template


def _condition_holds(condition: dict[str, Any], request: dict[str, Any]) -> bool:
    key, value, operator = _jmes(condition["key"], request), _jmes(condition["value"], request), condition["operator"]
    keys = key if isinstance(key, list) else [key]
    if operator == "AnyIn":
        return any(k in value for k in keys)
    if operator == "AnyNotIn":
        return any(k not in value for k in keys)
    if operator == "NotEquals":
        return bool(key != value)
    if operator == "GreaterThan":
        return float(key) > float(value)
    raise AssertionError(f"operator {operator} not interpreted")


def test_cluster_policy_deny_rules_decide_like_the_webhook(good_pod, profile) -> None:  # type: ignore[no-untyped-def]
    policy = export_policies(profile, "kyverno", INITDATA).objects[0]
    deny_rules = [r for r in policy["spec"]["rules"] if "deny" in r.get("validate", {})]
    assert {r["name"] for r in deny_rules} == {
        "require-runtime-class",
        "no-coco-dev-in-production",
        "only-enabled-hypervisor-annotations",
        "immutable-initdata",
    }
    for name, pod, operation, old in _cases(good_pod):
        request = {"object": pod, "oldObject": old, "operation": operation}
        denied_by_policy = set()
        for rule in deny_rules:
            operations = rule["match"]["any"][0]["resources"]["operations"]
            if operation in operations and any(
                _condition_holds(c, request) for c in rule["validate"]["deny"]["conditions"]["any"]
            ):
                denied_by_policy.add(rule["validate"]["message"].split(":")[0])
        ctx = PodContext(operation=operation, namespace="confidential", namespace_demands_coco=True, old_pod=old)
        webhook_denied = {v.rule for v in evaluate_pod(pod, profile, ctx).denies} & EXPRESSIBLE - {"D3"}
        assert denied_by_policy == webhook_denied, name
