"""Assisted registration (đăng ký hộ, ADR 25): a ward's officials register a citizen who lives in the ward on their
behalf, at the Trung tâm Phục vụ hành chính công or through the tổ dân phố/thôn, one at a time or from a CSV file.

The citizen signs the paper consent form; the official ticks that they did and may note the form's number. The
profile records the channel (`paper`), the number and who registered it, and the audit trail names the official.
The account has an unusable password and a one-time activation code (workflows.activation) with which the citizen
sets their own. The person's fields go through the same checks as self-registration (registration.check_person).

Imports are all or nothing: every row is checked, then compared with the profiles already registered (a few IN
queries for the whole file), before anything is written; one bad row names its number and column and imports
nothing. Idempotent by CCCD: a person already registered in the ward with the same details is counted as existing;
registered in another ward, or with other details, is a row error (a person is never overwritten silently). The new
logins, profiles, codes and audit rows are written in a few multi-row INSERTs, not one statement per row.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import update
from sqlmodel import Session, col, select

from . import activation, consent, csv_files, hamlets, names
from . import cccd as cccd_rules
from .accounts import create_user
from .actors import WARD_STAFF, Actor
from .cccd import mask
from .clock import now
from .db import IN_CHUNK, bulk_insert
from .errors import Conflict, Forbidden, Invalid
from .models import ActivationCode, AuditEvent, Citizen, ConsentRecord, User, Ward
from .models.ids import new_id
from .passwords import is_usable, unusable_hash
from .registration import (
    CONSENT_VERSION,
    PAPER,
    PERSON_FIELDS,
    Person,
    check_person,
    citizen_row,
    ensure_new,
    placed,
    record_consents,
)
from .validation import FieldErrors
from .vocabulary import Entity, Event, Role, Sex, TargetGroup

TICKED = (True, "true", "on", "1", "yes")
REFERENCE_MAX = 100
HEADER = ("cccd", "full_name", "date_of_birth", "sex", "target_group", "hamlet", "phone", "email",
          "consent_reference")
MAX_ROWS = 20_000  # a ward's drive at the service centre or through its tổ dân phố/thôn, in one file
WRITE_CHUNK = 5_000  # rows per INSERT
SEXES = {"nam": Sex.MALE.value, "male": Sex.MALE.value, "nu": Sex.FEMALE.value, "female": Sex.FEMALE.value}


def authorise(actor: Actor, ward_code: str | None) -> str:
    """The ward's reviewers and chair register the citizens of their own ward; return that ward."""
    if actor.role not in WARD_STAFF or not actor.ward_code:
        raise Forbidden("role_not_allowed")
    if ward_code and ward_code != actor.ward_code:
        raise Forbidden("other_ward")
    return actor.ward_code


def checked_at_desk(session: Session, ward_code: str, data: Mapping[str, Any],
                    more: FieldErrors | None = None) -> tuple[Person, str | None]:
    """The person's fields as the desk takes them (self-registration's checks, the paper consent ticked, its form's
    number), placed in the ward's tổ dân phố/thôn; Invalid naming every bad field, `more`'s too."""
    errors = more if more is not None else FieldErrors()
    person = check_person(data, errors)
    if data.get("consent_paper") not in TICKED:
        errors["consent_paper"] = "paper_consent_required"
    reference = errors.text(data, "consent_reference", REFERENCE_MAX, required=False)
    if person is not None:
        try:
            person = placed(hamlets.Resolver(session, ward_code), person)
        except Invalid as exc:
            errors.update(exc.fields)
    if errors:
        raise errors.invalid()
    assert person is not None
    return person, reference


@dataclass(frozen=True)
class Registered:
    """A citizen registered by staff, and the activation code to give them (shown once, never stored)."""

    citizen: Citizen
    code: activation.Issued


def register(session: Session, actor: Actor, data: Mapping[str, Any]) -> Registered:
    """Register one citizen of the official's ward (the fields of self-registration without the password, and
    `consent_paper` ticked, `consent_reference` optional); Invalid or Conflict writing nothing."""
    ward_code = authorise(actor, str(data.get("ward_code") or "") or None)
    person, reference = checked_at_desk(session, ward_code, data)
    ensure_new(session, person.cccd)
    user = create_user(session, username=person.cccd, password="", password_hash=unusable_hash(),
                       role=Role.CITIZEN, display_name=person.full_name, by=actor)
    moment = now()
    citizen = Citizen(**citizen_row(person, user_id=user.id, ward_code=ward_code, at=moment, consent_channel=PAPER,
                                    consent_reference=reference, registered_by=actor.user_id))
    session.add(citizen)
    session.flush()
    record_consents(session, [(citizen.id, reference, actor.user_id)], channel=PAPER, at=moment)
    session.add(AuditEvent(at=moment, actor_id=actor.user_id, actor_role=actor.role.value,
                           entity_type=Entity.CITIZEN.value, entity_id=citizen.id, event=Event.REGISTER.value,
                           detail=_detail(ward_code, reference)))
    return Registered(citizen, activation.issue(session, user.id, actor.user_id))


def reissue(session: Session, actor: Actor, cccd: str, *, identity_checked: bool = False) -> Registered:
    """A new activation code for a citizen of the official's ward who has not set a password yet (the first was
    lost or expired), or who forgot theirs once the official has checked their CCCD card at the desk
    (`identity_checked`); the earlier codes stop working, and using the code signs every device out. Invalid when
    no such citizen lives in the ward, Conflict when the account is in use and the identity was not checked."""
    ward_code = authorise(actor, None)
    citizen = session.exec(select(Citizen).where(Citizen.cccd == cccd_rules.clean(cccd),
                                                 Citizen.ward_code == ward_code)).first()
    user = session.get(User, citizen.user_id) if citizen is not None else None
    if citizen is None or user is None:
        raise Invalid(fields={"cccd": "citizen_not_in_ward"})
    in_use = is_usable(user.password_hash)
    if in_use and not identity_checked:
        raise Conflict("already_activated", fields={"cccd": "already_activated"})
    moment = now()
    session.execute(update(ActivationCode).where(col(ActivationCode.user_id) == user.id,
                                                 col(ActivationCode.used_at).is_(None),
                                                 col(ActivationCode.expires_at) > moment).values(expires_at=moment))
    session.add(AuditEvent(at=moment, actor_id=actor.user_id, actor_role=actor.role.value,
                           entity_type=Entity.USER.value, entity_id=user.id, event=Event.ACTIVATION_CODE.value,
                           detail={"ward_code": ward_code} | ({"password_reset": True, "identity_checked": True}
                                                               if in_use else {})))
    return Registered(citizen, activation.issue(session, user.id, actor.user_id))


def _detail(ward_code: str, reference: str | None, **more: Any) -> dict[str, Any]:
    return {"assisted": True, "consent_channel": PAPER, "consent_reference": reference,
            "consent_version": CONSENT_VERSION, "purposes": list(consent.current().purposes), "ward_code": ward_code,
            **more}


# --- imports -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One checked row of a ward's file of citizens."""

    number: int
    person: Person
    consent_reference: str | None


@dataclass(frozen=True)
class Code:
    """One line of the printed list of activation codes."""

    cccd_masked: str
    full_name: str
    code: str


@dataclass
class Report:
    """What an import did (or, in a dry run, would do). A dry run lists no codes."""

    rows: int = 0
    created: int = 0
    existing: int = 0  # already registered in the ward with the same details
    dry_run: bool = False
    import_id: str | None = None
    codes: list[Code] = field(default_factory=list)
    expires_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        """The API's answer."""
        return {"rows": self.rows, "created": self.created, "existing": self.existing, "dry_run": self.dry_run,
                "import_id": self.import_id,
                "activation_expires_at": self.expires_at.isoformat() if self.expires_at else None,
                "codes": [{"cccd_masked": c.cccd_masked, "full_name": c.full_name, "activation_code": c.code}
                          for c in self.codes]}


def target_group_names(labels: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Folded names a file may give a target group by (its code, and each label given per code) → the code."""
    found = {names.fold(g.value): g.value for g in TargetGroup}
    for code, texts in labels.items():
        for text in texts:
            found[names.fold(text)] = code
    return found


def parse(data: bytes, groups: Mapping[str, str] | None = None) -> list[Row]:
    """Read and check a file (UTF-8, header cccd,full_name,date_of_birth,sex,target_group,hamlet,phone,email,
    consent_reference): dates YYYY-MM-DD or DD/MM/YYYY, sex nam/nữ or male/female, the target group by its code or a
    name in `groups` (target_group_names). Invalid naming each bad row as `row.N` (the header is row 1) with its
    code, the column at fault in the `columns` param; or the file itself as `file`."""
    groups = groups or target_group_names({})
    errors: dict[str, str] = {}
    columns: dict[str, str] = {}
    rows: list[Row] = []
    seen: set[str] = set()
    for number, record in csv_files.records(data, HEADER, MAX_ROWS, errors):
        key = f"row.{number}"
        cells = dict(zip(HEADER, record, strict=True))
        fields: dict[str, Any] = {name: cells[name] for name in PERSON_FIELDS}
        problems = FieldErrors()
        if cells["date_of_birth"]:
            fields["date_of_birth"] = csv_files.calendar_date(cells["date_of_birth"])
            if fields["date_of_birth"] is None:
                problems["date_of_birth"] = "date_format_csv"
        fields["sex"] = SEXES.get(names.fold(cells["sex"]), cells["sex"])
        fields["target_group"] = groups.get(names.fold(cells["target_group"]), cells["target_group"])
        person = check_person(fields, problems)
        reference = problems.text(cells, "consent_reference", REFERENCE_MAX, required=False)
        if person is not None and person.cccd in seen:
            problems["cccd"] = "cccd_repeated"  # the same person twice: which row is right?
        if problems:
            column = next(name for name in HEADER if name in problems)
            errors[key], columns[key] = problems[column], column
            continue
        assert person is not None
        seen.add(person.cccd)
        rows.append(Row(number, person, reference))
    if errors:
        raise Invalid(fields=errors, columns=columns)
    if not rows:
        raise Invalid(fields={"file": "no_rows"})
    return rows


def _registered(session: Session, cccds: Sequence[str]) -> tuple[dict[str, Any], set[str]]:
    """The profiles with these CCCDs, and the logins named by them, in a few IN queries."""
    profiles: dict[str, Any] = {}
    logins: set[str] = set()
    for start in range(0, len(cccds), IN_CHUNK):
        chunk = cccds[start:start + IN_CHUNK]
        profiles.update((r.cccd, r) for r in session.execute(
            select(col(Citizen.cccd), col(Citizen.ward_code), *(col(getattr(Citizen, n)) for n in PERSON_FIELDS
                                                                 if n != "cccd"))
            .where(col(Citizen.cccd).in_(chunk))))
        logins.update(session.execute(select(col(User.username)).where(col(User.username).in_(chunk))).scalars())
    return profiles, logins


def import_citizens(session: Session, actor: Actor, ward_code: str, rows: Sequence[Row], *, file_name: str = "",
                    dry_run: bool = False) -> Report:
    """Register the file's new citizens in the ward (see the module). The caller commits or, for a dry run (which
    does the same work, so its counts are exact, and lists no codes), rolls back."""
    authorise(actor, ward_code)
    if session.get(Ward, ward_code) is None:
        raise Invalid(fields={"ward_code": "unknown_ward"})
    report = Report(rows=len(rows), dry_run=dry_run)
    profiles, logins = _registered(session, [r.person.cccd for r in rows])
    errors: dict[str, str] = {}
    columns: dict[str, str] = {}
    new: list[Row] = []
    resolver = hamlets.Resolver(session, ward_code)  # the ward's tổ dân phố / thôn, read once (ADR 26)
    placed_rows: list[Row] = []
    for row in rows:
        try:
            placed_rows.append(replace(row, person=placed(resolver, row.person)))
        except Invalid as exc:
            errors[f"row.{row.number}"], columns[f"row.{row.number}"] = exc.fields["hamlet"], "hamlet"
    if errors:
        raise Invalid(fields=errors, columns=columns)
    for row in placed_rows:
        known = profiles.get(row.person.cccd)
        if known is None and row.person.cccd in logins:
            errors[f"row.{row.number}"] = "cccd_exists"  # a login without a profile: never taken over
        elif known is None:
            new.append(row)
        elif known.ward_code != ward_code:
            errors[f"row.{row.number}"] = "cccd_other_ward"
        elif row.person.differs_from(known):
            errors[f"row.{row.number}"] = "cccd_other_details"
        else:
            report.existing += 1
    if errors:
        raise Invalid(fields=errors, columns=dict.fromkeys(errors, "cccd"))
    moment = now()
    import_id = new_id()
    users: list[dict[str, Any]] = []
    citizens: list[dict[str, Any]] = []
    codes: list[dict[str, Any]] = []
    audit: list[dict[str, Any]] = []
    for row in new:
        user_id = new_id()
        users.append({"id": user_id, "username": row.person.cccd, "password_hash": unusable_hash(),
                      "role": Role.CITIZEN.value, "ward_code": None, "display_name": row.person.full_name,
                      "cccd": None, "active": True, "session_version": 1, "created_at": moment})
        citizen = citizen_row(row.person, user_id=user_id, ward_code=ward_code, at=moment, consent_channel=PAPER,
                              consent_reference=row.consent_reference, registered_by=actor.user_id)
        citizens.append(citizen)
        issued, code = activation.code_row(user_id, actor.user_id, moment)
        codes.append(code)
        if not dry_run:
            report.codes.append(Code(mask(row.person.cccd), row.person.full_name, issued.code))
            report.expires_at = issued.expires_at
        audit.append({"at": moment, "actor_id": actor.user_id, "actor_role": actor.role.value,
                      "entity_type": Entity.CITIZEN.value, "entity_id": citizen["id"], "event": Event.REGISTER.value,
                      "from_state": None, "to_state": None,
                      "detail": _detail(ward_code, row.consent_reference, import_id=import_id)})
    audit.append({"at": moment, "actor_id": actor.user_id, "actor_role": actor.role.value,
                  "entity_type": Entity.CITIZEN.value, "entity_id": import_id, "event": Event.IMPORT.value,
                  "from_state": None, "to_state": None,
                  "detail": {"ward_code": ward_code, "file_name": file_name[:200], "rows": report.rows,
                             "created": len(new), "existing": report.existing}})
    consents = consent.rows([(c["id"], c["consent_reference"], actor.user_id) for c in citizens], channel=PAPER,
                            at=moment)
    for model, written in ((User, users), (Citizen, citizens), (ConsentRecord, consents), (ActivationCode, codes),
                           (AuditEvent, audit)):
        for start in range(0, len(written), WRITE_CHUNK):
            bulk_insert(session, cast(Any, model).__table__, written[start:start + WRITE_CHUNK])
    report.created = len(new)
    report.import_id = None if dry_run else import_id
    return report
