"""Every point of the behaviour checklist (reference note config.md §6, 55 points) has a test named after it."""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_every_checklist_point_has_a_named_test() -> None:
    covered: set[int] = set()
    for path in [*HERE.glob("test_*.py"), *(HERE.parents[1] / "integration" / "config").glob("test_*.py")]:
        for name in re.findall(r"^(?:async )?def (test_c\d+(?:_c\d+)*)_", path.read_text(), re.MULTILINE):
            covered.update(int(n) for n in re.findall(r"c(\d+)", name))
    assert sorted(set(range(1, 56)) - covered) == []
