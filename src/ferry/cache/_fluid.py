"""``ferry cache render --fluid``: Datasets, Runtimes and DataLoads as Fluid objects for Kubernetes (pure).

The same ferry declarations render for any of Fluid's engines, chosen with one argument (``runtime_kind``):

- ``alluxio`` / ``jindo``: each ferry Dataset maps one to one to a ``data.fluid.io/v1alpha1`` Dataset over its
  origins; its Runtime becomes an AlluxioRuntime (or JindoRuntime) with one tiered-store level.
- ``juicefs``: the dataset lives in a JuiceFS volume; see :mod:`ferry.cache._fluid_juicefs` (Dataset
  ``juicefs:///``, JuiceFSRuntime, and a DataMigrate or DataProcess per origin to import it).

Without ``runtime_kind`` a dataset whose ferry Runtime has ``type: juicefs`` renders for JuiceFS, any other for
Alluxio. For every engine a reference dataset (``dataset://ns/name``) becomes a reference Dataset plus the empty
ThinRuntime Fluid's sidecar mode needs; DataLoads keep their targets and schedule; workloads in the same file that
carry the annotation ``cache.ferry.dev/dataset: <name>`` come back with the serverless sidecar label
(``serverless.fluid.io/inject: "true"``) and the dataset's PVC mounted. Secret values are never rendered: the
objects name Secrets, and :func:`plan_fluid` reports which ones the input does not declare.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ferry.cache._errors import DatasetError
from ferry.cache._fluid_common import FLUID_API, fluid_object, quantity, secret_refs
from ferry.cache._fluid_juicefs import juicefs_objects, warmup_targets
from ferry.cache._model import DataLoad, Dataset, Mount, Runtime, Spec

__all__ = [
    "DATASET_ANNOTATION",
    "FLUID_API",
    "MOUNT_PATH_ANNOTATION",
    "RUNTIME_KINDS",
    "FluidRender",
    "plan_fluid",
    "render_fluid",
]

DATASET_ANNOTATION = "cache.ferry.dev/dataset"
MOUNT_PATH_ANNOTATION = "cache.ferry.dev/mount-path"
SIDECAR_LABEL = "serverless.fluid.io/inject"
_GI = 1024**3
RUNTIME_KINDS = {"alluxio": "AlluxioRuntime", "jindo": "JindoRuntime", "juicefs": "JuiceFSRuntime"}
_WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "Pod"}


@dataclass(frozen=True)
class FluidRender:
    """The rendered objects, what to tell whoever applies them, and the Secrets the objects read.

    ``secrets`` maps ``(namespace, name)`` to the keys read; ``undeclared`` lists those the input does not declare
    (they must exist in the cluster before the objects can work). No Secret value is ever part of a render.
    """

    objects: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    secrets: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    undeclared: list[tuple[str, str]] = field(default_factory=list)


def _mount(dataset: Dataset, mount: Mount, runtime_kind: str) -> dict[str, Any]:
    point = mount.mount_point
    if mount.scheme == "local" and not point.startswith("local://"):
        point = "local://" + point
    out: dict[str, Any] = {"mountPoint": point, "name": mount.name}
    prefix = dataset.mount_prefix(mount)
    if mount.path is not None or len(dataset.mounts) > 1:
        out["path"] = "/" + prefix
    options: dict[str, str] = {}
    if mount.scheme == "s3" and runtime_kind == "AlluxioRuntime":
        if endpoint := mount.options.get("endpoint"):
            options["alluxio.underfs.s3.endpoint"] = endpoint
            options["alluxio.underfs.s3.disable.dns.buckets"] = "true"
        if region := mount.options.get("region"):
            options["alluxio.underfs.s3.endpoint.region"] = region
    elif mount.scheme == "s3":
        if endpoint := mount.options.get("endpoint"):
            options["fs.s3.endpoint"] = endpoint
        if region := mount.options.get("region"):
            options["fs.s3.region"] = region
    for key, value in mount.options.items():
        if "." in key:  # runtime-specific keys written for Fluid pass through untouched
            options[key] = value
    if options:
        out["options"] = options
    if mount.encrypt_options:
        out["encryptOptions"] = [
            {"name": e.name, "valueFrom": {"secretKeyRef": {"name": e.secret, "key": e.key}}}
            for e in mount.encrypt_options
        ]
    return out


def _dataset(dataset: Dataset, runtime_kind: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": dataset.name, "namespace": dataset.namespace}
    if dataset.labels:
        meta["labels"] = dict(dataset.labels)
    if dataset.reference is not None:
        ns, name = dataset.reference
        return {
            "apiVersion": FLUID_API,
            "kind": "Dataset",
            "metadata": meta,
            "spec": {"mounts": [{"mountPoint": f"dataset://{ns}/{name}", "name": dataset.mounts[0].name, "path": "/"}]},
        }
    mounts = [_mount(dataset, m, runtime_kind) for m in dataset.mounts]
    return {
        "apiVersion": FLUID_API,
        "kind": "Dataset",
        "metadata": meta,
        "spec": {"mounts": mounts, "accessModes": ["ReadOnlyMany"]},
    }


def _runtime(dataset: Dataset, runtime: Runtime | None, kind: str) -> dict[str, Any]:
    spec = runtime or Runtime(dataset.name, dataset.namespace)
    quota = spec.quota or 100 * _GI
    level: dict[str, Any] = {
        "mediumtype": spec.medium,
        "path": "/dev/shm" if spec.medium == "MEM" else (spec.cache_dir or "/var/lib/fluid/cache"),
        "quota": quantity(quota),
        "high": "0.95",
        "low": "0.7",
    }
    if spec.medium == "MEM":
        level["volumeType"] = "emptyDir"
    return {
        "apiVersion": FLUID_API,
        "kind": kind,
        "metadata": {"name": dataset.name, "namespace": dataset.namespace},
        "spec": {"replicas": 1, "tieredstore": {"levels": [level]}},
    }


def _dataload(load: DataLoad) -> dict[str, Any]:
    spec: dict[str, Any] = {"dataset": {"name": load.dataset, "namespace": load.namespace}, "loadMetadata": True}
    if load.targets:
        spec["target"] = [{"path": "/" + t.strip("/"), "replicas": 1} for t in load.targets]
    if load.policy != "Once":
        spec["policy"] = load.policy
    if load.schedule:
        spec["schedule"] = load.schedule
    return {
        "apiVersion": FLUID_API,
        "kind": "DataLoad",
        "metadata": {"name": load.name, "namespace": load.namespace},
        "spec": spec,
    }


def _pod_spec(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(pod metadata, pod spec) of a workload, created where missing."""
    if body.get("kind") == "Pod":
        return body.setdefault("metadata", {}), body.setdefault("spec", {})
    spec = body.setdefault("spec", {})
    if body.get("kind") == "Job" or "template" in spec or body.get("kind") in _WORKLOADS:
        template = spec.setdefault("template", {})
        return template.setdefault("metadata", {}), template.setdefault("spec", {})
    return None


def _consumer(obj: dict[str, Any], datasets: dict[tuple[str, str], Dataset]) -> dict[str, Any]:
    body = copy.deepcopy(obj)
    meta = body.get("metadata") or {}
    namespace = meta.get("namespace") or "default"
    wanted = str((meta.get("annotations") or {})[DATASET_ANNOTATION])
    ns, _, name = wanted.rpartition("/")
    key = (ns or namespace, name)
    if key not in datasets:
        raise DatasetError(
            f"{obj.get('kind')} {namespace}/{meta.get('name')} asks for Dataset {wanted}, "
            "which this file does not declare"
        )
    if key[0] != namespace:
        raise DatasetError(
            f"{obj.get('kind')} {namespace}/{meta.get('name')} uses Dataset {wanted} from another namespace",
            hint="declare a reference Dataset (dataset://...) in the workload's namespace",
        )
    mount_path = str((meta.get("annotations") or {}).get(MOUNT_PATH_ANNOTATION, "/models"))
    found = _pod_spec(body)
    if found is None:
        raise DatasetError(f"{obj.get('kind')} {namespace}/{meta.get('name')} has no pod template")
    pod_meta, pod_spec = found
    pod_meta.setdefault("labels", {})[SIDECAR_LABEL] = "true"
    volume = f"ferry-{name}"[:63]
    volumes = [v for v in pod_spec.get("volumes") or [] if v.get("name") != volume]
    volumes.append({"name": volume, "persistentVolumeClaim": {"claimName": name, "readOnly": True}})
    pod_spec["volumes"] = volumes
    for container in pod_spec.get("containers") or []:
        mounts = [m for m in container.get("volumeMounts") or [] if m.get("name") != volume]
        mounts.append({"name": volume, "mountPath": mount_path, "readOnly": True})
        container["volumeMounts"] = mounts
    return body


def _engine(runtime_kind: str | None, runtime: Runtime | None) -> str:
    if runtime_kind is not None:
        return runtime_kind
    return "juicefs" if runtime is not None and runtime.type == "juicefs" else "alluxio"


def _chain(load: dict[str, Any], imports: list[dict[str, Any]]) -> bool:
    """A one-off DataLoad of a JuiceFS dataset warms what the imports wrote: it runs after the last of them."""
    if not imports or load["spec"].get("policy", "Once") != "Once":
        return False
    last = imports[-1]
    load["spec"]["runAfter"] = {
        "kind": last["kind"],
        "name": last["metadata"]["name"],
        "namespace": last["metadata"]["namespace"],
    }
    return True


def _check_secrets(spec: Spec, refs: dict[tuple[str, str], tuple[str, ...]]) -> list[tuple[str, str]]:
    declared = {(s.namespace, s.name): s for s in spec.secrets}
    undeclared = []
    for ref, keys in refs.items():
        secret = declared.get(ref)
        if secret is None:
            undeclared.append(ref)
            continue
        if missing := [k for k in keys if k not in secret.data]:
            raise DatasetError(
                f"Secret {ref[0]}/{ref[1]} has no key {', '.join(missing)}, which the rendered objects read",
                hint="add the key to the Secret (its value is never printed)",
            )
    return undeclared


def plan_fluid(spec: Spec, *, runtime_kind: str | None = None, extra: Sequence[Dataset] = ()) -> FluidRender:
    """The Fluid objects for everything ``spec`` declares, with notes and the Secrets they read.

    ``runtime_kind``: ``alluxio``, ``jindo`` or ``juicefs`` for every physical dataset; None: ``juicefs`` for
    datasets whose Runtime has ``type: juicefs``, else ``alluxio``. ``extra``: datasets references may point at.
    """
    if runtime_kind is not None and runtime_kind not in RUNTIME_KINDS:
        raise DatasetError(f"unknown Fluid runtime {runtime_kind!r}", hint=f"use one of {', '.join(RUNTIME_KINDS)}")
    notes: list[str] = []
    runtimes = {(r.namespace, r.name): r for r in spec.runtimes}
    default_runtime = spec.runtimes[0] if len(spec.runtimes) == 1 else None
    by_key = {(d.namespace, d.name): d for d in (*extra, *spec.datasets)}
    out: list[dict[str, Any]] = []
    imports: dict[tuple[str, str], list[dict[str, Any]]] = {}
    on_juicefs: set[tuple[str, str]] = set()
    for dataset in spec.datasets:
        if dataset.reference is not None:
            if dataset.reference not in by_key:
                raise DatasetError(
                    f"Dataset {dataset.key} references {'/'.join(dataset.reference)}, which is not declared",
                    hint="declare the physical dataset in the same file",
                )
            out.append(_dataset(dataset, "ThinRuntime"))
            out.append(fluid_object("ThinRuntime", dataset.name, dataset.namespace))
            continue
        runtime = runtimes.get((dataset.namespace, dataset.name), default_runtime)
        engine = _engine(runtime_kind, runtime)
        if engine == "juicefs":
            objects = juicefs_objects(dataset, runtime, notes.append)
            out += objects
            imports[(dataset.namespace, dataset.name)] = objects[2:]
            on_juicefs.add((dataset.namespace, dataset.name))
            continue
        out.append(_dataset(dataset, RUNTIME_KINDS[engine]))
        out.append(_runtime(dataset, runtime, RUNTIME_KINDS[engine]))
    for load in spec.dataloads:
        if (load.namespace, load.dataset) not in by_key:
            raise DatasetError(
                f"DataLoad {load.namespace}/{load.name} names Dataset {load.dataset}, which is not declared"
            )
        rendered = _dataload(load)
        if (load.namespace, load.dataset) in on_juicefs:
            warmup_targets(rendered, notes.append)
        if _chain(rendered, imports.get((load.namespace, load.dataset), [])):
            del imports[(load.namespace, load.dataset)]  # the first one-off DataLoad waits for the imports
        out.append(rendered)
    for obj in spec.others:
        if obj.kind in _WORKLOADS and DATASET_ANNOTATION in obj.annotations:
            out.append(_consumer(dict(obj.body), by_key))
    refs = secret_refs(out)
    return FluidRender(out, notes, refs, _check_secrets(spec, refs))


def render_fluid(spec: Spec, *, runtime_kind: str | None = None, extra: Sequence[Dataset] = ()) -> list[dict[str, Any]]:
    """The Fluid objects for everything ``spec`` declares (see :func:`plan_fluid`); Secret values never appear."""
    return plan_fluid(spec, runtime_kind=runtime_kind, extra=extra).objects
