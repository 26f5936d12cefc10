"""ferry.coco: Confidential Containers at admission.

Initdata (built, encoded exactly as Kata >= 3.20 reads it, digested, bound to each TEE's field), sealed secrets,
the kata-agent policy (generated and checked with a real Rego engine), the KBS resource policy that makes the
trust come from attestation, the rule catalogue D1–D9, an HTTPS admission webhook, Kyverno / CEL exports, and the
``coco`` section of ``ferry assess``.

Pure logic lives in modules that import no server and do no I/O; :class:`WebhookServer` and :func:`load_profile`
are the I/O side.
"""

from ferry.coco._admission import AdmissionOutcome, handle_admission
from ferry.coco._agent_policy import check_agent_policy, generate_agent_policy
from ferry.coco._assess import assess_estate
from ferry.coco._deploy import WebhookDeployment, render_webhook_manifests
from ferry.coco._errors import (
    AdmissionRequestError,
    CocoError,
    InitdataError,
    PolicyError,
    ProfileError,
    SealedSecretError,
)
from ferry.coco._export import EXPORT_TARGETS, ExportResult, export_policies
from ferry.coco._guest import build_initdata, check_guest_config, render_aa_toml, render_cdh_toml
from ferry.coco._initdata import (
    INITDATA_ANNOTATION,
    LEGACY_INITDATA_ANNOTATION,
    Initdata,
    decode_annotation,
    digest_report,
    encode_annotation,
    initdata_digest,
    parse_initdata,
    read_initdata_input,
    render_initdata,
    tee_reference_values,
)
from ferry.coco._io import load_profile
from ferry.coco._kbs import kbs_resource_policy, policy_images, reference_values
from ferry.coco._mutate import Mutation, apply_patch, initdata_for_pod, mutate_pod
from ferry.coco._pods import PodContext, pod_template
from ferry.coco._profile import COCO_RUNTIME_CLASSES, AgentPolicySettings, CocoProfile, parse_profile
from ferry.coco._rego import RegoPolicy, compile_policy, rego_engine_name
from ferry.coco._rules import RULES, Evaluation, evaluate_pod
from ferry.coco._sealed import (
    ResourceUri,
    SealedSecret,
    generate_signing_key,
    inspect_sealed,
    load_jwk,
    parse_resource_uri,
    private_jwk,
    public_jwk,
    seal_envelope,
    seal_vault,
    verify_sealed,
)
from ferry.coco._server import WebhookServer, WebhookSettings
from ferry.coco._tls import WebhookCertificates, issue_webhook_certificates
from ferry.coco._violation import Violation

__all__ = [
    "COCO_RUNTIME_CLASSES",
    "EXPORT_TARGETS",
    "INITDATA_ANNOTATION",
    "LEGACY_INITDATA_ANNOTATION",
    "RULES",
    "AdmissionOutcome",
    "AdmissionRequestError",
    "AgentPolicySettings",
    "CocoError",
    "CocoProfile",
    "Evaluation",
    "ExportResult",
    "Initdata",
    "InitdataError",
    "Mutation",
    "PodContext",
    "PolicyError",
    "ProfileError",
    "RegoPolicy",
    "ResourceUri",
    "SealedSecret",
    "SealedSecretError",
    "Violation",
    "WebhookCertificates",
    "WebhookDeployment",
    "WebhookServer",
    "WebhookSettings",
    "apply_patch",
    "assess_estate",
    "build_initdata",
    "check_agent_policy",
    "check_guest_config",
    "compile_policy",
    "decode_annotation",
    "digest_report",
    "encode_annotation",
    "evaluate_pod",
    "export_policies",
    "generate_agent_policy",
    "generate_signing_key",
    "handle_admission",
    "initdata_digest",
    "initdata_for_pod",
    "inspect_sealed",
    "issue_webhook_certificates",
    "kbs_resource_policy",
    "load_jwk",
    "load_profile",
    "mutate_pod",
    "parse_initdata",
    "parse_profile",
    "parse_resource_uri",
    "pod_template",
    "policy_images",
    "private_jwk",
    "public_jwk",
    "read_initdata_input",
    "reference_values",
    "rego_engine_name",
    "render_aa_toml",
    "render_cdh_toml",
    "render_initdata",
    "render_webhook_manifests",
    "seal_envelope",
    "seal_vault",
    "tee_reference_values",
    "verify_sealed",
]
