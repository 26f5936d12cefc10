"""The CoCo profile: which pods are confidential and how they must be configured (pure: mapping in, profile out).

A profile is a YAML document::

    apiVersion: coco.ferry.dev/v1
    kind: CocoProfile
    metadata: {name: finance}
    spec:
      environment: production            # production | development
      selection:
        namespaceLabels: {coco.ferry.dev/confidential: "true"}
        podLabels: {coco.ferry.dev/confidential: "true"}
      runtimeClass: kata-qemu-snp         # injected when a selected pod has none
      tee: snp                            # snp | tdx | cca | se | vtpm | none
      algorithm: sha384
      kbs: {url: https://kbs.example:8080, allowedHosts: [kbs.example], pinImages: true}
      imagePolicy: {uri: kbs:///default/security-policy/test}
      registryAuth: {uri: kbs:///default/credential/registry}
      agentPolicy: {strictness: strict, allowExec: [], allowLogs: false}
      sealedSecrets: {mountPrefix: /sealed, secretLabel: coco.ferry.dev/sealed}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from ferry.coco._errors import ProfileError

__all__ = [
    "COCO_RUNTIME_CLASSES",
    "DEV_RUNTIME_CLASSES",
    "AgentPolicySettings",
    "CocoProfile",
    "parse_profile",
    "tee_of_runtime_class",
]

COCO_RUNTIME_CLASSES: tuple[str, ...] = (
    "kata-qemu-coco-dev",
    "kata-qemu-coco-dev-runtime-rs",
    "kata-qemu-snp",
    "kata-qemu-tdx",
    "kata-qemu-sev",
    "kata-qemu-nvidia-gpu-snp",
    "kata-qemu-nvidia-gpu-tdx",
    "kata-qemu-se",
    "kata-qemu-se-runtime-rs",
    "kata-remote",
    "kata-cc",
)
"""Runtime classes that run a pod in a confidential VM (upstream CoCo chart, peer pods, OpenShift)."""

DEV_RUNTIME_CLASSES: tuple[str, ...] = ("kata-qemu-coco-dev", "kata-qemu-coco-dev-runtime-rs")
"""CoCo classes without a TEE: no integrity, no confidentiality ("no security guarantees")."""

TEES = ("snp", "tdx", "cca", "se", "vtpm", "none")
ALGORITHMS = ("sha256", "sha384", "sha512")
ENVIRONMENTS = ("production", "development")
STRICTNESS = ("strict", "permissive")


def tee_of_runtime_class(runtime_class: str) -> str | None:
    """The TEE a runtime class implies, or None when the class does not say (peer pods, ``kata-cc``)."""
    if runtime_class in DEV_RUNTIME_CLASSES:
        return "none"
    for tee in ("snp", "tdx", "sev", "se"):
        if runtime_class.endswith("-" + tee) or f"-{tee}-" in runtime_class:
            return "snp" if tee == "sev" else tee
    return None


@dataclass(frozen=True)
class AgentPolicySettings:
    """How restrictive the kata-agent policy must be.

    ``strict`` denies a permissive default (exec, logs, SetPolicy, any CreateContainer); ``permissive`` only warns.
    ``allow_exec`` lists the exact commands (``"cat /tmp/ready"``) that may be exec'd; ``allow_logs`` opens
    ``kubectl logs``.
    """

    strictness: str = "strict"
    allow_exec: tuple[str, ...] = ()
    allow_logs: bool = False
    require_policy: bool = True


@dataclass(frozen=True)
class CocoProfile:
    """Everything ferry needs to inject and judge confidential pods."""

    name: str = "default"
    environment: str = "production"
    namespace_labels: Mapping[str, str] = field(default_factory=lambda: {"coco.ferry.dev/confidential": "true"})
    namespaces: tuple[str, ...] = ()
    pod_labels: Mapping[str, str] = field(default_factory=lambda: {"coco.ferry.dev/confidential": "true"})
    runtime_class: str = "kata-qemu-snp"
    runtime_classes: tuple[str, ...] = COCO_RUNTIME_CLASSES
    tee: str = "snp"
    algorithm: str = "sha384"
    kbs_url: str | None = None
    kbs_cert: str | None = None
    kbs_allowed_hosts: tuple[str, ...] = ()
    kbs_pin_images: bool = False
    image_policy_uri: str | None = None
    image_policy_inline: str | None = None
    registry_auth_uri: str | None = None
    agent_policy: AgentPolicySettings = field(default_factory=AgentPolicySettings)
    sealed_mount_prefix: str = "/sealed"
    sealed_secret_label: str = "coco.ferry.dev/sealed"
    sealed_secret_names: tuple[str, ...] = ()
    peer_pods_user_data_limit: int = 16384
    initdata_required: bool = True

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def kbs_host(self) -> str:
        return (urlsplit(self.kbs_url).hostname or "") if self.kbs_url else ""

    def require_kbs(self) -> str:
        """The KBS URL; :class:`ProfileError` when the profile names none (initdata cannot be built without)."""
        if not self.kbs_url:
            raise ProfileError(
                f"profile {self.name!r} names no KBS: initdata needs one to attest to",
                hint="set spec.kbs.url in the profile (see examples/coco/profile.yaml)",
            )
        return self.kbs_url

    def with_environment(self, environment: str) -> CocoProfile:
        if environment not in ENVIRONMENTS:
            raise ProfileError(f"environment must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}")
        return replace(self, environment=environment)

    def to_dict(self) -> dict[str, Any]:
        """The profile as the YAML document :func:`parse_profile` reads."""
        spec: dict[str, Any] = {
            "environment": self.environment,
            "selection": {
                "namespaceLabels": dict(self.namespace_labels),
                "namespaces": list(self.namespaces),
                "podLabels": dict(self.pod_labels),
                "runtimeClasses": list(self.runtime_classes),
            },
            "runtimeClass": self.runtime_class,
            "tee": self.tee,
            "algorithm": self.algorithm,
            "kbs": {"allowedHosts": list(self.kbs_allowed_hosts), "pinImages": self.kbs_pin_images},
            "imagePolicy": {},
            "agentPolicy": {
                "strictness": self.agent_policy.strictness,
                "allowExec": list(self.agent_policy.allow_exec),
                "allowLogs": self.agent_policy.allow_logs,
                "required": self.agent_policy.require_policy,
            },
            "sealedSecrets": {
                "mountPrefix": self.sealed_mount_prefix,
                "secretLabel": self.sealed_secret_label,
                "names": list(self.sealed_secret_names),
            },
            "peerPods": {"userDataLimit": self.peer_pods_user_data_limit},
            "initdata": {"required": self.initdata_required},
        }
        if self.kbs_url:
            spec["kbs"]["url"] = self.kbs_url
        if self.kbs_cert:
            spec["kbs"]["cert"] = self.kbs_cert
        if self.image_policy_uri:
            spec["imagePolicy"]["uri"] = self.image_policy_uri
        if self.image_policy_inline:
            spec["imagePolicy"]["inline"] = self.image_policy_inline
        if self.registry_auth_uri:
            spec["registryAuth"] = {"uri": self.registry_auth_uri}
        return {"apiVersion": "coco.ferry.dev/v1", "kind": "CocoProfile", "metadata": {"name": self.name}, "spec": spec}


_SPEC_KEYS = {
    "environment",
    "selection",
    "runtimeClass",
    "tee",
    "algorithm",
    "kbs",
    "imagePolicy",
    "registryAuth",
    "agentPolicy",
    "sealedSecrets",
    "peerPods",
    "initdata",
}


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, message: str, path: str) -> ProfileError:
        return ProfileError(message, where=f"{self.source} (field {path})", hint="see docs/coco.md#the-profile")

    def mapping(self, value: Any, path: str, allowed: set[str] | None = None) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(f"expected a mapping, found {type(value).__name__}", path)
        if allowed is not None:
            unknown = sorted(set(value) - allowed)
            if unknown:
                raise self.fail(f"unknown field(s) {', '.join(map(str, unknown))}", path)
        return value

    def string(self, value: Any, path: str, default: str | None = None, choices: tuple[str, ...] = ()) -> str | None:
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.fail(f"expected a string, found {type(value).__name__}", path)
        if choices and value not in choices:
            raise self.fail(f"must be one of {', '.join(choices)}, not {value!r}", path)
        return value

    def strings(self, value: Any, path: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail("expected a list of strings", path)
        return tuple(value)

    def labels(self, value: Any, path: str) -> dict[str, str]:
        m = self.mapping(value, path)
        out = {}
        for k, v in m.items():
            if not isinstance(v, str | bool | int) or isinstance(v, float):
                raise self.fail(f"label {k!r} must have a string value", path)
            out[str(k)] = str(v).lower() if isinstance(v, bool) else str(v)
        return out

    def boolean(self, value: Any, path: str, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail("expected true or false", path)
        return value


def parse_profile(data: Any, source: str = "<profile>") -> CocoProfile:
    """Read a profile document (the parsed YAML). Raises :class:`ProfileError` naming the bad field."""
    r = _Reader(source)
    top = r.mapping(data, "<document>", {"apiVersion", "kind", "metadata", "spec"})
    if top.get("kind", "CocoProfile") != "CocoProfile":
        raise r.fail(f"kind must be CocoProfile, not {top.get('kind')!r}", "kind")
    name = r.string(r.mapping(top.get("metadata"), "metadata").get("name"), "metadata.name", "default") or "default"
    spec = r.mapping(top.get("spec"), "spec", _SPEC_KEYS)
    base = CocoProfile()
    sel = r.mapping(
        spec.get("selection"), "spec.selection", {"namespaceLabels", "namespaces", "podLabels", "runtimeClasses"}
    )
    kbs = r.mapping(spec.get("kbs"), "spec.kbs", {"url", "cert", "allowedHosts", "pinImages"})
    image = r.mapping(spec.get("imagePolicy"), "spec.imagePolicy", {"uri", "inline"})
    auth = r.mapping(spec.get("registryAuth"), "spec.registryAuth", {"uri"})
    agent = r.mapping(spec.get("agentPolicy"), "spec.agentPolicy", {"strictness", "allowExec", "allowLogs", "required"})
    sealed = r.mapping(spec.get("sealedSecrets"), "spec.sealedSecrets", {"mountPrefix", "secretLabel", "names"})
    peer = r.mapping(spec.get("peerPods"), "spec.peerPods", {"userDataLimit"})
    initdata = r.mapping(spec.get("initdata"), "spec.initdata", {"required"})
    kbs_url = r.string(kbs.get("url"), "spec.kbs.url")
    if kbs_url is not None:
        parts = urlsplit(kbs_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise r.fail(f"must be an http(s) URL with a host, not {kbs_url!r}", "spec.kbs.url")
    limit = peer.get("userDataLimit", base.peer_pods_user_data_limit)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
        raise r.fail("expected a positive integer (bytes)", "spec.peerPods.userDataLimit")
    runtime_classes = r.strings(sel.get("runtimeClasses"), "spec.selection.runtimeClasses") or base.runtime_classes
    runtime_class = r.string(spec.get("runtimeClass"), "spec.runtimeClass", base.runtime_class) or base.runtime_class
    if runtime_class not in runtime_classes:
        raise r.fail(f"{runtime_class!r} is not one of selection.runtimeClasses", "spec.runtimeClass")
    default_tee = tee_of_runtime_class(runtime_class) or base.tee
    prefix = r.string(sealed.get("mountPrefix"), "spec.sealedSecrets.mountPrefix", base.sealed_mount_prefix)
    return CocoProfile(
        name=name,
        environment=r.string(spec.get("environment"), "spec.environment", base.environment, ENVIRONMENTS)
        or base.environment,
        namespace_labels=r.labels(sel["namespaceLabels"], "spec.selection.namespaceLabels")
        if "namespaceLabels" in sel
        else base.namespace_labels,
        namespaces=r.strings(sel.get("namespaces"), "spec.selection.namespaces"),
        pod_labels=r.labels(sel["podLabels"], "spec.selection.podLabels") if "podLabels" in sel else base.pod_labels,
        runtime_class=runtime_class,
        runtime_classes=runtime_classes,
        tee=r.string(spec.get("tee"), "spec.tee", default_tee, TEES) or default_tee,
        algorithm=r.string(spec.get("algorithm"), "spec.algorithm", base.algorithm, ALGORITHMS) or base.algorithm,
        kbs_url=kbs_url,
        kbs_cert=r.string(kbs.get("cert"), "spec.kbs.cert"),
        kbs_allowed_hosts=r.strings(kbs.get("allowedHosts"), "spec.kbs.allowedHosts"),
        kbs_pin_images=r.boolean(kbs.get("pinImages"), "spec.kbs.pinImages", False),
        image_policy_uri=r.string(image.get("uri"), "spec.imagePolicy.uri") if image else base.image_policy_uri,
        image_policy_inline=r.string(image.get("inline"), "spec.imagePolicy.inline"),
        registry_auth_uri=r.string(auth.get("uri"), "spec.registryAuth.uri"),
        agent_policy=AgentPolicySettings(
            strictness=r.string(agent.get("strictness"), "spec.agentPolicy.strictness", "strict", STRICTNESS)
            or "strict",
            allow_exec=r.strings(agent.get("allowExec"), "spec.agentPolicy.allowExec"),
            allow_logs=r.boolean(agent.get("allowLogs"), "spec.agentPolicy.allowLogs", False),
            require_policy=r.boolean(agent.get("required"), "spec.agentPolicy.required", True),
        ),
        sealed_mount_prefix=(prefix or base.sealed_mount_prefix).rstrip("/") or "/",
        sealed_secret_label=r.string(
            sealed.get("secretLabel"), "spec.sealedSecrets.secretLabel", base.sealed_secret_label
        )
        or base.sealed_secret_label,
        sealed_secret_names=r.strings(sealed.get("names"), "spec.sealedSecrets.names"),
        peer_pods_user_data_limit=limit,
        initdata_required=r.boolean(initdata.get("required"), "spec.initdata.required", True),
    )
