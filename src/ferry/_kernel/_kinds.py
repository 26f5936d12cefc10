"""Which object kinds an estate may hold: Kubernetes' own, and the CRDs of the projects ferry works with (pure)."""

from __future__ import annotations

__all__ = ["KNOWN_GROUP_KINDS", "is_known_kind"]

_CORE = {
    "": (
        "Binding ConfigMap Endpoints Event LimitRange Namespace Node PersistentVolume PersistentVolumeClaim Pod "
        "PodTemplate ReplicationController ResourceQuota Secret Service ServiceAccount"
    ),
    "apps": "ControllerRevision DaemonSet Deployment ReplicaSet StatefulSet",
    "batch": "CronJob Job",
    "autoscaling": "HorizontalPodAutoscaler",
    "policy": "PodDisruptionBudget",
    "networking.k8s.io": "Ingress IngressClass NetworkPolicy",
    "rbac.authorization.k8s.io": "ClusterRole ClusterRoleBinding Role RoleBinding",
    "storage.k8s.io": "CSIDriver StorageClass VolumeAttachment",
    "node.k8s.io": "RuntimeClass",
    "scheduling.k8s.io": "PriorityClass",
    "coordination.k8s.io": "Lease",
    "discovery.k8s.io": "EndpointSlice",
    "apiextensions.k8s.io": "CustomResourceDefinition",
    "admissionregistration.k8s.io": (
        "MutatingWebhookConfiguration ValidatingWebhookConfiguration MutatingAdmissionPolicy "
        "MutatingAdmissionPolicyBinding ValidatingAdmissionPolicy ValidatingAdmissionPolicyBinding"
    ),
    "certificates.k8s.io": "CertificateSigningRequest",
    "gateway.networking.k8s.io": (
        "Gateway GatewayClass HTTPRoute GRPCRoute TLSRoute TCPRoute UDPRoute ReferenceGrant BackendTLSPolicy "
        "ListenerSet XListenerSet"
    ),
    "gateway.envoyproxy.io": (
        "Backend BackendTrafficPolicy ClientTrafficPolicy EnvoyExtensionPolicy EnvoyPatchPolicy EnvoyProxy "
        "HTTPRouteFilter SecurityPolicy"
    ),
    "data.fluid.io": (
        "AlluxioRuntime DataBackup DataLoad DataMigrate DataProcess Dataset EFCRuntime GooseFSRuntime JindoRuntime "
        "JuiceFSRuntime ThinRuntime ThinRuntimeProfile VineyardRuntime"
    ),
    "cache.ferry.dev": "Dataset DataLoad Runtime",
    "kyverno.io": "ClusterPolicy Policy PolicyException",
    "policies.kyverno.io": (
        "ValidatingPolicy MutatingPolicy GeneratingPolicy ImageValidatingPolicy DeletingPolicy "
        "NamespacedValidatingPolicy PolicyException"
    ),
    "serving.kserve.io": "InferenceService ServingRuntime ClusterServingRuntime",
    "monitoring.coreos.com": "ServiceMonitor PodMonitor PrometheusRule",
    "cert-manager.io": "Certificate Issuer ClusterIssuer",
    "externaldns.k8s.io": "DNSEndpoint",
    "confidentialcontainers.org": "CcRuntime",
    "coco.ferry.dev": "CocoProfile",
}

KNOWN_GROUP_KINDS: frozenset[tuple[str, str]] = frozenset(
    (group, kind) for group, kinds in _CORE.items() for kind in kinds.split()
)


def is_known_kind(api_version: str, kind: str) -> bool:
    """True for the kinds ferry recognises (``v1`` / ``apps/v1`` style ``api_version``)."""
    group = api_version.split("/", 1)[0] if "/" in api_version else ""
    return (group, kind) in KNOWN_GROUP_KINDS
