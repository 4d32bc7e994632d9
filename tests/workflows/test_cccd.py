from datetime import date

import pytest

from workflows import cccd


@pytest.mark.parametrize(
    ("number", "dob", "sex", "expected"),
    [
        ("001090012345", date(1990, 1, 1), "male", None),
        ("001190012345", date(1990, 1, 1), "female", None),
        ("079203000001", date(2003, 6, 1), "male", None),
        ("001090012345", date(1991, 1, 1), "male", "cccd_birth_mismatch"),
        ("001290012345", date(1990, 1, 1), "male", "cccd_birth_mismatch"),
        ("001190012345", date(1990, 1, 1), "male", "cccd_sex_mismatch"),
        ("00109001234", None, None, "cccd_format"),
        ("00109001234A", None, None, "cccd_format"),
        ("000090012345", None, None, "cccd_province"),
        ("097090012345", None, None, "cccd_province"),
    ],
)
def test_check(number: str, dob: date | None, sex: str | None, expected: str | None) -> None:
    assert cccd.check(number, dob, sex) == expected


def test_clean_drops_separators() -> None:
    assert cccd.clean(" 001 090.012-345 ") == "001090012345"


def test_mask_keeps_three_each_side() -> None:
    assert cccd.mask("001090012345") == "001******345"
    assert "090012" not in cccd.mask("001090012345")
