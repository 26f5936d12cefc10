"""Compare two dumps of one server (before and after a firmware update): what the update changed (pure).

Options are matched by what they are (kind, NIC, URI or disk path), not by number: firmware renumbers them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ferry.boot._model import BootConfig, BootOption
from ferry.boot._predict import predict
from ferry.boot._timing import TimingModel

__all__ = ["BootDiff", "diff_configs"]


@dataclass(frozen=True)
class BootDiff:
    server: str
    added: tuple[BootOption, ...]
    removed: tuple[BootOption, ...]
    renumbered: tuple[tuple[BootOption, BootOption], ...]
    activated: tuple[BootOption, ...]
    deactivated: tuple[BootOption, ...]
    order_before: tuple[str, ...]
    order_after: tuple[str, ...]
    boot_next: tuple[int | None, int | None]
    worst_before_s: float
    worst_after_s: float

    @property
    def order_changed(self) -> bool:
        return self.order_before != self.order_after

    @property
    def regressed(self) -> bool:
        return self.worst_after_s > self.worst_before_s + 1.0

    @property
    def changed(self) -> bool:
        return (
            bool(
                self.added
                or self.removed
                or self.renumbered
                or self.activated
                or self.deactivated
                or self.order_changed
            )
            or self.boot_next[0] != self.boot_next[1]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "changed": self.changed,
            "regressed": self.regressed,
            "added": [o.describe() for o in self.added],
            "removed": [o.describe() for o in self.removed],
            "renumbered": [{"before": a.ref, "after": b.ref, "kind": b.kind.value} for a, b in self.renumbered],
            "activated": [o.ref for o in self.activated],
            "deactivated": [o.ref for o in self.deactivated],
            "order_changed": self.order_changed,
            "order_before": list(self.order_before),
            "order_after": list(self.order_after),
            "boot_next": [f"Boot{i:04X}" if i is not None else None for i in self.boot_next],
            "predicted_worst_before_s": round(self.worst_before_s, 1),
            "predicted_worst_after_s": round(self.worst_after_s, 1),
        }


def _label(option: BootOption) -> str:
    return f"{option.kind.value}:{option.nic_key or option.device_path or option.description}"


def _order_labels(config: BootConfig) -> tuple[str, ...]:
    return tuple(_label(o) for i in config.boot_order if (o := config.option(i)) is not None and o.active)


def diff_configs(
    before: BootConfig, after: BootConfig, timing: TimingModel | None = None, *, mode: str = "steady"
) -> BootDiff:
    old = {o.identity: o for o in before.options}
    new = {o.identity: o for o in after.options}
    added = tuple(new[k] for k in new if k not in old)
    removed = tuple(old[k] for k in old if k not in new)
    both = [k for k in new if k in old]
    renumbered = tuple((old[k], new[k]) for k in both if old[k].id != new[k].id)
    activated = tuple(new[k] for k in both if new[k].active and not old[k].active)
    deactivated = tuple(new[k] for k in both if old[k].active and not new[k].active)
    return BootDiff(
        server=after.name,
        added=added,
        removed=removed,
        renumbered=renumbered,
        activated=activated,
        deactivated=deactivated,
        order_before=_order_labels(before),
        order_after=_order_labels(after),
        boot_next=(before.boot_next, after.boot_next),
        worst_before_s=predict(before, timing, mode=mode).total_s,
        worst_after_s=predict(after, timing, mode=mode).total_s,
    )
