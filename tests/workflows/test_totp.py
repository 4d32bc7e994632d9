"""RFC 6238 time-based codes: the RFC's own test vectors, the window of one step either side, and replay refused."""

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from workflows import totp

# RFC 6238 appendix B: the SHA-1 seed is the ASCII "12345678901234567890"; the codes have 8 digits.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [(59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"), (1234567890, "89005924"),
               (2000000000, "69279037"), (20000000000, "65353130")]


@pytest.mark.parametrize(("unix", "expected"), RFC_VECTORS)
def test_codes_match_the_rfc_6238_vectors(unix: int, expected: str) -> None:
    moment = datetime.fromtimestamp(unix, UTC)
    assert totp.hotp(base64.b32decode(RFC_SECRET), totp.step_of(moment), digits=8) == expected
    assert totp.code_at(RFC_SECRET, moment) == expected[-6:]  # six digits: the same number's last six


def test_one_step_either_side_is_accepted_and_no_further() -> None:
    secret, moment = totp.new_secret(), datetime(2026, 11, 28, 10, 0, 15, tzinfo=UTC)
    step = totp.step_of(moment)
    for offset in (-1, 0, 1):
        code = totp.code_at(secret, moment + timedelta(seconds=30 * offset))
        assert totp.matching_step(secret, code, moment, None) == step + offset
    for offset in (-2, 2):
        code = totp.code_at(secret, moment + timedelta(seconds=30 * offset))
        assert totp.matching_step(secret, code, moment, None) is None


def test_a_step_already_used_or_earlier_is_refused() -> None:
    secret, moment = totp.new_secret(), datetime(2026, 11, 28, 10, 0, 15, tzinfo=UTC)
    code, step = totp.code_at(secret, moment), totp.step_of(moment)
    assert totp.matching_step(secret, code, moment, step - 1) == step
    assert totp.matching_step(secret, code, moment, step) is None  # replay
    assert totp.matching_step(secret, totp.code_at(secret, moment - timedelta(seconds=30)), moment, step) is None


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"])
def test_malformed_codes_match_nothing(typed: str) -> None:
    assert totp.matching_step(totp.new_secret(), typed, datetime.now(UTC), None) is None


def test_the_uri_names_the_issuer_and_the_account() -> None:
    secret = totp.new_secret()
    assert len(base64.b32decode(secret)) == 20
    parts = urlsplit(totp.uri(secret, "reviewer00004"))
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == "/CDHT Hà Nội:reviewer00004"
    query = parse_qs(parts.query)
    assert query["secret"] == [secret]
    assert query["issuer"] == ["CDHT Hà Nội"]
    assert (query["digits"], query["period"], query["algorithm"]) == (["6"], ["30"], ["SHA1"])
    assert totp.grouped("ABCDEFGHIJ") == "ABCD EFGH IJ"
