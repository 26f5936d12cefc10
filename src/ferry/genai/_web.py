"""The web view: one page served by ``ferry genai serve`` (trace list, waterfall with the critical path highlighted,
breakdown chart, per-tool table). It reads ``/api/traces`` and ``/api/traces/{id}``; text goes in as text, never
as markup."""

from __future__ import annotations

__all__ = ["PAGE"]

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ferry genai</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:left}
tr.trace-row{cursor:pointer}tr.trace-row:hover,tr.selected{background:#eef}
#waterfall{position:relative;border:1px solid #ccc;padding:4px 0;margin:.5em 0}
.row{position:relative;height:20px;margin:2px 0}
.label{position:absolute;left:4px;width:230px;overflow:hidden;white-space:nowrap;font-size:12px}
.lane{position:absolute;left:240px;right:8px;top:0;bottom:0}
.bar{position:absolute;top:3px;height:14px;background:#9ab;border-radius:2px}
.bar.model{background:#7aa6e0}.bar.tool{background:#e0b070}.bar.error{outline:2px solid #c33}
.cp{position:absolute;top:8px;height:4px;background:#d0021b}
#breakdown{display:flex;height:26px;width:100%;max-width:900px;border:1px solid #ccc}
#breakdown div{height:100%}.seg-model{background:#7aa6e0}.seg-tool{background:#e0b070}
.seg-retry{background:#d0021b}.seg-other{background:#bbb}
#answer{font-weight:600;margin:.6em 0}
</style></head>
<body>
<h1>GenAI traces</h1>
<table id="traces"><thead><tr><th>trace</th><th>root</th><th>duration</th><th>model</th><th>tool</th>
<th>retry</th><th>other</th></tr></thead><tbody></tbody></table>
<section id="detail" hidden>
<h2 id="title"></h2>
<p id="answer"></p>
<h3>Breakdown</h3><div id="breakdown"></div><p id="legend"></p>
<h3>Waterfall <small>(red: critical path)</small></h3><div id="waterfall"></div>
<h3>Tools</h3>
<table id="tools"><thead><tr><th>tool</th><th>calls</th><th>errors</th><th>total</th><th>on critical path</th></tr>
</thead><tbody></tbody></table>
</section>
<script>
const s = ns => (ns / 1e9).toFixed(2) + " s";
function cell(tr, text) {
  const td = document.createElement("td"); td.textContent = text; tr.appendChild(td); return td;
}
async function loadTraces() {
  const data = await (await fetch("/api/traces")).json();
  const body = document.querySelector("#traces tbody");
  body.replaceChildren();
  for (const t of data.traces) {
    const tr = document.createElement("tr");
    tr.className = "trace-row"; tr.dataset.traceId = t.trace_id;
    cell(tr, t.trace_id.slice(0, 16)); cell(tr, t.root_name); cell(tr, s(t.duration_ns));
    for (const k of ["model_ns", "tool_ns", "retry_ns", "other_ns"]) cell(tr, s(t.breakdown[k]));
    tr.addEventListener("click", () => show(t.trace_id));
    body.appendChild(tr);
  }
  document.body.dataset.loaded = String(data.traces.length);
}
async function show(id) {
  const d = await (await fetch("/api/traces/" + id)).json();
  const a = d.analysis;
  document.querySelectorAll("tr.trace-row").forEach(r => r.classList.toggle("selected", r.dataset.traceId === id));
  document.getElementById("detail").hidden = false;
  document.getElementById("title").textContent = a.root_name + " \u2014 " + s(a.duration_ns);
  document.getElementById("answer").textContent = a.answer;
  const bd = document.getElementById("breakdown"); bd.replaceChildren();
  const legend = [];
  for (const k of ["model", "tool", "retry", "other"]) {
    const ns = a.breakdown[k + "_ns"]; const seg = document.createElement("div");
    seg.className = "seg-" + k; seg.dataset.ns = ns; seg.title = k + " " + s(ns);
    seg.style.width = (a.duration_ns ? 100 * ns / a.duration_ns : 0) + "%";
    bd.appendChild(seg); legend.push(k + " " + s(ns));
  }
  document.getElementById("legend").textContent = legend.join(" \u00b7 ");
  const wf = document.getElementById("waterfall"); wf.replaceChildren();
  const t0 = a.start_ns, span = Math.max(a.duration_ns, 1);
  const pct = ns => (100 * (ns - t0) / span) + "%";
  const width = (x, y) => Math.max(0.2, 100 * (y - x) / span) + "%";
  const sections = {};
  for (const c of a.critical_path) (sections[c.span_id] ||= []).push(c);
  const spans = d.spans.slice().sort((x, y) => x.start_ns - y.start_ns);
  for (const sp of spans) {
    const row = document.createElement("div"); row.className = "row"; row.dataset.spanId = sp.span_id;
    const label = document.createElement("div"); label.className = "label"; label.textContent = sp.name;
    const lane = document.createElement("div"); lane.className = "lane";
    const bar = document.createElement("div");
    const op = sp.attributes["gen_ai.operation.name"] || "";
    const model = ["chat", "text_completion", "generate_content", "embeddings"].includes(op);
    bar.className = "bar" + (op === "execute_tool" ? " tool" : model ? " model" : "")
      + (sp.status_code === 2 ? " error" : "");
    bar.style.left = pct(sp.start_ns); bar.style.width = width(sp.start_ns, sp.end_ns);
    bar.title = sp.name + " " + s(sp.end_ns - sp.start_ns);
    lane.appendChild(bar);
    for (const c of sections[sp.span_id] || []) {
      const cp = document.createElement("div"); cp.className = "cp";
      cp.style.left = pct(c.start_ns); cp.style.width = width(c.start_ns, c.end_ns); lane.appendChild(cp);
    }
    if (sections[sp.span_id]) row.classList.add("critical");
    row.append(label, lane); wf.appendChild(row);
  }
  const tb = document.querySelector("#tools tbody"); tb.replaceChildren();
  for (const [name, t] of Object.entries(a.tools)) {
    const tr = document.createElement("tr"); tr.className = "tool-row";
    cell(tr, name); cell(tr, String(t.calls)); cell(tr, String(t.errors));
    cell(tr, s(t.total_ns)); cell(tr, s(t.critical_ns));
    tb.appendChild(tr);
  }
  document.body.dataset.shown = id;
}
loadTraces();
</script></body></html>
"""
