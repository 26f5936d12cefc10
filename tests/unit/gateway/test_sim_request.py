from __future__ import annotations

import pytest

from ferry.gateway._simulate import BadRequestSpecError, parse_request_line, request_from_json


def test_request_line_with_headers_and_client_ip() -> None:
    req = parse_request_line("get https://A.Example.com:8443/x/y?b=2&a=1", ["X-Canary: always"], "10.1.2.3")
    assert (req.method, req.scheme, req.host, req.port, req.path, req.query) == (
        "GET",
        "https",
        "a.example.com",
        8443,
        "/x/y",
        "b=2&a=1",
    )
    assert req.headers == {"x-canary": "always"}
    assert req.host_header == "a.example.com:8443"
    assert req.url == "https://a.example.com:8443/x/y?b=2&a=1"
    assert req.query_params() == [("b", "2"), ("a", "1")]


def test_default_port_and_path() -> None:
    req = parse_request_line("GET http://a.example.com")
    assert (req.port, req.path, req.host_header) == (80, "/", "a.example.com")


def test_cookies_first_value_wins() -> None:
    req = request_from_json({"url": "http://h/", "headers": {"Cookie": "a=1; b=2; a=3"}}, "x:1")
    assert req.cookies == {"a": "1", "b": "2"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": "ftp://h/x"}, "not an absolute http or https URL"),
        ({"url": "http://h/", "client_ip": "nope"}, "is not an IP address"),
        ({"url": "http://h/", "gateway": "nonamespace"}, "is not 'namespace/name'"),
        ({"url": "http://h/", "extra": 1}, "unknown field"),
        ({"method": "GET"}, "'url' is missing"),
        ("{not json", "invalid JSON"),
    ],
)
def test_bad_requests_say_what_and_where(data: object, message: str) -> None:
    with pytest.raises(BadRequestSpecError) as info:
        request_from_json(data, "reqs.jsonl:3")
    assert message in info.value.message
    assert info.value.where == "reqs.jsonl:3"


def test_bad_header_flag() -> None:
    with pytest.raises(BadRequestSpecError, match="not 'Name: value'"):
        parse_request_line("GET http://h/", ["novalue"])
