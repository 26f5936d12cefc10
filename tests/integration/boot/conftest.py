"""Real components for the boot integration tests: efibootmgr, a Redfish service over HTTPS, QEMU + OVMF."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ferry._kernel import ManagedProcess, free_port

HERE = Path(__file__).resolve().parent
EXAMPLE_BOOT = HERE.parents[2] / "examples" / "estate" / "boot"


@pytest.fixture
def example_boot() -> Path:
    return EXAMPLE_BOOT


@dataclass(frozen=True)
class Redfish:
    url: str
    cafile: str
    state: Path
    user: str
    password: str

    def read_state(self) -> dict:  # type: ignore[type-arg]
        return json.loads(self.state.read_text())


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1, made with openssl."""
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


@pytest.fixture
def redfish(tmp_path: Path, tls: tuple[str, str]) -> Iterator[Redfish]:
    """The suite's Redfish service (no BMC exists here), seeded with hpe-01's boot configuration."""
    source = json.loads((EXAMPLE_BOOT / "hpe-01.redfish.json").read_text())
    system = source["ComputerSystem"]
    boot = {k: v for k, v in system["Boot"].items() if k != "BootOptions"}
    state = {
        "HostName": system["HostName"],
        "Manufacturer": system["Manufacturer"],
        "Boot": boot,
        "BootOptions": system["Boot"]["BootOptions"]["Members"],
        "Bios": source["Bios"],
    }
    state_file = tmp_path / "redfish-state.json"
    state_file.write_text(json.dumps(state, indent=2))
    port = free_port()
    cert, key = tls
    argv = [
        sys.executable,
        str(HERE / "redfish_server.py"),
        "--port",
        str(port),
        "--cert",
        cert,
        "--key",
        key,
        "--state",
        str(state_file),
        "--user",
        "admin",
        "--password",
        "s3cret",
    ]
    with ManagedProcess(argv, name="redfish", ready_port=("127.0.0.1", port), start_timeout=20):
        yield Redfish(f"https://127.0.0.1:{port}", cert, state_file, "admin", "s3cret")
