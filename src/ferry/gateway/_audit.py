"""The annotation audit: every annotation on every Ingress, its status per target, a parity matrix and a
recommendation (pure). Renders to the JSON shape others depend on, markdown and self-contained HTML.

JSON shape::

    {"ingresses": [{"namespace", "name", "annotations": [{"key", "value", "status": {"<target>": "<status>"},
                                                          "note"}]}],
     "summary": {"ingresses", "annotations", "targets": {"<target>": {"exact", "approximate", "manual", "none",
                 "score"}}, "recommendation", "callouts": {...}, "unknown": [...], "problems": [...]}}
"""

from __future__ import annotations

import html
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ferry.gateway._convert import Conversion, Outcome, Status, Target
from ferry.gateway._ingress import Ingress, IngressInput
from ferry.gateway._parity import PARITY

__all__ = ["Audit", "AuditEntry", "IngressAudit", "build_audit", "render_html", "render_markdown"]

TARGETS = tuple(Target)
_VALUE: dict[str, str] = {m: m.value for m in (*Target, *Status)}  # StrEnum hashing is str's; .value is slow


def _status_dict(status: dict[Target, Status]) -> dict[str, str]:
    return {_VALUE[t]: _VALUE[s] for t, s in status.items()}


_CALLOUTS = {
    "client-mtls": (
        "auth-tls-secret",
        "auth-tls-verify-client",
        "auth-tls-verify-depth",
        "auth-tls-error-page",
        "auth-tls-pass-certificate-to-upstream",
        "auth-tls-match-cn",
    ),
    "backend-mtls": (
        "proxy-ssl-secret",
        "proxy-ssl-verify",
        "proxy-ssl-verify-depth",
        "proxy-ssl-name",
        "proxy-ssl-server-name",
        "proxy-ssl-protocols",
        "proxy-ssl-ciphers",
    ),
    "request-buffering": ("proxy-request-buffering", "proxy-body-size", "client-body-buffer-size"),
}

_CALLOUT_OF: dict[str, tuple[str, ...]] = {
    key: tuple(name for name, keys in _CALLOUTS.items() if key in keys) for keys in _CALLOUTS.values() for key in keys
}
"""Annotation key → the callouts that list it."""


@dataclass(frozen=True)
class AuditEntry:
    key: str
    value: str
    status: dict[Target, Status]
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": self.value,
            "status": _status_dict(self.status),
            "note": self.note,
        }


@dataclass(frozen=True)
class IngressAudit:
    namespace: str
    name: str
    annotations: tuple[AuditEntry, ...]

    def worst(self, target: Target) -> Status:
        return max((a.status[target] for a in self.annotations), key=lambda s: s.rank, default=Status.EXACT)

    def to_dict(self) -> dict[str, Any]:
        return {"namespace": self.namespace, "name": self.name, "annotations": [a.to_dict() for a in self.annotations]}


@dataclass(frozen=True)
class Audit:
    ingresses: tuple[IngressAudit, ...]
    problems: tuple[str, ...] = ()
    differences: tuple[tuple[str, str], ...] = ()
    counts: dict[Target, Counter[Status]] = field(default_factory=dict)

    def entries(self) -> list[tuple[IngressAudit, AuditEntry]]:
        return [(i, a) for i in self.ingresses for a in i.annotations]

    def score(self, target: Target) -> float:
        """Share of annotations that carry over: exact counts 1, approximate 0.5, manual 0.25, none 0."""
        counts = self.counts.get(target, Counter())
        total = sum(counts.values())
        if not total:
            return 1.0
        weight = {Status.EXACT: 1.0, Status.APPROXIMATE: 0.5, Status.MANUAL: 0.25, Status.NONE: 0.0}
        return sum(weight[s] * n for s, n in counts.items()) / total

    def recommendation(self) -> Target:
        """The target with the best score (Gateway-API-only ``standard`` excluded; ties keep the table order)."""
        candidates = [t for t in TARGETS if t is not Target.STANDARD]
        return max(candidates, key=lambda t: (self.score(t), -candidates.index(t)))

    def fails(self, target: Target, threshold: Status) -> bool:
        return any(a.status[target].rank >= threshold.rank for _, a in self.entries())

    def callouts(self) -> dict[str, list[dict[str, Any]]]:
        return self._callouts(self.entries())

    def _callouts(self, entries: list[tuple[IngressAudit, AuditEntry]]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {name: [] for name in _CALLOUTS}
        for ingress, entry in entries:  # one pass; each callout's rows keep the entries' order
            for name in _CALLOUT_OF.get(entry.key, ()):
                out[name].append(
                    {
                        "ingress": f"{ingress.namespace}/{ingress.name}",
                        "key": entry.key,
                        "status": _status_dict(entry.status),
                    }
                )
        return out

    def summary(self) -> dict[str, Any]:
        targets = {}
        for target in TARGETS:
            counts = self.counts.get(target, Counter())
            targets[target.value] = {
                **{s.value: counts.get(s, 0) for s in Status},
                "score": round(self.score(target), 4),
            }
        entries = self.entries()
        unknown = sorted({a.key for _, a in entries if a.key not in PARITY})
        return {
            "ingresses": len(self.ingresses),
            "annotations": len(entries),
            "targets": targets,
            "recommendation": self.recommendation().value,
            "callouts": self._callouts(entries),
            "unknown": unknown,
            "problems": list(self.problems),
            "differences": [{"object": o, "difference": d} for o, d in self.differences],
        }

    def to_dict(self) -> dict[str, Any]:
        return {"ingresses": [i.to_dict() for i in self.ingresses], "summary": self.summary()}


_STATUSES = {key: {t: p.status(t) for t in TARGETS} for key, p in PARITY.items()}


def _entry(ingress: Ingress, key: str, outcome: Outcome | None) -> AuditEntry:
    value = ingress.annotations[key]
    parity = PARITY.get(value.canonical)
    if parity is None:
        statuses = dict.fromkeys(TARGETS, Status.NONE)
        return AuditEntry(value.full_key, value.raw, statuses, "unknown annotation: ingress-nginx ignores it")
    statuses = dict(_STATUSES[value.canonical])
    note = parity.targets[Target.ENVOY_GATEWAY].note
    if outcome is not None:
        statuses[Target.ENVOY_GATEWAY] = outcome.status
        note = outcome.note or note
    if value.error is not None:
        statuses = dict.fromkeys(TARGETS, Status.EXACT)
        note = f"invalid value ({value.error}): ingress-nginx ignores it"
    return AuditEntry(value.canonical, value.raw, statuses, note)


def build_audit(data: IngressInput, conversion: Conversion | None = None) -> Audit:
    """The audit of every annotation of every Ingress; ``conversion`` (Envoy Gateway) refines that column."""
    outcomes = {(o.namespace, o.name, o.key): o for o in conversion.outcomes} if conversion else {}
    ingresses = []
    tally: Counter[tuple[Target, Status]] = Counter()
    for ingress in sorted(data.ingresses, key=lambda i: (i.namespace, i.name)):
        entries = []
        for key in sorted(ingress.annotations):
            canonical = ingress.annotations[key].canonical
            entry = _entry(ingress, key, outcomes.get((ingress.namespace, ingress.name, canonical)))
            entries.append(entry)
            tally.update(entry.status.items())
        ingresses.append(IngressAudit(ingress.namespace, ingress.name, tuple(entries)))
    counts: dict[Target, Counter[Status]] = {t: Counter() for t in TARGETS}
    for (target, status), number in tally.items():
        counts[target][status] = number
    problems = tuple(str(p) for p in data.problems)
    differences = tuple(conversion.differences) if conversion else ()
    return Audit(tuple(ingresses), problems, differences, counts)


def render_markdown(audit: Audit) -> str:
    """The audit as a markdown report."""
    summary = audit.summary()
    lines = [
        "# ingress-nginx annotation audit",
        "",
        f"{summary['ingresses']} Ingresses, {summary['annotations']} annotations. "
        f"Recommended target: **{summary['recommendation']}**.",
        "",
        "## Parity matrix",
        "",
        "| target | exact | approximate | manual | none | score |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for target, row in summary["targets"].items():
        lines.append(
            f"| {target} | {row['exact']} | {row['approximate']} | {row['manual']} | {row['none']} | "
            f"{row['score'] * 100:.0f}% |"
        )
    lines += ["", "## mTLS and request buffering", ""]
    for name, rows in summary["callouts"].items():
        if not rows:
            lines.append(f"- **{name}**: not used")
            continue
        lines.append(f"- **{name}**:")
        for row in rows:
            lines.append(f"  - `{row['ingress']}` `{row['key']}`: envoy-gateway {row['status']['envoy-gateway']}")
    lines += ["", "## Per Ingress", ""]
    header = "| annotation | value | " + " | ".join(t.value for t in TARGETS) + " | note |"
    for ingress in audit.ingresses:
        lines += [f"### {ingress.namespace}/{ingress.name}", ""]
        if not ingress.annotations:
            lines += ["No ingress-nginx annotations.", ""]
            continue
        lines += [header, "|" + "---|" * (len(TARGETS) + 3)]
        for entry in ingress.annotations:
            value = entry.value.replace("|", "\\|").replace("\n", " ")
            statuses = " | ".join(entry.status[t].value for t in TARGETS)
            lines.append(f"| `{entry.key}` | `{value}` | {statuses} | {entry.note.replace('|', '/')} |")
        lines.append("")
    if audit.differences:
        lines += ["## Where the output differs from ingress-nginx", ""]
        lines += [f"- `{obj}`: {text}" for obj, text in audit.differences]
        lines.append("")
    if audit.problems:
        lines += ["## Input problems", ""]
        lines += [f"- {p}" for p in audit.problems]
        lines.append("")
    return "\n".join(lines)


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:1rem 0}"
    "td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    ".exact{background:#d9f2d9}.approximate{background:#fff2cc}.manual{background:#fde0c8}.none{background:#f8d0d0}"
    "code{font-size:.9em}"
)


def render_html(audit: Audit) -> str:
    """The audit as one self-contained HTML page (no external resources)."""
    esc = html.escape
    summary = audit.summary()
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>ingress-nginx annotation audit</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>ingress-nginx annotation audit</h1>",
        f"<p>{summary['ingresses']} Ingresses, {summary['annotations']} annotations. Recommended target: "
        f"<strong>{esc(summary['recommendation'])}</strong>.</p>",
        "<h2>Parity matrix</h2><table><tr><th>target</th><th>exact</th><th>approximate</th><th>manual</th>"
        "<th>none</th><th>score</th></tr>",
    ]
    for target, row in summary["targets"].items():
        parts.append(
            f"<tr><td>{esc(target)}</td><td>{row['exact']}</td><td>{row['approximate']}</td><td>{row['manual']}</td>"
            f"<td>{row['none']}</td><td>{row['score'] * 100:.0f}%</td></tr>"
        )
    parts.append("</table><h2>mTLS and request buffering</h2><ul>")
    for name, rows in summary["callouts"].items():
        items = ", ".join(f"{esc(r['ingress'])} <code>{esc(r['key'])}</code>" for r in rows) or "not used"
        parts.append(f"<li><strong>{esc(name)}</strong>: {items}</li>")
    parts.append("</ul><h2>Per Ingress</h2>")
    for ingress in audit.ingresses:
        parts.append(f"<h3>{esc(ingress.namespace)}/{esc(ingress.name)}</h3>")
        if not ingress.annotations:
            parts.append("<p>No ingress-nginx annotations.</p>")
            continue
        head = "".join(f"<th>{esc(t.value)}</th>" for t in TARGETS)
        parts.append(f"<table><tr><th>annotation</th><th>value</th>{head}<th>note</th></tr>")
        for entry in ingress.annotations:
            cells = "".join(f"<td class='{s.value}'>{s.value}</td>" for s in (entry.status[t] for t in TARGETS))
            parts.append(
                f"<tr><td><code>{esc(entry.key)}</code></td><td><code>{esc(entry.value)}</code></td>{cells}"
                f"<td>{esc(entry.note)}</td></tr>"
            )
        parts.append("</table>")
    if audit.differences:
        parts.append("<h2>Where the output differs from ingress-nginx</h2><ul>")
        parts += [f"<li><code>{esc(o)}</code>: {esc(d)}</li>" for o, d in audit.differences]
        parts.append("</ul>")
    if audit.problems:
        parts.append("<h2>Input problems</h2><ul>")
        parts += [f"<li>{esc(p)}</li>" for p in audit.problems]
        parts.append("</ul>")
    data = esc(json.dumps(summary["targets"], sort_keys=True))
    parts.append(f"<script type='application/json' id='parity'>{data}</script></body></html>")
    return "".join(parts)
