"""Real data planes: nginx.conf and Envoy bootstrap renderers, process drivers, echo backends and replay (I/O)."""

from ferry.gateway._verify._client import Observed, observed_matches, send
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

__all__ = [
    "DataPlane",
    "EchoBackends",
    "Observed",
    "backends_of",
    "observed_matches",
    "render_envoy",
    "render_nginx",
    "send",
    "start_echo_backends",
    "start_envoy",
    "start_nginx",
    "validate_envoy",
]
