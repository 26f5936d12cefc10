"""Read what ingress-nginx serves from a live cluster, read-only, through a kubeconfig (I/O adapter).

Needs the optional ``kubernetes`` client (``pip install 'ferry[gateway]'``). Only ``list`` calls are made:
Ingresses, IngressClasses, Services and ConfigMaps in all namespaces. Secrets are never read.
"""

from __future__ import annotations

from typing import Any

from ferry._kernel import KubeObject, SourceRef, require
from ferry.gateway._errors import ClusterReadError

__all__ = ["read_cluster"]

_LISTS = (
    ("networking.k8s.io/v1", "Ingress", "NetworkingV1Api", "list_ingress_for_all_namespaces"),
    ("networking.k8s.io/v1", "IngressClass", "NetworkingV1Api", "list_ingress_class"),
    ("v1", "Service", "CoreV1Api", "list_service_for_all_namespaces"),
    ("v1", "ConfigMap", "CoreV1Api", "list_config_map_for_all_namespaces"),
)


def read_cluster(*, kubeconfig: str | None = None, context: str | None = None) -> list[KubeObject]:
    """Every Ingress, IngressClass, Service and ConfigMap of the cluster as :class:`KubeObject` s."""
    kubernetes = require("kubernetes", extra="gateway", feature="--from-cluster")
    try:
        client = kubernetes.config.new_client_from_config(config_file=kubeconfig, context=context)
    except Exception as exc:  # the client raises ConfigException, OSError, TypeError... for bad kubeconfigs
        raise ClusterReadError(
            f"cannot load the kubeconfig: {exc}",
            where=kubeconfig or "~/.kube/config",
            hint="check --kubeconfig and --context",
        ) from exc
    objects: list[KubeObject] = []
    server = client.configuration.host
    try:
        for api_version, kind, api_name, method in _LISTS:
            api = getattr(kubernetes.client, api_name)(client)
            result = getattr(api, method)(_preload_content=True, _request_timeout=30)
            items = client.sanitize_for_serialization(result).get("items", [])
            for index, item in enumerate(items):
                body: dict[str, Any] = {"apiVersion": api_version, "kind": kind, **item}
                source = SourceRef(f"{server}/{kind}", None, None, index)
                objects.append(KubeObject(body=body, source=source))
    except kubernetes.client.exceptions.ApiException as exc:
        raise ClusterReadError(
            f"the API server answered {exc.status} {exc.reason}",
            where=server,
            hint="the account needs list on ingresses, ingressclasses, services and configmaps",
        ) from exc
    except Exception as exc:  # urllib3 connection errors and timeouts
        raise ClusterReadError(f"cannot reach the API server: {exc}", where=server) from exc
    finally:
        client.close()
    return objects
