"""Reference data every installation needs (wards, targets, criteria) and the demo data of `make run`."""

import hashlib
from dataclasses import dataclass

from sqlmodel import Session, col, select
from vietnam_provinces import Ward as OfficialWard

from . import campaigns, criteria
from .accounts import create_user
from .actors import SYSTEM_ACTOR
from .clock import today
from .digital import frameworks
from .models import Citizen, Population, Target, User, Ward
from .passwords import hash_password
from .registration import register_citizen
from .vocabulary import DenominatorMode, Role, Sex, TargetGroup, TargetIndicator, UnitIndicator

HANOI = 1
PLAN_52 = "Kế hoạch 52/KH-UBND (2024) của UBND thành phố Hà Nội"
MILESTONES = ((TargetIndicator.CDHT, 2025, 0.5), (TargetIndicator.CDHT, 2030, 0.7),
              (TargetIndicator.DIGITAL, 2025, 0.5), (TargetIndicator.DIGITAL, 2030, 0.7))
# The plan's unit-level milestones (DOMAIN §1), shares of the units counted with each figure; where the plan gives a
# range (80–85 %), its lower end.
UNIT_MILESTONES = ((UnitIndicator.CADRES_DIGITAL, 2025, 1.0), (UnitIndicator.CADRES_DATA, 2025, 0.5),
                   (UnitIndicator.SCHOOLS_DIGITAL, 2025, 0.8), (UnitIndicator.SCHOOLS_DIGITAL, 2030, 0.9),
                   (UnitIndicator.CENTRES_IT, 2025, 0.7), (UnitIndicator.CENTRES_IT, 2030, 0.9),
                   (UnitIndicator.SCHOOLS_STANDARD, 2025, 0.8), (UnitIndicator.SCHOOLS_STANDARD, 2030, 0.85),
                   (UnitIndicator.WORKERS_TRAINED, 2030, 0.8), (UnitIndicator.WORKERS_CERTIFIED, 2030, 0.6))


def seed_wards(session: Session) -> int:
    """Insert or update Hà Nội's wards from the vietnam-provinces package; return how many there are."""
    count = 0
    for official in OfficialWard.iter_by_province(HANOI):  # type: ignore[arg-type]
        code = f"{int(official.code):05d}"
        ward = session.get(Ward, code) or Ward(code=code, name="", division_type="", province_code="01")
        ward.name = official.name
        ward.division_type = str(official.division_type.value)
        session.add(ward)
        count += 1
    session.flush()
    return count


def seed_targets(session: Session) -> None:
    """Insert the Plan 52 milestones that are missing."""
    both = [(i, y, v, DenominatorMode.RESIDENTS_15_PLUS) for i, y, v in MILESTONES] + [
        (i, y, v, DenominatorMode.UNITS) for i, y, v in UNIT_MILESTONES]
    for indicator, year, value, mode in both:
        exists = session.exec(select(Target).where(Target.indicator == indicator, Target.year == year,
                                                   col(Target.superseded_at).is_(None))).first()
        if not exists:
            session.add(Target(indicator=indicator, year=year, value=value, source_document=PLAN_52,
                               denominator_mode=mode))
    session.flush()


def seed_reference(session: Session) -> int:
    """Everything a fresh installation needs before its first user."""
    wards = seed_wards(session)
    seed_targets(session)
    criteria.seed(session, SYSTEM_ACTOR)
    frameworks.register(session)
    return wards


@dataclass(frozen=True)
class DemoLogin:
    """A demo account printed by `make run`."""

    role: Role
    username: str
    password: str
    ward: str | None


DEMO_WARDS = ("00004", "00070")  # Phường Ba Đình, Phường Hoàn Kiếm


def seed_demo(session: Session, password: str, years: tuple[int, ...] = (2025, 2026)) -> list[DemoLogin]:
    """Create demo denominators and accounts once; later runs change nothing."""
    for ward in session.exec(select(Ward)).all():
        for year in years:
            if session.get(Population, (ward.code, year, DenominatorMode.RESIDENTS_15_PLUS)) is None:
                # Illustrative only: no official per-ward figures exist for the new units.
                size = 20_000 + int(hashlib.sha256(ward.code.encode()).hexdigest(), 16) % 60_000
                session.add(Population(ward_code=ward.code, year=year, population=size,
                                       source="Số liệu minh họa (demo), không phải số liệu chính thức"))
    logins = [DemoLogin(Role.CITY_ADMIN, "admin", password, None)]
    for code in DEMO_WARDS:
        logins += [DemoLogin(Role.WARD_REVIEWER, f"reviewer{code}", password, code),
                   DemoLogin(Role.WARD_CHAIR, f"chair{code}", password, code),
                   DemoLogin(Role.CENTRE_STAFF, f"centre{code}", password, code)]
    hashed = None  # the demo password, hashed once for every demo account (argon2 takes ~0.2 s a hash)
    for n, login in enumerate(logins, 1):
        if not session.exec(select(User.id).where(User.username == login.username)).first():
            hashed = hashed or hash_password(password)
            # Staff hold their own identity number, so the guard against deciding one's own application applies.
            create_user(session, username=login.username, password=password, role=login.role,
                        ward_code=login.ward, password_hash=hashed, cccd=f"00108099{n:04d}")
    citizen_cccd = "001190012345"
    if not session.exec(select(Citizen.id).where(Citizen.cccd == citizen_cccd)).first():
        register_citizen(session, {
            "cccd": citizen_cccd, "full_name": "Lê Hoàng Yến", "date_of_birth": "1990-05-17", "sex": Sex.FEMALE,
            "ward_code": DEMO_WARDS[0], "target_group": TargetGroup.RESIDENT, "password": password, "consent": True,
        })
    session.flush()
    campaigns.open_all_year(session, SYSTEM_ACTOR, today().year)  # the demo's year is open on any day of it
    return [DemoLogin(Role.CITIZEN, citizen_cccd, password, DEMO_WARDS[0]), *logins]


