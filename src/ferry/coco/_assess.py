"""The ``coco`` section of ``ferry assess``: confidential pods in an estate, judged by D1–D9 (pure).

Which pods are confidential comes from the estate itself: Namespaces carrying the profile's labels, pod labels,
CoCo runtime classes. Secrets labelled sealed (or holding ``sealed.`` values) count as sealed secrets. The profile
is the estate's ``CocoProfile`` object when it has one, else the built-in default.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from ferry._kernel import Artifact, Estate, Finding, KubeObject, Section, Severity
from ferry.coco._errors import ProfileError, SealedSecretError
from ferry.coco._initdata import INITDATA_ANNOTATION, decode_annotation, parse_initdata
from ferry.coco._kbs import kbs_resource_policy, policy_images, reference_values
from ferry.coco._pods import PodContext, containers_of, listing, mapping, pod_template, sealed_names_of
from ferry.coco._profile import CocoProfile, parse_profile
from ferry.coco._rules import RULES, evaluate_pod
from ferry.coco._sealed import SEALED_PREFIX, inspect_sealed

__all__ = ["assess_estate"]

_HINTS = {
    "D1": "set spec.runtimeClassName to a CoCo class, or let the ferry coco webhook inject it",
    "D2": "build initdata with `ferry coco initdata build` (base64 of gzip of the TOML)",
    "D3": "rename the annotation to io.katacontainers.config.hypervisor.cc_init_data",
    "D4": "fix aa.toml / cdh.toml in the initdata (KBS URL, kbc, image policy)",
    "D5": "generate a restrictive agent policy with `ferry coco policy generate`",
    "D6": "drop hypervisor annotations the CoCo runtime classes do not enable",
    "D7": "give the pod initdata whose cdh.toml configures [kbc], and mount sealed secrets under /sealed",
    "D8": "shrink the annotations (initdata policy size, last-applied-configuration)",
    "D9": "recreate the pod instead of changing it",
}


def _profile_of(estate: Estate) -> tuple[CocoProfile, list[Finding]]:
    for obj in estate.of_kind("CocoProfile", group="coco.ferry.dev"):
        try:
            return parse_profile(dict(obj.body), obj.source.path), []
        except ProfileError as exc:
            finding = Finding("coco.profile", Severity.ERROR, str(exc), obj=obj.ref, source=obj.source)
            return CocoProfile(), [finding]
    return CocoProfile(), []


def _confidential_namespaces(estate: Estate, profile: CocoProfile) -> set[str]:
    out = set(profile.namespaces)
    for ns in estate.of_kind("Namespace", group=""):
        labels = ns.labels
        if profile.namespace_labels and all(str(labels.get(k)) == v for k, v in profile.namespace_labels.items()):
            out.add(ns.name)
    return out


def _is_sealed_secret(obj: KubeObject, profile: CocoProfile) -> bool:
    if str(obj.labels.get(profile.sealed_secret_label, "")).lower() == "true":
        return True
    for value in mapping(obj.body.get("stringData")).values():
        if isinstance(value, str) and value.startswith(SEALED_PREFIX):
            return True
    for value in mapping(obj.body.get("data")).values():
        try:
            if isinstance(value, str) and base64.b64decode(value, validate=True).startswith(SEALED_PREFIX.encode()):
                return True
        except (binascii.Error, ValueError):
            continue
    return False


def _sealed_by_namespace(estate: Estate, profile: CocoProfile) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    sealed: dict[str, set[str]] = {}
    present: dict[str, set[str]] = {}
    for obj in estate.of_kind("Secret", group=""):
        ns = obj.namespace or "default"
        present.setdefault(ns, set()).add(obj.name)
        if _is_sealed_secret(obj, profile):
            sealed.setdefault(ns, set()).add(obj.name)
    return sealed, present


def _vault_resources(pod: Mapping[str, Any]) -> list[str]:
    out = []
    for _, _, c in containers_of(pod):
        for env in listing(c.get("env")):
            value = mapping(env).get("value")
            if isinstance(value, str) and value.startswith(SEALED_PREFIX):
                try:
                    sealed = inspect_sealed(value)
                except SealedSecretError:
                    continue
                name = str(sealed.payload.get("name", ""))
                if sealed.type == "vault" and name.startswith("kbs:"):
                    out.append(name)
    return out


def assess_estate(estate: Estate) -> Section:
    """Judge every Pod and pod template of the estate against D1–D9."""
    profile, findings = _profile_of(estate)
    confidential_ns = _confidential_namespaces(estate, profile)
    sealed, present = _sealed_by_namespace(estate, profile)
    artifacts: list[Artifact] = []
    judged = ok = denied = 0
    per_rule: dict[str, int] = {}
    for obj in estate.objects:
        template = pod_template(obj.body)
        if template is None:
            continue
        ns = obj.namespace or "default"
        ctx = PodContext(
            namespace=ns,
            namespace_demands_coco=ns in confidential_ns,
            sealed_secrets=frozenset(sealed.get(ns, set())),
        )
        result = evaluate_pod(template, profile, ctx)
        if not result.in_scope and not result.violations:
            continue
        if result.in_scope:
            judged += 1
        prefix: tuple[str | int, ...] = () if obj.kind == "Pod" else ("spec", "template")
        if obj.kind == "CronJob":
            prefix = ("spec", "jobTemplate", "spec", "template")
        for v in result.violations:
            per_rule[v.rule] = per_rule.get(v.rule, 0) + 1
            path = [p for p in (v.field or "").split(".") if p and "[" not in p]
            line = obj.line_of(*prefix, *path) if path else obj.line_of(*prefix)
            source = obj.source if line is None else type(obj.source)(obj.source.path, obj.source.document, line)
            findings.append(
                Finding(
                    f"coco.{v.rule}",
                    Severity.ERROR if v.denies else Severity.WARNING,
                    f"{v.message} — {result.reason}",
                    obj=obj.ref,
                    source=source,
                    hint=_HINTS.get(v.rule),
                    details={"rule": v.rule, "title": RULES[v.rule], "field": v.field, "verdict": v.severity},
                )
            )
        for name in sealed_names_of(template):
            if name not in present.get(ns, set()):
                findings.append(
                    Finding(
                        "coco.sealed-secret-missing",
                        Severity.WARNING,
                        f"sealed secret {name} is wired into the pod but no Secret {ns}/{name} is in the estate",
                        obj=obj.ref,
                        source=obj.source,
                        hint="create the Secret holding the sealed.… value (ferry coco seal)",
                    )
                )
        if result.in_scope and result.denied:
            denied += 1
        elif result.in_scope:
            ok += 1
        value = mapping(mapping(template.get("metadata")).get("annotations")).get(INITDATA_ANNOTATION)
        if result.in_scope and isinstance(value, str) and result.digest:
            doc = parse_initdata(decode_annotation(value))
            refs = reference_values(doc.digest, doc.algorithm, profile.tee)
            slug = f"{ns}-{obj.name}".replace("/", "-")
            artifacts.append(
                Artifact(
                    f"coco-reference-values-{slug}.json",
                    "application/json",
                    json.dumps(refs, indent=2) + "\n",
                    f"initdata reference values to register for {obj.ref}",
                )
            )
            resources = _vault_resources(template)
            if resources and profile.tee in ("snp", "tdx", "cca", "vtpm"):
                artifacts.append(
                    Artifact(
                        f"coco-kbs-policy-{slug}.rego",
                        "text/plain",
                        kbs_resource_policy(
                            digest=doc.digest,
                            tee=profile.tee,
                            resources=resources,
                            images=policy_images(doc.data["policy.rego"])
                            if profile.kbs_pin_images and "policy.rego" in doc.data
                            else (),
                        ),
                        f"KBS resource policy releasing {obj.ref}'s secrets only to its attested initdata",
                    )
                )
    errors = sum(1 for f in findings if f.severity.rank >= Severity.ERROR.rank)
    summary = (
        f"{judged} confidential pod(s) or template(s) judged under profile {profile.name!r} ({profile.environment}): "
        f"{ok} admissible, {denied} the webhook would reject; {errors} error(s) in all."
        if judged
        else "No confidential pods in the estate."
    )
    metrics: dict[str, float | int | str] = {
        "confidential_workloads": judged,
        "admissible": ok,
        "rejected": denied,
        "confidential_namespaces": len(confidential_ns),
    }
    metrics.update({f"rule_{k}": v for k, v in sorted(per_rule.items())})
    return Section("coco", summary, findings=findings, artifacts=artifacts, metrics=metrics)
