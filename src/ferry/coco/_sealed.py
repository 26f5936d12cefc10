"""CoCo sealed secrets: ``sealed.`` + a compact ES256 JWS with a ``kid``, and KBS resource URIs (pure + cryptography).

The payload names where the Confidential Data Hub gets the secret (``vault``: a KBS resource) or carries it
wrapped by a KMS key (``envelope``). Nothing here prints or returns plaintext secret material: inspection reports
the header, the type and the references, and redacts wrapped keys and ciphertext.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ferry._kernel import require
from ferry.coco._errors import SealedSecretError

__all__ = [
    "SEALED_PREFIX",
    "ResourceUri",
    "SealedSecret",
    "generate_signing_key",
    "inspect_sealed",
    "load_jwk",
    "parse_resource_uri",
    "private_jwk",
    "public_jwk",
    "seal_envelope",
    "seal_vault",
    "verify_sealed",
]

SEALED_PREFIX = "sealed."
VERSION = "0.1.0"
_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ResourceUri:
    """``kbs[+plugin]://[host[:port]]/seg/seg/...[?query]``; host and port are ignored by the data hub."""

    plugin: str
    host: str
    path: tuple[str, ...]
    query: str

    def http_path(self) -> str:
        """Where the KBS serves it: ``/kbs/v0/<plugin>/<segments>`` (+ query)."""
        return f"/kbs/v0/{self.plugin}/" + "/".join(self.path) + (f"?{self.query}" if self.query else "")

    def __str__(self) -> str:
        scheme = "kbs" if self.plugin == "resource" else f"kbs+{self.plugin}"
        return f"{scheme}://{self.host}/" + "/".join(self.path) + (f"?{self.query}" if self.query else "")


def parse_resource_uri(uri: str, *, resource_plugin_segments: bool = True) -> ResourceUri:
    """Parse a KBS resource URI; the ``resource`` plugin needs exactly repository/type/tag."""
    parts = urlsplit(uri)
    scheme = parts.scheme
    if scheme != "kbs" and not scheme.startswith("kbs+"):
        raise SealedSecretError(f"{uri!r} is not a KBS resource URI (kbs:///repository/type/tag)")
    plugin = scheme.partition("+")[2] or "resource"
    segments = tuple(s for s in parts.path.split("/") if s)
    if not segments or not all(_SEGMENT.fullmatch(s) and s not in (".", "..") for s in segments):
        raise SealedSecretError(f"{uri!r} has an empty or invalid path", hint="use kbs:///repository/type/tag")
    if plugin == "resource" and resource_plugin_segments and len(segments) != 3:
        raise SealedSecretError(
            f"{uri!r} has {len(segments)} path segment(s); the KBS resource plugin needs repository/type/tag",
            hint="write it as kbs:///repository/type/tag (three slashes)",
        )
    return ResourceUri(plugin=plugin, host=parts.netloc, path=segments, query=parts.query)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str, what: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        raise SealedSecretError(f"the sealed secret's {what} is not unpadded base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise SealedSecretError(f"the sealed secret's {what} is not base64url: {exc}") from exc


def _ec() -> Any:
    return require("cryptography.hazmat.primitives.asymmetric.ec", extra="coco", feature="sealed secrets")


def generate_signing_key() -> Any:
    """A fresh P-256 private key (``cryptography`` object)."""
    ec = _ec()
    return ec.generate_private_key(ec.SECP256R1())


def _int_b64(value: int) -> str:
    return _b64url(value.to_bytes(32, "big"))


def public_jwk(key: Any, kid: str | None = None) -> dict[str, str]:
    """The public JWK (EC P-256) to upload to the KBS or provision as a CDH credential."""
    public = key.public_key() if hasattr(key, "private_numbers") else key
    numbers = public.public_numbers()
    jwk = {"kty": "EC", "crv": "P-256", "x": _int_b64(numbers.x), "y": _int_b64(numbers.y), "alg": "ES256"}
    if kid:
        jwk["kid"] = kid
    return jwk


def private_jwk(key: Any, kid: str | None = None) -> dict[str, str]:
    jwk = public_jwk(key, kid)
    jwk["d"] = _int_b64(key.private_numbers().private_value)
    return jwk


def load_jwk(jwk: Mapping[str, Any]) -> Any:
    """A ``cryptography`` key from a P-256 JWK (private when it has ``d``)."""
    ec = _ec()
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise SealedSecretError("the key must be an EC P-256 JWK (kty EC, crv P-256)")
    try:
        x = int.from_bytes(_unb64url(str(jwk["x"]), "key x"), "big")
        y = int.from_bytes(_unb64url(str(jwk["y"]), "key y"), "big")
        public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1())
        if "d" in jwk:
            d = int.from_bytes(_unb64url(str(jwk["d"]), "key d"), "big")
            return ec.EllipticCurvePrivateNumbers(d, public).private_key()
        return public.public_key()
    except (KeyError, ValueError) as exc:
        raise SealedSecretError(f"the JWK is not a valid P-256 key: {exc}") from exc


def _sign(payload: Mapping[str, Any], key: Any, kid: str) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    ec = _ec()
    if not kid:
        raise SealedSecretError("a sealed secret needs a key id (kid)")
    header = _b64url(json.dumps({"alg": "ES256", "kid": kid}, separators=(",", ":")).encode())
    body = _b64url(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    der = key.sign(f"{header}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return f"{SEALED_PREFIX}{header}.{body}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def seal_vault(resource_uri: str, key: Any, kid: str, *, provider: str = "kbs") -> str:
    """A ``vault`` sealed secret: the data hub fetches ``resource_uri`` from the KBS after attestation."""
    if provider == "kbs":
        parse_resource_uri(resource_uri)
    payload = {
        "version": VERSION,
        "type": "vault",
        "name": resource_uri,
        "provider": provider,
        "provider_settings": {},
        "annotations": {},
    }
    return _sign(payload, key, kid)


def seal_envelope(
    *, provider: str, key_id: str, encrypted_key: bytes, encrypted_data: bytes, iv: bytes, key: Any, kid: str
) -> str:
    """An ``envelope`` sealed secret: data encrypted with AES-256-GCM under a key wrapped by a KMS."""
    payload = {
        "version": VERSION,
        "type": "envelope",
        "provider": provider,
        "key_id": key_id,
        "encrypted_key": base64.b64encode(encrypted_key).decode(),
        "encrypted_data": base64.b64encode(encrypted_data).decode(),
        "wrap_type": "A256GCM",
        "iv": base64.b64encode(iv).decode(),
        "provider_settings": {},
        "annotations": {},
    }
    return _sign(payload, key, kid)


@dataclass(frozen=True)
class SealedSecret:
    """A parsed sealed secret. ``payload`` has wrapped keys and ciphertext redacted (their lengths kept)."""

    header: Mapping[str, Any]
    payload: Mapping[str, Any]
    signing_input: bytes
    signature: bytes

    @property
    def kid(self) -> str:
        return str(self.header.get("kid", ""))

    @property
    def type(self) -> str:
        return str(self.payload.get("type", ""))

    def to_dict(self) -> dict[str, Any]:
        return {"header": dict(self.header), "payload": dict(self.payload), "signature_bytes": len(self.signature)}


_REDACT = ("encrypted_key", "encrypted_data", "iv")


def inspect_sealed(value: str) -> SealedSecret:
    """Parse and check a sealed secret's structure (not its signature: see :func:`verify_sealed`)."""
    value = value.strip()
    if not value.startswith(SEALED_PREFIX):
        raise SealedSecretError("not a sealed secret: the value must start with 'sealed.'")
    parts = value[len(SEALED_PREFIX) :].split(".")
    if len(parts) != 3:
        raise SealedSecretError(f"a sealed secret has 3 dot-separated JWS parts after 'sealed.', found {len(parts)}")
    try:
        header = json.loads(_unb64url(parts[0], "header"))
        payload = json.loads(_unb64url(parts[1], "payload"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SealedSecretError(f"the sealed secret's header or payload is not JSON: {exc}") from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise SealedSecretError("the sealed secret's header and payload must be JSON objects")
    if header.get("alg") != "ES256":
        raise SealedSecretError(f"sealed secrets are signed with ES256, this one says alg={header.get('alg')!r}")
    if not header.get("kid"):
        raise SealedSecretError("the sealed secret's header has no kid (the key id the data hub verifies with)")
    if payload.get("version") != VERSION:
        raise SealedSecretError(f"sealed secret version must be {VERSION}, found {payload.get('version')!r}")
    kind = payload.get("type")
    required = {
        "vault": ("name", "provider", "provider_settings"),
        "envelope": ("provider", "key_id", "encrypted_key", "encrypted_data", "wrap_type", "iv", "provider_settings"),
    }.get(str(kind))
    if required is None:
        raise SealedSecretError(f"sealed secret type must be vault or envelope, found {kind!r}")
    missing = [k for k in required if k not in payload]
    if missing:
        raise SealedSecretError(f"the {kind} sealed secret lacks {', '.join(missing)}")
    shown = dict(payload)
    for k in _REDACT:
        if k in shown:
            shown[k] = f"<redacted: {len(str(shown[k]))} base64 characters>"
    signature = _unb64url(parts[2], "signature")
    return SealedSecret(header, shown, f"{parts[0]}.{parts[1]}".encode(), signature)


def verify_sealed(value: str, public_key: Any) -> SealedSecret:
    """Check the ES256 signature with ``public_key`` (a ``cryptography`` key or a JWK mapping)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    ec = _ec()
    sealed = inspect_sealed(value)
    key = load_jwk(public_key) if isinstance(public_key, Mapping) else public_key
    if hasattr(key, "private_numbers"):
        key = key.public_key()
    if len(sealed.signature) != 64:
        raise SealedSecretError("the ES256 signature must be 64 bytes (r ‖ s)")
    der = encode_dss_signature(
        int.from_bytes(sealed.signature[:32], "big"), int.from_bytes(sealed.signature[32:], "big")
    )
    try:
        key.verify(der, sealed.signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise SealedSecretError(f"the sealed secret's signature does not verify with key {sealed.kid}") from exc
    return sealed
