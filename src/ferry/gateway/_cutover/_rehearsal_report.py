"""The rehearsal's chart and its verdict (pure)."""

from __future__ import annotations

from typing import Any

from ferry.gateway._cutover._svg import bar_chart_svg

__all__ = ["rehearsal_svg", "verdict"]


def rehearsal_svg(result: dict[str, Any]) -> str:
    """Requests per step of each strategy: served by the old side, served by the new side, and lost."""
    labels: list[str] = []
    old: list[float] = []
    new: list[float] = []
    lost: list[float] = []
    for strategy in result["strategies"]:
        for step in strategy["steps"]:
            if not step["sent"]:
                continue
            labels.append(f"{strategy['name']}: {step['key']}")
            old.append(step["served"]["old"])
            new.append(step["served"]["new"])
            lost.append(step["failed"] + step["reset"])
    title = f"Cutover rehearsal — requests per step (time compressed {result['time_compression']:g}×)"
    series = [("served by old", "#d9534f", old), ("served by new", "#2a7ae2", new), ("lost", "#222222", lost)]
    return bar_chart_svg(title, labels, series)


def verdict(result: dict[str, Any]) -> tuple[bool, str]:
    """Whether the rehearsal proves the plan (it lost nothing), and one sentence that says so."""
    by_name = {s["name"]: s for s in result["strategies"]}
    plan = by_name.get("plan")
    naive = by_name.get("naive")
    parts = []
    if naive is not None:
        parts.append(f"naive flip lost {naive['lost']} of {naive['sent']} requests")
    if plan is not None:
        parts.append(f"ferry's plan lost {plan['lost']} of {plan['sent']}")
    ok = plan is None or plan["lost"] == 0
    return ok, "; ".join(parts) + (" — the plan is proven on this rehearsal" if plan is not None and ok else "")
