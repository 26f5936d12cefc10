"""Writing a plan's artifacts to a directory (I/O: files, written atomically)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ferry._kernel import atomic_write_text
from ferry.gateway._cutover._model import Plan
from ferry.gateway._cutover._render import plan_markdown
from ferry.gateway._cutover._svg import timeline_svg

__all__ = ["write_plan"]


def write_plan(plan: Plan, directory: str | os.PathLike[str]) -> list[str]:
    """``plan.md``, ``plan.json``, ``timeline.svg``, ``batches/NN-key.json`` and ``rollback/NN-key.json``."""
    root = Path(directory)
    written: list[str] = []

    def put(relative: str, text: str) -> None:
        atomic_write_text(root / relative, text)
        written.append(str(root / relative))

    put("plan.md", plan_markdown(plan))
    put("plan.json", json.dumps(plan.to_dict(), indent=2) + "\n")
    put("timeline.svg", timeline_svg(plan))
    for i, phase in enumerate(plan.phases, start=1):
        if phase.change_batch is not None:
            put(f"batches/{i:02d}-{phase.key}.json", json.dumps(phase.change_batch, indent=2) + "\n")
        if phase.rollback_batch is not None:
            put(f"rollback/{i:02d}-{phase.key}.json", json.dumps(phase.rollback_batch, indent=2) + "\n")
    return written
