"""Ed25519 signatures over the canonical certificate payload."""

import base64

import pytest
from factories import sample_certificate

from certificates.model import CertificateData
from certificates.signing import (
    canonical_payload,
    generate_private_key_pem,
    key_id,
    public_key_pem,
    sign,
    verify,
)

DATA = sample_certificate()


@pytest.fixture(scope="module")
def private_pem() -> bytes:
    return generate_private_key_pem()


def test_canonical_payload_is_sorted_compact_utf8() -> None:
    assert canonical_payload({"b": 1, "a": "Yến"}) == '{"a":"Yến","b":1}'.encode()
    assert canonical_payload({"a": "Yến", "b": 1}) == canonical_payload({"b": 1, "a": "Yến"})


def test_canonical_payload_rejects_nan() -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        canonical_payload({"x": float("nan")})


def test_payload_round_trips_through_model() -> None:
    payload = DATA.as_payload()
    assert payload["date_of_birth"] == "1990-03-07"
    assert payload["year"] == 2025
    assert CertificateData.from_payload(payload) == DATA


@pytest.mark.parametrize(
    "change",
    [{"year": "2025"}, {"year": True}, {"signed_on": 20250804}, {"holder_name": None}, {"cccd": "001"}],
)
def test_from_payload_rejects_bad_payloads(change: dict[str, object]) -> None:
    payload: dict[str, object] = {**DATA.as_payload(), **change}
    with pytest.raises(ValueError, match=r"payload|must be"):
        CertificateData.from_payload(payload)


def test_sign_and_verify_round_trip(private_pem: bytes) -> None:
    public = public_key_pem(private_pem)
    message = canonical_payload(DATA.as_payload())
    signature = sign(private_pem, message)
    assert "=" not in signature and "+" not in signature and "/" not in signature
    assert len(base64.urlsafe_b64decode(signature + "==")) == 64
    assert verify(public, message, signature)


def test_tampered_payload_fails(private_pem: bytes) -> None:
    public = public_key_pem(private_pem)
    signature = sign(private_pem, canonical_payload(DATA.as_payload()))
    tampered = {**DATA.as_payload(), "holder_name": "Lê Hoàng Yền"}
    assert not verify(public, canonical_payload(tampered), signature)


def test_tampered_or_malformed_signature_fails(private_pem: bytes) -> None:
    public = public_key_pem(private_pem)
    message = canonical_payload(DATA.as_payload())
    signature = sign(private_pem, message)
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert not verify(public, message, flipped)
    assert not verify(public, message, signature + "!!")
    assert not verify(public, message, signature[:-2])
    assert not verify(public, message, "")
    assert not verify(public, message, "không phải chữ ký")


def test_other_key_fails(private_pem: bytes) -> None:
    message = canonical_payload(DATA.as_payload())
    other_public = public_key_pem(generate_private_key_pem())
    assert not verify(other_public, message, sign(private_pem, message))


def test_key_id_is_short_stable_and_distinct(private_pem: bytes) -> None:
    public = public_key_pem(private_pem)
    assert key_id(public) == key_id(public.replace(b"\n", b"\r\n"))
    assert len(key_id(public)) == 16
    int(key_id(public), 16)
    assert key_id(public) != key_id(public_key_pem(generate_private_key_pem()))


def test_private_key_is_pkcs8_pem(private_pem: bytes) -> None:
    assert private_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public_key_pem(private_pem).startswith(b"-----BEGIN PUBLIC KEY-----")
