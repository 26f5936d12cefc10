"""Boot OVMF under QEMU and read its serial console with timestamps (I/O).

NICs are virtio-net devices, driven by OVMF's own VirtioNetDxe (edk2 PXE and HTTP boot); ``rom=True`` adds the
iPXE EFI option ROM, which contributes a NIC-ROM option. A NIC without DHCP sits alone on an empty QEMU hub
(nothing ever answers); a NIC with DHCP uses QEMU's user-mode network, whose built-in DHCP and TFTP serve ferry's
boot target. The serial console is a UNIX socket QEMU waits on, so the clock starts when the guest does. KVM is
used only when asked for (``accel="kvm"``); under TCG the firmware runs slower but its timers follow wall time.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ferry._kernel import ManagedProcess, find_tool
from ferry.boot._errors import EmulatorError

__all__ = ["OVMF_CODE", "OVMF_VARS", "QemuNic", "boot_once", "kvm_usable", "ovmf_files"]

OVMF_CODE = ("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/edk2/ovmf/OVMF_CODE.fd")
OVMF_VARS = ("/usr/share/OVMF/OVMF_VARS_4M.fd", "/usr/share/OVMF/OVMF_VARS.fd", "/usr/share/edk2/ovmf/OVMF_VARS.fd")
BOOT_FILE = "ferry.efi"


@dataclass(frozen=True)
class QemuNic:
    mac: str
    dhcp: bool = False
    rom: bool = False


def ovmf_files() -> tuple[Path, Path]:
    """(code, vars template) of the installed OVMF, matched by size."""
    for code, template in zip(OVMF_CODE, OVMF_VARS, strict=True):
        if Path(code).is_file() and Path(template).is_file():
            return Path(code), Path(template)
    raise EmulatorError("OVMF firmware not found", where=", ".join(OVMF_CODE), hint="install it: apt-get install ovmf")


def kvm_usable() -> bool:
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


def _argv(
    qemu: str,
    code: Path,
    vars_file: Path,
    sock: Path,
    nics: Sequence[QemuNic],
    tftp: Path,
    accel: str,
    fw_cfg: dict[str, str],
) -> list[str]:
    argv = [
        qemu,
        "-machine", f"q35,accel={accel}",
        "-cpu", "host" if accel == "kvm" else "max",
        "-m", "256",
        "-smp", "1",
        "-nodefaults",
        "-no-reboot",
        "-display", "none",
        "-monitor", "none",
        "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={code}",
        "-drive", f"if=pflash,format=raw,unit=1,file={vars_file}",
        "-chardev", f"socket,id=ferryserial,path={sock},server=on,wait=on",
        "-serial", "chardev:ferryserial",
    ]  # fmt: skip
    for name, value in fw_cfg.items():
        argv += ["-fw_cfg", f"name={name},string={value}"]
    for index, nic in enumerate(nics):
        if nic.dhcp:
            netdev = f"user,id=n{index},restrict=on,tftp={tftp},bootfile={BOOT_FILE}"
        else:
            netdev = f"hubport,id=n{index},hubid={index}"
        device = f"virtio-net-pci,netdev=n{index},mac={nic.mac}" + ("" if nic.rom else ",romfile=")
        argv += ["-netdev", netdev, "-device", device]
    return argv


def boot_once(
    vars_file: Path,
    nics: Sequence[QemuNic],
    tftp: Path,
    *,
    timeout_s: float,
    stop: Callable[[str], bool],
    accel: str = "tcg",
    fw_cfg: dict[str, str] | None = None,
    on_line: Callable[[float, str], None] | None = None,
    priority: int | None = None,
) -> list[tuple[float, str]]:
    """Boot until ``stop(line)`` is true, QEMU exits, or ``timeout_s`` passes; the (seconds, line) pairs read.

    Seconds count from the moment the serial console connected (QEMU starts the guest then). ``priority`` is a
    nice increment for QEMU (default: -5 when running as root, else 0): the firmware's timers are periodic ticks,
    and a vCPU that is not scheduled when a tick is due loses it, stretching every timeout on a busy host. QEMU
    mostly sleeps while the firmware waits for DHCP, so a higher priority costs others little CPU.
    """
    qemu = find_tool("qemu-system-x86_64", hint="install QEMU: apt-get install qemu-system-x86")
    code, _ = ovmf_files()
    sock = vars_file.parent / f"serial-{os.getpid()}-{time.monotonic_ns()}.sock"
    argv = _argv(qemu, code, vars_file, sock, nics, tftp, accel, fw_cfg or {})
    nice = priority if priority is not None else (-5 if os.geteuid() == 0 else 0)
    if nice:
        argv = [find_tool("nice", hint="nice is part of coreutils"), "-n", str(nice), *argv]
    lines: list[tuple[float, str]] = []
    with ManagedProcess(
        argv, name="qemu", ready=sock.exists, start_timeout=30.0, log_path=vars_file.parent / "qemu.log"
    ) as proc:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(str(sock))
            t0 = time.monotonic()
            conn.settimeout(0.5)
            buf = b""
            line_start: float | None = None
            while time.monotonic() - t0 < timeout_s:
                try:
                    chunk = conn.recv(4096)
                except TimeoutError:
                    if not proc.alive():
                        break
                    continue
                if not chunk:
                    break
                now = time.monotonic() - t0
                done = False
                for byte in chunk:
                    if line_start is None:
                        line_start = now
                    if byte == 0x0A:
                        text = buf.decode("utf-8", errors="replace").rstrip("\r")
                        lines.append((line_start, text))
                        if on_line is not None:
                            on_line(line_start, text)
                        buf, line_start = b"", None
                        if stop(text):
                            done = True
                            break
                    else:
                        buf += bytes([byte])
                if done:
                    break
                # a line that is still open (edk2 prints ">>Start PXE over IPv4." with no newline) may be a stop
                if buf and line_start is not None and stop(buf.decode("utf-8", errors="replace")):
                    lines.append((line_start, buf.decode("utf-8", errors="replace")))
                    break
            else:
                if buf and line_start is not None:
                    lines.append((line_start, buf.decode("utf-8", errors="replace")))
            if not lines and not proc.alive():
                raise EmulatorError(
                    f"QEMU exited before the firmware printed anything: {proc.log_tail(5)}", where=argv[0]
                )
        except OSError as exc:
            raise EmulatorError(f"cannot read the serial console: {exc}", where=str(sock)) from exc
        finally:
            conn.close()
    sock.unlink(missing_ok=True)
    return lines
