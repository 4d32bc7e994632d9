"""The 12-digit CCCD (số định danh cá nhân): structure, agreement with birth data, masking."""

import re
import unicodedata
from datetime import date

_CCCD = re.compile(r"[0-9]{12}")
# Old 63-province birth-registration codes run 001..096 with gaps; the structure is what we can check.
_MAX_PROVINCE = 96


def clean(raw: str) -> str:
    """Drop the spaces, dots and hyphens people type inside numbers; full-width digits become ASCII."""
    return re.sub(r"[\s.\-]", "", unicodedata.normalize("NFKC", raw or ""))


def check(cccd: str, date_of_birth: date | None = None, sex: str | None = None) -> str | None:
    """Return an error code if the CCCD is malformed or disagrees with the birth date or sex, else None."""
    if not _CCCD.fullmatch(cccd):
        return "cccd_format"
    province = int(cccd[:3])
    if not 1 <= province <= _MAX_PROVINCE:
        return "cccd_province"
    century_sex = int(cccd[3])
    if century_sex > 9:
        return "cccd_format"
    if date_of_birth is not None:
        century = 1900 + 100 * (century_sex // 2)
        if century + int(cccd[4:6]) != date_of_birth.year:
            return "cccd_birth_mismatch"
    if sex in ("male", "female") and (century_sex % 2 == 1) != (sex == "female"):
        return "cccd_sex_mismatch"
    return None


def mask(cccd: str) -> str:
    """Show only the first three and last three digits: 001******345."""
    return f"{cccd[:3]}******{cccd[-3:]}" if len(cccd) == 12 else "************"
