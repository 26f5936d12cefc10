"""A model server imports ferry.cache to load weights: that must not pull in YAML, numpy or the assess machinery."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path


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
        # Only a fetch needs these: the HTTP stack, OpenSSL's hashes and the origins load when one runs.
        "http.client",
        "ssl",
        "email.parser",
        "hashlib",
        "hmac",
        "ferry.cache._origin",
        "ferry.cache._credentials",
    }
    assert not heavy & mods, heavy & mods


WARM_LOAD = """
import json, sys
import ferry.cache as fc
dataset = fc.Dataset("weights", "ml", [fc.Mount(sys.argv[1])])
runtime = fc.EmbeddedRuntime(fc.Runtime(), cache_dir=sys.argv[2])
tensors = fc.load_safetensors(dataset, "model.safetensors", runtime=runtime)
fetch = {"http.client", "ssl", "hashlib", "hmac", "ferry.cache._origin"}
print(json.dumps({"tensors": {k: v.tolist() for k, v in tensors.items()}, "loaded": sorted(fetch & set(sys.modules))}))
"""


def test_warm_load_never_loads_the_fetch_machinery(tmp_path: Path) -> None:
    import numpy as np
    from safetensors.numpy import save_file

    import ferry.cache as fc

    models = tmp_path / "models"
    models.mkdir()
    save_file(
        {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(4, dtype=np.int16)},
        models / "model.safetensors",
    )
    cache = tmp_path / "cache"
    runtime = fc.EmbeddedRuntime(fc.Runtime(), cache_dir=cache)
    dataset = fc.Dataset("weights", "ml", [fc.Mount(str(models))])
    runtime.apply(dataset)
    assert runtime.prefetch(dataset).origin_bytes > 0
    runtime.close()
    out = subprocess.run(
        [sys.executable, "-c", WARM_LOAD, str(models), str(cache)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result = json.loads(out.stdout)
    assert result["tensors"] == {"a": [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], "b": [1, 1, 1, 1]}
    assert result["loaded"] == []


def test_entry_points_are_registered() -> None:
    assessors = {ep.name: ep.value for ep in entry_points(group="ferry.assessors")}
    assert assessors["cache"] == "ferry.cache:assess_cache"
    runtimes = {ep.name: ep.value for ep in entry_points(group="ferry.cache.runtimes")}
    assert runtimes["embedded"] == "ferry.cache._embedded:EmbeddedRuntime"
