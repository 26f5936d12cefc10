"""Compare what nginx and Envoy did, classify each difference, and check weighted splits statistically (pure)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ferry._kernel import KubeObject
from ferry.gateway._convert._model import DIFFERENCE_ANNOTATION
from ferry.gateway._simulate import Decision, SimRequest
from ferry.gateway._verify._observed import Observed, normalize_location

__all__ = [
    "Approximation",
    "Difference",
    "SimulatorCheck",
    "WeightCheck",
    "check_weights",
    "classify",
    "compare_planes",
    "differences_noted",
    "rule_object",
]


@dataclass(frozen=True)
class Approximation:
    """What the audit said a conversion reproduces only approximately: an Ingress, an annotation, why."""

    ingress: str
    annotation: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"ingress": self.ingress, "annotation": self.annotation, "reason": self.reason}


@dataclass(frozen=True)
class Difference:
    """A request whose outcome differs between nginx and Envoy."""

    request: SimRequest
    nginx: Observed
    envoy: Observed
    fields: tuple[str, ...]
    expected: bool
    reason: str
    nginx_rule: str | None = None
    envoy_rule: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "request": self.request.to_dict(),
            "fields": list(self.fields),
            "expected": self.expected,
            "reason": self.reason,
            "nginx": {**self.nginx.to_dict(), "rule": self.nginx_rule},
            "envoy": {**self.envoy.to_dict(), "rule": self.envoy_rule},
        }


@dataclass(frozen=True)
class SimulatorCheck:
    """The simulator against one real proxy: every request, and those where they disagree (ferry bugs)."""

    proxy: str
    total: int
    disagreements: tuple[tuple[SimRequest, Decision, Observed, tuple[str, ...]], ...] = ()

    @property
    def agreement(self) -> float:
        return 1.0 if self.total == 0 else (self.total - len(self.disagreements)) / self.total

    def to_dict(self) -> dict[str, Any]:
        return {
            "proxy": self.proxy,
            "requests": self.total,
            "agree": self.total - len(self.disagreements),
            "agreement": round(self.agreement, 6),
            "disagreements": [
                {"request": r.to_dict(), "fields": list(f), "simulated": d.to_dict(), "observed": o.to_dict()}
                for r, d, o, f in self.disagreements
            ],
        }


@dataclass(frozen=True)
class WeightCheck:
    """A weighted split sampled ``samples`` times on one proxy, against the shares it should have."""

    request: SimRequest
    proxy: str
    expected: Mapping[str, float]
    observed: Mapping[str, int]
    samples: int
    ok: bool
    worst_z: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "request": self.request.to_dict(),
            "proxy": self.proxy,
            "expected": dict(self.expected),
            "observed": {k: v / self.samples for k, v in self.observed.items()} if self.samples else {},
            "samples": self.samples,
            "ok": self.ok,
            "worst_z": round(self.worst_z, 2),
        }


def check_weights(
    expected: Mapping[str, float], observed: Mapping[str, int], samples: int, *, z_limit: float = 4.5
) -> tuple[bool, float]:
    """Binomial z-test per backend (shares 0 and 1 must be exact); True when every share is within ``z_limit``."""
    worst = 0.0
    ok = True
    for backend in set(expected) | set(observed):
        p = expected.get(backend, 0.0)
        k = observed.get(backend, 0)
        if p <= 0.0 or p >= 1.0:
            if k != round(p * samples):
                ok = False
                worst = math.inf
            continue
        z = abs(k / samples - p) / math.sqrt(p * (1 - p) / samples)
        worst = max(worst, z)
        if z > z_limit:
            ok = False
    return ok, worst


def _observed_fields(a: Observed, b: Observed, added: Sequence[str], weighted: bool) -> tuple[str, ...]:
    out = []
    if a.status != b.status:
        out.append("status")
    if a.status == b.status == 200 or (a.backend and b.backend):
        if not weighted and a.backend != b.backend:
            out.append("backend")
        if a.backend_path != b.backend_path:
            out.append("backend_path")
        if a.backend_host != b.backend_host:
            out.append("backend_host")
        for name in added:
            if a.backend_headers.get(name) != b.backend_headers.get(name):
                out.append(f"header {name}")
    if normalize_location(a.location) != normalize_location(b.location):
        out.append("location")
    return tuple(out)


def compare_planes(
    request: SimRequest,
    nginx: Observed,
    envoy: Observed,
    nginx_decision: Decision,
    envoy_decision: Decision,
) -> tuple[str, ...]:
    """The fields in which nginx and Envoy answered ``request`` differently."""
    added = sorted({*nginx_decision.request_headers_added, *envoy_decision.request_headers_added})
    weighted = len(nginx_decision.weights) > 1 or len(envoy_decision.weights) > 1
    fields = list(_observed_fields(nginx, envoy, added, weighted))
    if weighted:
        a = {k: round(v, 4) for k, v in nginx_decision.weights} or {str(nginx_decision.backend): 1.0}
        b = {k: round(v, 4) for k, v in envoy_decision.weights} or {str(envoy_decision.backend): 1.0}
        if a != b:
            fields.append("weights")
    return tuple(fields)


def _is_redirect(seen: Observed) -> bool:
    return 300 <= seen.status < 400 and seen.location is not None


def _relevant(annotation: str, request: SimRequest, fields: tuple[str, ...], nginx: Observed, envoy: Observed) -> bool:
    """Whether an approximated annotation can explain this difference (it only explains the outcomes it shapes)."""
    key = annotation.rsplit("/", 1)[-1]
    redirect = _is_redirect(nginx) or _is_redirect(envoy)
    if key in ("ssl-redirect", "force-ssl-redirect", "preserve-trailing-slash", "http-redirect-code"):
        return request.scheme == "http" and redirect
    if key in ("permanent-redirect", "permanent-redirect-code", "temporal-redirect", "temporal-redirect-code",
               "app-root", "from-to-www-redirect"):  # fmt: skip
        return redirect
    if key.startswith("canary"):
        return bool({"backend", "weights"} & set(fields))
    if key in ("rewrite-target", "x-forwarded-prefix", "upstream-vhost"):
        return bool({"backend_path", "backend_host"} & set(fields)) or any(f.startswith("header ") for f in fields)
    if key in ("whitelist-source-range", "allowlist-source-range", "denylist-source-range"):
        return 403 in (nginx.status, envoy.status)
    if key.startswith("cors") or key == "enable-cors":
        return request.method == "OPTIONS" or "origin" in request.headers
    if key.startswith("auth-"):
        return "status" in fields and bool({401, 403, 500, 503} & {nginx.status, envoy.status})
    # Annotations that change which location or backend serves a request can explain any difference; the rest
    # (timeouts, body sizes, rate limits, affinity, logging, ...) shape nothing a replay decision compares.
    return key in _SHAPE_ROUTING


_SHAPE_ROUTING = frozenset(
    {
        "use-regex",
        "server-alias",
        "backend-protocol",
        "default-backend",
        "custom-http-errors",
        "configuration-snippet",
        "server-snippet",
        "ssl-passthrough",
        "service-upstream",
        "upstream-hash-by",
    }
)


def classify(
    request: SimRequest,
    fields: tuple[str, ...],
    nginx: Observed,
    envoy: Observed,
    nginx_decision: Decision,
    ingresses: Sequence[str],
    approximations: Mapping[str, Sequence[Approximation]],
    cors: bool,
    noted: Sequence[str] = (),
) -> tuple[bool, str]:
    """(expected, reason) for a difference; ``ingresses`` are the Ingresses behind nginx's location.

    ``noted`` are the differences the converter wrote on the route that made Envoy's decision (its
    ``gateway.ferry.dev/nginx-differences`` annotation): a behaviour ingress-nginx has without any annotation (the
    default ssl-redirect, say) is accounted for there rather than in the audit.
    """
    reasons = []
    for name in ingresses:
        for approx in approximations.get(name, ()):
            if _relevant(approx.annotation, request, fields, nginx, envoy):
                reasons.append(f"{approx.annotation} on Ingress {name}: {approx.reason}")
    if reasons:
        return True, "; ".join(dict.fromkeys(reasons))
    if noted:
        return True, "noted on the converted route: " + "; ".join(noted)
    if cors and request.method == "OPTIONS" and nginx.status == 204:
        return True, (
            "CORS preflight: ingress-nginx answers every OPTIONS with 204; Envoy's CORS filter answers allowed "
            "preflights with 200 and forwards the rest"
        )
    if request.scheme == "https" and envoy.status == 0 and nginx.status != 0:
        return True, (
            "ingress-nginx serves every host on 443 with its default certificate; the Gateway has no HTTPS "
            "listener for this name"
        )
    return False, "not explained by the audit: " + ", ".join(fields)


def rule_object(rule: str | None) -> str:
    """The object of a Gateway API router rule id (``httproute/ns/name/rule/0/match/0`` → ``httproute/ns/name``)."""
    return "/".join((rule or "").split("/")[:3])


def differences_noted(objects: Iterable[KubeObject]) -> dict[str, tuple[str, ...]]:
    """``kind/namespace/name`` → the differences from ingress-nginx the converter noted on that object."""
    noted: dict[str, tuple[str, ...]] = {}
    for obj in objects:
        text = obj.annotations.get(DIFFERENCE_ANNOTATION)
        if isinstance(text, str) and text.strip():
            noted[f"{obj.kind.lower()}/{obj.namespace}/{obj.name}"] = tuple(line for line in text.split("\n") if line)
    return noted
