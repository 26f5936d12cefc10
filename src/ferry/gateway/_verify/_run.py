"""``ferry gateway verify``: replay a corpus through real nginx and real Envoy and report every difference (I/O).

The simulator is checked against each real proxy on every request (a disagreement is a bug in ferry); nginx and
Envoy are compared with each other (a difference is expected when the audit said the conversion is approximate, or
when it is one ferry knows to be inherent, else unexpected); weighted splits are sampled and tested statistically.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ferry._kernel import KubeObject
from ferry.gateway._ingress import IngressInput, read_ingress_input
from ferry.gateway._simulate import (
    Decision,
    GatewayRouter,
    NginxRouter,
    SimRequest,
    parse_gateway_objects,
)
from ferry.gateway._simulate._corpus import generate_corpus
from ferry.gateway._simulate._gwapi_model import secrets_of, service_ports_of
from ferry.gateway._verify._client import send
from ferry.gateway._verify._compare import (
    Approximation,
    Difference,
    SimulatorCheck,
    WeightCheck,
    check_weights,
    classify,
    compare_planes,
    differences_noted,
    rule_object,
)
from ferry.gateway._verify._harness import DataPlane, start_echo_backends, start_envoy, start_nginx
from ferry.gateway._verify._observed import Observed, observed_matches

__all__ = ["VerifyReport", "convert_for_verify", "verify"]


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of a replay."""

    requests: int
    differences: tuple[Difference, ...]
    simulator: tuple[SimulatorCheck, ...]
    weights: tuple[WeightCheck, ...]
    seconds: float
    approximations: tuple[Approximation, ...] = ()
    timings: Mapping[str, float] = field(default_factory=dict)

    @property
    def unexpected(self) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if not d.expected)

    @property
    def expected(self) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.expected)

    @property
    def simulator_ok(self) -> bool:
        return all(not c.disagreements for c in self.simulator)

    @property
    def weights_ok(self) -> bool:
        return all(w.ok for w in self.weights)

    @property
    def ok(self) -> bool:
        return not self.unexpected and self.simulator_ok and self.weights_ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "requests": self.requests,
            "differences": {
                "expected": len(self.expected),
                "unexpected": len(self.unexpected),
                "items": [d.to_dict() for d in self.differences],
            },
            "simulator": [c.to_dict() for c in self.simulator],
            "weights": [w.to_dict() for w in self.weights],
            "approximations": [a.to_dict() for a in self.approximations],
            "seconds": round(self.seconds, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def convert_for_verify(objects: Sequence[KubeObject]) -> tuple[list[KubeObject], list[Approximation]]:
    """Convert the Ingresses in ``objects`` with ``ferry gateway convert``'s defaults (Envoy Gateway target).

    Returns the emitted objects (as :class:`KubeObject` s, with the Secrets of ``objects`` that policies may read)
    and the audit's approximations: every annotation the conversion does not carry exactly.
    """
    from ferry._kernel import SourceRef
    from ferry.gateway._convert import Status, convert, services_from

    data = read_ingress_input(list(objects))
    conversion = convert(data, services=services_from(list(objects)))
    emitted = [
        KubeObject(body=obj, source=SourceRef("<ferry gateway convert>", i)) for i, obj in enumerate(conversion.objects)
    ]
    emitted += [o for o in objects if o.kind == "Secret" and o.group == ""]
    approximations = [
        Approximation(f"{o.namespace}/{o.name}", o.key, o.note or o.status.value)
        for o in conversion.outcomes
        if o.status is not Status.EXACT
    ]
    return emitted, approximations


def _sample(plane: DataPlane, request: SimRequest, gateway: str, samples: int) -> Counter[str]:
    counts: Counter[str] = Counter()
    for _ in range(samples):
        seen = send(plane, request, gateway=gateway)
        counts[seen.backend or f"status {seen.status}"] += 1
    return counts


def verify(
    ingress: IngressInput | Iterable[KubeObject],
    gateway: Iterable[KubeObject],
    *,
    requests: Sequence[SimRequest] = (),
    generate: bool = True,
    approximations: Sequence[Approximation] = (),
    samples: int = 300,
    workers: int = 8,
    secrets: Mapping[str, Mapping[str, str]] | None = None,
    services: Mapping[str, Mapping[str, int]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> VerifyReport:
    """Replay the generated corpus (and ``requests``) through real nginx and real Envoy; see :class:`VerifyReport`."""
    started = time.monotonic()
    if isinstance(ingress, IngressInput):
        data = ingress
    else:
        objects = list(ingress)
        data = read_ingress_input(objects)
        secrets = secrets if secrets is not None else secrets_of(objects)
        services = services if services is not None else service_ports_of(objects)
    gateway_objects = list(gateway)
    nginx_router = NginxRouter(data, secrets, services)
    model = parse_gateway_objects(gateway_objects)
    gw_router = GatewayRouter(model)
    corpus = generate_corpus(nginx_router.table, model, requests) if generate else list(requests)
    backends = list(nginx_router.table.backends)
    for route in model.routes:
        for rule in route.rules:
            backends += [b.key for b in rule.backends if b.port is not None]
    by_ingress: dict[str, list[Approximation]] = {}
    for approx in approximations:
        by_ingress.setdefault(approx.ingress, []).append(approx)
    noted = differences_noted(gateway_objects)
    timings: dict[str, float] = {"prepare": time.monotonic() - started}
    with (
        start_echo_backends(dict.fromkeys(backends)) as echo,
        start_nginx(data, echo, secrets=secrets, services=services) as nginx,
        start_envoy(gateway_objects, echo) as envoy,
    ):
        timings["start"] = time.monotonic() - started - timings["prepare"]
        done = 0

        def one(request: SimRequest) -> tuple[Decision, Observed, Decision, Observed, str]:
            nd = nginx_router.route(request)
            no = send(nginx, request) if request.port in (80, 443) else Observed(status=0)
            ed = gw_router.route(request)
            table = gw_router.table_for(request)
            key = table.gateway.key if table is not None else ""
            eo = send(envoy, request, gateway=key) if table is not None else Observed(status=0)
            return nd, no, ed, eo, key

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            results = []
            for result in pool.map(one, corpus):
                results.append(result)
                done += 1
                if progress is not None:
                    progress(done, len(corpus))
        nginx_bad, envoy_bad, differences, weights = [], [], [], []
        sampled: dict[tuple[str, str | None], tuple[DataPlane, SimRequest, str, Decision]] = {}
        for request, (nd, no, ed, eo, key) in zip(corpus, results, strict=True):
            diff = observed_matches(nd, no)
            if diff:
                nginx_bad.append((request, nd, no, tuple(diff)))
            if key:
                diff = observed_matches(ed, eo)
                if diff:
                    envoy_bad.append((request, ed, eo, tuple(diff)))
            fields = compare_planes(request, no, eo, nd, ed)
            if fields:
                loc = nginx_router.locate(request)
                owners = [
                    o
                    for o in (
                        loc.ingress if loc else None,
                        loc.annotations_of if loc else None,
                        loc.canary.ingress if loc and loc.canary else None,
                    )
                    if o
                ]
                expected, reason = classify(
                    request,
                    fields,
                    no,
                    eo,
                    nd,
                    owners,
                    by_ingress,
                    cors=bool(loc and loc.cors),
                    noted=noted.get(rule_object(ed.rule), ()),
                )
                differences.append(Difference(request, no, eo, fields, expected, reason, nd.rule, ed.rule))
            for plane, decision, gw_key in ((nginx, nd, ""), (envoy, ed, key)):
                # One statistical check per weighted rule and proxy, on the first request that reaches it.
                if (
                    len(decision.weights) > 1
                    and (plane is nginx or gw_key)
                    and (plane.kind, decision.rule) not in sampled
                ):
                    sampled[(plane.kind, decision.rule)] = (plane, request, gw_key, decision)
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(sampled) or 1))) as pool:
            jobs = list(sampled.values())
            counted = pool.map(lambda job: _sample(job[0], job[1], job[2], samples), jobs)
            for (plane, request, _, decision), counts in zip(jobs, counted, strict=True):
                expected_shares = dict(decision.weights)
                ok, worst = check_weights(expected_shares, counts, samples)
                weights.append(WeightCheck(request, plane.kind, expected_shares, dict(counts), samples, ok, worst))
        timings["replay"] = time.monotonic() - started - timings["prepare"] - timings["start"]
    seconds = time.monotonic() - started
    return VerifyReport(
        requests=len(corpus),
        differences=tuple(differences),
        simulator=(
            SimulatorCheck("nginx", len(corpus), tuple(nginx_bad)),
            SimulatorCheck("envoy", sum(1 for r in results if r[4]), tuple(envoy_bad)),
        ),
        weights=tuple(weights),
        seconds=seconds,
        approximations=tuple(approximations),
        timings=timings,
    )
