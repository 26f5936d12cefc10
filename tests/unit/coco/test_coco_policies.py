"""kata-agent and KBS policies, evaluated for real with regorus."""

from __future__ import annotations

import base64
import copy
import hashlib
from typing import Any

import pytest

from ferry.coco import (
    AgentPolicySettings,
    check_agent_policy,
    compile_policy,
    generate_agent_policy,
    kbs_resource_policy,
    reference_values,
    rego_engine_name,
    tee_reference_values,
)
from ferry.coco._agent_policy import ALWAYS_ALLOWED, ALWAYS_DENIED

IMAGE = "registry.example/ledger@sha256:" + "b" * 64
POD = {
    "spec": {
        "containers": [
            {
                "name": "ledger",
                "image": IMAGE,
                "command": ["/ledger"],
                "args": ["--port=8443"],
                "env": [{"name": "DB_URL", "value": "postgres://db"}],
                "volumeMounts": [{"name": "db", "mountPath": "/sealed/db"}],
                "livenessProbe": {"exec": {"command": ["cat", "/tmp/alive"]}},
            }
        ]
    }
}


def create_request(**changes: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "OCI": {
            "Annotations": {
                "io.kubernetes.cri.container-type": "container",
                "io.kubernetes.cri.container-name": "ledger",
                "io.kubernetes.cri.image-name": IMAGE,
            },
            "Process": {
                "Args": ["/ledger", "--port=8443"],
                "Env": ["PATH=/usr/bin", "HOSTNAME=ledger", "DB_URL=postgres://db", "LEDGER_SERVICE_PORT=443"],
            },
            "Mounts": [{"destination": "/proc"}, {"destination": "/sealed/db"}, {"destination": "/etc/hosts"}],
        }
    }
    for path, value in changes.items():
        target = request["OCI"]
        *parents, leaf = path.split("__")
        for p in parents:
            target = target[p]
        target[leaf] = value
    return request


@pytest.fixture(scope="module")
def policy():  # type: ignore[no-untyped-def]
    return compile_policy(generate_agent_policy(POD, AgentPolicySettings()))


def ask(policy, rule: str, value: dict[str, Any]) -> bool:  # type: ignore[no-untyped-def]
    return policy.query(f"data.agent_policy.{rule}", value, default=False) is True


def test_the_engine_is_regorus() -> None:
    assert rego_engine_name().startswith("regorus")


def test_generated_policy_allows_exactly_the_pod(policy) -> None:  # type: ignore[no-untyped-def]
    assert ask(policy, "CreateContainerRequest", create_request())
    assert ask(
        policy, "CreateContainerRequest", {"OCI": {"Annotations": {"io.kubernetes.cri.container-type": "sandbox"}}}
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"Annotations__io.kubernetes.cri.image-name": "registry.example/ledger:latest"},
        {"Annotations__io.kubernetes.cri.container-name": "intruder"},
        {"Process__Args": ["/bin/sh", "-c", "curl evil"]},
        {"Process__Env": ["PATH=/usr/bin", "LD_PRELOAD=/tmp/x.so"]},
        {"Mounts": [{"destination": "/host"}]},
    ],
)
def test_generated_policy_denies_any_deviation(policy, changes: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    request = create_request()
    for path, value in changes.items():
        target = request["OCI"]
        *parents, leaf = path.split("__")
        for p in parents:
            target = target[p]
        target[leaf] = copy.deepcopy(value)
    assert not ask(policy, "CreateContainerRequest", request)


def test_exec_only_for_probes_and_logs_closed(policy) -> None:  # type: ignore[no-untyped-def]
    assert ask(policy, "ExecProcessRequest", {"process": {"Args": ["cat", "/tmp/alive"]}})
    assert not ask(policy, "ExecProcessRequest", {"process": {"Args": ["/bin/sh"]}})
    assert not ask(policy, "ReadStreamRequest", {})
    for rule in ALWAYS_ALLOWED:
        assert ask(policy, rule, {}), rule
    for rule in ALWAYS_DENIED:
        assert not ask(policy, rule, {}), rule


def test_profile_can_open_logs_and_named_exec() -> None:
    settings = AgentPolicySettings(allow_exec=("sh -c date",), allow_logs=True)
    p = compile_policy(generate_agent_policy(POD, settings))
    assert ask(p, "ReadStreamRequest", {})
    assert ask(p, "ExecProcessRequest", {"process": {"Args": ["sh", "-c", "date"]}})
    assert check_agent_policy(generate_agent_policy(POD, settings), settings) == []


def test_check_flags_permissive_policies_by_strictness() -> None:
    allow_all = "package agent_policy\n\ndefault CreateContainerRequest := true\ndefault ExecProcessRequest := true\n"
    strict = check_agent_policy(allow_all, AgentPolicySettings())
    assert {v.severity for v in strict} == {"deny"} and len(strict) == 2
    lax = check_agent_policy(allow_all, AgentPolicySettings(strictness="permissive"))
    assert {v.severity for v in lax} == {"warn"}
    assert check_agent_policy(generate_agent_policy(POD, AgentPolicySettings()), AgentPolicySettings()) == []


def test_check_reads_rego_v0_genpolicy_style() -> None:
    v0 = (
        "package agent_policy\n\ndefault ExecProcessRequest = false\n"
        'ExecProcessRequest { input.process.Args[0] == "/bin/sh" }\n'
    )
    found = check_agent_policy(v0, AgentPolicySettings())
    assert [v.message for v in found] == ["policy.rego lets the host exec an arbitrary shell in the container"]


# KBS ---------------------------------------------------------------------------------------------------------
DIGEST = hashlib.sha384(b"initdata").digest()


def token(value: str, status: str = "affirming", images: list[str] | None = None) -> dict[str, Any]:
    evidence: dict[str, Any] = {"init_data": value}
    if images is not None:
        evidence["init_data_claims"] = {"agent_policy_claims": {"containers": [{"image": i} for i in images]}}
    return {"submods": {"cpu0": {"ear.status": status, "ear.veraison.annotated-evidence": evidence}}}


@pytest.mark.parametrize("tee", ["snp", "tdx", "cca", "vtpm"])
def test_kbs_policy_releases_only_to_the_attested_initdata(tee: str) -> None:
    policy = compile_policy(kbs_resource_policy(digest=DIGEST, tee=tee, resources=["kbs:///finance/ledger/db"]))
    fitted = tee_reference_values(DIGEST)["pcr8" if tee == "vtpm" else tee]
    allowed = {"resource-path": "finance/ledger/db"}
    for form in (fitted.hex(), base64.b64encode(fitted).decode()):
        assert policy.query("data.policy.allow", token(form), data=allowed) is True
    wrong = tee_reference_values(hashlib.sha384(b"other").digest())["pcr8" if tee == "vtpm" else tee].hex()
    assert policy.query("data.policy.allow", token(wrong), data=allowed) is False
    assert policy.query("data.policy.allow", token(fitted.hex()), data={"resource-path": "finance/other/db"}) is False
    assert policy.query("data.policy.allow", token(fitted.hex(), status="contraindicated"), data=allowed) is False


def test_kbs_policy_can_pin_agent_policy_images() -> None:
    policy = compile_policy(kbs_resource_policy(digest=DIGEST, tee="snp", resources=["kbs:///a/b/c"], images=[IMAGE]))
    value = tee_reference_values(DIGEST)["snp"].hex()
    data = {"resource-path": "a/b/c"}
    assert policy.query("data.policy.allow", token(value, images=[IMAGE]), data=data) is True
    assert policy.query("data.policy.allow", token(value, images=[IMAGE, "evil:1"]), data=data) is False


def test_reference_values_in_hex_and_base64() -> None:
    refs = reference_values(DIGEST, "sha384", "tdx")
    assert refs["values"]["tdx"]["hex"] == DIGEST.hex()
    assert base64.b64decode(refs["values"]["snp"]["base64"]) == DIGEST[:32]


def test_compiled_policies_stay_with_their_thread() -> None:
    import threading

    text = generate_agent_policy(POD, AgentPolicySettings())
    here = compile_policy(text)
    assert compile_policy(text) is here
    seen: list[tuple[int, object]] = []  # no reference kept: a regorus engine must die in its own thread

    def work() -> None:
        policy = compile_policy(text)
        seen.append((id(policy), policy.query("data.agent_policy.ReadStreamRequest", {}, default=None)))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen[0][0] != id(here) and seen[0][1] is False
