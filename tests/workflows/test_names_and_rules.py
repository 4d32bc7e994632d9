from workflows import names
from workflows.criteria import assess
from workflows.models import CriteriaSet

CODES = ["I.1", "I.2", "I.3", "I.4", "II.1", "II.2", "II.3", "II.4", "III.1", "III.2"]
CSET = CriteriaSet(code="t", title_type="cdht", name="t", source_document="t", valid_from_year=2024, pass_total=80,
                   pass_min_indicator=5)


def test_names_are_nfc_and_fold_without_diacritics() -> None:
    decomposed = "Nguye\u0302\u0303n  Va\u0306n   An"
    assert names.normalise(decomposed) == "Nguyễn Văn An"
    assert names.fold("Nguyễn Văn Đức") == "nguyen van duc"


def test_pass_rule_needs_total_80_and_each_at_least_5() -> None:
    assert assess(CSET, CODES, dict.fromkeys(CODES, 8)).passed
    low_one = dict.fromkeys(CODES, 9) | {"II.2": 4}
    result = assess(CSET, CODES, low_one)
    assert not result.passed and result.below_minimum == ("II.2",) and result.total == 85
    assert not assess(CSET, CODES, dict.fromkeys(CODES, 7)).passed  # total 70
    missing = assess(CSET, CODES, dict.fromkeys(CODES[:9], 10))
    assert not missing.passed and missing.missing == ("III.2",)


def test_pass_rule_thresholds_are_data() -> None:
    lenient = CSET.model_copy(update={"pass_total": 70})
    assert assess(lenient, CODES, dict.fromkeys(CODES, 7)).passed
