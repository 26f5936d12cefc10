"""The critical path of a trace, as Jaeger computes it (pure).

1. Children that do not block their parent are pruned: a CONSUMER child of a PRODUCER parent. Links (follows-from)
   are never parents, so they never join the tree.
2. Children that overflow their parent are sanitised: one that starts at or after the parent's end, or ends at or
   before its start, is dropped with its descendants; the rest are clipped to the parent's window.
3. From the root: take the last-finishing child (LFC); the parent's section runs from the LFC's end to the boundary
   (the parent's end at first); descend into the LFC. A span with no LFC before the boundary contributes its
   section from its start to the boundary, and the walk returns to its parent with the boundary at that span's start
   (only children ending strictly before the boundary qualify). Zero-length sections are skipped.

The sections tile the root's window: each is a span's self time on the critical path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ferry.genai._model import KIND_CONSUMER, KIND_PRODUCER, Span

__all__ = ["Section", "SpanTree", "build_tree", "critical_path"]


@dataclass(frozen=True, slots=True)
class Section:
    """A span's stretch of the critical path, ``[start_ns, end_ns)``."""

    span_id: str
    start_ns: int
    end_ns: int

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.start_ns


@dataclass(frozen=True, slots=True)
class SpanTree:
    """A trace's spans as a tree, after pruning and sanitising. ``window`` holds each kept span's clipped window."""

    root: Span
    spans: dict[str, Span]
    children: dict[str, list[str]]
    parent: dict[str, str]
    window: dict[str, tuple[int, int]]


def _pick_root(spans: Sequence[Span], ids: set[str]) -> Span:
    roots = [s for s in spans if not s.parent_id or s.parent_id not in ids]
    # The longest parentless span is the trace's root; orphans and follows-from spans hang beside it.
    return min(roots, key=lambda s: (-(s.end_ns - s.start_ns), s.start_ns, s.span_id))


def build_tree(spans: Sequence[Span]) -> SpanTree:
    """Prune and sanitise ``spans`` (one trace, at least one span) into the tree the critical path walks."""
    if not spans:
        raise ValueError("a trace needs at least one span")
    by_id = {s.span_id: s for s in spans}
    root = _pick_root(spans, set(by_id))
    raw_children: dict[str, list[Span]] = {}
    for s in spans:
        if s.parent_id and s.parent_id in by_id and s.span_id != root.span_id:
            raw_children.setdefault(s.parent_id, []).append(s)
    children: dict[str, list[str]] = {}
    parent: dict[str, str] = {}
    window = {root.span_id: (root.start_ns, max(root.start_ns, root.end_ns))}
    stack = [root.span_id]
    while stack:
        sid = stack.pop()
        start, end = window[sid]
        kept: list[tuple[int, int, str]] = []
        for child in raw_children.get(sid, ()):
            if by_id[sid].kind == KIND_PRODUCER and child.kind == KIND_CONSUMER:
                continue
            if child.start_ns >= end or child.end_ns <= start:
                continue
            window[child.span_id] = (max(child.start_ns, start), min(child.end_ns, end))
            parent[child.span_id] = sid
            kept.append((window[child.span_id][1], -len(kept), child.span_id))
            stack.append(child.span_id)
        # Last-finishing first; ties keep document order.
        kept.sort(key=lambda k: (-k[0], -k[1]))
        children[sid] = [k[2] for k in kept]
    return SpanTree(root, {k: by_id[k] for k in window}, children, parent, window)


def critical_path(tree: SpanTree) -> list[Section]:
    """The critical path of ``tree`` in time order."""
    path: list[Section] = []
    window = tree.window
    sid = tree.root.span_id
    boundary: int | None = None
    cursor: dict[str, int] = {}
    while True:
        start, end = window[sid]
        limit = end if boundary is None else boundary
        lfc: str | None = None
        kids = tree.children.get(sid, ())
        # Boundaries only move back in time for a given span, so the scan resumes where it stopped.
        i = cursor.get(sid, 0)
        while i < len(kids) and boundary is not None and window[kids[i]][1] >= boundary:
            i += 1
        cursor[sid] = i
        if i < len(kids):
            lfc = kids[i]
        if lfc is not None:
            lfc_end = window[lfc][1]
            if lfc_end != limit:
                path.append(Section(sid, lfc_end, limit))
            sid, boundary = lfc, None
            continue
        if start != limit:
            path.append(Section(sid, start, limit))
        up = tree.parent.get(sid)
        if up is None:
            break
        sid, boundary = up, start
    path.reverse()
    return path
