"""A real process watching a kubelet-style volume while this test updates it, and the installed ``ferry`` command.

The child is a separate Python process using ferry.config the way a service on Kubernetes would; the test plays
kubelet (AtomicWriter swaps of ``..data``) and reads what the child saw from its output.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ferry._kernel import ManagedProcess
from ferry.config import kubelet_update

pytestmark = pytest.mark.integration

CHILD = r"""
import logging, sys, threading, time
from ferry.config import Directory, File, Reader
logging.basicConfig(stream=sys.stdout, level=logging.WARNING, format="log %(levelname)s %(message)s")
volume = sys.argv[1]
reader = Reader([Directory(volume, watch=True), File(volume + "/app.yaml", watch=True)])
out = threading.Lock()  # two threads print: write each line whole, or lines interleave
def follow(key, type_):
    for value in reader.watch(key, type_):
        with out:
            sys.stdout.write(f"{key} {value!r} {time.time():.4f}\n")
            sys.stdout.flush()
threading.Thread(target=follow, args=("log.level", str), daemon=True).start()
follow("value", int)
"""


def _lines(proc: ManagedProcess, prefix: str) -> list[str]:
    return [line for line in proc.log_tail(10_000).splitlines() if line.startswith(prefix)]


def _wait_for(proc: ManagedProcess, prefix: str, count: int, timeout: float = 10.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _lines(proc, prefix)
        if len(found) >= count:
            return found
        assert proc.alive(), proc.log_tail()
        time.sleep(0.01)
    raise AssertionError(f"expected {count} lines starting {prefix!r}; got: {proc.log_tail()}")


def test_a_service_sees_each_volume_update_once_keeps_good_values_and_recovers(tmp_path: Path) -> None:
    volume = tmp_path / "config"
    kubelet_update(volume, {"value": "0", "app.yaml": "log:\n  level: info\n"})
    child = ManagedProcess(
        [sys.executable, "-c", CHILD, str(volume)],
        name="config-child",
        ready=lambda: "value 0" in child.log_tail(1000),
        start_timeout=20,
    )
    with child:
        _wait_for(child, "log.level 'info'", 1)
        sent = {}
        for i in range(1, 6):
            sent[i] = time.time()
            kubelet_update(volume, {"value": str(i), "app.yaml": "log:\n  level: info\n"})
            _wait_for(child, "value ", i + 1)
        values = [line.split()[1] for line in _lines(child, "value ")]
        assert values == [str(i) for i in range(6)]  # each update exactly once, in order, nothing repeated
        latencies = [float(line.split()[2]) - sent[int(line.split()[1])] for line in _lines(child, "value ")[1:]]
        assert max(latencies) < 2.0, latencies
        kubelet_update(volume, {"value": "5", "app.yaml": "log: [broken\n"})
        _wait_for(child, "log WARNING", 1)
        assert "reload failed, keeping the last good values" in child.log_tail()
        assert "app.yaml" in _lines(child, "log WARNING")[0]
        kubelet_update(volume, {"value": "5", "app.yaml": "log:\n  level: debug\n"})
        _wait_for(child, "log.level 'debug'", 1)
        assert len(_lines(child, "value ")) == 6  # the value key never changed: no emission
        assert len(_lines(child, "log.level")) == 2


def test_the_installed_ferry_command_reads_its_settings(tmp_path: Path) -> None:
    (tmp_path / "ferry.yaml").write_text("output:\n  format: json\ncache:\n  dir: /var/cache/ferry-test\n")
    ferry = Path(sys.executable).parent / "ferry"
    proc = subprocess.run(
        [str(ferry), "--log-level", "info", "config", "show"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "FERRY_COLOR": "never", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    rows = {r["key"]: r for r in json.loads(proc.stdout)["settings"]}  # output.format json from ferry.yaml
    assert rows["log.level"]["source"] == "flags" and rows["color"]["encoded"] == "FERRY_COLOR"
    assert rows["cache.dir"]["value"] == "'/var/cache/ferry-test'"
