"""The rehearsal: the naive flip and ferry's plan, each on fresh sides, under the same load (I/O: orchestration).

Naive: the name answers the old side at today's TTL; then DNS is switched to the new side and the old side is
stopped at once. Plan: the phases of :func:`build_plan` for the same names, every hold divided by the time
compression, the weights applied to the DNS server as each change batch would apply them, each step gated on the
error rate and p99 the clients saw, the old side kept up until no new connection reaches it, then drained
gracefully, then stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ferry._kernel._manifests import KubeObject
from ferry.gateway._cutover._dns_server import WeightedDnsServer
from ferry.gateway._cutover._errors import CutoverError
from ferry.gateway._cutover._loadgen import Endpoint as LoadEndpoint
from ferry.gateway._cutover._loadgen import LoadGenerator, LoadProfile
from ferry.gateway._cutover._metrics import StepWindow, percentile, step_metrics, strategy_summary
from ferry.gateway._cutover._model import CutoverSpec, Endpoint, Gates, Plan, Target
from ferry.gateway._cutover._schedule import PROFILES, build_plan
from ferry.gateway._cutover._sides import EchoProcessSide, Side, probe
from ferry.gateway._cutover._translate import candidate_paths

__all__ = ["RehearsalConfig", "SidePair", "choose_routes", "echo_sides", "rehearse"]

OLD, NEW = "old", "new"


@dataclass(frozen=True)
class SidePair:
    """How to make a fresh old and new side for one strategy; what they share (backends) goes on the stack."""

    make: Callable[[contextlib.ExitStack], tuple[Side, Side]]
    description: str


def echo_sides() -> SidePair:
    """Two :mod:`._echo_side` processes on 127.0.0.2 (old) and 127.0.0.3 (new), for the mechanics alone."""
    return SidePair(
        make=lambda stack: (EchoProcessSide(OLD, "127.0.0.2"), EchoProcessSide(NEW, "127.0.0.3")),
        description="python-echo processes (old 127.0.0.2, new 127.0.0.3)",
    )


def choose_routes(
    old: Side, new: Side, candidates: Mapping[str, Sequence[str]], hostnames: Sequence[str]
) -> tuple[dict[str, tuple[bool, str]], list[str]]:
    """Per hostname, a scheme and path both sides answer with 200 from an echo backend that holds requests for
    ``delay_ms``; hostnames without one are left out of the load, with a note."""
    routes: dict[str, tuple[bool, str]] = {}
    notes: list[str] = []
    for host in hostnames:
        for path in candidates.get(host, ["/"]):
            found = None
            for tls in (False, True):
                probe_path = f"{path}{'&' if '?' in path else '?'}delay_ms=1"
                answers = [probe(side, host, probe_path, tls=tls) for side in (old, new)]
                if all(status == 200 and backend for status, backend in answers):
                    found = (tls, path)
                    break
            if found:
                routes[host] = found
                break
        else:
            notes.append(f"{host}: no path that both sides serve from a backend; left out of the load")
    return routes, notes


@dataclass(frozen=True)
class RehearsalConfig:
    """What to rehearse. Durations are real-world seconds; the rehearsal divides them by ``time_compression``."""

    hostnames: tuple[str, ...]
    objects: tuple[KubeObject, ...] = ()
    time_compression: float = 120.0
    ttl_s: int = 60
    current_ttl_s: int = 300
    weights: tuple[tuple[int, int], ...] = PROFILES["standard"]
    gates: Gates = field(default_factory=lambda: Gates(max_error_rate=0.0, max_p99_ms=5000.0, window_s=300))
    load: LoadProfile = field(default_factory=LoadProfile)
    strategies: tuple[str, ...] = ("naive", "plan")

    def plan(self, old_address: str, new_address: str) -> Plan:
        spec = CutoverSpec(
            hostnames=self.hostnames,
            zone_id=None,
            old=Endpoint(OLD, OLD, Target(old_address), self.ttl_s),
            new=Endpoint(NEW, NEW, Target(new_address), self.ttl_s),
            current_ttl=self.current_ttl_s,
            weights=self.weights,
            gates=self.gates,
            longest_request_s=max(1, round(self.load.long_request_s)),
            client_cache_s=round(self.load.client_cache_s),
        )
        return build_plan(spec)


Progress = Callable[[str, str], None]


class _Run:
    """One strategy: fresh sides, DNS server and load; steps are announced to ``progress``."""

    def __init__(self, config: RehearsalConfig, sides: SidePair, name: str, progress: Progress) -> None:
        self.config, self.sides, self.name, self.progress = config, sides, name, progress
        self.windows: list[StepWindow] = []
        self.notes: list[str] = []
        self.load: LoadGenerator | None = None
        self.dns: WeightedDnsServer | None = None

    def wall(self, seconds: float) -> float:
        return seconds / self.config.time_compression

    def enter(self, key: str, title: str, weights: tuple[int, int] | None) -> None:
        assert self.load is not None
        self.windows.append(StepWindow(key, title, weights))
        self.load.step = key
        self.progress(self.name, key)

    async def hold(self, real_seconds: float) -> None:
        await asyncio.sleep(self.wall(real_seconds))

    def gate_ok(self, key: str) -> tuple[bool, str]:
        assert self.load is not None
        records = [r for r in self.load.records if r.step == key]
        if not records:
            return True, "no requests"
        lost = sum(1 for r in records if r.outcome != "ok")
        rate = lost / len(records)
        short = [r.latency_s * 1000 for r in records if r.outcome == "ok" and not r.long]
        p99 = percentile(short, 99)
        gates = self.config.gates
        ok = rate <= gates.max_error_rate and p99 <= gates.max_p99_ms
        return ok, f"error rate {rate:.4f}, p99 {p99:.1f} ms"

    async def run(self) -> dict[str, Any]:
        with contextlib.ExitStack() as stack:
            old, new = self.sides.make(stack)
            stack.callback(new.close)
            stack.callback(old.close)
            await asyncio.to_thread(old.start)
            await asyncio.to_thread(new.start)
            return await self._rehearse(old, new)

    async def _rehearse(self, old: Side, new: Side) -> dict[str, Any]:
        candidates = candidate_paths(self.config.objects)
        routes, notes = await asyncio.to_thread(choose_routes, old, new, candidates, self.config.hostnames)
        self.notes.extend(notes)
        if not routes:
            raise CutoverError(
                "no hostname is served by both sides, so there is nothing to rehearse",
                hint="check that the Ingresses route their hosts to Services (see the notes of ferry gateway verify)",
            )
        hostnames = [h for h in self.config.hostnames if h in routes]

        def path_for(host: str, delay_ms: int) -> str:
            path = routes[host][1]
            return f"{path}{'&' if '?' in path else '?'}delay_ms={delay_ms}" if delay_ms > 0 else path

        endpoints = {
            old.dns_address: LoadEndpoint(OLD, old.connect_host, old.port, old.tls_port),
            new.dns_address: LoadEndpoint(NEW, new.connect_host, new.port, new.tls_port),
        }
        records = {OLD: old.dns_address, NEW: new.dns_address}
        with WeightedDnsServer(
            hostnames, records, {OLD: 255}, ttl=self.config.current_ttl_s, seed=self.config.load.seed
        ) as dns:
            self.dns = dns
            self.load = LoadGenerator(
                hostnames,
                dns.port,
                endpoints,
                path_for,
                self.config.load,
                time_compression=self.config.time_compression,
                tls_hosts={h for h, (tls, _) in routes.items() if tls},
            )
            self.windows.append(StepWindow("start", "clients start against the old side", None))
            await self.load.start(self.wall(self.config.current_ttl_s))
            try:
                if self.name == "naive":
                    await self._naive(old, new)
                else:
                    await self._plan(old, new)
            finally:
                await self.load.stop()
            dns_answers = dict(dns.answers)
        steps = step_metrics(self.windows, self.load.records)
        summary = strategy_summary(self.name, steps, self.load.records)
        summary["dns_answers"] = dns_answers
        summary["notes"] = self.notes
        summary["routes"] = {h: f"{'https' if tls else 'http'}://{h}{path}" for h, (tls, path) in routes.items()}
        return summary

    async def _naive(self, old: Side, new: Side) -> None:
        assert self.dns is not None
        ttl = self.config.current_ttl_s
        self.enter("serve-old", f"the name answers the old side only (TTL {ttl} s)", (255, 0))
        await self.hold(2 * ttl)
        self.enter("flip", "DNS switched to the new side and the old side stopped at once", (0, 255))
        self.dns.set_weights({NEW: 255})
        await asyncio.to_thread(old.stop_abruptly)
        await self.hold(ttl + self.config.load.client_cache_s)
        self.enter("after", "stale answers have expired", (0, 255))
        await self.hold(2 * self.config.ttl_s)

    async def _plan(self, old: Side, new: Side) -> None:
        assert self.dns is not None and self.load is not None
        plan = self.config.plan(old.dns_address, new.dns_address)
        self.enter("serve-old", f"the name answers the old side only (TTL {self.config.current_ttl_s} s)", (255, 0))
        await self.hold(2 * self.config.current_ttl_s)
        for phase in plan.phases:
            self.enter(phase.key, phase.title, phase.weights)
            if phase.key == "lower-ttl":
                self.dns.set_ttl(self.config.ttl_s)
            elif phase.weights is not None and phase.key != "wait-idle":
                self.dns.set_weights({OLD: phase.weights[0], NEW: phase.weights[1]})
            elif phase.key == "remove-old":
                self.dns.set_weights({NEW: 255})
            elif phase.key == "restore-ttl":
                self.dns.set_ttl(self.config.current_ttl_s)
            if phase.key == "drain-old":
                budget = plan.draining["nginx"]["worker_shutdown_timeout_s"]
                drained = await asyncio.to_thread(old.drain, self.wall(budget))
                if not drained:
                    self.notes.append(f"the old side still had connections after {budget} s of draining")
                continue
            if phase.key == "decommission":
                await asyncio.to_thread(old.close)
                continue
            await self.hold(phase.hold_s)
            if phase.key == "wait-idle":
                await self._wait_idle(phase.hold_s)
            if phase.key.startswith("shift-") or phase.key == "create-weighted":
                ok, detail = self.gate_ok(phase.key)
                if not ok:
                    self.notes.append(f"gate failed at {phase.key} ({detail}); rolled back to the old side")
                    self.enter("rollback", "weights back to the old side", (255, 0))
                    self.dns.set_weights({OLD: 255, NEW: 0})
                    await self.hold(phase.hold_s)
                    return
        self.enter("after", "the new side serves alone", (0, 255))
        await self.hold(2 * self.config.ttl_s)

    async def _wait_idle(self, hold_s: int) -> None:
        """Hold until the old side has seen no new connection for 5 × TTL + the client cache (bounded)."""
        assert self.load is not None
        window = self.wall(5 * self.config.ttl_s + self.config.load.client_cache_s)
        deadline = self.load.now() + 3 * self.wall(hold_s)
        while self.load.now() < deadline:
            last = self.load.last_new_connection(OLD)
            if last is None or self.load.now() - last >= window:
                return
            await asyncio.sleep(window / 10)
        self.notes.append("the old side still received new connections when the idle wait ran out")


def rehearse(
    config: RehearsalConfig, sides: SidePair | None = None, progress: Progress | None = None
) -> dict[str, Any]:
    """Run the strategies one after the other; the result is the JSON ``ferry gateway cutover rehearse`` prints."""
    pair = sides or echo_sides()
    report = progress or (lambda strategy, step: None)
    results = []
    for name in config.strategies:
        results.append(asyncio.run(_Run(config, pair, name, report).run()))
    return {
        "strategies": results,
        "time_compression": config.time_compression,
        "hostnames": list(config.hostnames),
        "sides": pair.description,
        "load": {
            "clients": config.load.clients,
            "stale_share": config.load.stale_share,
            "client_cache_s": config.load.client_cache_s,
            "long_share": config.load.long_share,
            "long_request_s": config.load.long_request_s,
        },
        "ttl_s": config.ttl_s,
        "current_ttl_s": config.current_ttl_s,
    }


def losses(result: dict[str, Any], strategy: str) -> int | None:
    for entry in result["strategies"]:
        if entry["name"] == strategy:
            return int(entry["lost"])
    return None
