"""The kata-agent policy: generated from a pod spec, and an existing one checked against the profile (pure + regorus).

The generated policy allows the agent to create exactly the pod's containers (image, command, env names, mount
points), denies exec except the profile's and the pod's probe commands, and denies log streams unless the profile
allows them. Checking evaluates the policy with regorus against probe requests a hostile host would send.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ferry.coco._errors import PolicyError
from ferry.coco._pods import listing
from ferry.coco._profile import AgentPolicySettings
from ferry.coco._rego import compile_policy
from ferry.coco._violation import DENY, WARN, Violation

__all__ = ["ALWAYS_ALLOWED", "ALWAYS_DENIED", "check_agent_policy", "generate_agent_policy", "policy_data_of"]

ALWAYS_ALLOWED = (
    "CreateSandboxRequest",
    "DestroySandboxRequest",
    "GetOOMEventRequest",
    "GuestDetailsRequest",
    "OnlineCPUMemRequest",
    "RemoveContainerRequest",
    "RemoveStaleVirtiofsShareMountsRequest",
    "SignalProcessRequest",
    "StartContainerRequest",
    "StatsContainerRequest",
    "TtyWinResizeRequest",
    "WaitProcessRequest",
)
"""Lifecycle calls the runtime needs; harmless to the workload's confidentiality."""

ALWAYS_DENIED = (
    "AddARPNeighborsRequest",
    "AddSwapRequest",
    "CloseStdinRequest",
    "CopyFileRequest",
    "GetIPTablesRequest",
    "GetMetricsRequest",
    "MemHotplugByProbeRequest",
    "PauseContainerRequest",
    "ReseedRandomDevRequest",
    "ResumeContainerRequest",
    "SetGuestDateTimeRequest",
    "SetIPTablesRequest",
    "SetPolicyRequest",
    "StartTracingRequest",
    "StopTracingRequest",
    "UpdateContainerRequest",
    "UpdateEphemeralMountsRequest",
    "WriteStreamRequest",
)

_STANDARD_MOUNTS = (
    "/proc",
    "/dev",
    "/dev/pts",
    "/dev/mqueue",
    "/dev/shm",
    "/sys",
    "/sys/fs/cgroup",
    "/etc/hosts",
    "/etc/hostname",
    "/etc/resolv.conf",
    "/dev/termination-log",
    "/var/run/secrets/kubernetes.io/serviceaccount",
)

_SERVICE_ENV = (
    r"^[A-Z0-9_]+_(SERVICE_HOST|SERVICE_PORT|SERVICE_PORT_[A-Z0-9_]+|PORT|"
    r"PORT_[0-9]+_(TCP|UDP|SCTP)(_PROTO|_PORT|_ADDR)?)$"
)
"""Environment variables Kubernetes adds for every Service in the namespace."""

_RULES = """
CreateContainerRequest if {
    input.OCI.Annotations["io.kubernetes.cri.container-type"] == "sandbox"
}

CreateContainerRequest if {
    some c in policy_data.containers
    input.OCI.Annotations["io.kubernetes.cri.container-name"] == c.name
    input.OCI.Annotations["io.kubernetes.cri.image-name"] == c.image
    args_allowed(c)
    every e in input.OCI.Process.Env { env_allowed(c, e) }
    every m in input.OCI.Mounts { mount_allowed(c, m.destination) }
}

args_allowed(c) if { count(c.args) == 0 }

args_allowed(c) if { input.OCI.Process.Args == c.args }

env_allowed(c, e) if {
    name := split(e, "=")[0]
    name in c.env_names
}

env_allowed(_, e) if {
    name := split(e, "=")[0]
    name in policy_data.runtime_env
}

env_allowed(_, e) if {
    regex.match(service_env_pattern, split(e, "=")[0])
}

mount_allowed(c, d) if { d in c.mounts }

mount_allowed(_, d) if { d in policy_data.standard_mounts }

ExecProcessRequest if {
    concat(" ", input.process.Args) in policy_data.allowed_exec
}
"""


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _containers(pod: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    spec = pod.get("spec") if isinstance(pod.get("spec"), Mapping) else {}
    assert isinstance(spec, Mapping)
    out: list[Mapping[str, Any]] = []
    for key in ("initContainers", "containers"):
        items = spec.get(key)
        if isinstance(items, list):
            out.extend(c for c in items if isinstance(c, Mapping))
    return out


def _probe_commands(container: Mapping[str, Any]) -> list[str]:
    found = []
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        spec = container.get(probe)
        if isinstance(spec, Mapping) and isinstance(spec.get("exec"), Mapping):
            command = _strings(spec["exec"].get("command"))
            if command:
                found.append(" ".join(command))
    lifecycle = container.get("lifecycle")
    if isinstance(lifecycle, Mapping):
        for hook in ("postStart", "preStop"):
            handler = lifecycle.get(hook)
            if isinstance(handler, Mapping) and isinstance(handler.get("exec"), Mapping):
                command = _strings(handler["exec"].get("command"))
                if command:
                    found.append(" ".join(command))
    return found


def policy_data_of(pod: Mapping[str, Any], settings: AgentPolicySettings) -> dict[str, Any]:
    """What the policy allows, as data: one entry per container, the exec allow-list, the standard mounts."""
    containers = []
    allowed_exec = list(settings.allow_exec)
    for c in _containers(pod):
        env_names = [str(e.get("name")) for e in listing(c.get("env")) if isinstance(e, Mapping) and e.get("name")]
        mounts = [
            str(m.get("mountPath"))
            for m in listing(c.get("volumeMounts"))
            if isinstance(m, Mapping) and m.get("mountPath")
        ]
        containers.append(
            {
                "name": str(c.get("name", "")),
                "image": str(c.get("image", "")),
                "args": _strings(c.get("command")) + _strings(c.get("args")) if c.get("command") else [],
                "env_names": sorted(set(env_names)),
                "mounts": sorted(set(mounts)),
            }
        )
        allowed_exec.extend(cmd for cmd in _probe_commands(c) if cmd not in allowed_exec)
    return {
        "containers": containers,
        "allowed_exec": allowed_exec,
        "runtime_env": ["PATH", "HOSTNAME", "HOME", "TERM", "container"],
        "standard_mounts": list(_STANDARD_MOUNTS),
    }


def generate_agent_policy(pod: Mapping[str, Any], settings: AgentPolicySettings) -> str:
    """A restrictive kata-agent policy (package ``agent_policy``) for this pod."""
    data = policy_data_of(pod, settings)
    lines = [
        "# kata-agent policy generated by ferry coco from the pod spec; evaluated by the agent's regorus engine.",
        "package agent_policy",
        "",
        "import future.keywords.every",
        "import future.keywords.if",
        "import future.keywords.in",
        "",
        "default AllowRequestsFailingPolicy := false",
        "default CreateContainerRequest := false",
        "default ExecProcessRequest := false",
        f"default ReadStreamRequest := {'true' if settings.allow_logs else 'false'}",
    ]
    lines += [f"default {name} := true" for name in ALWAYS_ALLOWED]
    lines += [f"default {name} := false" for name in ALWAYS_DENIED]
    lines.append(_RULES.rstrip())
    lines += ["", f"service_env_pattern := {json.dumps(_SERVICE_ENV)}"]
    lines += ["", "policy_data := " + json.dumps(data, indent=2, sort_keys=True)]
    return "\n".join(lines) + "\n"


def _creation_probe(image: str) -> dict[str, Any]:
    return {
        "OCI": {
            "Annotations": {
                "io.kubernetes.cri.container-type": "container",
                "io.kubernetes.cri.container-name": "ferry-probe",
                "io.kubernetes.cri.image-name": image,
            },
            "Process": {"Args": ["/bin/sh", "-c", "cat /proc/self/environ"], "Env": ["PATH=/bin", "FERRY_PROBE=1"]},
            "Mounts": [{"destination": "/host", "source": "/", "type": "bind"}],
        },
        "storages": [{"source": image}],
    }


def check_agent_policy(text: str, settings: AgentPolicySettings, *, expected: Sequence[str] = ()) -> list[Violation]:
    """D5: evaluate the policy (really, with regorus) against requests a hostile host could send.

    Denied outright: not Rego, no ``package agent_policy``, ``AllowRequestsFailingPolicy`` true. Permissive answers
    (exec of an arbitrary shell, log streams, SetPolicy, creating an unknown image) deny under a strict profile and
    warn otherwise; ``expected`` names images the pod runs, to tell "allows this pod" from "allows anything".
    """
    try:
        policy = compile_policy(text)
    except PolicyError as exc:
        return [Violation("D5", DENY, exc.message, "data.policy.rego")]
    if "data.agent_policy" not in policy.packages:
        found = ", ".join(p.removeprefix("data.") for p in policy.packages) or "none"
        return [Violation("D5", DENY, f"policy.rego must be package agent_policy (found {found})", "data.policy.rego")]
    out: list[Violation] = []

    def ask(rule: str, value: Mapping[str, Any]) -> bool:
        try:
            return policy.query(f"data.agent_policy.{rule}", value, default=False) is True
        except PolicyError as exc:
            out.append(Violation("D5", DENY, exc.message, "data.policy.rego"))
            return False

    if ask("AllowRequestsFailingPolicy", {}):
        out.append(
            Violation(
                "D5", DENY, "policy.rego sets AllowRequestsFailingPolicy: every request is allowed", "policy.rego"
            )
        )
    strict = settings.strictness == "strict"
    sev = DENY if strict else WARN
    if ask("ExecProcessRequest", {"process": {"Args": ["/bin/sh"]}}) and "/bin/sh" not in settings.allow_exec:
        out.append(Violation("D5", sev, "policy.rego lets the host exec an arbitrary shell in the container"))
    if ask("ReadStreamRequest", {}) and not settings.allow_logs:
        out.append(Violation("D5", sev, "policy.rego lets the host read container output (kubectl logs)"))
    if ask("SetPolicyRequest", {}):
        out.append(Violation("D5", sev, "policy.rego lets the host replace the policy at run time (SetPolicy)"))
    if ask("CreateContainerRequest", _creation_probe("registry.invalid/ferry/unknown-image:latest")):
        out.append(Violation("D5", sev, "policy.rego lets the host create containers from any image"))
    for image in expected:
        probe = _creation_probe(image)
        if ask("CreateContainerRequest", probe):
            out.append(
                Violation("D5", sev, f"policy.rego lets the host run {image} with an arbitrary command and host mount")
            )
    return out
