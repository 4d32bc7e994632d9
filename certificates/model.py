"""What a certificate prints: the frozen data snapshot recorded when it is issued."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

_DATE_FIELDS = ("date_of_birth", "decision_date", "signed_on")
_OPTIONAL_FIELDS = frozenset({"honorific", "authority", "signing_line"})


@dataclass(frozen=True)
class CertificateData:
    """Everything printed on one certificate, and nothing more (no CCCD)."""

    code: str
    register_number: str
    title: str
    year: int
    holder_name: str
    date_of_birth: date
    residence: str
    issuer_name: str
    issuer_display: str
    decision_number: str
    decision_date: date
    place: str
    signed_on: date
    signer_title: str
    signer_name: str
    verify_url: str
    # Added with the ward's signer (ADR 29); a snapshot written before them reads as these defaults.
    honorific: str = ""  # "Ông" or "Bà" from the recorded sex
    authority: str = ""  # who decides, as the signature block says: "Ủy ban nhân dân phường Ba Đình"
    signing_line: str = "TM. ỦY BAN NHÂN DÂN"

    def as_payload(self) -> dict[str, str | int]:
        """Return a JSON-ready dict of the fields, dates as ISO strings."""
        payload: dict[str, str | int] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            payload[field.name] = value.isoformat() if isinstance(value, date) else value
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> CertificateData:
        """Rebuild the data from a dict made by `as_payload`, checking every field's type."""
        names = {field.name for field in fields(cls)}
        missing = names - payload.keys() - _OPTIONAL_FIELDS
        unknown = payload.keys() - names
        if missing or unknown:
            raise ValueError(f"bad certificate payload: missing {sorted(missing)}, unknown {sorted(unknown)}")
        values: dict[str, Any] = {}
        for name in names & payload.keys():
            value = payload[name]
            if name in _DATE_FIELDS:
                if not isinstance(value, str):
                    raise ValueError(f"{name} must be an ISO date string")
                values[name] = date.fromisoformat(value)
            elif name == "year":
                # bool is an int subclass; a stored True must not become year 1.
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ValueError("year must be an integer")
                values[name] = value
            else:
                if not isinstance(value, str):
                    raise ValueError(f"{name} must be a string")
                values[name] = value
        return cls(**values)
