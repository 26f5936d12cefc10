"""Read Kubernetes objects for the gateway commands from files, directories and stdin (I/O)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ferry._kernel import KubeObject, load_estate, parse_manifests
from ferry.gateway._ingress import IngressProblem

__all__ = ["load_objects"]


def load_objects(paths: Sequence[str], *, stdin: TextIO | None = None) -> tuple[list[KubeObject], list[IngressProblem]]:
    """Every object in ``paths`` (files, directories; ``-`` is stdin), with the files that could not be read.

    Multi-document YAML, JSON, ``kind: List`` and ``kubectl get -o yaml`` dumps are all accepted.
    """
    objects: list[KubeObject] = []
    problems: list[IngressProblem] = []
    from ferry.errors import ManifestError

    for raw in paths:
        if raw == "-":
            text = (stdin or sys.stdin).read()
            try:
                objects.extend(parse_manifests(text, "<stdin>"))
            except ManifestError as exc:
                problems.append(
                    IngressProblem("error", exc.message, "<stdin>", exc.document, None, exc.field, exc.line)
                )
            continue
        if not Path(raw).exists():
            problems.append(IngressProblem("error", "no such file or directory", raw))
            continue
        estate = load_estate([raw])
        objects.extend(estate.objects)
        for problem in estate.problems:
            if problem.severity == "error":
                problems.append(
                    IngressProblem("error", problem.message, problem.path, problem.document, None, None, problem.line)
                )
    return objects, problems
