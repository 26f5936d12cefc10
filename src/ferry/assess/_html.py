"""The assessment as one self-contained HTML page: no scripts, no external assets, charts as inline SVG (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ferry._kernel import Chart, Finding, Section, Severity
from ferry.assess._run import Assessment

__all__ = ["render_html", "svg_bar_chart"]

_COLORS = {
    Severity.CRITICAL: "#8b0000",
    Severity.ERROR: "#d9480f",
    Severity.WARNING: "#e8a200",
    Severity.INFO: "#1c7ed6",
}

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{background:#14213d;color:#fff;padding:20px 32px}header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;opacity:.8}main{padding:16px 32px;max-width:1200px}
section{background:#fff;border:1px solid #dde1e6;border-radius:8px;margin:16px 0;padding:16px 20px}
h2{margin:0 0 8px;font-size:18px}table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eceef1;vertical-align:top}
th{background:#f1f3f5}.sev{font-weight:600;border-radius:4px;padding:1px 6px;color:#fff;font-size:12px}
.metrics{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}.metric{background:#f1f3f5;border-radius:6px;padding:6px 10px}
.metric b{display:block;font-size:16px}.charts{display:flex;flex-wrap:wrap;gap:16px}
pre{background:#0f172a;color:#e2e8f0;padding:12px;border-radius:6px;overflow:auto;font-size:12px;max-height:420px}
details{margin:6px 0}summary{cursor:pointer;font-weight:600}.hint{color:#555}.muted{color:#777}
"""


def _sev(severity: Severity) -> str:
    return f'<span class="sev" style="background:{_COLORS[severity]}">{severity.value}</span>'


def svg_bar_chart(chart: Chart, *, width: int = 520) -> str:
    """A horizontal bar chart as an inline SVG element."""
    rows = list(zip(chart.labels, chart.values, strict=True))
    bar_h, gap, label_w, top = 18, 6, 180, 28
    height = top + len(rows) * (bar_h + gap) + 8
    peak = max((v for _, v in rows), default=0.0) or 1.0
    span = width - label_w - 80
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(chart.title)}">',
        f'<text x="0" y="16" font-size="13" font-weight="600">{escape(chart.title)}</text>',
    ]
    for i, (label, value) in enumerate(rows):
        y = top + i * (bar_h + gap)
        w = max(1.0, span * value / peak) if value > 0 else 0.0
        shown = f"{value:g}{(' ' + chart.unit) if chart.unit else ''}"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" font-size="12" text-anchor="end">{escape(label[:28])}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#3b5bdb" rx="2"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 13}" font-size="12">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _findings_table(findings: Sequence[Finding]) -> str:
    if not findings:
        return '<p class="muted">No findings.</p>'
    ordered = sorted(findings, key=lambda f: (-f.severity.rank, f.code, f.obj or ""))
    rows = []
    for f in ordered:
        where = escape(str(f.source)) if f.source else ""
        hint = f'<div class="hint">{escape(f.hint)}</div>' if f.hint else ""
        rows.append(
            f"<tr><td>{_sev(f.severity)}</td><td><code>{escape(f.code)}</code></td>"
            f"<td>{escape(f.obj or '')}<div class='muted'>{where}</div></td><td>{escape(f.message)}{hint}</td></tr>"
        )
    return (
        "<table><thead><tr><th>Severity</th><th>Code</th><th>Object</th><th>Finding</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _section(section: Section) -> str:
    metrics = "".join(
        f'<div class="metric"><b>{escape(str(v))}</b>{escape(k)}</div>' for k, v in section.metrics.items()
    )
    charts = "".join(svg_bar_chart(c) for c in section.charts)
    artifacts = "".join(
        f"<details><summary>{escape(a.name)}</summary><p class='muted'>{escape(a.description)}</p>"
        + (a.content if a.media_type == "image/svg+xml" else f"<pre>{escape(a.content)}</pre>")
        + "</details>"
        for a in section.artifacts
    )
    return (
        f'<section id="{escape(section.system)}"><h2>{escape(section.system)}</h2><p>{escape(section.summary)}</p>'
        f'<div class="metrics">{metrics}</div><div class="charts">{charts}</div>'
        f"{_findings_table(section.findings)}" + (f"<h3>Artifacts</h3>{artifacts}" if artifacts else "") + "</section>"
    )


def render_html(assessment: Assessment, *, title: str = "ferry assess") -> str:
    """One self-contained page: overview chart, a section per system, the input errors."""
    overview = Chart(
        "Findings per system (warning and above)",
        [s.system for s in assessment.sections],
        [sum(1 for f in s.findings if f.severity.rank >= Severity.WARNING.rank) for s in assessment.sections],
    )
    summary_rows = "".join(
        f"<tr><td><a href='#{escape(s.system)}'>{escape(s.system)}</a></td>"
        + "".join(f"<td>{sum(1 for f in s.findings if f.severity is sev)}</td>" for sev in reversed(Severity))
        + f"<td>{escape(s.summary)}</td></tr>"
        for s in assessment.sections
    )
    head = "".join(f"<th>{sev.value}</th>" for sev in reversed(Severity))
    errors = "".join(
        f"<tr><td>{escape(e.severity)}</td><td>{escape(e.system or '')}</td>"
        f"<td>{escape((e.path or '') + (f':{e.line}' if e.line else ''))}</td><td>{escape(e.message)}</td></tr>"
        for e in assessment.errors
    )
    errors_block = (
        "<section id='errors'><h2>Input errors</h2><table><thead><tr><th>Severity</th><th>System</th><th>Where</th>"
        f"<th>Message</th></tr></thead><tbody>{errors}</tbody></table></section>"
        if errors
        else ""
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><p>{escape(', '.join(assessment.roots))}</p></header><main>"
        f"<section><h2>Overview</h2>{svg_bar_chart(overview)}<table><thead><tr><th>System</th>{head}"
        f"<th>Summary</th></tr></thead><tbody>{summary_rows}</tbody></table></section>"
        + "".join(_section(s) for s in assessment.sections)
        + errors_block
        + "</main></body></html>\n"
    )
