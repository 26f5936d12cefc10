"""Apply a plan to EFI variables (I/O): an efivarfs-style directory, or through the efibootmgr program.

An efivarfs-style directory holds one file per variable, ``Name-<vendor guid>``, each the 4-byte attributes then
the data — what ``/sys/firmware/efi/efivars`` shows, and what libefivar reads when ``EFIVARFS_PATH`` points at a
directory. ferry writes files atomically (temporary file and rename), which a plain directory supports and the
kernel's efivarfs does not: on a live host use ``--efibootmgr``, which runs the program.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ferry._kernel import atomic_write_bytes, find_tool
from ferry.boot._devpath import DevicePathError, encode_device_path
from ferry.boot._efivar import (
    EFI_GLOBAL_GUID,
    LOAD_OPTION_ACTIVE,
    LOAD_OPTION_HIDDEN,
    NV_BS_RT,
    EfiVarError,
    LoadOption,
    decode_efivarfs_file,
    decode_load_option,
    encode_boot_order,
    encode_efivarfs_file,
    encode_load_option,
    encode_u16,
)
from ferry.boot._emit import efibootmgr_commands
from ferry.boot._errors import BootApplyError, BootDumpError
from ferry.boot._model import BootConfig
from ferry.boot._parse_binary import parse_efivarfs
from ferry.boot._plan import Plan, apply_plan_to_config

__all__ = ["ApplyResult", "apply_efibootmgr", "apply_efivarfs", "read_efivarfs", "write_efivarfs"]

_LIVE = Path("/sys/firmware/efi/efivars")


@dataclass(frozen=True)
class ApplyResult:
    target: str
    written: tuple[str, ...]
    config: BootConfig
    """The configuration read back after applying."""


def _var(name: str) -> str:
    return f"{name}-{EFI_GLOBAL_GUID}"


def _refuse_live(directory: Path) -> None:
    if directory.resolve() == _LIVE:
        raise BootApplyError(
            "ferry writes efivarfs-style directories with atomic renames, which the kernel's efivarfs does not support",
            where=str(directory),
            hint="on a live host apply with --efibootmgr",
        )


def read_efivarfs(directory: str | os.PathLike[str], *, name: str | None = None) -> BootConfig:
    path = Path(directory)
    files = {f.name: f.read_bytes() for f in path.iterdir() if f.is_file()}
    return parse_efivarfs(files, path=str(path), name=name or path.name.split(".", 1)[0])


def write_efivarfs(config: BootConfig, directory: str | os.PathLike[str]) -> tuple[str, ...]:
    """Write a whole configuration as efivarfs files (Boot####, BootOrder, BootNext, Timeout)."""
    target = Path(directory)
    _refuse_live(target)
    written: list[str] = []
    for option in config.options:
        try:
            path_bytes = encode_device_path(option.device_path) if option.device_path else encode_device_path("")
        except DevicePathError as exc:
            raise BootApplyError(f"{option.ref}: {exc}", where=config.source) from exc
        attrs = (LOAD_OPTION_ACTIVE if option.active else 0) | (LOAD_OPTION_HIDDEN if option.hidden else 0)
        blob = encode_load_option(LoadOption(attrs, option.description, path_bytes))
        atomic_write_bytes(target / _var(option.ref), encode_efivarfs_file(blob))
        written.append(option.ref)
    atomic_write_bytes(target / _var("BootOrder"), encode_efivarfs_file(encode_boot_order(config.boot_order)))
    written.append("BootOrder")
    if config.boot_next is not None:
        atomic_write_bytes(target / _var("BootNext"), encode_efivarfs_file(encode_u16(config.boot_next)))
        written.append("BootNext")
    if config.timeout_s is not None:
        atomic_write_bytes(target / _var("Timeout"), encode_efivarfs_file(encode_u16(config.timeout_s)))
        written.append("Timeout")
    return tuple(written)


def _check(directory: Path, plan: Plan) -> BootConfig:
    try:
        after = read_efivarfs(directory, name=plan.server)
    except BootDumpError as exc:
        raise BootApplyError(f"cannot read the variables back: {exc}", where=str(directory)) from exc
    problems = []
    if after.boot_order != plan.boot_order:
        problems.append(f"BootOrder reads {','.join(f'{i:04X}' for i in after.boot_order)}")
    for option_id in plan.deactivate:
        opt = after.option(option_id)
        if opt is not None and opt.active:
            problems.append(f"Boot{option_id:04X} is still active")
    for option_id in plan.activate:
        opt = after.option(option_id)
        if opt is not None and not opt.active:
            problems.append(f"Boot{option_id:04X} is still inactive")
    if plan.boot_next is not None and after.boot_next != plan.boot_next:
        problems.append("BootNext was not set")
    if plan.clear_boot_next and after.boot_next is not None:
        problems.append("BootNext is still set")
    if problems:
        raise BootApplyError(
            "the variables do not match the plan after applying: " + "; ".join(problems), where=str(directory)
        )
    return after


def apply_efivarfs(plan: Plan, directory: str | os.PathLike[str]) -> ApplyResult:
    """Flip ``LOAD_OPTION_ACTIVE`` in the Boot#### files, write BootOrder and BootNext, then read everything back."""
    target = Path(directory)
    _refuse_live(target)
    if not target.is_dir():
        raise BootApplyError(
            "not a directory", where=str(target), hint="point --efivars at an efivarfs-style directory"
        )
    written: list[str] = []
    for option_id, active in [*((i, False) for i in plan.deactivate), *((i, True) for i in plan.activate)]:
        file = target / _var(f"Boot{option_id:04X}")
        try:
            attrs, data = decode_efivarfs_file(file.read_bytes())
            option = decode_load_option(data)
        except FileNotFoundError:
            raise BootApplyError(f"Boot{option_id:04X} does not exist", where=str(file)) from None
        except EfiVarError as exc:
            raise BootApplyError(f"Boot{option_id:04X}: {exc}", where=str(file)) from exc
        atomic_write_bytes(file, encode_efivarfs_file(encode_load_option(option.with_active(active)), attrs))
        written.append(f"Boot{option_id:04X}")
    atomic_write_bytes(target / _var("BootOrder"), encode_efivarfs_file(encode_boot_order(plan.boot_order), NV_BS_RT))
    written.append("BootOrder")
    if plan.boot_next is not None:
        atomic_write_bytes(target / _var("BootNext"), encode_efivarfs_file(encode_u16(plan.boot_next), NV_BS_RT))
        written.append("BootNext")
    elif plan.clear_boot_next:
        with contextlib.suppress(FileNotFoundError):
            (target / _var("BootNext")).unlink()
        written.append("BootNext (deleted)")
    return ApplyResult(str(target), tuple(written), _check(target, plan))


def apply_efibootmgr(
    plan: Plan, directory: str | os.PathLike[str] | None = None, *, timeout: float = 30.0
) -> ApplyResult:
    """Run the plan's efibootmgr commands; with ``directory``, against that efivarfs-style directory.

    libefivar reads ``EFIVARFS_PATH`` (it must end in ``/``). On a plain directory ``efibootmgr -o`` rewrites
    BootOrder without truncating the file, so ferry writes BootOrder itself there and checks the result.
    """
    tool = find_tool("efibootmgr", hint="install efibootmgr (Debian: apt-get install efibootmgr)")
    env = dict(os.environ)
    target = "this host"
    if directory is not None:
        path = Path(directory)
        _refuse_live(path)
        env["EFIVARFS_PATH"] = str(path.resolve()) + "/"
        target = str(path)
    ran: list[str] = []
    for cmd in efibootmgr_commands(plan):
        if directory is not None and "-o" in cmd:
            atomic_write_bytes(
                Path(directory) / _var("BootOrder"), encode_efivarfs_file(encode_boot_order(plan.boot_order))
            )
            ran.append("BootOrder (written directly)")
            continue
        try:
            proc = subprocess.run(
                [tool, *cmd[1:]], env=env, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise BootApplyError(f"{' '.join(cmd)} did not finish in {timeout:g} s", where=target) from exc
        if proc.returncode != 0:
            raise BootApplyError(
                f"{' '.join(cmd)} failed (exit {proc.returncode}): {(proc.stderr or proc.stdout).strip()[:300]}",
                where=target,
            )
        ran.append(" ".join(cmd))
    if directory is None:
        return ApplyResult(target, tuple(ran), apply_plan_to_config(plan.config, plan) if plan.config else _none(plan))
    return ApplyResult(target, tuple(ran), _check(Path(directory), plan))


def _none(plan: Plan) -> BootConfig:
    return BootConfig(name=plan.server, source="", form="efibootmgr", boot_order=plan.boot_order, options=())
