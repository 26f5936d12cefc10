"""Draining settings for both sides, sized from the longest request (pure).

Envoy Gateway: ``EnvoyProxy.spec.shutdown`` ``drainTimeout`` (default 60 s) and ``minDrainDuration`` (default 10 s),
kept below the Envoy pods' ``terminationGracePeriodSeconds``. ingress-nginx: ConfigMap ``worker-shutdown-timeout``
(default 240 s), ``terminationGracePeriodSeconds`` (chart default 300), ``preStop: /wait-shutdown`` and
``--shutdown-grace-period`` so the controller keeps serving while it fails readiness. The load balancer: target-group
deregistration delay (default 300 s, 0-3600) at least the longest request.
"""

from __future__ import annotations

from typing import Any

__all__ = ["check_draining", "draining_settings"]

_READINESS_PERIOD_S = 10
_MAX_DEREGISTRATION_S = 3600


def draining_settings(longest_request_s: int) -> dict[str, Any]:
    """Settings for the Envoy side, the nginx side and the load balancers, as data and as manifests to apply."""
    envoy_drain = max(60, longest_request_s + 10)
    envoy_min_drain = max(10, _READINESS_PERIOD_S)
    envoy_grace = envoy_drain + 30
    nginx_shutdown_grace = _READINESS_PERIOD_S + 5
    nginx_worker_shutdown = max(240, longest_request_s + 10)
    nginx_grace = max(300, nginx_worker_shutdown + nginx_shutdown_grace + 30)
    deregistration = min(_MAX_DEREGISTRATION_S, max(300, longest_request_s + 10))
    return {
        "longest_request_s": longest_request_s,
        "envoy": {
            "drain_timeout_s": envoy_drain,
            "min_drain_duration_s": envoy_min_drain,
            "termination_grace_period_s": envoy_grace,
            "manifest": {
                "apiVersion": "gateway.envoyproxy.io/v1alpha1",
                "kind": "EnvoyProxy",
                "metadata": {"name": "cutover-drain"},
                "spec": {
                    "shutdown": {"drainTimeout": f"{envoy_drain}s", "minDrainDuration": f"{envoy_min_drain}s"},
                    "provider": {
                        "type": "Kubernetes",
                        "kubernetes": {
                            "envoyDeployment": {
                                "patch": {
                                    "type": "StrategicMerge",
                                    "value": {
                                        "spec": {"template": {"spec": {"terminationGracePeriodSeconds": envoy_grace}}}
                                    },
                                }
                            }
                        },
                    },
                },
            },
        },
        "nginx": {
            "worker_shutdown_timeout_s": nginx_worker_shutdown,
            "shutdown_grace_period_s": nginx_shutdown_grace,
            "termination_grace_period_s": nginx_grace,
            "pre_stop": ["/wait-shutdown"],
            "helm_values": {
                "controller": {
                    "config": {"worker-shutdown-timeout": f"{nginx_worker_shutdown}s"},
                    "extraArgs": {"shutdown-grace-period": str(nginx_shutdown_grace)},
                    "terminationGracePeriodSeconds": nginx_grace,
                    "lifecycle": {"preStop": {"exec": {"command": ["/wait-shutdown"]}}},
                }
            },
        },
        "load_balancer": {
            "deregistration_delay_s": deregistration,
            "service_annotation": {
                "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes": (
                    f"deregistration_delay.timeout_seconds={deregistration}"
                )
            },
        },
    }


def check_draining(settings: dict[str, Any]) -> list[str]:
    """Why draining settings would cut requests short; [] when every budget covers the longest request."""
    longest = settings["longest_request_s"]
    envoy, nginx, lb = settings["envoy"], settings["nginx"], settings["load_balancer"]
    reasons = []
    if envoy["drain_timeout_s"] < longest:
        reasons.append(
            f"Envoy drainTimeout {envoy['drain_timeout_s']} s is shorter than the longest request {longest} s"
        )
    if envoy["min_drain_duration_s"] > envoy["drain_timeout_s"]:
        reasons.append("Envoy minDrainDuration exceeds drainTimeout")
    if envoy["termination_grace_period_s"] <= envoy["drain_timeout_s"]:
        reasons.append("Envoy terminationGracePeriodSeconds must exceed drainTimeout, or the kubelet kills a drain")
    if nginx["worker_shutdown_timeout_s"] < longest:
        reasons.append(
            f"nginx worker-shutdown-timeout {nginx['worker_shutdown_timeout_s']} s is shorter than the longest "
            f"request {longest} s"
        )
    if nginx["termination_grace_period_s"] <= nginx["worker_shutdown_timeout_s"] + nginx["shutdown_grace_period_s"]:
        reasons.append(
            "nginx terminationGracePeriodSeconds must exceed shutdown-grace-period + worker-shutdown-timeout"
        )
    if lb["deregistration_delay_s"] < longest:
        reasons.append(
            f"load-balancer deregistration delay {lb['deregistration_delay_s']} s is shorter than the longest request "
            f"{longest} s (the most AWS allows is {_MAX_DEREGISTRATION_S} s)"
        )
    return reasons
