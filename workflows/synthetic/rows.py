"""The synthetic city's rows, made as a stream of chunks: the whole city is never held in memory.

One pass over the people writes every table at once. Each chunk holds the rows of a few thousand people in load
order (accounts, citizens, decisions, applications, activities, certificates), so that loading chunk after chunk
never writes a row before the rows it refers to. Values are what the database stores (dates and instants as text),
so that one chunk serves both COPY (PostgreSQL) and executemany (SQLite). Every value is text (SQLite's column affinity
stores "3" in an INTEGER column as 3), and a missing one is `Plan.null`: None for SQLite, \\N for COPY's text
format, so that a PostgreSQL row is written with one join. No value holds a tab, a newline or a backslash.
"""

from __future__ import annotations

import json
import random
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate

from .. import cccd as cccd_rules
from ..decisions import CERTIFICATE_TITLES
from ..names import fold
from ..signers import signer_from
from ..vocabulary import ApplicationState, CertificateStatus, Role, TitleType
from . import data

Row = tuple[str | None, ...]
HANOI_OFFSET_S = 7 * 3600
DAY_S = 86400
CONSENT_VERSION = "2026-01"  # workflows.registration.CONSENT_VERSION (not imported: it pulls the accounts layer)

USER_COLUMNS = ("id", "username", "password_hash", "role", "ward_code", "display_name", "active", "session_version",
                "created_at")
CITIZEN_COLUMNS = ("id", "user_id", "cccd", "full_name", "name_folded", "date_of_birth", "sex", "ward_code",
                   "target_group", "email", "phone", "consent_at", "consent_version", "created_at", "hamlet",
                   "hamlet_code")
DECISION_COLUMNS = ("id", "ward_code", "year", "number", "number_year", "signed_on", "signer_name", "created_by",
                    "created_at")
APPLICATION_COLUMNS = ("id", "citizen_id", "ward_code", "criteria_set_id", "title_type", "year", "target_group",
                       "state", "version", "self_scores", "reviewer_scores", "total", "review_comment",
                       "reviewed_by", "submitted_at", "reviewed_at", "decision_id", "created_at", "updated_at",
                       "name_folded", "name_sort", "hamlet", "hamlet_code", "has_evidence", "passes")
ACTIVITY_COLUMNS = ("id", "application_id", "title", "kind", "hours", "started_on", "ended_on", "provider",
                    "indicator_codes", "created_at", "evidence_key", "evidence_name", "evidence_type")
CERTIFICATE_COLUMNS = ("id", "code", "register_number", "application_id", "citizen_id", "decision_id", "ward_code",
                       "title_type", "year", "status", "version", "live_key", "snapshot", "attempts", "queued_at",
                       "claimed_at", "issued_at", "revoked_at", "revoke_reason")
# Load order: every row's references are loaded before it (in the same chunk or an earlier one).
COLUMNS: dict[str, tuple[str, ...]] = {
    "app_user": USER_COLUMNS, "citizen": CITIZEN_COLUMNS, "decision": DECISION_COLUMNS,
    "application": APPLICATION_COLUMNS, "activity": ACTIVITY_COLUMNS, "certificate": CERTIFICATE_COLUMNS,
}

# The evidence an activity of the synthetic city carries: named, never stored (nothing reads its file).
EVIDENCE_FILE = ("synthetic/minh-chung.pdf", "minh-chung.pdf", "application/pdf")

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # certificates.codes.ALPHABET (Crockford base32)
_CODE_BITS = 50
_CODE_MULTIPLIER = 0x2545F4914F6CD  # odd: n -> n * M + C (mod 2**50) is a bijection, so codes never repeat
_PAIRS = [a + b for a in CODE_ALPHABET for b in CODE_ALPHABET]


def certificate_code(n: int, offset: int) -> str:
    """The n-th certificate's code, "XXXXX-XXXXX" like certificates.new_code: unique for n < 2**50."""
    x = (n * _CODE_MULTIPLIER + offset) & ((1 << _CODE_BITS) - 1)
    hi, lo = x >> 25, x & 0x1FFFFFF
    return (f"{_PAIRS[hi >> 15]}{_PAIRS[(hi >> 5) & 1023]}{CODE_ALPHABET[hi & 31]}-"
            f"{_PAIRS[lo >> 15]}{_PAIRS[(lo >> 5) & 1023]}{CODE_ALPHABET[lo & 31]}")


@dataclass(frozen=True)
class WardInfo:
    """What the rows need of a ward: its code and name, its weight, and its synthetic staff."""

    code: str
    name: str
    weight: float
    reviewer_id: str
    chair_id: str
    chair_name: str


@dataclass(frozen=True)
class Plan:
    """Everything the rows are made from; `stream` turns it into chunks."""

    citizens: int
    year: int
    seed: int
    wards: tuple[WardInfo, ...]
    backlog: tuple[tuple[int, int], ...]  # (index into wards, submitted applications)
    criteria_set_id: str
    indicator_codes: tuple[str, ...]
    pass_total: int
    pass_min: int
    max_score: int
    password_hash: str
    start: float  # epoch seconds: 1 January of the year, 00:00 in Hà Nội
    end: float  # epoch seconds: the end of the year or now, whichever is earlier
    instant_suffix: str  # "+00" (PostgreSQL) or ".000000" (SQLite, which stores UTC without an offset)
    public_base_url: str
    null: str | None  # how a missing value is written: None (SQLite) or "\\N" (PostgreSQL COPY, text format)
    seal: Callable[[str], str]  # an identity number as the database keeps it (workflows.identity_seal)


@dataclass
class Tally:
    """What the stream made, filled in as it goes (read once it is exhausted)."""

    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLUMNS, 0))
    residents: dict[str, int] = field(default_factory=dict)  # ward code -> people
    adults: dict[str, int] = field(default_factory=dict)  # ward code -> people aged 15+
    live_certificates: int = 0
    revoked_certificates: int = 0
    states: dict[str, int] = field(default_factory=dict)


Chunk = dict[str, list[Row]]


def _cumulative(weighted: Sequence[tuple[str, float]]) -> tuple[list[tuple[str, str]], list[float]]:
    """(name, folded name) pairs and their cumulative weights, for bisect over random() * total."""
    return [(n, fold(n)) for n, _ in weighted], list(accumulate(w for _, w in weighted))


class _Clock:
    """Fast text of instants and dates (the generator formats tens of millions of them)."""

    def __init__(self, start: float, end: float, suffix: str) -> None:
        self.first_day = int(start // DAY_S) - 366 * 101  # birth dates reach back a century
        last_day = int(end // DAY_S) + 2
        epoch = date(1970, 1, 1)
        self.days = [(epoch + timedelta(days=d)).isoformat() for d in range(self.first_day, last_day)]
        self.times = [f" {h:02d}:{m:02d}:{s:02d}{suffix}" for h in range(24) for m in range(60) for s in range(60)]

    def instant(self, t: float) -> str:
        """UTC text of an epoch instant, as the column type stores it."""
        s = int(t)
        return self.days[s // DAY_S - self.first_day] + self.times[s % DAY_S]

    def hanoi_date(self, t: float) -> str:
        """The date in Hà Nội (UTC+7) of an epoch instant."""
        return self.days[(int(t) + HANOI_OFFSET_S) // DAY_S - self.first_day]


def _scores(rng: random.Random, codes: Sequence[str], low: int, high: int) -> dict[str, int]:
    return {c: rng.randint(low, high) for c in codes}


def _score_pools(plan: Plan, rng: random.Random) -> tuple[list[tuple[str, str]], list[tuple[str, str]],
                                                          list[tuple[str, str]]]:
    """JSON texts of passing, failing and partial (draft) score sets with their totals, drawn once and reused."""
    codes, top = plan.indicator_codes, plan.max_score
    passing: list[tuple[str, str]] = []
    while len(passing) < 256:
        s = _scores(rng, codes, max(plan.pass_min, top - 4), top)
        if sum(s.values()) >= plan.pass_total:
            passing.append((json.dumps(s), str(sum(s.values()))))
    failing: list[tuple[str, str]] = []
    while len(failing) < 128:
        s = _scores(rng, codes, max(0, plan.pass_min - 2), top - 1)
        if sum(s.values()) < plan.pass_total or min(s.values()) < plan.pass_min:
            failing.append((json.dumps(s), str(sum(s.values()))))
    partial = [(json.dumps(dict(list(_scores(rng, codes, plan.pass_min, top).items())[:k])), "")
               for k in range(len(codes)) for _ in range(8)]
    return passing, failing, partial


def stream(plan: Plan, tally: Tally, chunk_size: int) -> Iterator[tuple[int, Chunk]]:
    """Yield (people in the chunk, rows by table) until the city and its backlogs are made."""
    maker = _Maker(plan, tally)
    rng = maker.rng
    ward_ix = list(range(len(plan.wards)))
    ward_cw = list(accumulate(w.weight for w in plan.wards))
    ages = list(range(100))
    age_w = [0.0] * 100
    for low, high, weight in data.AGE_BANDS:
        for a in range(low, high + 1):
            age_w[a] = weight / (high - low + 1)
    adult_w = [w if a >= data.ADULT_AGE else 0.0 for a, w in enumerate(age_w)]
    done = 0
    while done < plan.citizens:
        n = min(chunk_size, plan.citizens - done)
        wards = rng.choices(ward_ix, cum_weights=ward_cw, k=n)
        yield n, maker.people(wards, rng.choices(ages, weights=age_w, k=n), None)
        done += n
    for ward, count in plan.backlog:
        made = 0
        while made < count:
            n = min(chunk_size, count - made)
            yield n, maker.people([ward] * n, rng.choices(ages, weights=adult_w, k=n), ApplicationState.SUBMITTED)
            made += n


class _Maker:
    """The state carried from chunk to chunk: counters, per-ward decision batches and the random generator."""

    def __init__(self, plan: Plan, tally: Tally) -> None:
        self.plan, self.tally = plan, tally
        self.rng = random.Random(f"synthetic-city:{plan.seed}")
        self.clock = _Clock(plan.start, plan.end, plan.instant_suffix)
        self.serials: dict[str, int] = {}  # "PPPCYY" -> identity numbers given so far
        self.n_citizen = self.n_application = self.n_certificate = self.n_decision = 0
        self.recognised = [0] * len(plan.wards)  # per ward, to cut decisions of DECISION_SIZE
        self.decision_of: dict[tuple[int, int], tuple[str, float, str, str]] = {}  # (ward, batch) -> id, at, …
        self.code_offset = self.rng.getrandbits(_CODE_BITS)
        self.others = sorted(cccd_rules.PROVINCE_CODES - {"001"})
        self.surnames = _cumulative(data.SURNAMES)
        self.middles = [_cumulative(t) for t in (data.MIDDLE_MALE_OLDER, data.MIDDLE_MALE_YOUNGER,
                                                 data.MIDDLE_FEMALE_OLDER, data.MIDDLE_FEMALE_YOUNGER)]
        self.givens = [_cumulative(data.GIVEN_MALE), _cumulative(data.GIVEN_FEMALE)]
        self.groups = [(low, list(accumulate(w))) for low, w in data.TARGET_GROUPS_BY_AGE]
        self.group_of_age = [max(i for i, (low, _) in enumerate(self.groups) if low <= a) for a in range(100)]
        self.states = [s for s, _ in data.STATE_SHARES]
        self.state_cw = list(accumulate(w for _, w in data.STATE_SHARES))
        self.passing, self.failing, self.partial = _score_pools(plan, self.rng)
        self.activities = [(t, k, p or plan.null, json.dumps(list(codes)), lo, hi)
                           for t, k, p, codes, lo, hi in data.ACTIVITIES]
        title = CERTIFICATE_TITLES[TitleType.CDHT]
        self.snapshot_head = f'"title": {json.dumps(title, ensure_ascii=False)}, "year": {plan.year}, "holder_name": "'
        self.signers = [signer_from(w.name) for w in plan.wards]  # the defaults: a synthetic ward sets none
        self.snapshot_ward = [
            f'"residence": {json.dumps(s.residence, ensure_ascii=False)}, "issuer_name": '
            f'{json.dumps(s.issuer_name, ensure_ascii=False)}, "issuer_display": '
            f'{json.dumps(s.unit, ensure_ascii=False)}, "authority": {json.dumps(s.authority, ensure_ascii=False)}, '
            f'"signing_line": {json.dumps(s.signing_line, ensure_ascii=False)}, ' for s in self.signers]
        self.decision_base = [random.Random(f"{plan.seed}:{w.code}:decisions").randrange(20, 200)
                              for w in plan.wards]
        self.span = plan.end - plan.start
        # Each ward's tổ dân phố (phường) or thôn (xã): 15 to 40 of them; a person's is known for HAMLET_KNOWN of them.
        self.hamlets = ward_hamlets(plan.wards)

    def _decision(self, ward: int, batch: int, chunk: Chunk) -> tuple[str, float, str, str]:
        """The ward's batch-th decision of the year (its row joins the chunk the first time it is needed)."""
        known = self.decision_of.get((ward, batch))
        if known is not None:
            return known
        plan, w = self.plan, self.plan.wards[ward]
        self.n_decision += 1
        at = plan.start + self.span * min(0.97, 0.55 + 0.05 * batch)
        signed_on = self.clock.hanoi_date(at)
        number = f"{self.decision_base[ward] + 7 * batch}/QĐ-UBND"
        did = f"D{self.n_decision:021d}"
        chunk["decision"].append((did, w.code, str(plan.year), number, signed_on[:4], signed_on, w.chair_name,
                                  w.chair_id, self.clock.instant(at)))
        signer = self.signers[ward]
        tail = (f'"decision_number": "{number}", "decision_date": "{signed_on}", "place": '
                f'{json.dumps(signer.place, ensure_ascii=False)}, "signed_on": "{signed_on}", "signer_title": '
                f'{json.dumps(signer.signer_title, ensure_ascii=False)}, "signer_name": '
                f'{json.dumps(w.chair_name, ensure_ascii=False)}, "verify_url": "{plan.public_base_url}/verify/')
        self.decision_of[ward, batch] = made = (did, at, number, tail)
        self.tally.rows["decision"] += 1
        return made

    def people(self, wards: list[int], ages: list[int], forced: ApplicationState | None) -> Chunk:
        """The rows of one chunk of people: an account and a profile each, and the year's application of most.

        The hot loop of the city (millions of turns): everything it reads is bound to a local name first.
        """
        plan, tally, clock, rng = self.plan, self.tally, self.clock, self.rng
        random_, hanoi_date = rng.random, clock.hanoi_date
        days, times, first_day = clock.days, clock.times, clock.first_day
        chunk: Chunk = {table: [] for table in COLUMNS}
        users, citizens, apps = chunk["app_user"], chunk["citizen"], chunk["application"]
        activities, certificates = chunk["activity"], chunk["certificate"]
        serials, others, n_others, seal = self.serials, self.others, len(self.others), plan.seal
        s_names, s_cw = self.surnames
        s_total = s_cw[-1]
        middles, givens, groups, group_of_age = self.middles, self.givens, self.groups, self.group_of_age
        group_names, activity_kinds, n_kinds = data.TARGET_GROUP_ORDER, self.activities, len(self.activities)
        ward_infos, snapshot_ward, snapshot_head, recognised = plan.wards, self.snapshot_ward, self.snapshot_head, \
            self.recognised
        male_share, hanoi_share, applying, adult_age, younger_from = data.MALE_SHARE, data.HANOI_BIRTH_SHARE, \
            data.APPLYING_SHARE, data.ADULT_AGE, data.YOUNGER_FROM
        phone_share, email_share, revoked_share, decision_size = data.PHONE_SHARE, data.EMAIL_SHARE, \
            data.REVOKED_SHARE, data.DECISION_SIZE
        year, start, span, end, null = str(plan.year), plan.start, self.span, plan.end, plan.null
        password_hash, criteria, suffix_year = plan.password_hash, plan.criteria_set_id, f":cdht:{plan.year}"
        passing, failing, partial, n_partial = self.passing, self.failing, self.partial, len(self.partial)
        states, state_cw = self.states, self.state_cw
        state_total = state_cw[-1]
        residents, adults, state_counts = tally.residents, tally.adults, tally.states
        n_person, n_app, n_cert, code_offset = self.n_citizen, self.n_application, self.n_certificate, \
            self.code_offset
        live = revoked = 0
        citizen_role, issued_status, revoked_status = Role.CITIZEN.value, CertificateStatus.ISSUED.value, \
            CertificateStatus.REVOKED.value
        year_start = start - 365.25 * DAY_S
        hamlets, hamlet_known = self.hamlets, data.HAMLET_KNOWN
        evidence_share, failing_self = data.EVIDENCE_SHARE, data.FAILING_SELF_SHARE
        evidence_file, no_file = EVIDENCE_FILE, (null, null, null)
        for ward, age in zip(wards, ages, strict=True):
            w = ward_infos[ward]
            code = w.code
            r = random_()
            places = hamlets[ward]
            hamlet_code, hamlet = places[int(r / hamlet_known * len(places))] if r < hamlet_known else (null, null)
            male = random_() < male_share
            dob = hanoi_date(year_start - age * 365.25 * DAY_S + random_() * 365 * DAY_S)
            birth_year = int(dob[:4])
            province = "001" if random_() < hanoi_share else others[int(random_() * n_others)]
            prefix = f"{province}{(2 if birth_year >= 2000 else 0) + (0 if male else 1)}{birth_year % 100:02d}"
            serial = serials.get(prefix, 0)
            if serial >= 1_000_000:
                raise ValueError(f"more than a million identity numbers for {prefix}")
            serials[prefix] = serial + 1
            cccd = seal(f"{prefix}{(serial * 7919 + 104729) % 1_000_000:06d}")
            m_names, m_cw = middles[(0 if male else 2) + (birth_year >= younger_from)]
            g_names, g_cw = givens[0 if male else 1]
            sur = s_names[bisect(s_cw, random_() * s_total)]
            mid = m_names[bisect(m_cw, random_() * m_cw[-1])]
            giv = g_names[bisect(g_cw, random_() * g_cw[-1])]
            full_name = f"{sur[0]} {mid[0]} {giv[0]}"
            gcw = groups[group_of_age[age]][1]
            group = group_names[bisect(gcw, random_() * gcw[-1])]
            n_person += 1
            number = f"{n_person:021d}"
            uid, cid = "U" + number, "C" + number
            applies = forced is not None or (age >= adult_age and random_() < applying)
            s = int(start + random_() * (0.3 if applies else 0.95) * span)
            registered, at = s, days[s // DAY_S - first_day] + times[s % DAY_S]
            users.append((uid, cccd, password_hash, citizen_role, null, full_name, "1", "1", at))
            r = random_()
            phone = f"09{(n_person * 7919 + 1) % 100_000_000:08d}" if r < phone_share else null
            email = f"{giv[1]}.{sur[1]}{n_person % 1000}@gmail.com" if r < email_share else null
            folded = f"{sur[1]} {mid[1]} {giv[1]}"
            citizens.append((cid, uid, cccd, full_name, folded, dob,
                             "male" if male else "female", code, group, email, phone, at, CONSENT_VERSION, at,
                             hamlet, hamlet_code))
            residents[code] = residents.get(code, 0) + 1
            if age >= adult_age:
                adults[code] = adults.get(code, 0) + 1
            if not applies:
                continue
            state = forced or states[bisect(state_cw, random_() * state_total)]
            state_counts[state] = state_counts.get(state, 0) + 1
            n_app += 1
            aid = f"A{n_app:021d}"
            if forced:
                submitted = registered + random_() * 0.99 * (end - registered)
                created = registered + random_() * (submitted - registered)
            else:
                created = registered + random_() * 0.1 * span
                submitted = created + random_() * 0.1 * span
            self_json, self_total = passing[int(random_() * 256)]
            passes = "1"
            if state == "submitted" and random_() < failing_self:
                self_json, self_total = failing[int(random_() * 128)]
                passes = "0"
            reviewer_json, total, comment, reviewer, reviewed_at, decision_id = "{}", null, null, null, null, null
            s = int(submitted)
            sub_at: str | None = days[s // DAY_S - first_day] + times[s % DAY_S]
            version, updated = "2", submitted
            if state == "draft":
                self_json, self_total = partial[int(random_() * n_partial)]
                version, sub_at, updated, passes = "1", null, created, "0"
            elif state == "submitted":
                total = self_total
            elif state == "recognised":
                batch = recognised[ward] // decision_size
                recognised[ward] = seq = recognised[ward] + 1
                decision_id, decided, _number, tail = self._decision(ward, batch, chunk)
                reviewed = submitted + random_() * 0.9 * (decided - submitted)
                reviewer_json, total = self_json, self_total
                s = int(reviewed)
                version, reviewer, reviewed_at, updated = "4", w.reviewer_id, \
                    days[s // DAY_S - first_day] + times[s % DAY_S], decided
                n_cert += 1
                cert_code = certificate_code(n_cert, code_offset)
                register = f"HN-{code}-{year}-{seq:06d}"
                snapshot = (f'{{"code": "{cert_code}", "register_number": "{register}", {snapshot_head}{full_name}'
                            f'", "date_of_birth": "{dob}", "honorific": "{"Ông" if male else "Bà"}", '
                            f'{snapshot_ward[ward]}{tail}{cert_code}"}}')
                s = int(decided)
                queued_at = days[s // DAY_S - first_day] + times[s % DAY_S]
                s = int(decided + random_() * 3600)
                claimed_at = days[s // DAY_S - first_day] + times[s % DAY_S]
                issued = s + 1 + int(random_() * 60)
                issued_at = days[issued // DAY_S - first_day] + times[issued % DAY_S]
                if random_() < revoked_share:
                    revoked += 1
                    s = int(issued + random_() * (end - issued))
                    certificates.append((
                        f"K{n_cert:021d}", cert_code, register, aid, cid, decision_id, code, "cdht", year,
                        revoked_status, "4", null, snapshot, "1", queued_at, claimed_at, issued_at,
                        days[s // DAY_S - first_day] + times[s % DAY_S],
                        data.REVOKE_REASONS[int(random_() * len(data.REVOKE_REASONS))]))
                else:
                    live += 1
                    certificates.append((
                        f"K{n_cert:021d}", cert_code, register, aid, cid, decision_id, code, "cdht", year,
                        issued_status, "3", cid + suffix_year, snapshot, "1", queued_at, claimed_at, issued_at, null,
                        null))
            else:  # approved, returned, rejected: reviewed by the ward's reviewer
                reviewed = submitted + random_() * 0.95 * (end - submitted)
                s = int(reviewed)
                version, reviewer, reviewed_at, updated = "3", w.reviewer_id, \
                    days[s // DAY_S - first_day] + times[s % DAY_S], reviewed
                if state == "approved":
                    reviewer_json, total = self_json, self_total
                elif state == "rejected":
                    reviewer_json, total = failing[int(random_() * 128)]
                    passes = "0"
                    comment = data.REJECT_COMMENTS[int(random_() * len(data.REJECT_COMMENTS))]
                else:
                    total = self_total
                    comment = data.RETURN_COMMENTS[int(random_() * len(data.RETURN_COMMENTS))]
            title, kind, provider, codes, fewest, most = activity_kinds[int(random_() * n_kinds)]
            evidence = "1" if state != "draft" and random_() < evidence_share else "0"
            began = start + random_() * (created - start)
            logged = int(created + random_() * ((end if state == "draft" else submitted) - created) * 0.5)
            logged_at = days[logged // DAY_S - first_day] + times[logged % DAY_S]
            s, last = int(created), int(max(updated, logged))
            apps.append((aid, cid, code, criteria, "cdht", year, group, state, version, self_json, reviewer_json,
                         total, comment, reviewer, sub_at, reviewed_at, decision_id,
                         days[s // DAY_S - first_day] + times[s % DAY_S],
                         days[last // DAY_S - first_day] + times[last % DAY_S], folded, f"{giv[1]} {sur[1]} {mid[1]}",
                         hamlet, hamlet_code,
                         evidence, passes))
            ended = hanoi_date(began + random_() * (logged - began)) if random_() < 0.7 else null
            activities.append((f"V{n_app:021d}", aid, title, kind, str(fewest + int(random_() * (most - fewest))),
                               hanoi_date(began), ended, provider, codes, logged_at,
                               *(evidence_file if evidence == "1" else no_file)))
        rows = tally.rows
        rows["app_user"] += len(users)
        rows["citizen"] += len(citizens)
        rows["application"] += n_app - self.n_application
        rows["activity"] += n_app - self.n_application
        rows["certificate"] += n_cert - self.n_certificate
        self.n_citizen, self.n_application, self.n_certificate = n_person, n_app, n_cert
        tally.live_certificates += live
        tally.revoked_certificates += revoked
        return chunk


def ward_hamlets(wards: Sequence[WardInfo]) -> list[list[tuple[str, str]]]:
    """Each ward's tổ dân phố (phường) or thôn (xã) as (code, name): 15 to 40 of them."""
    return [[((f"TDP{n:02d}", f"Tổ dân phố số {n}") if w.name.startswith("Phường") else (f"T{n:02d}", f"Thôn {n}"))
             for n in range(1, 16 + (i * 7) % 26)] for i, w in enumerate(wards)]


def year_window(year: int, now: datetime) -> tuple[float, float]:
    """Epoch seconds of 1 January of the year (00:00 in Hà Nội) and of the year's end or now, whichever is first."""
    start = datetime(year, 1, 1, tzinfo=UTC).timestamp() - HANOI_OFFSET_S
    end = min(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp() - HANOI_OFFSET_S - 1, now.timestamp() - 60)
    return start, end
