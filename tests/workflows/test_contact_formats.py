"""Phone numbers and e-mail addresses are checked for Vietnamese formats and kept in one spelling."""

import pytest
from factories import citizen_data
from sqlmodel import Session

from workflows.errors import Invalid
from workflows.models import Citizen
from workflows.registration import register_citizen, vietnamese_phone


@pytest.mark.parametrize(("typed", "kept"), [
    ("0912 345 678", "0912345678"), ("+84 912.345.678", "0912345678"), ("84912345678", "0912345678"),
    ("(024) 3825-1234", "02438251234"), ("0388123456", "0388123456"),
    ("0123456789", None), ("091234567", None), ("09123456789", None), ("1900 1234", None), ("abc", None)])
def test_vietnamese_phone_numbers(typed: str, kept: str | None) -> None:
    assert vietnamese_phone(typed) == kept


def test_registration_checks_and_normalises_contact_details(session: Session) -> None:
    with pytest.raises(Invalid) as bad:
        register_citizen(session, citizen_data(phone="12345", email="an@gmail"))
    assert bad.value.fields == {"phone": "phone_format", "email": "email_format"}
    citizen = register_citizen(session, citizen_data(phone="+84 912 345 678", email="An.Nguyen@Gmail.com"))
    session.commit()
    stored = session.get(Citizen, citizen.id)
    assert (stored.phone, stored.email) == ("0912345678", "an.nguyen@gmail.com")
