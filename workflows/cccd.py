"""The 12-digit CCCD (số định danh cá nhân): structure, agreement with birth data, masking."""

import re
import unicodedata
from datetime import date

from .vocabulary import Sex

_CCCD = re.compile(r"[0-9]{12}")
# The first three digits name the province of birth registration: only the 63 assigned codes exist
# (001 Hà Nội … 096 Cà Mau, with gaps); any other number from 000 to 999 is a typing mistake.
PROVINCE_CODES = frozenset({
    "001", "002", "004", "006", "008", "010", "011", "012", "014", "015", "017", "019", "020", "022", "024", "025",
    "026", "027", "030", "031", "033", "034", "035", "036", "037", "038", "040", "042", "044", "045", "046", "048",
    "049", "051", "052", "054", "056", "058", "060", "062", "064", "066", "067", "068", "070", "072", "074", "075",
    "077", "079", "080", "082", "083", "084", "086", "087", "089", "091", "092", "093", "094", "095", "096",
})


def clean(raw: str) -> str:
    """Drop the spaces, dots and hyphens people type inside numbers; full-width digits become ASCII."""
    return re.sub(r"[\s.\-]", "", unicodedata.normalize("NFKC", raw or ""))


def check(cccd: str, date_of_birth: date | None = None, sex: str | None = None) -> str | None:
    """Return an error code if the CCCD is malformed or disagrees with the birth date or sex, else None."""
    if not _CCCD.fullmatch(cccd):
        return "cccd_format"
    if cccd[:3] not in PROVINCE_CODES:
        return "cccd_province"
    century_sex = int(cccd[3])
    if century_sex > 9:
        return "cccd_format"
    if date_of_birth is not None:
        century = 1900 + 100 * (century_sex // 2)
        if century + int(cccd[4:6]) != date_of_birth.year:
            return "cccd_birth_mismatch"
    if sex in (Sex.MALE, Sex.FEMALE) and (century_sex % 2 == 1) != (sex == Sex.FEMALE):
        return "cccd_sex_mismatch"
    return None


def mask(cccd: str) -> str:
    """Show only the first three and last three digits: 001******345."""
    return f"{cccd[:3]}******{cccd[-3:]}" if len(cccd) == 12 else "************"
