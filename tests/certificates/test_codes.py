"""Verification codes: shape, alphabet, and forgiving normalisation of what people type."""

import re

import pytest

from certificates.codes import ALPHABET, new_code, normalise_code

CODE_RE = re.compile(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}")


def test_alphabet_is_crockford() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)


def test_new_code_shape_and_randomness() -> None:
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(CODE_RE.fullmatch(code) for code in codes)
    # Every symbol of the alphabet turns up in 2000 codes (20,000 draws): the draw is not biased to a subset.
    assert set("".join(codes).replace("-", "")) == set(ALPHABET)


def test_new_code_is_its_own_normal_form() -> None:
    for _ in range(200):
        code = new_code()
        assert normalise_code(code) == code


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7k3qw-m9txa", "7K3QW-M9TXA"),
        ("7K3QWM9TXA", "7K3QW-M9TXA"),
        (" 7k3 qw - m9 txa\n", "7K3QW-M9TXA"),
        ("1O0AB-CDEFG", "100AB-CDEFG"),
        ("abcdo-ilxyz", "ABCD0-11XYZ"),
        ("I0L0O-oOiIl", "10100-00111"),
    ],
)
def test_normalise_code_forgives_case_spaces_and_lookalikes(typed: str, expected: str) -> None:
    assert normalise_code(typed) == expected


def test_round_trip_with_typing_mistakes() -> None:
    for _ in range(200):
        code = new_code()
        mangled = code.lower().replace("0", "o").replace("1", "l").replace("-", " ")
        assert normalise_code(mangled) == code


@pytest.mark.parametrize(
    "typed",
    ["", "-----", "7K3QW-M9TX", "7K3QW-M9TXAB", "7K3QW-M9TXU", "7K3QW_M9TXA", "7K3QW-M9TXÁ", "7K3QW-M9TX!"],
)
def test_normalise_code_rejects_invalid(typed: str) -> None:
    with pytest.raises(ValueError, match="not a verification code"):
        normalise_code(typed)
