"""Boot variables in binary form: an efivarfs directory's files, or an OVMF NVRAM image (pure: bytes in).

The caller reads the files; this module turns ``{"BootOrder-8be4df61-…": b"\\x07\\x00\\x00\\x00…"}`` into a
:class:`BootConfig`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ferry.boot._devpath import DevicePathError, classify, decode_device_path, path_facts
from ferry.boot._efivar import (
    EFI_GLOBAL_GUID,
    LOAD_OPTION_HIDDEN,
    EfiVarError,
    decode_boot_order,
    decode_efivarfs_file,
    decode_load_option,
    decode_u16,
)
from ferry.boot._errors import BootDumpError
from ferry.boot._model import BootConfig, BootOption
from ferry.boot._parse_efibootmgr import vendor_of
from ferry.boot._varstore import VarStore, VarStoreError

__all__ = ["EFIVARFS_NAME", "config_from_variables", "parse_efivarfs", "parse_varstore"]

EFIVARFS_NAME = re.compile(
    r"^(?P<name>[^-]+)-(?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)
_BOOT_VAR = re.compile(r"^Boot([0-9A-Fa-f]{4})$")


def config_from_variables(variables: Mapping[str, tuple[int, bytes]], *, path: str, name: str, form: str) -> BootConfig:
    """A config from ``{"Name-guid": (attributes, data)}`` (global-GUID variables only are read)."""
    boot_order: tuple[int, ...] = ()
    boot_next = boot_current = timeout = None
    options: list[BootOption] = []
    for key in sorted(variables):
        match = EFIVARFS_NAME.match(key)
        if not match or match.group("guid").lower() != EFI_GLOBAL_GUID:
            continue
        var, (_attrs, data) = match.group("name"), variables[key]
        where = f"{path}/{key}" if form == "efivarfs" else f"{path} ({var})"
        try:
            if var == "BootOrder":
                boot_order = decode_boot_order(data)
            elif var == "BootNext":
                boot_next = decode_u16(data)
            elif var == "BootCurrent":
                boot_current = decode_u16(data)
            elif var == "Timeout":
                timeout = decode_u16(data)
            elif boot := _BOOT_VAR.match(var):
                option = decode_load_option(data)
                text = decode_device_path(option.device_path)
                facts = path_facts(text)
                options.append(
                    BootOption(
                        id=int(boot.group(1), 16),
                        description=option.description,
                        active=option.active,
                        kind=classify(option.description, text, facts),
                        device_path=text,
                        mac=facts.mac,
                        nic=facts.pci,
                        uri=facts.uri,
                        hidden=bool(option.attributes & LOAD_OPTION_HIDDEN),
                    )
                )
        except (EfiVarError, DevicePathError) as exc:
            raise BootDumpError(f"{var}: {exc}", path=where) from exc
    if not boot_order and not options:
        raise BootDumpError(
            "no BootOrder and no Boot#### variable found", path=path, hint="is this an EFI variable dump?"
        )
    return BootConfig(
        name=name,
        source=path,
        form=form,
        boot_order=boot_order,
        options=tuple(sorted(options, key=lambda o: o.id)),
        boot_next=boot_next,
        boot_current=boot_current,
        timeout_s=timeout,
        vendor=vendor_of(options),
    )


def parse_efivarfs(files: Mapping[str, bytes], *, path: str, name: str) -> BootConfig:
    """A config from the files of an efivarfs directory (file name -> content: 4 bytes attributes + data)."""
    variables: dict[str, tuple[int, bytes]] = {}
    for file_name, blob in files.items():
        if not EFIVARFS_NAME.match(file_name):
            continue
        try:
            variables[file_name] = decode_efivarfs_file(blob)
        except EfiVarError as exc:
            raise BootDumpError(str(exc), path=f"{path}/{file_name}") from exc
    return config_from_variables(variables, path=path, name=name, form="efivarfs")


def parse_varstore(image: bytes, *, path: str, name: str) -> BootConfig:
    """A config from an OVMF ``*_VARS.fd`` image."""
    try:
        store = VarStore.parse(image)
    except VarStoreError as exc:
        raise BootDumpError(str(exc), path=path) from exc
    return config_from_variables(store.as_mapping(), path=path, name=name, form="edk2-varstore")
