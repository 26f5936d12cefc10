"""Read boot dumps from files and directories (I/O), dispatching to the pure parsers by content.

A directory holding ``BootOrder-8be4df61-…`` files is one server's efivarfs dump (named after the directory).
Other files: efibootmgr text, Redfish JSON, BIOS attribute JSON, OVMF ``*.fd`` NVRAM images and ``inventory.yaml``
NIC facts. Directories named ``history`` hold older dumps for ``ferry boot diff`` and are not audited. A server's
name is its file name up to the first dot (``web-01.efibootmgr.txt`` → ``web-01``); a BIOS
attribute dump with the same name lends its vendor knobs to the boot dump.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ferry.boot._errors import BootDumpError
from ferry.boot._facts import looks_like_inventory, parse_inventory
from ferry.boot._jsonlines import load_json
from ferry.boot._model import BootConfig, NicFact
from ferry.boot._parse_binary import EFIVARFS_NAME, parse_efivarfs, parse_varstore
from ferry.boot._parse_efibootmgr import looks_like_efibootmgr, parse_efibootmgr
from ferry.boot._parse_redfish import looks_like_redfish, parse_redfish_data
from ferry.boot._parse_vendor import looks_like_bios, parse_bios_data

__all__ = ["HISTORY", "Fleet", "load_dump", "load_fleet", "parse_dump_text", "server_name"]

_MAX_BYTES = 16 * 1024 * 1024
HISTORY = "history"
"""A directory of older dumps (for ``ferry boot diff``), passed over when a fleet is read."""


@dataclass(frozen=True)
class Fleet:
    configs: tuple[BootConfig, ...]
    errors: tuple[BootDumpError, ...]
    skipped: tuple[str, ...] = ()


def server_name(path: Path) -> str:
    return path.name.split(".", 1)[0]


def _is_efivarfs_dir(path: Path) -> bool:
    return path.is_dir() and any(
        EFIVARFS_NAME.match(p.name) and p.name.startswith("BootOrder-") for p in path.iterdir()
    )


def parse_dump_text(text: str, *, path: str, name: str) -> BootConfig | dict[str, tuple[NicFact, ...]] | None:
    """Parse one text dump of any form; None when it is none of the forms ferry reads."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        data = load_json(text, path=path)
        if looks_like_redfish(data):
            return parse_redfish_data(data, text=text, path=path, name=name)
        if looks_like_bios(data):
            return parse_bios_data(data, text=text, path=path, name=name)
        raise BootDumpError(
            "JSON that is neither a Redfish ComputerSystem (with Boot) nor a BIOS attribute dump", path=path, line=1
        )
    if looks_like_inventory(text):
        return parse_inventory(text, path=path)
    if looks_like_efibootmgr(text):
        return parse_efibootmgr(text, path=path, name=name)
    return None


def load_dump(path: str | os.PathLike[str], *, name: str | None = None) -> BootConfig:
    """One server's dump: efibootmgr text, Redfish or BIOS JSON, an efivarfs directory or an OVMF VARS image."""
    p = Path(path)
    shown = str(path)
    if _is_efivarfs_dir(p):
        files = {f.name: f.read_bytes() for f in p.iterdir() if f.is_file() and EFIVARFS_NAME.match(f.name)}
        return parse_efivarfs(files, path=shown, name=name or server_name(p))
    if not p.is_file():
        raise BootDumpError("no such dump (a file, or a directory of efivarfs files)", path=shown)
    if p.stat().st_size > _MAX_BYTES:
        raise BootDumpError("file is over 16 MiB; not a boot dump", path=shown)
    data = p.read_bytes()
    if p.suffix.lower() == ".fd" or data[40:44] == b"_FVH":
        return parse_varstore(data, path=shown, name=name or server_name(p))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BootDumpError(f"not UTF-8 text (byte {exc.start}) and not an OVMF VARS image", path=shown) from exc
    result = parse_dump_text(text, path=shown, name=name or server_name(p))
    if not isinstance(result, BootConfig):
        raise BootDumpError("not a boot dump (efibootmgr, Redfish, BIOS attributes, efivarfs, OVMF VARS)", path=shown)
    return result


def _walk(root: Path) -> list[Path]:
    if root.is_file() or _is_efivarfs_dir(root):
        return [root]
    found: list[Path] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or entry.name == HISTORY:
            continue
        if entry.is_dir():
            found.extend(_walk(entry))
        elif entry.is_file():
            found.append(entry)
    return found


def load_fleet(paths: Sequence[str | os.PathLike[str]]) -> Fleet:
    """Every dump under ``paths``, facts joined, BIOS knobs merged; a bad file is an error, never a stop."""
    boots: dict[str, BootConfig] = {}
    bios: dict[str, BootConfig] = {}
    facts: dict[str, tuple[NicFact, ...]] = {}
    errors: list[BootDumpError] = []
    skipped: list[str] = []
    for raw in paths:
        root = Path(raw)
        if not root.exists():
            errors.append(BootDumpError("no such file or directory", path=str(raw)))
            continue
        for path in _walk(root):
            shown = str(path)
            try:
                if path.is_dir() or path.suffix.lower() == ".fd":
                    config: BootConfig | dict[str, tuple[NicFact, ...]] | None = load_dump(path)
                else:
                    text = path.read_text(encoding="utf-8")
                    config = parse_dump_text(text, path=shown, name=server_name(path))
            except BootDumpError as exc:
                errors.append(exc)
                continue
            except UnicodeDecodeError:
                skipped.append(shown)
                continue
            except OSError as exc:
                errors.append(BootDumpError(f"cannot read: {exc.strerror or exc}", path=shown))
                continue
            if config is None:
                skipped.append(shown)
            elif isinstance(config, dict):
                facts.update(config)
            elif config.form.endswith("-bios"):
                bios[config.name] = config
            elif config.name in boots:
                errors.append(
                    BootDumpError(
                        f"a second boot dump for server {config.name}",
                        path=shown,
                        hint=f"first: {boots[config.name].source}",
                    )
                )
            else:
                boots[config.name] = config
    merged: list[BootConfig] = []
    for name in sorted(set(boots) | set(bios)):
        config = (
            boots[name].with_vendor(bios[name]) if name in boots and name in bios else boots.get(name) or bios[name]
        )
        merged.append(config.with_facts(facts.get(name, ())))
    return Fleet(tuple(merged), tuple(errors), tuple(skipped))
