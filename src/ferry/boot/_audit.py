"""Fleet audit: predictions and findings for every server, the worst offenders, a chart (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ferry._kernel import Severity
from ferry.boot._chart import bar_chart_svg
from ferry.boot._findings import AT_RISK_S, BootFinding, find
from ferry.boot._model import BootConfig
from ferry.boot._predict import Prediction, predict
from ferry.boot._timing import TimingModel

__all__ = ["FleetAudit", "ServerAudit", "audit_fleet", "audit_server"]


@dataclass(frozen=True)
class ServerAudit:
    config: BootConfig
    worst: Prediction
    expected: Prediction
    findings: tuple[BootFinding, ...]

    @property
    def at_risk(self) -> bool:
        return self.worst.wasted_s >= AT_RISK_S or not self.worst.boots

    @property
    def severity(self) -> Severity | None:
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)

    def to_dict(self) -> dict[str, Any]:
        """The ``ferry boot audit --format json`` shape of one server."""
        cfg = self.config
        return {
            "name": cfg.name,
            "boot_order": [f"Boot{i:04X}" for i in cfg.boot_order],
            "options": [o.to_dict() for o in cfg.options],
            "predicted_worst_s": round(self.worst.total_s, 1),
            "predicted_expected_s": round(self.expected.total_s, 1),
            "findings": [f.to_dict() for f in sorted(self.findings, key=lambda f: -f.severity.rank)],
        }


def audit_server(config: BootConfig, timing: TimingModel | None = None, *, mode: str = "steady") -> ServerAudit:
    worst = predict(config, timing, scenario="worst", mode=mode)
    expected = predict(config, timing, scenario="expected", mode=mode)
    return ServerAudit(config, worst, expected, tuple(find(config, worst)))


@dataclass(frozen=True)
class FleetAudit:
    servers: tuple[ServerAudit, ...]
    mode: str
    reboots: int

    @property
    def at_risk(self) -> tuple[ServerAudit, ...]:
        return tuple(s for s in self.servers if s.at_risk)

    def worst_offenders(self, count: int = 5) -> tuple[ServerAudit, ...]:
        ranked = sorted(self.servers, key=lambda s: (-s.worst.total_s, s.config.name))
        return tuple(ranked[:count])

    @property
    def worst_s(self) -> float:
        return max((s.worst.total_s for s in self.servers), default=0.0)

    def summary(self) -> dict[str, Any]:
        worst = self.worst_offenders(1)
        return {
            "servers": len(self.servers),
            "at_risk": len(self.at_risk),
            "mode": self.mode,
            "fleet_worst_s": round(self.worst_s, 1),
            "fleet_worst_server": worst[0].config.name if worst else None,
            "worst_per_update_s": round(self.worst_s * self.reboots, 1),
            "reboots_per_update": self.reboots,
            "wasted_worst_total_s": round(sum(s.worst.wasted_s for s in self.servers), 1),
            "worst_offenders": [s.config.name for s in self.worst_offenders()],
        }

    def to_dict(self) -> dict[str, Any]:
        return {"servers": [s.to_dict() for s in self.servers], "fleet": self.summary()}

    def chart_svg(self) -> str:
        ranked = sorted(self.servers, key=lambda s: -s.worst.total_s)
        return bar_chart_svg(
            f"Predicted time to boot ({self.mode}), {len(ranked)} servers",
            [s.config.name for s in ranked],
            [s.worst.total_s for s in ranked],
            [s.expected.total_s for s in ranked],
            threshold_s=AT_RISK_S,
        )


def audit_fleet(
    configs: Sequence[BootConfig], timing: TimingModel | None = None, *, mode: str = "steady", reboots: int = 1
) -> FleetAudit:
    servers = tuple(audit_server(c, timing, mode=mode) for c in sorted(configs, key=lambda c: c.name))
    return FleetAudit(servers, mode, reboots)
