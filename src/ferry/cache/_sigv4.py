"""AWS Signature Version 4 for S3 requests (pure: a request and credentials in, headers out).

ferry signs its own requests rather than importing botocore: a signed ranged GET is four HMACs over a few short
strings, and botocore would add a quarter-second of import time and per-request overhead to the hot path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

__all__ = ["EMPTY_SHA256", "Credentials", "sign"]

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # sha256 of no bytes
# hashlib and hmac (OpenSSL) are imported by the functions that sign: importing ferry.cache to read a warm cache
# never loads them.
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


@dataclass(frozen=True)
class Credentials:
    """An access key pair (and session token). ``repr`` never shows the secret or the token."""

    access_key: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)
    source: str = "explicit"


def _hmac(key: bytes, text: str) -> bytes:
    import hashlib
    import hmac

    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def _canonical_query(query: Mapping[str, str]) -> str:
    pairs = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in query.items())
    return "&".join(f"{k}={v}" for k, v in pairs)


def sign(
    method: str,
    host: str,
    path: str,
    *,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    credentials: Credentials,
    region: str,
    now: datetime,
    payload_sha256: str = EMPTY_SHA256,
    service: str = "s3",
) -> dict[str, str]:
    """The headers to send (``headers`` plus host, x-amz-date, x-amz-content-sha256, token and Authorization).

    ``path`` is the already-encoded request path; ``now`` must be UTC.
    """
    import hashlib
    import hmac

    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    out = {k.lower(): v.strip() for k, v in (headers or {}).items()}
    out["host"] = host
    out["x-amz-date"] = amz_date
    out["x-amz-content-sha256"] = payload_sha256
    if credentials.token:
        out["x-amz-security-token"] = credentials.token
    names = sorted(out)
    canonical_headers = "".join(f"{n}:{' '.join(out[n].split())}\n" for n in names)
    signed = ";".join(names)
    canonical = "\n".join(
        [method, path or "/", _canonical_query(query or {}), canonical_headers, signed, payload_sha256]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + credentials.secret_key).encode(), day), region), service), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    out["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, SignedHeaders={signed}, Signature={signature}"
    )
    return out
