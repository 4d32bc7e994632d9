"""Assisted registration (ADR 25): ward officials register citizens of their ward one at a time or from a CSV file,
consent on paper noted and audited; the citizen sets a password with a one-time code that expires; imports are all
or nothing, idempotent by CCCD, and cost a bounded number of statements whatever their size."""

from datetime import timedelta

import pytest
from factories import cccd_for, citizen_data, make_citizen, make_staff
from sqlalchemy import event, update
from sqlmodel import Session, col, func, select

from workflows import accounts, activation, assisted
from workflows.clock import now
from workflows.errors import Conflict, Forbidden, Invalid
from workflows.models import ActivationCode, AuditEvent, Citizen, User

HEADER = "cccd,full_name,date_of_birth,sex,target_group,hamlet,phone,email,consent_reference\n"


GOOD = "song-hong-chay-qua-2026"  # a password the policy accepts


def _person(**overrides: object) -> dict[str, object]:
    data = citizen_data(consent_paper=True, consent_reference="PĐK-0001", hamlet="Tổ dân phố số 5")
    for key in ("password", "consent", "ward_code"):
        data.pop(key)
    data.update(overrides)
    return data


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _line(cccd: str, name: str = "Trần Thị Bình", dob: str = "1990-05-17", sex: str = "nam",
          group: str = "resident", hamlet: str = "Tổ dân phố số 5", reference: str = "") -> str:
    return f"{cccd},{name},{dob},{sex},{group},{hamlet},,,{reference}\n"


def _csv(*lines: str) -> bytes:
    return (HEADER + "".join(lines)).encode()


def test_staff_register_a_citizen_of_their_ward_with_paper_consent_audited(session: Session) -> None:
    reviewer = make_staff(session, "ward_reviewer")
    done = assisted.register(session, reviewer, _person())
    session.commit()
    citizen = session.get(Citizen, done.citizen.id)
    assert citizen is not None
    assert (citizen.ward_code, citizen.consent_channel, citizen.consent_reference, citizen.registered_by) == (
        "00004", "paper", "PĐK-0001", reviewer.user_id)
    assert citizen.hamlet == "Tổ dân phố số 5"
    audit = session.exec(select(AuditEvent).where(AuditEvent.entity_id == citizen.id)).one()
    assert (audit.actor_id, audit.actor_role, audit.event) == (reviewer.user_id, "ward_reviewer", "register")
    assert audit.detail["assisted"] is True and audit.detail["consent_channel"] == "paper"
    # No password works until the citizen activates the account.
    assert accounts.authenticate(session, citizen.cccd, "") is None
    assert len(activation.clean(done.code.code)) == activation.LENGTH
    assert done.code.expires_at - now() > timedelta(days=13)
    stored = session.exec(select(ActivationCode)).one()
    assert activation.clean(done.code.code) not in stored.code_hash  # only a digest is kept


def test_the_paper_consent_is_required_and_the_person_checked_as_in_self_registration(session: Session) -> None:
    chair = make_staff(session, "ward_chair")
    with pytest.raises(Invalid) as caught:
        assisted.register(session, chair, _person(consent_paper="", cccd="001090000001", date_of_birth="1991-01-01"))
    assert caught.value.fields == {"consent_paper": "paper_consent_required", "cccd": "cccd_birth_mismatch"}
    first = _person()
    assisted.register(session, chair, first)
    session.commit()
    with pytest.raises(Conflict):
        assisted.register(session, chair, first)


def test_another_ward_and_other_roles_are_refused(session: Session) -> None:
    reviewer = make_staff(session, "ward_reviewer")
    with pytest.raises(Forbidden) as other:
        assisted.register(session, reviewer, _person(ward_code="00070"))
    assert other.value.code == "other_ward"
    citizen, _ = make_citizen(session)
    for actor in (citizen, make_staff(session, "centre_staff"), make_staff(session, "city_admin", None)):
        with pytest.raises(Forbidden):
            assisted.register(session, actor, _person())
    assert _count(session, ActivationCode) == 0


def test_the_activation_code_sets_the_password_once_and_expires(session: Session) -> None:
    reviewer = make_staff(session, "ward_reviewer")
    done = assisted.register(session, reviewer, _person())
    later = assisted.register(session, reviewer, _person())
    session.commit()
    cccd = done.citizen.cccd
    with pytest.raises(Invalid) as wrong:
        activation.activate(session, {"cccd": cccd, "code": activation.clean(later.code.code), "password": GOOD})
    assert wrong.value.fields == {"code": "activation_code_invalid"}  # another citizen's code
    typed = done.code.code.lower().replace("-", " ")  # as typed from the paper
    user = activation.activate(session, {"cccd": cccd, "code": typed, "password": "hoa sen nở mùa hè 1"})
    session.commit()
    assert accounts.authenticate(session, cccd, "hoa sen nở mùa hè 1") is not None
    assert user.session_version == 2
    with pytest.raises(Invalid):  # used up
        activation.activate(session, {"cccd": cccd, "code": typed, "password": "another password"})
    session.rollback()
    session.execute(update(ActivationCode).values(expires_at=now() - timedelta(seconds=1)))
    session.commit()
    with pytest.raises(Invalid) as expired:
        activation.activate(session, {"cccd": later.citizen.cccd, "code": later.code.code, "password": GOOD})
    assert expired.value.fields == {"code": "activation_code_invalid"}
    events = session.exec(select(AuditEvent.event).where(AuditEvent.entity_id == user.id)).all()
    assert "activate" in events


def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row_and_column(session: Session) -> None:
    reviewer = make_staff(session, "ward_reviewer")
    good = cccd_for(1990)
    twin = cccd_for(1985, female=True)
    data = _csv(_line(good), _line(cccd_for(1990), dob="32/01/1990"), _line(twin, dob="03/04/1985", sex="Nữ"),
                _line(twin, dob="1985-04-03", sex="female"), _line(cccd_for(1990), sex="khác"),
                _line(cccd_for(1990), group="Nhóm lạ"))
    with pytest.raises(Invalid) as caught:
        assisted.parse(data)
    assert caught.value.fields == {"row.3": "date_format_csv", "row.5": "cccd_repeated", "row.6": "invalid_choice",
                                   "row.7": "invalid_choice"}
    assert caught.value.params["columns"] == {"row.3": "date_of_birth", "row.5": "cccd", "row.6": "sex",
                                              "row.7": "target_group"}
    assert _count(session, Citizen) == 0 and reviewer


def test_an_import_is_idempotent_a_dry_run_writes_nothing_and_conflicts_are_row_errors(session: Session) -> None:
    reviewer = make_staff(session, "ward_reviewer")
    groups = assisted.target_group_names({"resident": ["Người dân trong phường/xã"]})
    lines = [_line(cccd_for(1990), group="Người dân trong phường/xã", reference="PĐK-1"),
             _line(cccd_for(1970, female=True), name="Lê  Thị   Hoa", sex="nữ", dob="01/02/1970")]
    rows = assisted.parse(_csv(*lines), groups)
    dry = assisted.import_citizens(session, reviewer, "00004", rows, dry_run=True)
    session.rollback()
    assert (dry.rows, dry.created, dry.existing, dry.codes, dry.import_id) == (2, 2, 0, [], None)
    assert _count(session, Citizen) == _count(session, User) - 1 == 0
    report = assisted.import_citizens(session, reviewer, "00004", rows, file_name="to-5.csv")
    session.commit()
    assert (report.created, report.existing, len(report.codes)) == (2, 0, 2)
    assert report.codes[1].full_name == "Lê Thị Hoa" and report.codes[1].cccd_masked.count("*") == 6
    hoa = session.exec(select(Citizen).where(Citizen.full_name == "Lê Thị Hoa")).one()
    assert (hoa.sex, hoa.date_of_birth.isoformat(), hoa.consent_channel, hoa.registered_by) == (
        "female", "1970-02-01", "paper", reviewer.user_id)
    again = assisted.import_citizens(session, reviewer, "00004", assisted.parse(_csv(*lines), groups))
    session.commit()
    assert (again.created, again.existing, again.codes) == (0, 2, [])
    assert _count(session, Citizen) == 2 and _count(session, ActivationCode) == 2
    # The imported citizen activates like one registered at the desk.
    code = report.codes[1].code
    activation.activate(session, {"cccd": hoa.cccd, "code": code, "password": "mật khẩu của Hoa"})
    session.commit()
    # A person registered in another ward, or with other details, is a row error; nothing is written.
    _, elsewhere = make_citizen(session, ward="00070")
    changed = lines[0].replace("Trần Thị Bình", "Trần Thị Bính")
    with pytest.raises(Invalid) as caught:
        assisted.import_citizens(session, reviewer, "00004", assisted.parse(
            _csv(changed, _line(elsewhere, name="Nguyễn Văn An"), _line(cccd_for(1990))), groups))
    assert caught.value.fields == {"row.2": "cccd_other_details", "row.3": "cccd_other_ward"}
    session.rollback()
    assert _count(session, Citizen) == 3
    with pytest.raises(Forbidden):
        assisted.import_citizens(session, reviewer, "00070", rows)


def test_two_thousand_rows_cost_a_bounded_number_of_statements(session: Session) -> None:
    reviewer = make_staff(session, "ward_chair")
    lines = [_line(cccd_for(1960 + n % 40, female=n % 2 == 1), name=f"Người Thứ {n}",
                   dob=f"{1960 + n % 40}-03-0{1 + n % 9}", sex="nữ" if n % 2 else "nam") for n in range(2000)]
    rows = assisted.parse(_csv(*lines))
    engine = session.get_bind()
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        report = assisted.import_citizens(session, reviewer, "00004", rows)
        session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert report.created == 2000 and len(report.codes) == 2000
    assert len(statements) < 50, statements
    assert session.exec(select(func.count()).select_from(Citizen).where(col(Citizen.registered_by).is_not(None))
                        ).one() == 2000
