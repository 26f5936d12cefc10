"""Redfish over HTTPS (I/O): read a system's boot configuration from a BMC and apply a plan to it.

Standard library only (``urllib`` + ``ssl``). Certificates are verified against ``cafile`` (or the system store);
``insecure`` turns verification off for lab BMCs with self-signed certificates, and says so.
"""

from __future__ import annotations

import base64
import contextlib
import json
import ssl
import urllib.error
import urllib.request
from typing import Any

from ferry.boot._apply_efivars import ApplyResult
from ferry.boot._emit import redfish_requests
from ferry.boot._errors import BootApplyError, BootDumpError
from ferry.boot._model import BootConfig
from ferry.boot._parse_redfish import parse_redfish_data
from ferry.boot._plan import Plan

__all__ = ["RedfishClient", "apply_redfish"]


class RedfishClient:
    """A small Redfish client: GET, PATCH and POST JSON with basic authentication."""

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        cafile: str | None = None,
        insecure: bool = False,
        timeout: float = 15.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        if not self.base_url.startswith("https://"):
            raise BootApplyError("Redfish is spoken over HTTPS only", where=base_url, hint="use an https:// URL")
        self.timeout = timeout
        self._auth = None
        if username is not None:
            token = base64.b64encode(f"{username}:{password or ''}".encode()).decode()
            self._auth = f"Basic {token}"
        if insecure:
            self._ssl = ssl.create_default_context()
            self._ssl.check_hostname = False
            self._ssl.verify_mode = ssl.CERT_NONE
        else:
            self._ssl = ssl.create_default_context(cafile=cafile)

    def _call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        url = path if path.startswith("https://") else self.base_url + path
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self._auth:
            request.add_header("Authorization", self._auth)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self._ssl) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw.strip() else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            message = _redfish_message(raw) or exc.reason
            raise BootApplyError(f"{method} {path} returned {exc.code}: {message}", where=self.base_url) from exc
        except urllib.error.URLError as exc:
            raise BootApplyError(f"cannot reach the Redfish service: {exc.reason}", where=url) from exc
        except (TimeoutError, OSError) as exc:
            raise BootApplyError(f"{method} {path} failed: {exc}", where=url) from exc
        except json.JSONDecodeError as exc:
            raise BootApplyError(f"{method} {path} answered with invalid JSON: {exc.msg}", where=url) from exc

    def get(self, path: str) -> Any:
        return self._call("GET", path)[1]

    def patch(self, path: str, body: Any) -> int:
        return self._call("PATCH", path, body)[0]

    def post(self, path: str, body: Any) -> int:
        return self._call("POST", path, body)[0]

    def system_id(self) -> str:
        systems = self.get("/redfish/v1/Systems")
        members = systems.get("Members", []) if isinstance(systems, dict) else []
        if not members:
            raise BootApplyError("the service lists no systems", where=self.base_url + "/redfish/v1/Systems")
        return str(members[0]["@odata.id"]).rstrip("/").rsplit("/", 1)[-1]

    def fetch_config(self, system: str | None = None, *, name: str | None = None) -> BootConfig:
        """Read ComputerSystem, every BootOption and (when present) Bios, and parse them as one dump."""
        system = system or self.system_id()
        base = f"/redfish/v1/Systems/{system}"
        doc: dict[str, Any] = {"ComputerSystem": self.get(base)}
        boot = doc["ComputerSystem"].get("Boot", {}) if isinstance(doc["ComputerSystem"], dict) else {}
        link = boot.get("BootOptions", {}).get("@odata.id") if isinstance(boot.get("BootOptions"), dict) else None
        if link:
            collection = self.get(link)
            doc["BootOptions"] = [self.get(m["@odata.id"]) for m in collection.get("Members", [])]
        with contextlib.suppress(BootApplyError):  # many BMCs (and emulators) have no Bios resource
            doc["Bios"] = self.get(f"{base}/Bios")
        text = json.dumps(doc, indent=2)
        try:
            return parse_redfish_data(doc, text=text, path=self.base_url + base, name=name)
        except BootDumpError as exc:
            raise BootApplyError(
                f"the service's boot configuration cannot be read: {exc}", where=self.base_url
            ) from exc


def _redfish_message(raw: bytes) -> str | None:
    try:
        data = json.loads(raw)
        info = data["error"].get("@Message.ExtendedInfo") or [{}]
        return str(info[0].get("Message") or data["error"].get("message"))
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        return raw.decode(errors="replace")[:200] or None


def apply_redfish(plan: Plan, client: RedfishClient, *, system: str | None = None, reset: bool = False) -> ApplyResult:
    """PATCH the plan; with ``reset``, restart the system so pending settings apply; then read back and check."""
    system = system or client.system_id()
    sent: list[str] = []
    for req in redfish_requests(plan, system=system):
        client.patch(req["path"], req["body"])
        sent.append(f"PATCH {req['path']}")
    pending = any(r["path"].endswith("/Settings") for r in redfish_requests(plan, system=system))
    if reset:
        client.post(f"/redfish/v1/Systems/{system}/Actions/ComputerSystem.Reset", {"ResetType": "ForceRestart"})
        sent.append("POST ComputerSystem.Reset")
    after = client.fetch_config(system, name=plan.server)
    problems: list[str] = []
    if (reset or not pending) and after.boot_order != plan.boot_order:
        problems.append("BootOrder reads " + ",".join(f"Boot{i:04X}" for i in after.boot_order))
    for option_id in plan.deactivate:
        opt = after.option(option_id)
        if opt is not None and opt.active:
            problems.append(f"Boot{option_id:04X} is still enabled")
    if plan.boot_next is not None and after.boot_next != plan.boot_next:
        problems.append("BootNext was not set")
    if problems:
        raise BootApplyError(
            "the service does not show the plan after applying: " + "; ".join(problems), where=client.base_url
        )
    return ApplyResult(client.base_url, tuple(sent), after)
