"""Roll-up counters (ADR 10): moved by the transactions that move live certificates, never without them."""

import itertools
import random
import sqlite3
import threading
import time
from collections import Counter
from contextlib import closing
from datetime import date

import holders
import pytest
from alembic import command
from factories import cccd_for, make_staff
from flask import Flask
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from webapp.cli import alembic_config
from workflows import application_counters, holder_counters, issuance, recount, rollup_counters
from workflows.actors import Actor
from workflows.clock import now, today
from workflows.criteria import current_set
from workflows.decisions import record_decision
from workflows.errors import Conflict, Invalid
from workflows.inputs import DecisionInput, RevocationInput, parse
from workflows.models import Application, Certificate, Citizen, DigitalCounter, RollupCounter, User, Ward
from workflows.models.ids import new_id
from workflows.passwords import dummy_hash
from workflows.vocabulary import TitleType

OPERATIONS = 2000
CDHT = TitleType.CDHT.value
Key = tuple[str, int, str]
_codes = itertools.count(1)


def _new_code() -> str:
    return f"RC{next(_codes):09d}"


def _url(code: str) -> str:
    return f"http://cdht.test/verify/{code}"


class Failure(RuntimeError):
    """A failure injected half way through a decision (a crash after some certificates are written)."""


def _wards(session: Session, n: int) -> list[str]:
    return list(session.exec(select(Ward.code).where(Ward.active == True).order_by(col(Ward.code)).limit(n)))  # noqa: E712


GROUPS = ("resident", "worker", "staff", "learner")
HAMLETS = ("Tổ dân phố số 1", "Tổ dân phố số 2", "Thôn Đông", None)


def _approved(session: Session, ward: str, year: int, n: int, *, children: bool = True) -> list[str]:
    """N approved applications of a ward and year as direct rows (this tests counting, not reviewing), of people of
    every age from 8 to 85 (some under 15; from 16 without `children`), both sexes, every target group and some tổ
    dân phố/thôn."""
    cset = current_set(session, CDHT, year)
    assert cset is not None
    at, users, citizens, apps = now(), [], [], []
    for i in range(n):  # Core inserts: thousands of rows in a second
        born, female, group, hamlet = year - (8 if children else 16) - (i * 7) % 70, i % 2 == 1, GROUPS[i % 4], \
            HAMLETS[i % 5 % 4]
        cccd, user_id, citizen_id = cccd_for(born, female), new_id(), new_id()
        users.append({"id": user_id, "username": cccd, "password_hash": dummy_hash(), "role": "citizen",
                      "display_name": "", "active": True, "session_version": 1, "created_at": at})
        citizens.append({"id": citizen_id, "user_id": user_id, "cccd": cccd, "full_name": "Lê Thị Ánh",
                         "name_folded": "le thi anh", "date_of_birth": date(born, 3, 4),
                         "sex": "female" if female else "male", "ward_code": ward, "target_group": group,
                         "hamlet": hamlet, "consent_at": at, "consent_version": "t", "created_at": at})
        apps.append({"id": new_id(), "citizen_id": citizen_id, "ward_code": ward, "criteria_set_id": cset.id,
                     "title_type": CDHT, "year": year, "target_group": group, "hamlet": hamlet, "state": "approved",
                     "version": 3, "self_scores": {}, "reviewer_scores": {}, "created_at": at, "updated_at": at})
    for model, rows in ((User, users), (Citizen, citizens), (Application, apps)):
        session.execute(insert(model), rows)
    application_counters.move(session, [(ward, year, "approved", n)])  # as a bulk load counts what it loads
    session.commit()
    return [a["id"] for a in apps]


def _decision(year: int, number: str, ids: list[str]) -> DecisionInput:
    signed = today() if year == today().year else date(year, 12, 15)
    return parse(DecisionInput, {"year": year, "number": number, "signed_on": signed.isoformat(),
                                 "signer_name": "Nguyễn Văn Thắng", "application_ids": ids})


def _issue(session: Session, ids: list[str]) -> list[tuple[str, str]]:
    """What workers do, for a few certificates in one transaction: claim and complete (the render is not under
    test); return their codes and wards."""
    done = []
    for cert_id in ids:
        cert = issuance.claim(session, cert_id)
        assert cert is not None
        issuance.complete(session, cert, claimed_version=cert.version, storage_key="k", sha256="0" * 64,
                          signature="s", key_id="test")
        done.append((cert.code, cert.ward_code))
    session.commit()
    return done


def _stored(session: Session) -> dict[Key, int]:
    rows = session.exec(select(RollupCounter)).all()
    return {(r.ward_code, r.year, r.title_type): r.live for r in rows if r.live}


def _counted(session: Session) -> dict[Key, int]:
    rows = session.exec(select(Certificate).where(col(Certificate.live_key).is_not(None))).all()
    return dict(Counter((c.ward_code, c.year, c.title_type) for c in rows))


def test_random_operations_leave_no_difference(session: Session) -> None:
    """Decisions of random sizes in random wards and years, revocations, and attempts that fail or roll back:
    the counters always equal a recount, and equal what the committed operations should have made them."""
    rng = random.Random(20261127)
    years = (today().year - 1, today().year)
    wards = _wards(session, 4)
    chairs = {w: make_staff(session, "ward_chair", ward=w) for w in wards}
    admin = make_staff(session, "city_admin", ward=None)
    pool = {(w, y): _approved(session, w, y, 300) for w in wards for y in years}
    numbers = itertools.count(1)
    expected: Counter[Key] = Counter()
    queued: list[str] = []  # live certificates not yet issued (ids)
    issued: list[tuple[str, str]] = []  # live issued certificates (code, ward)
    revoked: list[tuple[str, str]] = []
    done: Counter[str] = Counter()

    def decide(kind: str) -> None:
        ward, year = rng.choice(wards), rng.choice(years)
        available = pool[ward, year]
        size = min(len(available), rng.randint(1, 8))
        if size == 0:
            return
        ids = rng.sample(available, size)
        data = _decision(year, f"{next(numbers)}/QĐ-UBND", ids)
        new_code = _new_code
        if kind == "crash":  # fails after writing some of its certificates' codes
            stop = rng.randint(1, size)
            calls = itertools.count(1)

            def new_code() -> str:
                if next(calls) == stop:
                    raise Failure
                return _new_code()
        elif kind == "duplicate":  # the database refuses one row when the decision is flushed
            taken = session.exec(select(Certificate.code).limit(1)).first()
            if taken is None:
                return
            spot, calls = rng.randint(1, size), itertools.count(1)

            def new_code() -> str:
                return taken if next(calls) == spot else _new_code()
        elif kind == "refused":  # one application is already recognised: nothing may be written
            recognised = session.exec(select(Certificate.application_id).where(
                Certificate.ward_code == ward)).first()
            if recognised is None:
                return
            ids.insert(rng.randint(0, len(ids)), recognised)
            data = _decision(year, f"{next(numbers)}/QĐ-UBND", ids)
        try:
            _decision_row, certs = record_decision(session, chairs[ward], data, new_code=new_code, verify_url=_url)
        except (Failure, IntegrityError, Invalid):
            assert kind in ("crash", "duplicate", "refused")
            session.rollback()
            done[kind] += 1
            return
        assert kind in ("ok", "rehearsal", "refused")
        if kind == "rehearsal":  # recorded, then never committed
            session.rollback()
            done[kind] += 1
            return
        session.commit()
        done["decided"] += 1
        for app_id in ids:
            available.remove(app_id)
        expected[ward, year, CDHT] += len(certs)
        queued.extend(c.id for c in certs)

    def revoke(kind: str) -> None:
        if kind == "twice" and revoked:
            code, ward = rng.choice(revoked)
            with pytest.raises(Conflict):
                issuance.revoke(session, chairs[ward], code, parse(RevocationInput, {"reason": "Lần hai"}))
            session.rollback()
            done[kind] += 1
            return
        if queued and (not issued or rng.random() < 0.5):
            batch = [queued.pop(rng.randrange(len(queued)))]
            cert = session.get(Certificate, batch[0])
            assert cert is not None
            if rng.random() < 0.2:  # not issued yet: refused, nothing moves
                with pytest.raises(Conflict):
                    issuance.revoke(session, admin, cert.code, parse(RevocationInput, {"reason": "Sớm"}))
                session.rollback()
                done["not_issued"] += 1
            issued.extend(_issue(session, batch))
        if not issued:
            return
        code, ward = issued.pop(rng.randrange(len(issued)))
        who = rng.choice((chairs[ward], admin))
        cert = issuance.revoke(session, who, code, parse(RevocationInput, {"reason": "Cấp nhầm"}))
        key = (cert.ward_code, cert.year, cert.title_type)
        if kind == "rolled_back":
            session.rollback()
            issued.append((code, ward))
            done[kind] += 1
            return
        session.commit()
        expected[key] -= 1
        revoked.append((code, ward))
        done["revoked"] += 1

    kinds = [(decide, "ok", 40), (decide, "crash", 8), (decide, "duplicate", 4), (decide, "rehearsal", 5),
             (decide, "refused", 4), (revoke, "ok", 26), (revoke, "rolled_back", 8), (revoke, "twice", 5)]
    for _ in range(OPERATIONS):
        run, kind, _w = rng.choices(kinds, weights=[w for *_, w in kinds])[0]
        run(kind)

    assert rollup_counters.check(session) == []
    assert application_counters.check(session) == []  # decisions moved thousands of applications, in bulk
    assert _stored(session) == _counted(session) == {k: v for k, v in expected.items() if v}
    # The breakdowns too: equal to a recount in SQL and to one in plain Python; every breakdown adds up to the total.
    assert holder_counters.check(session) == []
    counted = holders.independent(session)
    assert holders.stored(session) == counted
    assert {k[3] for k in counted if k[2] == "age_band"} >= {"0_14", "15_24", "60_plus"}
    assert {k[5] for k in counted} == {True, False}
    # Every kind of operation happened, failures included, and plenty of each.
    assert done["decided"] > 400 and done["revoked"] > 300, done
    assert min(done[k] for k in ("crash", "duplicate", "rehearsal", "refused", "rolled_back", "twice",
                                 "not_issued")) >= 20, done


def test_two_transactions_at_once_both_count(app: Flask) -> None:
    """The second writer waits for the first's row and adds to it: neither a lost update nor a duplicate row,
    whether the row is new (insert-if-missing) or already there (update)."""
    engine = app.extensions["cdht"].engine
    key = ("00004", 2026, CDHT)
    for first, second, total in ((3, 4, 7), (2, 5, 14)):
        errors: list[BaseException] = []
        with Session(engine) as one:
            rollup_counters.add(one, *key, first)  # holds the row (or the new key) until commit

            def other(delta: int = second, errors: list[BaseException] = errors) -> None:
                try:
                    with Session(engine) as two:
                        rollup_counters.add(two, *key, delta)
                        two.commit()
                except BaseException as exc:
                    errors.append(exc)

            thread = threading.Thread(target=other)
            thread.start()
            time.sleep(0.4)  # the other transaction is now waiting for this one
            one.commit()
        thread.join(30)
        assert not thread.is_alive() and errors == []
        with Session(engine) as s:
            assert s.get(RollupCounter, key) is not None
            assert rollup_counters.live_by_ward(s, 2026, CDHT) == {"00004": total}


def test_hand_edited_counters_are_reported_and_rebuilt(app: Flask, session: Session) -> None:
    wards, year = _wards(session, 3), today().year
    for ward, n in zip(wards, (3, 2, 0), strict=True):
        if n:
            chair = make_staff(session, "ward_chair", ward=ward)
            record_decision(session, chair, _decision(year, f"1/{ward}", _approved(session, ward, year, n)),
                            new_code=_new_code, verify_url=_url)
            session.commit()
    runner = app.test_cli_runner()
    assert rollup_counters.check(session) == []
    ok = runner.invoke(args=["rollup", "check"])
    breakdown_rows = len(holders.independent(session))  # 6 breakdowns of 2 wards' holders, under and over 15
    assert (ok.exit_code, ok.stdout.strip()) == (
        0, ("rollup counters agree (2 rows); application counters agree (4 rows); "
            f"digital counters agree (0 rows); holder counters agree ({breakdown_rows} rows); "
            "register numbers agree"))  # approved: now 0

    conn = session.connection()  # edited by hand: one too high, one row gone, one made up
    conn.execute(text("UPDATE rollup_counter SET live = live + 2 WHERE ward_code = :w"), {"w": wards[0]})
    conn.execute(text("DELETE FROM rollup_counter WHERE ward_code = :w"), {"w": wards[1]})
    rollup_counters.add(session, wards[2], year - 1, CDHT, 5)
    application_counters.move(session, [(wards[1], year, "recognised", -1)])
    recount.add(session, DigitalCounter, ("ward_code", "year"), "holders", [((wards[0], year), 3)])
    conn.execute(text("DELETE FROM holder_counter WHERE ward_code = :w AND breakdown = 'month' AND aged_15_plus"),
                 {"w": wards[1]})  # the ward's holders: one aged 8, one aged 15
    session.commit()
    [month] = list(holder_counters.check(session))
    assert (month.ward_code, month.breakdown, month.aged_15_plus, month.counted, month.stored) == (
        wards[1], "month", True, 1, 0)
    diff = rollup_counters.Difference
    assert rollup_counters.check(session) == sorted([
        diff(wards[0], year, CDHT, counted=3, stored=5), diff(wards[1], year, CDHT, counted=2, stored=0),
        diff(wards[2], year - 1, CDHT, counted=0, stored=5)], key=lambda d: (d.ward_code, d.year))
    bad = runner.invoke(args=["rollup", "check"])
    assert bad.exit_code == 1
    assert bad.stdout.splitlines() == [
        f"ward {wards[0]} year {year} title cdht: counted 3, stored 5",
        f"ward {wards[1]} year {year} title cdht: counted 2, stored 0",
        f"ward {wards[2]} year {year - 1} title cdht: counted 0, stored 5",
        f"ward {wards[1]} year {year} state recognised: counted 2, stored 1",
        f"ward {wards[0]} year {year} digital holders: counted 0, stored 3",
        f"ward {wards[1]} year {year} cdht month '{month.bucket}' 15+: counted 1, stored 0"]

    rebuilt = runner.invoke(args=["rollup", "rebuild"])
    assert (rebuilt.exit_code, rebuilt.stdout.strip()) == (
        0, ("rollup counters rebuilt (2 rows); application counters rebuilt (2 rows); "
            f"digital counters rebuilt (0 rows); holder counters rebuilt ({breakdown_rows} rows); "
            "register number sequences rebuilt (2 rows)"))
    assert rollup_counters.check(session) == [] and application_counters.check(session) == []
    assert holder_counters.check(session) == []
    assert runner.invoke(args=["rollup", "check"]).exit_code == 0
    admin = Actor(user_id=None, role="city_admin")
    from workflows.rollup import rollup

    lines = {w.code: w.cdht for w in rollup(session, admin, year).wards}
    assert [lines[w] for w in wards] == [2, 1, 0]  # each ward's holder aged 8 is not one of its residents aged 15+


def test_migration_fills_counters_from_existing_certificates(tmp_path) -> None:
    """Upgrading a database that already holds certificates counts its live ones."""
    path = tmp_path / "m.db"
    command.upgrade(alembic_config(f"sqlite:///{path}"), "58cccbf79794")
    with closing(sqlite3.connect(path)) as db, db:  # foreign keys are off here: only the rows the count reads
        db.executemany("INSERT INTO ward (code, name, division_type, province_code, active) VALUES (?, ?, ?, ?, 1)",
                       [("00004", "Ba Đình", "phường", "01"), ("00070", "Hoàn Kiếm", "phường", "01")])
        rows = [(f"c{i}", f"K{i}", f"R{i}", "a", f"z{i}", "d", ward, "cdht", year, "issued", 1,
                 None if gone else f"z{i}:cdht:{year}", "{}", 0, "2026-01-01 00:00:00")
                for i, (ward, year, gone) in enumerate(
                    [("00004", 2025, False)] * 3 + [("00004", 2025, True)] * 2 + [("00004", 2026, False)]
                    + [("00070", 2026, False)] * 4 + [("00070", 2025, True)])]
        db.executemany("INSERT INTO certificate (id, code, register_number, application_id, citizen_id, "
                       "decision_id, ward_code, title_type, year, status, version, live_key, snapshot, attempts, "
                       "queued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    command.upgrade(alembic_config(f"sqlite:///{path}"), "7a1e5c0de001")
    with closing(sqlite3.connect(path)) as db:
        got = db.execute("SELECT ward_code, year, title_type, live FROM rollup_counter ORDER BY 1, 2").fetchall()
    assert got == [("00004", 2025, "cdht", 3), ("00004", 2026, "cdht", 1), ("00070", 2026, "cdht", 4)]
