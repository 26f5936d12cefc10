"""A small Redfish service for the test suite (no BMC exists on this machine).

Serves one ComputerSystem with ``Boot.BootOrder``, a ``BootOptions`` collection, a pending ``/Settings`` resource
(applied on ``ComputerSystem.Reset``) and a ``Bios`` resource, over HTTPS with basic authentication — the subset
of DMTF Redfish that ``ferry boot apply --redfish`` speaks. PATCH validates like a BMC does: BootOrder must hold
exactly the existing options, reordered; unknown properties are rejected with a Redfish error body.

Run: ``python redfish_server.py --port P --cert C --key K --state state.json [--user U --password W]``.
The state file (the system's initial Boot and BootOptions) is rewritten after every change.
"""

from __future__ import annotations

import argparse
import base64
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

LOCK = threading.Lock()


def _error(message: str) -> dict[str, Any]:
    return {
        "error": {
            "code": "Base.1.0.GeneralError",
            "message": message,
            "@Message.ExtendedInfo": [{"MessageId": "Base.1.0.PropertyValueNotInList", "Message": message}],
        }
    }


class Service:
    def __init__(self, state_file: Path, system: str) -> None:
        self.state_file = state_file
        self.system = system
        self.state = json.loads(state_file.read_text())
        self.state.setdefault("Pending", None)
        self.state.setdefault("Resets", 0)
        self.state.setdefault("Bios", {"Attributes": {}})
        self.state.setdefault("BiosPending", {})

    def save(self) -> None:
        self.state_file.write_text(json.dumps(self.state, indent=2))

    @property
    def base(self) -> str:
        return f"/redfish/v1/Systems/{self.system}"

    def get(self, path: str) -> tuple[int, Any]:
        s = self.state
        if path in ("/redfish/v1", "/redfish/v1/"):
            return 200, {"@odata.id": "/redfish/v1", "Systems": {"@odata.id": "/redfish/v1/Systems"}}
        if path == "/redfish/v1/Systems":
            return 200, {"Members": [{"@odata.id": self.base}], "Members@odata.count": 1}
        if path == self.base:
            boot = dict(s["Boot"])
            boot["BootOptions"] = {"@odata.id": f"{self.base}/BootOptions"}
            return 200, {
                "@odata.id": self.base,
                "Id": self.system,
                "Name": "test system",
                "HostName": s.get("HostName", "rf-01"),
                "Manufacturer": s.get("Manufacturer", "Contoso"),
                "Boot": boot,
            }
        if path == f"{self.base}/Settings":
            return 200, {"Boot": (s["Pending"] or {}).get("Boot", {})}
        if path == f"{self.base}/BootOptions":
            return 200, {
                "Members": [
                    {"@odata.id": f"{self.base}/BootOptions/{o['BootOptionReference']}"} for o in s["BootOptions"]
                ]
            }
        if path.startswith(f"{self.base}/BootOptions/"):
            ref = path.rsplit("/", 1)[1]
            for option in s["BootOptions"]:
                if option["BootOptionReference"] == ref:
                    return 200, {"@odata.id": path, "Id": ref, **option}
            return 404, _error(f"no boot option {ref}")
        if path == f"{self.base}/Bios":
            return 200, s["Bios"]
        return 404, _error(f"no resource at {path}")

    def _check_boot(self, boot: Any) -> str | None:
        if not isinstance(boot, dict):
            return "Boot must be an object"
        allowed = {
            "BootOrder",
            "BootNext",
            "BootSourceOverrideEnabled",
            "BootSourceOverrideTarget",
            "BootSourceOverrideMode",
        }
        unknown = set(boot) - allowed
        if unknown:
            return f"property {sorted(unknown)[0]} is not writable"
        if "BootOrder" in boot:
            existing = sorted(o["BootOptionReference"] for o in self.state["BootOptions"])
            if sorted(boot["BootOrder"]) != existing:
                return "BootOrder must contain exactly the existing boot options, reordered"
        if "BootNext" in boot and boot["BootNext"] not in {o["BootOptionReference"] for o in self.state["BootOptions"]}:
            return f"BootNext {boot['BootNext']} is not a boot option"
        return None

    def patch(self, path: str, body: Any) -> tuple[int, Any]:
        s = self.state
        if path in (self.base, f"{self.base}/Settings"):
            if not isinstance(body, dict) or set(body) != {"Boot"}:
                return 400, _error("only Boot may be patched here")
            problem = self._check_boot(body["Boot"])
            if problem:
                return 400, _error(problem)
            if path == self.base:
                s["Boot"].update(body["Boot"])
                if body["Boot"].get("BootSourceOverrideEnabled") == "Disabled":
                    s["Boot"].pop("BootNext", None)
            else:
                pending = s["Pending"] or {"Boot": {}}
                pending["Boot"].update(body["Boot"])
                s["Pending"] = pending
            self.save()
            return 204, None
        if path.startswith(f"{self.base}/BootOptions/"):
            ref = path.rsplit("/", 1)[1]
            if (
                not isinstance(body, dict)
                or set(body) != {"BootOptionEnabled"}
                or not isinstance(body["BootOptionEnabled"], bool)
            ):
                return 400, _error("only BootOptionEnabled (true/false) may be patched on a boot option")
            for option in s["BootOptions"]:
                if option["BootOptionReference"] == ref:
                    option["BootOptionEnabled"] = body["BootOptionEnabled"]
                    self.save()
                    return 204, None
            return 404, _error(f"no boot option {ref}")
        if path == f"{self.base}/Bios/Settings":
            if not isinstance(body, dict) or not isinstance(body.get("Attributes"), dict):
                return 400, _error("Attributes object required")
            s["BiosPending"].update(body["Attributes"])
            self.save()
            return 204, None
        return 405, _error(f"PATCH not allowed on {path}")

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        if path == f"{self.base}/Actions/ComputerSystem.Reset":
            s = self.state
            if s["Pending"]:
                s["Boot"].update(s["Pending"]["Boot"])
                s["Pending"] = None
            s["Bios"]["Attributes"].update(s["BiosPending"])
            s["BiosPending"] = {}
            s["Resets"] += 1
            self.save()
            return 204, None
        return 405, _error(f"POST not allowed on {path}")


def make_handler(service: Service, auth: str | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class names it so
            return

        def _reply(self, code: int, body: Any) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(code)
            if data:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorized(self) -> bool:
            if auth is None or self.headers.get("Authorization") == auth:
                return True
            self._reply(401, _error("authentication required"))
            return False

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            return json.loads(raw) if raw else None

        def do_GET(self) -> None:
            if self._authorized():
                with LOCK:
                    self._reply(*service.get(self.path))

        def do_PATCH(self) -> None:
            if self._authorized():
                try:
                    body = self._body()
                except json.JSONDecodeError:
                    self._reply(400, _error("malformed JSON"))
                    return
                with LOCK:
                    self._reply(*service.patch(self.path, body))

        def do_POST(self) -> None:
            if self._authorized():
                with LOCK:
                    self._reply(*service.post(self.path, self._body()))

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--system", default="1")
    parser.add_argument("--user")
    parser.add_argument("--password", default="")
    args = parser.parse_args()
    auth = None
    if args.user:
        auth = "Basic " + base64.b64encode(f"{args.user}:{args.password}".encode()).decode()
    service = Service(Path(args.state), args.system)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(service, auth))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
