"""The rehearsal's authoritative DNS server, queried over real UDP on loopback."""

from __future__ import annotations

import socket
from collections import Counter

import dnslib
import pytest

from ferry.gateway._cutover._dns_server import WeightedDnsServer

pytestmark = pytest.mark.integration

RECORDS = {"old": "127.0.0.2", "new": "127.0.0.3"}


def ask(port: int, name: str, qtype: str = "A") -> dnslib.DNSRecord:
    packet = dnslib.DNSRecord.question(name, qtype).send("127.0.0.1", port, timeout=2)
    return dnslib.DNSRecord.parse(packet)


def answers(port: int, n: int, name: str = "shop.example.com") -> Counter[str]:
    return Counter(str(ask(port, name).rr[0].rdata) for _ in range(n))


def test_weighted_answers_follow_route53_rules() -> None:
    with WeightedDnsServer(["shop.example.com"], RECORDS, {"old": 192, "new": 64}, ttl=60, seed=1) as server:
        counts = answers(server.port, 400)
        assert 0.65 < counts["127.0.0.2"] / 400 < 0.85
        reply = ask(server.port, "SHOP.example.com.")
        assert reply.header.aa == 1 and reply.header.rcode == 0 and reply.rr[0].ttl == 60
        server.set_weights({"old": 255, "new": 0})
        assert answers(server.port, 100) == Counter({"127.0.0.2": 100})
        server.set_weights({"old": 0, "new": 0})
        both = answers(server.port, 200)
        assert set(both) == {"127.0.0.2", "127.0.0.3"}
        server.set_weights({"new": 255})
        server.set_ttl(300)
        reply = ask(server.port, "shop.example.com")
        assert str(reply.rr[0].rdata) == "127.0.0.3" and reply.rr[0].ttl == 300
        assert server.answers["old"] > 0 and server.queries >= 700


def test_health_turns_a_zero_weight_record_into_the_fallback() -> None:
    with WeightedDnsServer(["shop.example.com"], RECORDS, {"old": 0, "new": 255}, ttl=60) as server:
        server.set_health("new", False)
        assert answers(server.port, 50) == Counter({"127.0.0.2": 50})


def test_unknown_names_other_types_and_garbage() -> None:
    with WeightedDnsServer(["shop.example.com"], RECORDS, {"old": 255}, ttl=60) as server:
        assert ask(server.port, "other.example.com").header.rcode == dnslib.RCODE.NXDOMAIN
        nodata = ask(server.port, "shop.example.com", "AAAA")
        assert nodata.header.rcode == 0 and not nodata.rr
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.5)
            sock.sendto(b"\x00\x01garbage", ("127.0.0.1", server.port))
            with pytest.raises(TimeoutError):
                sock.recvfrom(512)
        assert str(ask(server.port, "shop.example.com").rr[0].rdata) == "127.0.0.2"


def test_bad_weights_are_rejected() -> None:
    with WeightedDnsServer(["shop.example.com"], RECORDS, {"old": 255}, ttl=60) as server:
        with pytest.raises(ValueError, match="outside 0-255"):
            server.set_weights({"old": 256})
        with pytest.raises(ValueError, match="unknown record"):
            server.set_weights({"elsewhere": 1})
