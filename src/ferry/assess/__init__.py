"""The front door: ``ferry assess`` reads an estate and asks every installed system what it finds.

Systems register an assessor (a function ``Estate -> Section``) in the ``ferry.assessors`` entry-point group; this
package imports none of them.
"""

from __future__ import annotations

from ferry.assess._html import render_html as render_html
from ferry.assess._html import svg_bar_chart as svg_bar_chart
from ferry.assess._registry import GROUP as GROUP
from ferry.assess._registry import AssessorEntry as AssessorEntry
from ferry.assess._registry import discover as discover
from ferry.assess._run import Assessment as Assessment
from ferry.assess._run import AssessmentError as AssessmentError
from ferry.assess._run import assess as assess
from ferry.assess._run import run_assessors as run_assessors

__all__ = [
    "GROUP",
    "Assessment",
    "AssessmentError",
    "AssessorEntry",
    "assess",
    "discover",
    "render_html",
    "run_assessors",
    "svg_bar_chart",
]
