"""What ``/mutate`` adds to a confidential pod, as an idempotent RFC 6902 JSON Patch (pure).

Only where absent: ``spec.runtimeClassName`` (when the namespace or labels demand CoCo), the initdata annotation
(aa.toml, cdh.toml and a kata-agent policy generated for this pod) and the sealed-secret wiring (a Secret volume
per name in ``coco.ferry.dev/sealed-secrets``, mounted read-only under the sealed prefix in every container).
User-provided initdata is never overwritten; initdata ferry generated itself (its digest recorded in
``coco.ferry.dev/initdata-digest``) is regenerated when the pod changed, so reinvocation after another webhook
stays consistent. Applying the patch and mutating again yields an empty patch.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ferry.coco._agent_policy import generate_agent_policy
from ferry.coco._errors import InitdataError
from ferry.coco._guest import build_initdata
from ferry.coco._initdata import (
    INITDATA_ANNOTATION,
    LEGACY_INITDATA_ANNOTATION,
    decode_annotation,
    encode_annotation,
)
from ferry.coco._pods import PodContext, annotations_of, containers_of, listing, mapping, scope_of, sealed_names_of
from ferry.coco._profile import CocoProfile

__all__ = ["DIGEST_ANNOTATION", "Mutation", "apply_patch", "initdata_for_pod", "mutate_pod"]

DIGEST_ANNOTATION = "coco.ferry.dev/initdata-digest"


@dataclass(frozen=True)
class Mutation:
    """The patch and what it did (for audit annotations and metrics)."""

    patch: list[dict[str, Any]] = field(default_factory=list)
    injected: tuple[str, ...] = ()
    digest: str | None = None
    algorithm: str | None = None
    in_scope: bool = False


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


_BUILT: OrderedDict[tuple[int, str], tuple[CocoProfile, str, bytes]] = OrderedDict()
_BUILT_LOCK = threading.Lock()


def initdata_for_pod(pod: Mapping[str, Any], profile: CocoProfile) -> tuple[str, bytes]:
    """(annotation value, TOML document) for a pod under this profile; cached, as replicas share one spec."""
    spec = dict(mapping(pod.get("spec")))
    key = (id(profile), json.dumps(spec, sort_keys=True, default=str))
    with _BUILT_LOCK:
        hit = _BUILT.get(key)
        if hit is not None and hit[0] is profile:
            _BUILT.move_to_end(key)
            return hit[1], hit[2]
    document = build_initdata(profile, generate_agent_policy({"spec": spec}, profile.agent_policy))
    value = encode_annotation(document)
    with _BUILT_LOCK:
        _BUILT[key] = (profile, value, document)
        while len(_BUILT) > 256:
            _BUILT.popitem(last=False)
    return value, document


def _digest_label(profile: CocoProfile, document: bytes) -> str:
    return f"{profile.algorithm}:{hashlib.new(profile.algorithm, document).hexdigest()}"


def _sealed_wiring(pod: Mapping[str, Any], profile: CocoProfile) -> list[dict[str, Any]]:
    names = sealed_names_of(pod)
    if not names:
        return []
    ops: list[dict[str, Any]] = []
    spec = mapping(pod.get("spec"))
    volumes = [v for v in listing(spec.get("volumes")) if isinstance(v, Mapping)]
    by_secret = {str(mapping(v.get("secret")).get("secretName")): str(v.get("name")) for v in volumes}
    used_names = {str(v.get("name")) for v in volumes}
    new_volumes = []
    wanted: list[tuple[str, str]] = []
    for secret in names:
        vol_name = by_secret.get(secret)
        if vol_name is None:
            vol_name = f"sealed-{secret}"[:63].rstrip("-.")
            suffix = 1
            while vol_name in used_names:
                suffix += 1
                vol_name = f"sealed-{secret}"[:58].rstrip("-.") + f"-{suffix}"
            used_names.add(vol_name)
            new_volumes.append({"name": vol_name, "secret": {"secretName": secret}})
        wanted.append((vol_name, f"{profile.sealed_mount_prefix.rstrip('/')}/{secret}"))
    if new_volumes:
        if "volumes" not in spec or not isinstance(spec.get("volumes"), list):
            ops.append({"op": "add", "path": "/spec/volumes", "value": new_volumes})
        else:
            ops.extend({"op": "add", "path": "/spec/volumes/-", "value": v} for v in new_volumes)
    for list_name, i, c in containers_of(pod, ephemeral=False):
        mounts = [m for m in listing(c.get("volumeMounts")) if isinstance(m, Mapping)]
        have_vol = {str(m.get("name")) for m in mounts}
        have_path = {str(m.get("mountPath")) for m in mounts}
        add = [
            {"name": vol, "mountPath": path, "readOnly": True}
            for vol, path in wanted
            if vol not in have_vol and path not in have_path
        ]
        if not add:
            continue
        base = f"/spec/{list_name}/{i}/volumeMounts"
        if not isinstance(c.get("volumeMounts"), list):
            ops.append({"op": "add", "path": base, "value": add})
        else:
            ops.extend({"op": "add", "path": base + "/-", "value": m} for m in add)
    return ops


def _apply_sealed_to_spec(spec: Mapping[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    """The spec after the sealed wiring (for generating the agent policy over the final mounts)."""
    out: dict[str, Any] = dict(spec)
    for op in ops:
        parts = op["path"].strip("/").split("/")[1:]
        if parts == ["volumes"]:
            out["volumes"] = list(op["value"])
        elif parts == ["volumes", "-"]:
            out["volumes"] = [*out.get("volumes", []), op["value"]]
        elif len(parts) >= 3 and parts[2] == "volumeMounts":
            list_name, index = parts[0], int(parts[1])
            containers = [dict(c) for c in out.get(list_name, [])]
            mounts = list(listing(containers[index].get("volumeMounts")))
            mounts.extend(op["value"] if parts[-1] == "volumeMounts" else [op["value"]])
            containers[index]["volumeMounts"] = mounts
            out[list_name] = containers
    return out


def _patchable(pod: Mapping[str, Any]) -> bool:
    spec, metadata = pod.get("spec"), pod.get("metadata", {})
    if not isinstance(spec, Mapping) or not isinstance(metadata, Mapping):
        return False
    if "annotations" in metadata and not isinstance(metadata["annotations"], Mapping):
        return False
    if "volumes" in spec and not isinstance(spec["volumes"], list):
        return False
    for key in ("containers", "initContainers"):
        items = spec.get(key, [])
        if not isinstance(items, list) or not all(isinstance(c, Mapping) for c in items):
            return False
        if any("volumeMounts" in c and not isinstance(c["volumeMounts"], list) for c in items):
            return False
    return True


def mutate_pod(pod: Mapping[str, Any], profile: CocoProfile, ctx: PodContext | None = None) -> Mutation:
    """The JSON Patch for a pod CREATE (UPDATEs are never mutated: the fields are immutable)."""
    ctx = ctx or PodContext()
    if ctx.operation != "CREATE":
        return Mutation()
    in_scope, demanded, _ = scope_of(pod, profile, ctx)
    if not in_scope:
        return Mutation()
    if not _patchable(pod):
        return Mutation(in_scope=True)  # malformed: nothing safe to patch; /validate says what is wrong
    ops: list[dict[str, Any]] = []
    injected: list[str] = []
    spec = mapping(pod.get("spec"))
    if demanded and not spec.get("runtimeClassName"):
        ops.append({"op": "add", "path": "/spec/runtimeClassName", "value": profile.runtime_class})
        injected.append("runtimeClassName")
    sealed_ops = _sealed_wiring(pod, profile)
    if sealed_ops:
        injected.append("sealedSecrets")
    ops.extend(sealed_ops)
    annotations = annotations_of(pod)
    current = annotations.get(INITDATA_ANNOTATION)
    recorded = annotations.get(DIGEST_ANNOTATION)
    final_pod = {"spec": _apply_sealed_to_spec(spec, sealed_ops)}
    digest = algorithm = None
    new_annotations: dict[str, str] = {}
    if LEGACY_INITDATA_ANNOTATION in annotations and not current:
        pass  # D3 tells the user to rename their own initdata; ferry does not guess which one they meant
    elif not current:
        value, document = initdata_for_pod(final_pod, profile)
        new_annotations[INITDATA_ANNOTATION] = value
        new_annotations[DIGEST_ANNOTATION] = _digest_label(profile, document)
        injected.append("initdata")
        digest, algorithm = new_annotations[DIGEST_ANNOTATION].split(":")[1], profile.algorithm
    elif isinstance(current, str) and isinstance(recorded, str):
        try:
            existing = decode_annotation(current)
        except InitdataError:
            existing = None
        if existing is not None and _digest_label(profile, existing) == recorded:
            # ferry's own initdata: regenerate it for the pod as it is now (another webhook may have changed it)
            value, document = initdata_for_pod(final_pod, profile)
            algorithm, digest = profile.algorithm, _digest_label(profile, document).split(":")[1]
            if document != existing:
                path = f"/metadata/annotations/{_escape(INITDATA_ANNOTATION)}"
                ops.append({"op": "replace", "path": path, "value": value})
                ops.append(
                    {
                        "op": "replace",
                        "path": f"/metadata/annotations/{_escape(DIGEST_ANNOTATION)}",
                        "value": _digest_label(profile, document),
                    }
                )
                injected.append("initdata")
    if new_annotations:
        if not isinstance(mapping(pod.get("metadata")).get("annotations"), Mapping):
            if "metadata" not in pod:
                ops.insert(0, {"op": "add", "path": "/metadata", "value": {}})
            ops.append({"op": "add", "path": "/metadata/annotations", "value": new_annotations})
        else:
            ops.extend(
                {"op": "add", "path": f"/metadata/annotations/{_escape(k)}", "value": v}
                for k, v in new_annotations.items()
            )
    return Mutation(patch=ops, injected=tuple(injected), digest=digest, algorithm=algorithm, in_scope=True)


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def apply_patch(obj: Mapping[str, Any], patch: list[dict[str, Any]]) -> dict[str, Any]:
    """Apply the ``add`` / ``replace`` operations :func:`mutate_pod` emits to a copy of ``obj``."""
    out: dict[str, Any] = json.loads(json.dumps(obj))
    for op in patch:
        if op.get("op") not in ("add", "replace"):
            raise ValueError(f"unsupported JSON Patch operation {op.get('op')!r}")
        *parents, last = [_unescape(t) for t in str(op["path"]).split("/")[1:]]
        node: Any = out
        for token in parents:
            node = node[int(token)] if isinstance(node, list) else node[token]
        if isinstance(node, list):
            if last == "-":
                node.append(op["value"])
            elif op["op"] == "add":
                node.insert(int(last), op["value"])
            else:
                node[int(last)] = op["value"]
        else:
            node[last] = op["value"]
    return out
