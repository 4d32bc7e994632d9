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


# The 63 province codes assigned to birth registrations; every other 3-digit prefix is refused.
ASSIGNED = ["001", "002", "004", "006", "008", "010", "011", "012", "014", "015", "017", "019", "020", "022", "024",
            "025", "026", "027", "030", "031", "033", "034", "035", "036", "037", "038", "040", "042", "044", "045",
            "046", "048", "049", "051", "052", "054", "056", "058", "060", "062", "064", "066", "067", "068", "070",
            "072", "074", "075", "077", "079", "080", "082", "083", "084", "086", "087", "089", "091", "092", "093",
            "094", "095", "096"]


def test_only_the_63_assigned_province_codes_pass() -> None:
    assert len(ASSIGNED) == 63
    for prefix in (f"{n:03d}" for n in range(1000)):
        expected = None if prefix in ASSIGNED else "cccd_province"
        assert cccd.check(f"{prefix}090012345") == expected, prefix


@pytest.mark.parametrize("prefix", ["003", "005", "009", "013", "050", "090", "097"])
def test_gaps_between_assigned_codes_are_refused(prefix: str) -> None:
    assert cccd.check(f"{prefix}090012345", date(1990, 1, 1), "male") == "cccd_province"
