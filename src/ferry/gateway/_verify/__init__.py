"""Real data planes: nginx.conf and Envoy bootstrap renderers, process drivers, echo backends and replay (I/O)."""

from ferry.gateway._verify._client import send
from ferry.gateway._verify._compare import Approximation, Difference, SimulatorCheck, WeightCheck
from ferry.gateway._verify._envoy_conf import render_envoy
from ferry.gateway._verify._harness import (
    DataPlane,
    EchoBackends,
    backends_of,
    start_echo_backends,
    start_envoy,
    start_nginx,
    validate_envoy,
)
from ferry.gateway._verify._nginx_conf import render_nginx
from ferry.gateway._verify._observed import Observed, observed_matches
from ferry.gateway._verify._run import VerifyReport, convert_for_verify, verify

__all__ = [
    "Approximation",
    "DataPlane",
    "Difference",
    "EchoBackends",
    "Observed",
    "SimulatorCheck",
    "VerifyReport",
    "WeightCheck",
    "backends_of",
    "convert_for_verify",
    "observed_matches",
    "render_envoy",
    "render_nginx",
    "send",
    "start_echo_backends",
    "start_envoy",
    "start_nginx",
    "validate_envoy",
    "verify",
]
