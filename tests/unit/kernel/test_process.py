from __future__ import annotations

import sys
import time

import pytest

from ferry._kernel import ManagedProcess, find_tool, free_port
from ferry.errors import ExternalToolError


def test_ready_port_and_stop_kills_the_group() -> None:
    port = free_port()
    server = f"import http.server as h; h.HTTPServer(('127.0.0.1', {port}), h.SimpleHTTPRequestHandler).serve_forever()"
    with ManagedProcess([sys.executable, "-c", server], name="http", ready_port=("127.0.0.1", port)) as proc:
        assert proc.alive()
    assert not proc.alive()


def test_early_exit_is_reported_with_the_log_tail() -> None:
    argv = [sys.executable, "-c", "import sys; print('bad config on line 3'); sys.exit(4)"]
    with pytest.raises(ExternalToolError) as info:
        ManagedProcess(argv, name="demo", ready_port=("127.0.0.1", free_port()), start_timeout=5).start()
    assert "demo exited with status 4" in info.value.message
    assert "bad config on line 3" in info.value.message


def test_not_ready_in_time_is_stopped() -> None:
    proc = ManagedProcess([sys.executable, "-c", "import time; time.sleep(30)"], ready=lambda: False, start_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(ExternalToolError, match=r"not ready after 0\.3 s"):
        proc.start()
    assert time.monotonic() - started < 5
    assert not proc.alive()


def test_missing_tool_names_the_hint() -> None:
    with pytest.raises(ExternalToolError) as info:
        find_tool("ferry-no-such-program", hint="install it with apt-get install nothing")
    assert info.value.hint == "install it with apt-get install nothing"
    assert find_tool("python3", hint="")
