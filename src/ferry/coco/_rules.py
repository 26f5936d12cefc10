"""The rule catalogue D1–D9 over a pod (pure). The webhook's ``/validate``, the assessor and the export share it.

D1 runtime class · D2 initdata encoding and document · D3 legacy annotation key · D4 aa.toml / cdh.toml ·
D5 kata-agent policy · D6 other hypervisor annotations · D7 sealed secrets · D8 annotation size ·
D9 UPDATE of a running confidential pod. On UPDATE only D9 applies: the rest was judged at creation and most of
it is immutable since.
"""

from __future__ import annotations

import threading
import tomllib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ferry.coco._agent_policy import check_agent_policy
from ferry.coco._errors import InitdataError, SealedSecretError
from ferry.coco._guest import check_guest_config
from ferry.coco._initdata import (
    INITDATA_ANNOTATION,
    KNOWN_DATA_KEYS,
    LEGACY_INITDATA_ANNOTATION,
    Initdata,
    decode_annotation,
    parse_initdata,
)
from ferry.coco._pods import (
    PodContext,
    annotations_of,
    containers_of,
    listing,
    mapping,
    scope_of,
    sealed_names_of,
)
from ferry.coco._profile import DEV_RUNTIME_CLASSES, CocoProfile
from ferry.coco._sealed import SEALED_PREFIX, inspect_sealed
from ferry.coco._violation import DENY, WARN, Violation

__all__ = [
    "ANNOTATION_SIZE_LIMIT",
    "RULES",
    "Evaluation",
    "evaluate_pod",
    "initdata_verdict",
]

RULES: Mapping[str, str] = {
    "D1": "runtimeClassName present, allowed, and not the no-TEE dev class in production",
    "D2": "initdata present, padded standard base64 of gzip of a valid 0.1.0 TOML document",
    "D3": "no legacy io.katacontainers.config.runtime.cc_init_data annotation",
    "D4": "aa.toml / cdh.toml point at an allowed https KBS, verify sealed secrets and image signatures",
    "D5": "a kata-agent policy that denies exec, logs, SetPolicy and unknown images",
    "D6": "only hypervisor annotations CoCo runtimes enable; no open guest-components REST API",
    "D7": "sealed secrets only with a configured data hub, mounted under the sealed prefix",
    "D8": "annotations within 256 KiB; initdata within the peer-pods user-data limit",
    "D9": "no initdata change and no ephemeral containers on a running confidential pod",
}

ANNOTATION_SIZE_LIMIT = 256 * 1024
HYPERVISOR_PREFIX = "io.katacontainers.config.hypervisor."
ENABLED_COCO = frozenset(
    {"enable_iommu", "kernel_params", "kernel_verity_params", "default_vcpus", "default_memory", "cc_init_data"}
)
ENABLED_REMOTE = frozenset(
    {"machine_type", "default_memory", "default_vcpus", "image", "default_gpus", "gpu_model", "cc_init_data"}
)
OLD_POLICY_ANNOTATION = "io.katacontainers.config.agent.policy"


@dataclass(frozen=True)
class Evaluation:
    """The verdict on one pod: violations, scope, and the initdata digest when there is a readable document."""

    in_scope: bool
    reason: str
    violations: tuple[Violation, ...]
    digest: str | None = None
    algorithm: str | None = None

    @property
    def denied(self) -> bool:
        return any(v.denies for v in self.violations)

    @property
    def denies(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.denies)

    @property
    def warnings(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if not v.denies)


@dataclass(frozen=True)
class _InitdataVerdict:
    doc: Initdata | None
    violations: tuple[Violation, ...]


_VERDICTS: OrderedDict[tuple[int, str, tuple[str, ...]], tuple[CocoProfile, _InitdataVerdict]] = OrderedDict()
_VERDICT_LOCK = threading.Lock()


def initdata_verdict(value: str, profile: CocoProfile, images: tuple[str, ...] = ()) -> _InitdataVerdict:
    """D2, D4 and D5 for one annotation value; cached, since the same value arrives for every replica."""
    key = (id(profile), value, images)
    with _VERDICT_LOCK:
        hit = _VERDICTS.get(key)
        if hit is not None and hit[0] is profile:
            _VERDICTS.move_to_end(key)
            return hit[1]
    verdict = _judge_initdata(value, profile, images)
    with _VERDICT_LOCK:
        _VERDICTS[key] = (profile, verdict)
        while len(_VERDICTS) > 256:
            _VERDICTS.popitem(last=False)
    return verdict


def _judge_initdata(value: str, profile: CocoProfile, images: tuple[str, ...]) -> _InitdataVerdict:
    field = f"metadata.annotations[{INITDATA_ANNOTATION}]"
    try:
        doc = parse_initdata(decode_annotation(value))
    except InitdataError as exc:
        message = exc.message + (f" ({exc.hint})" if exc.hint else "")
        return _InitdataVerdict(None, (Violation("D2", DENY, message, field),))
    out: list[Violation] = []
    unknown = sorted(set(doc.data) - set(KNOWN_DATA_KEYS))
    if unknown:
        out.append(Violation("D2", WARN, f"initdata has data keys no CoCo component reads: {', '.join(unknown)}"))
    if doc.algorithm != profile.algorithm:
        out.append(
            Violation("D2", WARN, f"initdata uses {doc.algorithm}; the profile registers {profile.algorithm} digests")
        )
    out.extend(check_guest_config(doc.data, profile))
    policy = doc.data.get("policy.rego")
    if policy is None:
        sev = DENY if profile.agent_policy.require_policy and profile.production else WARN
        out.append(
            Violation("D5", sev, "initdata has no policy.rego: the kata-agent runs its built-in default policy", field)
        )
    else:
        out.extend(check_agent_policy(policy, profile.agent_policy, expected=images))
    return _InitdataVerdict(doc, tuple(out))


def _d1(pod: Mapping[str, Any], profile: CocoProfile, demanded: bool) -> list[Violation]:
    runtime_class = mapping(pod.get("spec")).get("runtimeClassName")
    field = "spec.runtimeClassName"
    if runtime_class is None or runtime_class == "":
        if demanded:
            return [
                Violation(
                    "D1", DENY, f"confidential pod has no runtimeClassName (expected {profile.runtime_class})", field
                )
            ]
        return []
    if not isinstance(runtime_class, str) or runtime_class not in profile.runtime_classes:
        sev = DENY if demanded else WARN
        allowed = ", ".join(profile.runtime_classes)
        return [Violation("D1", sev, f"runtimeClassName {runtime_class!r} is not a CoCo class ({allowed})", field)]
    if runtime_class in DEV_RUNTIME_CLASSES:
        sev = DENY if profile.production else WARN
        return [Violation("D1", sev, f"{runtime_class} has no TEE: no confidentiality, no integrity", field)]
    return []


def _d6(pod: Mapping[str, Any], has_initdata: bool) -> list[Violation]:
    out = []
    runtime_class = mapping(pod.get("spec")).get("runtimeClassName")
    enabled = ENABLED_REMOTE if runtime_class == "kata-remote" else ENABLED_COCO
    for key, value in annotations_of(pod).items():
        field = f"metadata.annotations[{key}]"
        if key == OLD_POLICY_ANNOTATION:
            out.append(Violation("D6", WARN, f"{key} is superseded: deliver the agent policy in initdata", field))
        if not isinstance(key, str) or not key.startswith(HYPERVISOR_PREFIX):
            continue
        suffix = key[len(HYPERVISOR_PREFIX) :]
        if suffix not in enabled:
            out.append(
                Violation("D6", DENY, f"{key} is not enabled for {runtime_class}: Kata will refuse the sandbox", field)
            )
        if suffix == "kernel_params" and "agent.guest_components_rest_api=all" in str(value) and not has_initdata:
            out.append(
                Violation("D6", DENY, "kernel_params opens the guest-components REST API without initdata", field)
            )
    return out


def _sealed_refs(pod: Mapping[str, Any], sealed: frozenset[str]) -> tuple[list[str], list[Violation], set[str]]:
    refs: list[str] = []
    out: list[Violation] = []
    volumes: set[str] = set()
    for list_name, i, c in containers_of(pod):
        for j, env in enumerate(listing(c.get("env"))):
            if not isinstance(env, Mapping):
                continue
            field = f"spec.{list_name}[{i}].env[{j}]"
            value = env.get("value")
            if isinstance(value, str) and value.startswith(SEALED_PREFIX):
                refs.append(field)
                try:
                    inspect_sealed(value)
                except SealedSecretError as exc:
                    out.append(Violation("D7", DENY, f"malformed sealed secret in env {env.get('name')}: {exc}", field))
            ref = mapping(mapping(env.get("valueFrom")).get("secretKeyRef"))
            if ref.get("name") in sealed:
                refs.append(field)
    for k, vol in enumerate(listing(mapping(pod.get("spec")).get("volumes"))):
        if not isinstance(vol, Mapping):
            continue
        names = [mapping(vol.get("secret")).get("secretName")]
        for source in listing(mapping(vol.get("projected")).get("sources")):
            names.append(mapping(mapping(source).get("secret")).get("name"))
        if any(n in sealed for n in names):
            refs.append(f"spec.volumes[{k}]")
            volumes.add(str(vol.get("name")))
    return refs, out, volumes


def _d7(
    pod: Mapping[str, Any], profile: CocoProfile, ctx: PodContext, doc: Initdata | None, has_initdata: bool
) -> list[Violation]:
    sealed = frozenset(ctx.sealed_secrets) | frozenset(profile.sealed_secret_names) | frozenset(sealed_names_of(pod))
    refs, out, volumes = _sealed_refs(pod, sealed)
    if not refs:
        return out
    kbc_ok = False
    if doc is not None:
        try:
            cdh = tomllib.loads(doc.data.get("cdh.toml", ""))
            kbc = cdh.get("kbc")
            kbc_ok = isinstance(kbc, dict) and bool(kbc.get("name")) and bool(kbc.get("url"))
        except tomllib.TOMLDecodeError:
            kbc_ok = False
    if not kbc_ok:
        why = "no initdata" if not has_initdata else "cdh.toml has no [kbc] with name and url"
        out.append(
            Violation("D7", DENY, f"pod uses sealed secrets ({refs[0]}) but {why}: the data hub cannot unseal them")
        )
    prefix = profile.sealed_mount_prefix.rstrip("/") + "/"
    for list_name, i, c in containers_of(pod):
        for j, mount in enumerate(listing(c.get("volumeMounts"))):
            if isinstance(mount, Mapping) and mount.get("name") in volumes:
                path = str(mount.get("mountPath", ""))
                if not (path + "/").startswith(prefix):
                    out.append(
                        Violation(
                            "D7",
                            WARN,
                            f"sealed-secret volume {mount.get('name')} is mounted at {path}, outside {prefix}: "
                            "the agent only unseals there",
                            f"spec.{list_name}[{i}].volumeMounts[{j}]",
                        )
                    )
    return out


def _d8(pod: Mapping[str, Any], profile: CocoProfile) -> list[Violation]:
    annotations = annotations_of(pod)
    total = sum(len(str(k).encode()) + len(str(v).encode()) for k, v in annotations.items())
    out = []
    if total > ANNOTATION_SIZE_LIMIT:
        out.append(Violation("D8", DENY, f"annotations total {total} bytes, over the Kubernetes limit of 256 KiB"))
    value = annotations.get(INITDATA_ANNOTATION)
    runtime_class = mapping(pod.get("spec")).get("runtimeClassName")
    if runtime_class == "kata-remote" and isinstance(value, str) and len(value) > profile.peer_pods_user_data_limit:
        out.append(
            Violation(
                "D8",
                WARN,
                f"initdata is {len(value)} bytes encoded; peer pods carry it in cloud user-data "
                f"(limit {profile.peer_pods_user_data_limit} bytes in the profile)",
            )
        )
    return out


def _ephemeral_names(pod: Mapping[str, Any] | None) -> set[str]:
    if pod is None:
        return set()
    return {
        str(c.get("name"))
        for c in listing(mapping(pod.get("spec")).get("ephemeralContainers"))
        if isinstance(c, Mapping)
    }


def _d9(pod: Mapping[str, Any], old: Mapping[str, Any]) -> list[Violation]:
    out = []
    for key in (INITDATA_ANNOTATION, LEGACY_INITDATA_ANNOTATION):
        if annotations_of(pod).get(key) != annotations_of(old).get(key):
            out.append(
                Violation(
                    "D9",
                    DENY,
                    "initdata cannot change on a running confidential pod: its VM already measured it",
                    f"metadata.annotations[{key}]",
                )
            )
    added = sorted(_ephemeral_names(pod) - _ephemeral_names(old))
    if added:
        out.append(
            Violation(
                "D9",
                DENY,
                f"ephemeral containers ({', '.join(added)}) bypass the confidential pod's review and agent policy",
                "spec.ephemeralContainers",
            )
        )
    new_class = mapping(pod.get("spec")).get("runtimeClassName")
    old_class = mapping(old.get("spec")).get("runtimeClassName")
    if new_class != old_class:
        out.append(Violation("D9", DENY, "runtimeClassName cannot change on a running pod", "spec.runtimeClassName"))
    return out


def _images(pod: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(sorted({str(c.get("image")) for _, _, c in containers_of(pod, ephemeral=False) if c.get("image")}))


def evaluate_pod(pod: Mapping[str, Any], profile: CocoProfile, ctx: PodContext | None = None) -> Evaluation:
    """Apply D1–D9 to a pod (a Pod object or a controller's pod template)."""
    ctx = ctx or PodContext()
    old = ctx.old_pod
    if ctx.operation == "UPDATE" and old is not None:
        in_scope, _, reason = scope_of(old, profile, ctx)
        if not in_scope:
            in_scope, _, reason = scope_of(pod, profile, ctx)
        return Evaluation(in_scope, reason, tuple(_d9(pod, old)) if in_scope else ())
    in_scope, demanded, reason = scope_of(pod, profile, ctx)
    annotations = annotations_of(pod)
    if not in_scope:
        legacy = LEGACY_INITDATA_ANNOTATION in annotations or INITDATA_ANNOTATION in annotations
        if legacy:
            return Evaluation(
                False,
                reason,
                (Violation("D1", WARN, "pod carries CoCo initdata but no CoCo runtime class: Kata ignores it"),),
            )
        return Evaluation(False, reason, ())
    out: list[Violation] = []
    out.extend(_d1(pod, profile, demanded))
    value = annotations.get(INITDATA_ANNOTATION)
    doc: Initdata | None = None
    has_initdata = isinstance(value, str) and value != ""
    if LEGACY_INITDATA_ANNOTATION in annotations:
        sev = DENY if profile.production else WARN
        out.append(
            Violation(
                "D3",
                sev,
                f"{LEGACY_INITDATA_ANNOTATION} is ignored by Kata >= 3.20; use {INITDATA_ANNOTATION}",
                f"metadata.annotations[{LEGACY_INITDATA_ANNOTATION}]",
            )
        )
    if not has_initdata:
        if value is not None and not isinstance(value, str):
            out.append(Violation("D2", DENY, "the initdata annotation must be a string"))
        else:
            sev = DENY if profile.initdata_required else WARN
            out.append(
                Violation("D2", sev, f"confidential pod has no initdata ({INITDATA_ANNOTATION}): nothing to attest to")
            )
    else:
        assert isinstance(value, str)
        verdict = initdata_verdict(value, profile, _images(pod))
        doc = verdict.doc
        out.extend(verdict.violations)
    out.extend(_d6(pod, has_initdata))
    out.extend(_d7(pod, profile, ctx, doc, has_initdata))
    out.extend(_d8(pod, profile))
    return Evaluation(
        True,
        reason,
        tuple(out),
        digest=doc.digest.hex() if doc is not None else None,
        algorithm=doc.algorithm if doc is not None else None,
    )
