"""A horizontal bar chart as standalone SVG: predicted boot time per server (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

__all__ = ["bar_chart_svg"]


def bar_chart_svg(
    title: str, labels: Sequence[str], worst: Sequence[float], expected: Sequence[float], *, threshold_s: float
) -> str:
    """Two bars per server (worst, expected) in minutes, with the at-risk threshold as a dashed line."""
    row, left, width, top = 26, 170, 520, 40
    height = top + row * len(labels) + 40
    peak = max([*worst, *expected, threshold_s, 60.0])
    scale = width / peak
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 90}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<text x="10" y="22" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    for index, (label, w, e) in enumerate(zip(labels, worst, expected, strict=True)):
        y = top + index * row
        color = "#c0392b" if w >= threshold_s else "#2e86c1"
        parts.append(f'<text x="{left - 8}" y="{y + 14}" text-anchor="end">{escape(label)}</text>')
        parts.append(f'<rect x="{left}" y="{y + 2}" width="{w * scale:.1f}" height="10" fill="{color}"/>')
        parts.append(f'<rect x="{left}" y="{y + 13}" width="{e * scale:.1f}" height="6" fill="#7f8c8d"/>')
        parts.append(f'<text x="{left + w * scale + 6:.1f}" y="{y + 12}">{w / 60:.1f} min</text>')
    x = left + threshold_s * scale
    parts.append(
        f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 30}" stroke="#000" stroke-dasharray="4 3"/>'
    )
    parts.append(f'<text x="{x + 4:.1f}" y="{height - 16}">at risk ({threshold_s / 60:.0f} min)</text>')
    parts.append(
        f'<text x="10" y="{height - 4}" fill="#555">bars: worst case (colour) and expected (grey) time to boot</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
