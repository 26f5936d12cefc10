"""SigV4 against the worked examples of the S3 documentation (GET with Range; ListObjects with a query)."""

from __future__ import annotations

from datetime import UTC, datetime

from ferry.cache import Credentials
from ferry.cache._sigv4 import EMPTY_SHA256, sign

CREDS = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
WHEN = datetime(2013, 5, 24, tzinfo=UTC)


def test_get_object_with_range() -> None:
    headers = sign(
        "GET",
        "examplebucket.s3.amazonaws.com",
        "/test.txt",
        headers={"Range": "bytes=0-9"},
        credentials=CREDS,
        region="us-east-1",
        now=WHEN,
    )
    assert headers["x-amz-content-sha256"] == EMPTY_SHA256
    assert headers["authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


def test_list_objects_with_query() -> None:
    headers = sign(
        "GET",
        "examplebucket.s3.amazonaws.com",
        "/",
        query={"max-keys": "2", "prefix": "J"},
        credentials=CREDS,
        region="us-east-1",
        now=WHEN,
    )
    assert headers["authorization"].endswith(
        "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
    )


def test_session_token_is_signed_and_secrets_stay_out_of_repr() -> None:
    creds = Credentials("AK", "very-secret", "tok-123")
    headers = sign("GET", "h", "/b/k", credentials=creds, region="eu-west-1", now=WHEN)
    assert headers["x-amz-security-token"] == "tok-123"
    assert "x-amz-security-token" in headers["authorization"]
    assert "very-secret" not in repr(creds) and "tok-123" not in repr(creds)
    assert "eu-west-1/s3/aws4_request" in headers["authorization"]
