"""SVG charts for the plan's timeline and the rehearsal's per-step shares (pure; the text of a standalone SVG)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from ferry.gateway._cutover._model import Plan

__all__ = ["bar_chart_svg", "timeline_svg"]

_W, _H = 960, 360
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 24, 56, 110
_OLD, _NEW, _GRID = "#d9534f", "#2a7ae2", "#dddddd"


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def _nice(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k (times 4, for four even grid steps) at or above ``value``."""
    magnitude = 10 ** math.floor(math.log10(value / 4)) if value > 4 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if 4 * factor * magnitude >= value:
            return 4 * factor * magnitude
    return value


def _frame(title: str, body: list[str]) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" '
        'font-family="sans-serif" font-size="11">'
    )
    return "\n".join(
        [
            head,
            f'<rect width="{_W}" height="{_H}" fill="white"/>',
            f'<text x="{_LEFT}" y="22" font-size="14" font-weight="bold">{escape(title)}</text>',
            *body,
            "</svg>",
            "",
        ]
    )


def _y_axis(plot_h: float, unit: str, top_value: float) -> list[str]:
    out = []
    for i in range(5):
        value = top_value * i / 4
        y = _TOP + plot_h - plot_h * i / 4
        out.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_W - _RIGHT}" y2="{y:.1f}" stroke="{_GRID}"/>')
        out.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value:g}{escape(unit)}</text>')
    return out


def timeline_svg(plan: Plan) -> str:
    """The share of traffic on each side through the plan, one band per phase. A band's width grows with the square
    root of its hold, so a day-long TTL wait does not squeeze the steps; labels give the real durations."""
    plot_w = _W - _LEFT - _RIGHT
    plot_h = _H - _TOP - _BOTTOM
    widths = [max(phase.hold_s**0.5, 4.0) for phase in plan.phases]
    scale = plot_w / sum(widths)
    edges = [float(_LEFT)]
    for width in widths:
        edges.append(edges[-1] + width * scale)
    body = _y_axis(plot_h, "%", 100)
    old_points: list[str] = []
    new_points: list[str] = []
    for i, phase in enumerate(plan.phases):
        x0, x1 = edges[i], edges[i + 1]
        fill = "#f7f7f7" if i % 2 else "#ffffff"
        body.append(
            f'<rect x="{x0:.1f}" y="{_TOP}" width="{max(x1 - x0, 1):.1f}" height="{plot_h}" fill="{fill}" '
            f'stroke="{_GRID}"><title>{escape(phase.title)}</title></rect>'
        )
        label_y = _TOP + plot_h + 12
        body.append(
            f'<text x="{x0 + 3:.1f}" y="{label_y}" transform="rotate(40 {x0 + 3:.1f} {label_y})">'
            f"{escape(phase.key)} ({_duration(phase.hold_s)})</text>"
        )
        share = phase.new_share
        if share is None:
            share = 1.0 if phase.key in ("remove-old", "drain-old", "decommission", "restore-ttl") else 0.0
        for points, value in ((old_points, 1 - share), (new_points, share)):
            y = _TOP + plot_h * (1 - value)
            points.append(f"{x0:.1f},{y:.1f} {x1:.1f},{y:.1f}")
    body += _lines(old_points, new_points, ("old side (nginx)", "new side (Envoy)"))
    return _frame(f"Cutover timeline — {_duration(plan.duration_s)}, {len(plan.phases)} phases", body)


def _lines(old_points: list[str], new_points: list[str], names: tuple[str, str]) -> list[str]:
    out = [
        f'<polyline fill="none" stroke="{_OLD}" stroke-width="2.5" points="{" ".join(old_points)}"/>',
        f'<polyline fill="none" stroke="{_NEW}" stroke-width="2.5" points="{" ".join(new_points)}"/>',
    ]
    legend_x = _W - _RIGHT - 260
    for i, (name, color) in enumerate(zip(names, (_OLD, _NEW), strict=True)):
        lx = legend_x + i * 130
        out.append(f'<rect x="{lx}" y="30" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{lx + 16}" y="40">{escape(name)}</text>')
    return out


def bar_chart_svg(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[float]]], *, unit: str = ""
) -> str:
    """Grouped bars, one group per label and one bar per series ``(name, colour, values)``."""
    plot_w = _W - _LEFT - _RIGHT
    plot_h = _H - _TOP - _BOTTOM
    top_value = _nice(max([v for _, _, values in series for v in values] + [1.0]))
    body = _y_axis(plot_h, unit, top_value)
    groups = max(len(labels), 1)
    group_w = plot_w / groups
    bar_w = group_w * 0.8 / max(len(series), 1)
    for g, label in enumerate(labels):
        gx = _LEFT + g * group_w + group_w * 0.1
        for s, (name, color, values) in enumerate(series):
            value = values[g] if g < len(values) else 0.0
            height = plot_h * value / top_value
            bx = gx + s * bar_w
            body.append(
                f'<rect x="{bx:.1f}" y="{_TOP + plot_h - height:.1f}" width="{bar_w:.1f}" height="{height:.1f}" '
                f'fill="{color}"><title>{escape(name)} {escape(label)}: {value:g}{escape(unit)}</title></rect>'
            )
        label_y = _TOP + plot_h + 12
        body.append(
            f'<text x="{gx:.1f}" y="{label_y}" transform="rotate(40 {gx:.1f} {label_y})">{escape(label)}</text>'
        )
    legend_x = _W - _RIGHT - 130 * len(series)
    for i, (name, color, _) in enumerate(series):
        lx = legend_x + i * 130
        body.append(f'<rect x="{lx}" y="30" width="12" height="12" fill="{color}"/>')
        body.append(f'<text x="{lx + 16}" y="40">{escape(name)}</text>')
    return _frame(title, body)
