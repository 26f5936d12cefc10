"""The cache section of ``ferry assess``: model servers that download their weights at every start (pure).

Finds vLLM, TGI and KServe InferenceServices, and plain workloads whose commands download weights (``hf download``,
``snapshot_download``, ``aws s3 cp``, ``s5cmd``, ``wget``/``curl`` of weight files), estimates what every cold start
costs, and emits the Dataset + DataLoad that turn the download into a cache hit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ferry._kernel import Artifact, Chart, Estate, Finding, KubeObject, Section, Severity, dump_yaml
from ferry.cache._model import API_VERSION
from ferry.cache._units import format_bytes, parse_quantity

__all__ = ["ColdStart", "ModelWorkload", "assess_cache", "estimate_cold_start", "find_model_workloads"]

SIZE_ANNOTATION = "cache.ferry.dev/model-size"
GiB = 1024**3
# Assumptions of the estimate, stated in every finding.
ORIGIN_PER_CONNECTION = 50e6  # bytes/s one connection gets from a remote object store or the Hub
NODE_CACHE_LOAD = 1.5e9  # bytes/s a node-local cached copy loads at (page cache / local NVMe)
UNKNOWN_SIZE = 15 * GiB
_PARAMS = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*[bB](?![a-zA-Z])")
_HF_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_DOWNLOADERS = (
    (re.compile(r"\b(huggingface-cli|hf)\s+download\s+(\S+)"), "hf download"),
    (re.compile(r"snapshot_download\(\s*(?:repo_id\s*=\s*)?['\"]([^'\"]+)"), "snapshot_download"),
    (re.compile(r"\baws\s+s3\s+(?:cp|sync)\s+(?:--\S+\s+)*(s3://\S+)"), "aws s3"),
    (re.compile(r"\bs5cmd\b[^;&|]*?\bcp\s+(?:-\S+\s+)*['\"]?(s3://[^\s'\"]+)"), "s5cmd"),
    (re.compile(r"\bgsutil\s+(?:-m\s+)?cp\s+(?:-r\s+)?(gs://\S+)"), "gsutil"),
    (re.compile(r"\b(?:wget|curl)\b[^\n;|&]*?(https?://\S+\.(?:safetensors|bin|gguf|pt|pth|onnx))"), "wget/curl"),
)


@dataclass(frozen=True)
class ModelWorkload:
    """A workload that fetches model weights when it starts."""

    obj: KubeObject
    server: str  # vllm, tgi, kserve, download
    model: str  # HF id, URL or s3:// URI
    how: str
    replicas: int
    size: int
    size_known: bool

    @property
    def source(self) -> str:
        if self.model.startswith(("s3://", "gs://", "http://", "https://")):
            return self.model
        return f"https://huggingface.co/{self.model.removeprefix('hf://')}/resolve/main/"


@dataclass(frozen=True)
class ColdStart:
    """Seconds a start spends on weights now and with a warm node cache, and origin bytes per rollout."""

    now_seconds: float
    cached_seconds: float
    origin_bytes_now: int
    origin_bytes_cached: int


def _containers(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or []:
            if isinstance(c, Mapping):
                yield c


def _pod_spec(obj: KubeObject) -> Mapping[str, Any] | None:
    body = obj.body
    spec = body.get("spec")
    if not isinstance(spec, Mapping):
        return None
    if obj.kind == "Pod":
        return spec
    if obj.kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    template = spec.get("template")
    return template.get("spec") if isinstance(template, Mapping) and isinstance(template.get("spec"), Mapping) else None


def _argv(container: Mapping[str, Any]) -> list[str]:
    return [str(a) for a in (container.get("command") or []) + (container.get("args") or [])]


def _flag(argv: Sequence[str], *names: str) -> str | None:
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def _env(container: Mapping[str, Any], *names: str) -> str | None:
    for item in container.get("env") or []:
        if isinstance(item, Mapping) and item.get("name") in names and isinstance(item.get("value"), str):
            return str(item["value"])
    return None


def _remote(model: str | None) -> bool:
    if not model:
        return False
    return model.startswith(("s3://", "gs://", "hf://", "http://", "https://")) or bool(_HF_ID.match(model))


def _size(obj: KubeObject, model: str) -> tuple[int, bool]:
    if SIZE_ANNOTATION in obj.annotations:
        try:
            return parse_quantity(str(obj.annotations[SIZE_ANNOTATION])), True
        except ValueError:
            pass
    matches = _PARAMS.findall(model.split("://", 1)[-1].split("/", 1)[-1])
    if matches:
        return int(float(matches[-1]) * 1e9 * 2), True  # 16-bit weights: two bytes a parameter
    return UNKNOWN_SIZE, False


def _serving(container: Mapping[str, Any]) -> tuple[str, str] | None:
    image = str(container.get("image", ""))
    argv = _argv(container)
    if "vllm" in image or (argv[:2] == ["vllm", "serve"]):
        model = _flag(argv, "--model") or (argv[argv.index("serve") + 1] if "serve" in argv[:-1] else None)
        model = model or _env(container, "MODEL_NAME", "MODEL") or ""
        if _flag(argv, "--load-format") in ("runai_streamer", "runai_streamer_sharded"):
            return None
        if _remote(model):
            return "vllm", str(model)
    if "text-generation-inference" in image:
        model = _flag(argv, "--model-id") or _env(container, "MODEL_ID")
        if _remote(model):
            return "tgi", str(model)
    script = " ".join(argv)
    for pattern, how in _DOWNLOADERS:
        found = pattern.search(script)
        if found:
            return f"download:{how}", found.group(found.lastindex or 1)
    return None


def find_model_workloads(estate: Estate) -> list[ModelWorkload]:
    """Every workload (and InferenceService) that downloads weights at start."""
    found: list[ModelWorkload] = []
    for obj in estate.of_kind("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"):
        spec = _pod_spec(obj)
        if spec is None:
            continue
        replicas = obj.body.get("spec", {}).get("replicas", 1)
        replicas = replicas if isinstance(replicas, int) else 1
        for container in _containers(spec):
            hit = _serving(container)
            if hit is None:
                continue
            server, model = hit
            size, known = _size(obj, model)
            tool = server.split(":", 1)[1] if server.startswith("download:") else server
            how = f"{tool} downloads {model} at start"
            found.append(ModelWorkload(obj, server.split(":", 1)[0], model, how, replicas, size, known))
            break
    for obj in estate.of_kind("InferenceService", group="serving.kserve.io"):
        predictor = (obj.body.get("spec") or {}).get("predictor") or {}
        model_spec = predictor.get("model") or {}
        uri = model_spec.get("storageUri") or predictor.get("storageUri")
        args = [str(a) for a in model_spec.get("args") or []]
        model_id = str(uri or _flag(args, "--model_id", "--model-id") or "")
        if not _remote(model_id):
            continue
        replicas = predictor.get("minReplicas", 1)
        replicas = replicas if isinstance(replicas, int) and replicas > 0 else 1
        size, known = _size(obj, model_id)
        how = (
            "the KServe storage initializer downloads it into an emptyDir at every start"
            if uri
            else "the Hugging Face runtime downloads it at every start"
        )
        found.append(ModelWorkload(obj, "kserve", model_id, how, replicas, size, known))
    return found


def estimate_cold_start(workload: ModelWorkload, *, connections: int = 1) -> ColdStart:
    """Weights time per start: download at ``connections`` x 50 MB/s plus a load at 1.5 GB/s, versus a node cache."""
    size = workload.size
    load = size / NODE_CACHE_LOAD
    now = size / (ORIGIN_PER_CONNECTION * connections) + load
    return ColdStart(round(now, 1), round(load, 1), size * workload.replicas, size)


def _manifests(w: ModelWorkload) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", w.model.rsplit("/", 1)[-1].lower()).strip("-")[:50] or "model"
    namespace = w.obj.namespace or "default"
    mount: dict[str, Any] = {"name": "weights", "mountPoint": w.source}
    if w.source.startswith("s3://"):
        mount["options"] = {"region": "us-east-1"}
    elif w.source.startswith("http"):
        if w.size > 10 * GiB:
            mount["options"] = {"index": "model.safetensors.index.json"}
        else:
            mount["files"] = ["config.json", "model.safetensors"]
    docs = [
        {
            "apiVersion": API_VERSION,
            "kind": "Dataset",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"mounts": [mount]},
        },
        {
            "apiVersion": API_VERSION,
            "kind": "DataLoad",
            "metadata": {"name": f"{name}-warm", "namespace": namespace},
            "spec": {"dataset": {"name": name, "namespace": namespace}, "pin": True},
        },
    ]
    return "---\n".join(dump_yaml(d) for d in docs)


def assess_cache(estate: Estate) -> Section:
    """The ``cache`` section: one finding and one Dataset/DataLoad artifact per workload that downloads weights."""
    workloads = find_model_workloads(estate)
    if not workloads:
        return Section("cache", "No model-serving workload downloads weights at start.", metrics={"model_workloads": 0})
    findings: list[Finding] = []
    artifacts: list[Artifact] = []
    labels: list[str] = []
    now_values: list[float] = []
    cached_values: list[float] = []
    total_now = 0
    total_cached = 0
    for w in workloads:
        est = estimate_cold_start(w)
        total_now += est.origin_bytes_now
        total_cached += est.origin_bytes_cached
        size_note = format_bytes(w.size) + (
            "" if w.size_known else f" (size unknown: assumed; set the annotation {SIZE_ANNOTATION})"
        )
        severity = Severity.ERROR if est.now_seconds >= 300 or w.replicas > 1 else Severity.WARNING
        artifact = f"cache-{w.obj.namespace or 'default'}-{w.obj.name}.yaml"
        findings.append(
            Finding(
                code=f"cache.{w.server}-downloads-weights",
                severity=severity,
                message=(
                    f"{w.how}: about {size_note} per start, ~{est.now_seconds:.0f} s of cold start "
                    f"(~{est.cached_seconds:.0f} s from a warm node cache); {w.replicas} replica(s) pull "
                    f"{format_bytes(est.origin_bytes_now)} from the origin per rollout"
                ),
                obj=w.obj.ref,
                source=w.obj.source,
                hint=f"apply {artifact} (ferry cache apply -f; ferry cache prefetch -f) and read the weights from the "
                f"cache; on the cluster, ferry cache render --fluid -f {artifact} --runtime juicefs (or alluxio, "
                "jindo) gives Fluid's Dataset, runtime, imports and DataLoad",
                details={
                    "model": w.model,
                    "server": w.server,
                    "bytes": w.size,
                    "size_known": w.size_known,
                    "replicas": w.replicas,
                    "cold_start_seconds": est.now_seconds,
                    "cached_start_seconds": est.cached_seconds,
                    "assumptions": "one connection at 50 MB/s to the origin; load at 1.5 GB/s from a node cache",
                },
            )
        )
        artifacts.append(
            Artifact(
                artifact,
                "application/yaml",
                _manifests(w),
                f"Dataset and pinned DataLoad that cache {w.model} for {w.obj.ref} (for the embedded runtime, or "
                "for Fluid with JuiceFS, Alluxio or Jindo through ferry cache render --fluid)",
            )
        )
        labels.append(w.obj.ref)
        now_values.append(est.now_seconds)
        cached_values.append(est.cached_seconds)
    return Section(
        "cache",
        f"{len(workloads)} model-serving workload(s) download weights at start: ~{sum(now_values):.0f} s of cold "
        f"start in all, ~{sum(cached_values):.0f} s with the weights prefetched into a node cache.",
        findings=findings,
        artifacts=artifacts,
        metrics={
            "model_workloads": len(workloads),
            "cold_start_seconds": round(sum(now_values), 1),
            "cached_start_seconds": round(sum(cached_values), 1),
            "origin_bytes_per_rollout": total_now,
            "origin_bytes_per_rollout_cached": total_cached,
        },
        charts=[
            Chart("Weights time per cold start (s): downloading", labels, now_values, "s"),
            Chart("Weights time per cold start (s): from the node cache", labels, cached_values, "s"),
        ],
    )
