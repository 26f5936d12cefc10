"""The critical path follows Jaeger's algorithm; the shared corpus holds Jaeger's own test cases as OTLP JSON."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from genai_builders import agent, chat, sid, span, tool

from ferry.genai import build_tree, critical_path, decode_json_bytes


def _name(span_id: str) -> str:
    return bytes.fromhex(span_id).lstrip(b"\0").decode(errors="replace")


EXPECTED = {
    "test1": [("span-C", 1000, 20000), ("span-D", 20000, 40000), ("span-C", 40000, 50000), ("span-E", 50000, 60000),
              ("span-C", 60000, 101000)],
    "test2": [("span-X", 1000, 20000), ("span-C", 20000, 60000), ("span-X", 60000, 101000)],
    "test4": [("span-A", 1000, 31000)],
    "test5": [("span-A", 1000, 31000)],
    "test6": [("span-A", 1000, 15000), ("span-C", 15000, 25000), ("span-B", 25000, 30000)],
    "test7": [("span-A", 1000, 15000), ("span-B", 15000, 20000), ("span-C", 20000, 30000)],
    "test8": [("span-B", 10000, 30000)],
    "test9": [("span-A", 10000, 30000)],
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_jaeger_cases(shared: Path, case: str) -> None:
    batch = decode_json_bytes((shared / "corpus/genai/critical-path" / f"{case}.otlp.json").read_bytes())
    path = critical_path(build_tree(batch.spans))
    assert [(_name(s.span_id), s.start_ns, s.end_ns) for s in path] == EXPECTED[case]


def test_consumer_under_producer_is_pruned_and_late_child_dropped(shared: Path) -> None:
    batch = decode_json_bytes((shared / "corpus/genai/critical-path/test3.otlp.json").read_bytes())
    tree = build_tree(batch.spans)
    path = critical_path(tree)
    assert len(tree.spans) == 1
    assert [(s.start_ns, s.end_ns) for s in path] == [(100000, 140000)]


def test_sections_tile_the_root_window() -> None:
    spans = [agent(1, 0, 10), chat(2, 1, 1, 4), tool(3, 1, 3, 6, "a"), tool(4, 1, 6.5, 9, "b")]
    spans.append(span(5, 3, "http", 3.5, 5))
    path = critical_path(build_tree(spans))
    assert path[0].start_ns == 0
    assert path[-1].end_ns == 10 * 10**9
    assert all(a.end_ns == b.start_ns for a, b in itertools.pairwise(path))
    # chat (1-4 s) overlaps tool a (3-6 s), which ends later, so the walk back skips it
    assert [s.span_id for s in path] == [sid(1), sid(3), sid(5), sid(3), sid(1), sid(4), sid(1)]


def test_children_ending_at_the_boundary_do_not_qualify() -> None:
    # Jaeger requires a child to end strictly before the boundary when walking back.
    spans = [agent(1, 0, 2), tool(2, 1, 0, 1, "a"), tool(3, 1, 1, 2, "b")]
    path = critical_path(build_tree(spans))
    assert [(s.span_id, s.start_ns, s.end_ns) for s in path] == [(sid(1), 0, 10**9), (sid(3), 10**9, 2 * 10**9)]


def test_deep_and_wide_traces_do_not_recurse() -> None:
    deep = [span(i, i - 1 if i > 1 else None, f"s{i}", i * 1e-6, 1 - i * 1e-6) for i in range(1, 5001)]
    path = critical_path(build_tree(deep))
    assert path[0].span_id == sid(1) and path[-1].span_id == sid(1)
    wide = [agent(1, 0, 10)] + [tool(i, 1, i * 1e-3, i * 1e-3 + 5e-4, "t") for i in range(2, 5002)]
    path = critical_path(build_tree(wide))
    assert sum(s.duration_ns for s in path) == 10 * 10**9


def test_empty_trace_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one span"):
        build_tree([])
