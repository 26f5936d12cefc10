"""How workloads consume ConfigMaps and Secrets, read from their manifests (pure)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ferry._kernel import KubeObject

__all__ = ["POD_SPEC_PATHS", "Use", "pod_spec_path", "uses"]

POD_SPEC_PATHS: Mapping[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
_CONTAINER_LISTS = ("initContainers", "containers")


@dataclass(frozen=True)
class Use:
    """One way a container consumes a ConfigMap or Secret.

    ``how`` is ``env`` (``env[].valueFrom``), ``envFrom``, ``subPath`` (a volume mount of one item) or ``volume``
    (a directory mount, which kubelet keeps up to date). ``path`` is the field path inside the object.
    """

    source_kind: str  # ConfigMap | Secret
    source_name: str
    how: str
    container: str
    path: tuple[str | int, ...]
    key: str | None = None  # the ConfigMap/Secret key (env), or the mounted item (subPath)
    env_name: str | None = None
    mount_path: str | None = None
    volume: str | None = None
    optional: bool = False
    container_list: str = "containers"  # or initContainers


def pod_spec_path(obj: KubeObject) -> tuple[str, ...] | None:
    if obj.kind not in POD_SPEC_PATHS:
        return None
    return POD_SPEC_PATHS[obj.kind]


def _dig(body: Mapping[str, Any], path: tuple[str, ...]) -> Mapping[str, Any] | None:
    node: Any = body
    for step in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(step)
    return node if isinstance(node, Mapping) else None


def _list(node: Mapping[str, Any], field: str) -> list[Any]:
    value = node.get(field)
    return value if isinstance(value, list) else []


def _volume_sources(spec: Mapping[str, Any]) -> dict[str, list[tuple[str, str, bool]]]:
    """Volume name → the ConfigMaps/Secrets it projects: (kind, name, optional)."""
    out: dict[str, list[tuple[str, str, bool]]] = {}
    for volume in _list(spec, "volumes"):
        if not isinstance(volume, Mapping) or not isinstance(volume.get("name"), str):
            continue
        found: list[tuple[str, str, bool]] = []
        cm = volume.get("configMap")
        if isinstance(cm, Mapping) and cm.get("name"):
            found.append(("ConfigMap", str(cm["name"]), bool(cm.get("optional"))))
        secret = volume.get("secret")
        if isinstance(secret, Mapping) and secret.get("secretName"):
            found.append(("Secret", str(secret["secretName"]), bool(secret.get("optional"))))
        projected = volume.get("projected")
        if isinstance(projected, Mapping):
            for source in _list(projected, "sources"):
                if not isinstance(source, Mapping):
                    continue
                for field, kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
                    ref = source.get(field)
                    if isinstance(ref, Mapping) and ref.get("name"):
                        found.append((kind, str(ref["name"]), bool(ref.get("optional"))))
        out[str(volume["name"])] = found
    return out


def uses(obj: KubeObject) -> Iterator[Use]:
    """Every ConfigMap and Secret use by the containers of a workload (nothing for other kinds)."""
    base = pod_spec_path(obj)
    spec = _dig(obj.body, base) if base else None
    if base is None or spec is None:
        return
    volumes = _volume_sources(spec)
    for list_name in _CONTAINER_LISTS:
        for ci, container in enumerate(_list(spec, list_name)):
            if not isinstance(container, Mapping):
                continue
            cname = str(container.get("name", f"{list_name}[{ci}]"))
            cpath: tuple[str | int, ...] = (*base, list_name, ci)
            yield from _env_uses(container, cname, cpath, list_name)
            for mi, mount in enumerate(_list(container, "volumeMounts")):
                if not isinstance(mount, Mapping) or mount.get("name") not in volumes:
                    continue
                sub = mount.get("subPath") or mount.get("subPathExpr")
                for kind, name, optional in volumes[str(mount["name"])]:
                    yield Use(
                        kind,
                        name,
                        "subPath" if sub else "volume",
                        cname,
                        (*cpath, "volumeMounts", mi),
                        key=str(sub) if sub else None,
                        mount_path=str(mount.get("mountPath", "")),
                        volume=str(mount["name"]),
                        optional=optional,
                        container_list=list_name,
                    )


def _env_uses(container: Mapping[str, Any], cname: str, cpath: tuple[str | int, ...], list_name: str) -> Iterator[Use]:
    for ei, env in enumerate(_list(container, "env")):
        value_from = env.get("valueFrom") if isinstance(env, Mapping) else None
        if not isinstance(value_from, Mapping):
            continue
        for field, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
            ref = value_from.get(field)
            if isinstance(ref, Mapping) and ref.get("name"):
                yield Use(
                    kind,
                    str(ref["name"]),
                    "env",
                    cname,
                    (*cpath, "env", ei),
                    key=str(ref.get("key", "")),
                    env_name=str(env.get("name", "")),
                    optional=bool(ref.get("optional")),
                    container_list=list_name,
                )
    for ei, env_from in enumerate(_list(container, "envFrom")):
        if not isinstance(env_from, Mapping):
            continue
        for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            ref = env_from.get(field)
            if isinstance(ref, Mapping) and ref.get("name"):
                yield Use(
                    kind,
                    str(ref["name"]),
                    "envFrom",
                    cname,
                    (*cpath, "envFrom", ei),
                    key=str(env_from.get("prefix") or "") or None,
                    optional=bool(ref.get("optional")),
                    container_list=list_name,
                )
