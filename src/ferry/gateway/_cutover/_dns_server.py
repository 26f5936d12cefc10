"""An authoritative DNS server on loopback that answers the cutover's hostnames by Route 53's weighted rules (I/O).

It binds a free UDP port on 127.0.0.1, answers A queries for its names with one record of the weighted group (chosen
as Route 53 does, see :mod:`._dnsrules`), NXDOMAIN for names it does not hold and an empty answer for other types.
Weights, TTL and health change while it runs, the way a change batch changes them; queries and answers are counted.
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

from ferry._kernel import require
from ferry.gateway._cutover._dnsrules import WeightedRecord, choose

__all__ = ["WeightedDnsServer"]


class WeightedDnsServer:
    """Serve ``hostnames`` from the weighted group ``records`` (SetIdentifier → address) at ``ttl`` seconds.

    Args:
        hostnames: the names it is authoritative for (each answers from the same group).
        records: SetIdentifier → the IPv4 address that record answers.
        weights: SetIdentifier → weight (0-255); a record with no weight is not in the group.
        ttl: the TTL of the group, in (fractional) seconds; DNS carries whole seconds, see ``ttl_scale``.
        seed: seeds the weighted choice, so a rehearsal can be repeated.
    """

    def __init__(
        self,
        hostnames: Iterable[str],
        records: Mapping[str, str],
        weights: Mapping[str, int],
        *,
        ttl: int,
        seed: int = 0,
    ) -> None:
        self._dns = require("dnslib", extra="gateway", feature="the cutover rehearsal's DNS server")
        self.names = {h.lower().rstrip(".") for h in hostnames}
        self.addresses = dict(records)
        self._weights = dict(weights)
        self._health: dict[str, bool] = dict.fromkeys(self.addresses, True)
        self.ttl = ttl
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.answers: Counter[str] = Counter()
        self.queries = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.port = 0

    # -- changes, as a change batch makes them -------------------------------------------------------------

    def set_weights(self, weights: Mapping[str, int]) -> None:
        """Replace the group: each SetIdentifier with its weight; an identifier left out has no record."""
        for set_id, weight in weights.items():
            if set_id not in self.addresses or not 0 <= weight <= 255:
                raise ValueError(f"unknown record '{set_id}' or weight {weight} outside 0-255")
        with self._lock:
            self._weights = dict(weights)

    def set_ttl(self, ttl: int) -> None:
        with self._lock:
            self.ttl = ttl

    def set_health(self, set_identifier: str, healthy: bool) -> None:
        with self._lock:
            self._health[set_identifier] = healthy

    def group(self) -> list[WeightedRecord]:
        with self._lock:
            return [
                WeightedRecord(set_id, self.addresses[set_id], weight, self._health.get(set_id, True))
                for set_id, weight in self._weights.items()
            ]

    # -- serving -------------------------------------------------------------------------------------------

    def start(self) -> WeightedDnsServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.2)
        self._sock = sock
        self.port = sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="ferry-cutover-dns", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> WeightedDnsServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stopping.is_set():
            try:
                data, peer = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            reply = self.answer(data)
            if reply is not None:
                with contextlib.suppress(OSError):
                    self._sock.sendto(reply, peer)

    def answer(self, data: bytes) -> bytes | None:
        """The reply to one query packet (None for a packet that is not a DNS query)."""
        dns: Any = self._dns
        try:
            request = dns.DNSRecord.parse(data)
        except Exception:  # dnslib raises several types for garbage; a malformed packet gets no answer
            return None
        reply = request.reply()  # QR and RD set, the question copied
        reply.header.aa = 1
        if not request.questions:
            reply.header.rcode = dns.RCODE.FORMERR
            return bytes(reply.pack())
        question = request.questions[0]
        name = str(question.qname).lower().rstrip(".")
        with self._lock:
            self.queries += 1
        if name not in self.names:
            reply.header.rcode = dns.RCODE.NXDOMAIN
            return bytes(reply.pack())
        if question.qtype != dns.QTYPE.A:
            return bytes(reply.pack())  # NODATA: the name exists, with A records only
        with self._lock:
            draw = self._random.random()
            ttl = self.ttl
        chosen = choose(self.group(), draw)
        if chosen is not None:
            with self._lock:
                self.answers[chosen.set_identifier] += 1
            reply.add_answer(dns.RR(question.qname, dns.QTYPE.A, rdata=dns.A(chosen.address), ttl=ttl))
        return bytes(reply.pack())
