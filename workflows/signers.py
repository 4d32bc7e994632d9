"""Who issues and who signs a ward's papers (its decisions and certificates): data per ward, with defaults.

A ward's People's Committee issues; its chair signs on the committee's behalf ("TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH"),
or a deputy signs for the chair ("KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"). The authority named in the text follows the
signature block: the committee (TM.) or its chair (KT.). Nghị định 30/2020/NĐ-CP, Phụ lục I.
"""

from dataclasses import dataclass
from enum import StrEnum

from .models import Ward

PROVINCE = "Hà Nội"
_UNIT_WORDS = ("phường", "xã", "thị trấn")


class SigningMode(StrEnum):
    """How the ward's papers are signed (the `ward.signing_mode` column)."""

    ON_BEHALF = "tm"  # TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH: the chair signs for the committee
    FOR_CHAIR = "kt"  # KT. CHỦ TỊCH / PHÓ CHỦ TỊCH: a deputy signs for the chair


_BLOCKS = {SigningMode.ON_BEHALF: ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
           SigningMode.FOR_CHAIR: ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")}


@dataclass(frozen=True)
class Signer:
    """What a ward's paper prints about who issues it and who signs it."""

    issuer_name: str  # the heading's unit line, upper case: "PHƯỜNG BA ĐÌNH" (under "ỦY BAN NHÂN DÂN")
    unit: str  # the unit in running text: "phường Ba Đình", "xã Yên Xuân"
    place: str  # the date line's place: the ward's own name, "Ba Đình"
    authority: str  # who decides, in running text: "Ủy ban nhân dân phường Ba Đình" (TM.) or "Chủ tịch Ủy ban …" (KT.)
    signing_line: str  # "TM. ỦY BAN NHÂN DÂN" or "KT. CHỦ TỊCH"
    signer_title: str  # "CHỦ TỊCH" or "PHÓ CHỦ TỊCH"

    @property
    def residence(self) -> str:
        """Where a holder of the ward lives, as the certificate prints it."""
        return f"{self.unit}, thành phố {PROVINCE}"


def split_name(name: str, division_type: str = "") -> tuple[str, str]:
    """The unit word (lower case) and the ward's own name: ("phường", "Ba Đình") from "Phường Ba Đình"."""
    name = " ".join(name.split())
    words = (division_type.lower(), *_UNIT_WORDS) if division_type else _UNIT_WORDS
    for word in words:
        if word and name.lower().startswith(word + " "):
            return word, name[len(word) + 1:]
    return (division_type.lower() or "phường"), name


def signer_from(name: str, division_type: str = "", *, issuer_name: str | None = None,
                signing_mode: str = SigningMode.ON_BEHALF, signer_title: str | None = None) -> Signer:
    """The signer of a ward from its name and type, and the ward's own settings where it has them."""
    word, own = split_name(name, division_type)
    unit = f"{word} {own}"
    mode = SigningMode(signing_mode)
    line, title = _BLOCKS[mode]
    committee = f"Ủy ban nhân dân {unit}"
    authority = committee if mode is SigningMode.ON_BEHALF else f"Chủ tịch {committee}"
    return Signer(issuer_name=(issuer_name or unit).upper(), unit=unit, place=own, authority=authority,
                  signing_line=line, signer_title=(signer_title or title).upper())


def ward_signer(ward: Ward) -> Signer:
    """The signer of a ward's papers as its row sets them (defaults: the chair, for the committee)."""
    return signer_from(ward.name, ward.division_type, issuer_name=ward.issuer_name,
                       signing_mode=ward.signing_mode, signer_title=ward.signer_title)
