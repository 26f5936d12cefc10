"""Importing ferry and asking for help must stay cheap: no heavy extra is imported (an allowlist, as click does)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "dnslib",
    "numpy",
    "yaml_",
    "opentelemetry",
    "cryptography",
    "regorus",
    "httpx",
    "aiohttp",
    "jsonschema",
    "boto3",
    "safetensors",
    "torch",
    "google.protobuf",
    "playwright",
    "openai",
    "starlette",
    "uvicorn",
    "ferry.gateway",
    "ferry.cache",
    "ferry.coco",
    "ferry.genai",
    "ferry.boot",
    "ferry.assess",
    "rich.table",
    "rich.progress",
)


def _imported(code: str) -> set[str]:
    probe = code + "\nimport sys, json\nsys.stdout.write('\\n' + json.dumps(sorted(sys.modules)))\n"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def _heavy(mods: set[str]) -> list[str]:
    return sorted(m for m in mods for h in HEAVY if m == h or m.startswith(h + "."))


def test_import_ferry_loads_no_system() -> None:
    mods = _imported("import ferry")
    assert not _heavy(mods)
    assert "click" not in mods


def test_ferry_help_imports_no_system_and_no_extra() -> None:
    code = "from ferry.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    assert not _heavy(_imported(code))
