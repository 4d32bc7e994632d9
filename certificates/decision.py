"""What a recognition decision (Quyết định công nhận) prints, with its attached list (no database, no CCCD)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


def decision_storage_key(year: int, ward_code: str, decision_id: str) -> str:
    """Where a decision's PDF lives: one key per decision, written once."""
    return f"decisions/{year}/{ward_code}/{decision_id}.pdf"


@dataclass(frozen=True)
class ListedCitizen:
    """One row of the decision's attached list."""

    full_name: str
    date_of_birth: date
    sex: str  # "Nam" or "Nữ"
    hamlet: str  # tổ dân phố / thôn, "" when not known
    target_group: str  # as QĐ 324/QĐ-KHVN words it
    register_number: str


@dataclass(frozen=True)
class DecisionData:
    """Everything the decision document prints (the ward's signer as workflows.signers derives it)."""

    number: str
    year: int
    title: str
    signed_on: date
    issuer_name: str  # "PHƯỜNG BA ĐÌNH"
    unit: str  # "phường Ba Đình"
    place: str  # "Ba Đình"
    authority: str  # "Ủy ban nhân dân phường Ba Đình" or "Chủ tịch Ủy ban nhân dân phường Ba Đình"
    signing_line: str
    signer_title: str
    signer_name: str
    citizens: tuple[ListedCitizen, ...]

    @property
    def deciding_body(self) -> str:
        """The heading above the recitals, upper case: "ỦY BAN NHÂN DÂN PHƯỜNG BA ĐÌNH" or "CHỦ TỊCH ỦY BAN …"."""
        return self.authority.upper()
