"""Identity numbers at rest (ADR 42): the database alone does not reveal a CCCD; the app still finds people by it."""

import pytest
from factories import PASSWORD, cccd_for, citizen_data, make_staff
from flask import Flask
from sqlalchemy import text
from sqlmodel import Session

from workflows import accounts, assisted
from workflows.demo_ward import PEOPLE
from workflows.errors import Invalid
from workflows.identity_seal import MARK, Seal, derive_key
from workflows.models import metadata


def _every_stored_value(session: Session) -> str:
    """Every row of every table, as text: what someone holding only the database (or a dump of it) sees."""
    conn = session.connection()
    return "\n".join(str(tuple(row)) for table in metadata.sorted_tables
                     for row in conn.exec_driver_sql(f'SELECT * FROM "{table.name}"'))


def test_no_table_holds_an_identity_number_in_clear(api, web: Flask, session: Session) -> None:
    assert web.test_cli_runner().invoke(args=["demo", "--password", PASSWORD]).exit_code == 0
    data = citizen_data()
    registered = api.call("POST", "/api/v1/citizens", json=data)
    assert registered.status_code == 201
    assert registered.json["cccd_masked"] == f"{data['cccd'][:3]}******{data['cccd'][-3:]}"
    staff_cccd = "001085000777"
    desk = make_staff(session, "ward_reviewer", username="rev-at-rest", cccd=staff_cccd)
    imported = [cccd_for(1970), cccd_for(1971)]  # a ward's file: written in one multi-row INSERT (unnest arrays)
    rows = assisted.parse(("cccd,full_name,date_of_birth,sex,target_group,hamlet,phone,email,consent_reference\n"
                           f"{imported[0]},Lê Văn Một,1970-02-03,nam,resident,,,,\n"
                           f"{imported[1]},Lê Văn Hai,1971-02-03,nam,resident,,,,\n").encode())
    assert assisted.import_citizens(session, desk, "00004", rows).created == 2
    session.commit()
    numbers = [p.cccd for p in PEOPLE] + [data["cccd"], staff_cccd, *imported]
    dump = _every_stored_value(session)
    assert MARK in dump
    assert [n for n in numbers if n in dump] == []
    # The people are still found by their numbers: sign-in (the username is the CCCD), the ward's lookup.
    assert api.token(data["cccd"], PASSWORD)
    assert assisted.import_citizens(session, desk, "00004", rows).existing == 2  # found again by their numbers
    session.rollback()
    assert api.call("GET", "/api/v1/me", api.token(PEOPLE[0].cccd, PASSWORD)).status_code == 200
    stored = session.execute(text("SELECT cccd FROM citizen")).scalars().all()
    assert all(value.startswith(MARK) and len(value) == 39 for value in stored)


def test_a_seal_is_the_same_for_a_number_and_opens_with_its_key_only() -> None:
    seal = Seal(derive_key(b"one key of at least thirty-two bytes"))
    other = Seal(derive_key(b"another key, 32 bytes or more"))
    sealed = seal.seal("001090000123")
    assert sealed == seal.seal("001090000123") != seal.seal("001090000124")  # a lookup seals the number it seeks
    assert sealed != other.seal("001090000123")  # the tag is keyed: no guessing a number without the key
    assert seal.unseal(sealed) == "001090000123"
    with pytest.raises(ValueError, match="another key"):
        other.unseal(sealed)
    with pytest.raises(ValueError, match="another key"):
        seal.unseal(sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1])  # altered: refused
    assert seal.bind("reviewer00004") == "reviewer00004" and seal.read("reviewer00004") == "reviewer00004"


@pytest.mark.parametrize("username", ["001090000123", "~abc", "Trần Thu", ""])
def test_a_staff_username_is_never_mistaken_for_an_identity_number(session: Session, username: str) -> None:
    with pytest.raises(Invalid) as refused:
        accounts.create_user(session, username=username, password=PASSWORD, role="city_admin")
    assert "username" in refused.value.fields
