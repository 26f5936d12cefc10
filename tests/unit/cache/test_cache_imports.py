"""A model server imports ferry.cache to load weights: that must not pull in YAML, numpy or the assess machinery."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points


def test_import_is_light() -> None:
    code = "import ferry.cache, sys, json; print(json.dumps(sorted(sys.modules)))"
    mods = set(
        json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    )
    heavy = {
        "yaml",
        "numpy",
        "safetensors",
        "torch",
        "click",
        "rich",
        "ferry._kernel",
        "ferry.cache._assess",
        "importlib.metadata",
        "xml.etree.ElementTree",
        "configparser",
    }
    assert not heavy & mods, heavy & mods


def test_entry_points_are_registered() -> None:
    assessors = {ep.name: ep.value for ep in entry_points(group="ferry.assessors")}
    assert assessors["cache"] == "ferry.cache:assess_cache"
    runtimes = {ep.name: ep.value for ep in entry_points(group="ferry.cache.runtimes")}
    assert runtimes["embedded"] == "ferry.cache._embedded:EmbeddedRuntime"
