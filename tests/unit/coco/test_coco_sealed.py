"""Sealed secrets: ES256 compact JWS with kid behind 'sealed.', tamper detection, resource URIs, no plaintext out."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from ferry.coco import (
    SealedSecretError,
    generate_signing_key,
    inspect_sealed,
    load_jwk,
    parse_resource_uri,
    private_jwk,
    public_jwk,
    seal_envelope,
    seal_vault,
    verify_sealed,
)

KID = "kbs:///default/sealing-key/k1"


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture(scope="module")
def key():  # type: ignore[no-untyped-def]
    return generate_signing_key()


def test_vault_secret_is_a_compact_es256_jws_verifiable_from_first_principles(key) -> None:  # type: ignore[no-untyped-def]
    value = seal_vault("kbs:///one/2/trois", key, KID)
    assert value.startswith("sealed.") and "=" not in value
    header_b64, payload_b64, sig_b64 = value.removeprefix("sealed.").split(".")
    assert json.loads(_b64d(header_b64)) == {"alg": "ES256", "kid": KID}
    payload = json.loads(_b64d(payload_b64))
    assert payload == {
        "version": "0.1.0",
        "type": "vault",
        "name": "kbs:///one/2/trois",
        "provider": "kbs",
        "provider_settings": {},
        "annotations": {},
    }
    sig = _b64d(sig_b64)
    assert len(sig) == 64
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    key.public_key().verify(der, f"{header_b64}.{payload_b64}".encode(), ec.ECDSA(hashes.SHA256()))


def test_verify_with_the_public_jwk_and_reject_another_key(key) -> None:  # type: ignore[no-untyped-def]
    value = seal_vault("kbs:///one/2/trois", key, KID)
    assert verify_sealed(value, public_jwk(key, KID)).type == "vault"
    with pytest.raises(SealedSecretError, match="does not verify"):
        verify_sealed(value, public_jwk(generate_signing_key()))


@pytest.mark.parametrize("part", [0, 1, 2])
def test_tampering_with_any_part_fails(key, part: int) -> None:  # type: ignore[no-untyped-def]
    parts = seal_vault("kbs:///one/2/trois", key, KID).removeprefix("sealed.").split(".")
    if part == 1:
        payload = json.loads(_b64d(parts[1]))
        payload["name"] = "kbs:///attacker/own/key"
        parts[1] = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    elif part == 0:
        parts[0] = base64.urlsafe_b64encode(b'{"alg":"ES256","kid":"kbs:///x/y/z"}').rstrip(b"=").decode()
    else:
        sig = bytearray(_b64d(parts[2]))
        sig[5] ^= 1
        parts[2] = base64.urlsafe_b64encode(bytes(sig)).rstrip(b"=").decode()
    with pytest.raises(SealedSecretError):
        verify_sealed("sealed." + ".".join(parts), public_jwk(key))


def test_envelope_redacts_wrapped_key_and_ciphertext(key) -> None:  # type: ignore[no-untyped-def]
    value = seal_envelope(
        provider="ehsm",
        key_id="kms-key-1",
        encrypted_key=b"K" * 40,
        encrypted_data=b"D" * 90,
        iv=b"I" * 12,
        key=key,
        kid=KID,
    )
    shown = inspect_sealed(value).to_dict()
    text = json.dumps(shown)
    assert base64.b64encode(b"K" * 40).decode() not in text and base64.b64encode(b"D" * 90).decode() not in text
    assert shown["payload"]["encrypted_data"].startswith("<redacted") and shown["payload"]["wrap_type"] == "A256GCM"
    assert verify_sealed(value, public_jwk(key)).type == "envelope"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("notsealed", "must start with 'sealed.'"),
        ("sealed.a.b", "3 dot-separated"),
        ("sealed.fakejwsheader.e30.fakesignature", "not JSON|not unpadded"),
        ("sealed." + base64.urlsafe_b64encode(b'{"alg":"HS256","kid":"k"}').rstrip(b"=").decode() + ".e30.AA", "ES256"),
        ("sealed." + base64.urlsafe_b64encode(b'{"alg":"ES256"}').rstrip(b"=").decode() + ".e30.AA", "no kid"),
    ],
)
def test_malformed_sealed_secrets_are_refused(value: str, message: str) -> None:
    with pytest.raises(SealedSecretError, match=message):
        inspect_sealed(value)


def test_jwk_round_trip(key) -> None:  # type: ignore[no-untyped-def]
    private = load_jwk(private_jwk(key, KID))
    assert private.private_numbers() == key.private_numbers()
    with pytest.raises(SealedSecretError, match="P-256"):
        load_jwk({"kty": "RSA"})


def test_resource_uris() -> None:
    uri = parse_resource_uri("kbs://example.cckbs.org:8081/alice/decryption-key/1")
    assert uri.http_path() == "/kbs/v0/resource/alice/decryption-key/1" and uri.host == "example.cckbs.org:8081"
    assert parse_resource_uri("kbs:///a/b/c?version=2").http_path() == "/kbs/v0/resource/a/b/c?version=2"
    assert parse_resource_uri("kbs+pkcs11:///slot/key").plugin == "pkcs11"
    for bad in ("https://a/b/c", "kbs://default/my-secret", "kbs:///a/../c", "kbs:///"):
        with pytest.raises(SealedSecretError):
            parse_resource_uri(bad)
    with pytest.raises(SealedSecretError, match="repository/type/tag"):
        seal_vault("kbs://default/my-secret", generate_signing_key(), KID)
