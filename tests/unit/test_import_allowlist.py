"""``ferry --help`` imports only the standard library, click and the CLI's own root (an allowlist, as click does)."""

from __future__ import annotations

import json
import subprocess
import sys

ALLOWED_THIRD_PARTY = {"click"}
ALLOWED_FERRY = {"ferry", "ferry.errors", "ferry.cli", "ferry.cli._main", "ferry.cli._lazy"}


def test_help_imports_only_the_allowlist() -> None:
    probe = (
        "from ferry.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "import sys, json\nsys.stdout.write('\\n' + json.dumps(sorted(sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    modules = json.loads(proc.stdout.strip().splitlines()[-1])
    unexpected = []
    for name in modules:
        top = name.split(".", 1)[0]
        if top in sys.stdlib_module_names or top.startswith("_") or top in ALLOWED_THIRD_PARTY:
            continue
        if top == "ferry" and name in ALLOWED_FERRY:
            continue
        unexpected.append(name)
    assert unexpected == []
