"""The one vocabulary: every state, status, event, role, group and kind the domain speaks of, with its label.

Each member's value is the stable string stored in the database and used in the API; its label is the English
message id of the one catalogue (Vietnamese comes from the catalogue's `vi` translation); its tone is the one
colour the pages give it everywhere (done, problem, progress, neutral). Nothing else spells these words.
"""

from enum import StrEnum
from typing import Self


def N_(text: str) -> str:  # noqa: N802 - gettext's conventional marker name
    """Mark a label for the message catalogue without translating it here (the domain knows no locale)."""
    return text


class Tone(StrEnum):
    """The one colour a status has on every page; never the only sign (a word always goes with it)."""

    DONE = "done"  # green: done, valid
    PROBLEM = "problem"  # red: returned, not proposed, failed, revoked
    PROGRESS = "progress"  # blue: waiting for someone to act
    NEUTRAL = "neutral"  # grey: not started, superseded


class Term(StrEnum):
    """A word of the vocabulary: value (stored), label (message id) and tone."""

    label: str
    tone: Tone

    # Defaults only so that type checkers accept the lookup Term("draft"); every member gives its label.
    def __new__(cls, value: str, label: str = "", tone: Tone = Tone.NEUTRAL) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        member.tone = tone
        return member

    @classmethod
    def values(cls) -> list[str]:
        """The stored strings, in declaration order (OpenAPI enums and form choices come from here)."""
        return [m.value for m in cls]


class Entity(Term):
    """The kinds of object whose state the table governs, and the others the audit trail names."""

    APPLICATION = "application", N_("Application")
    CERTIFICATE = "certificate", N_("Certificate")
    CITIZEN = "citizen", N_("Citizen")
    USER = "user", N_("Account")
    DECISION = "decision", N_("Recognition decision")
    ATTAINMENT = "attainment", N_("Digital skills record")
    POPULATION = "population", N_("Population figures")
    TARGET = "target", N_("Target")
    REPORT = "report", N_("Report")
    UNIT_FIGURE = "unit_figure", N_("Unit-level figure")
    HAMLET = "hamlet", N_("Residential group or village")
    CAMPAIGN = "campaign", N_("Campaign")
    CRITERIA_SET = "criteria_set", N_("Criteria set")
    WARD = "ward", N_("Ward or commune")
    COMMAND = "command", N_("Operator command")
    COUNTERS = "counters", N_("Roll-up counters")
    PRIVACY_REQUEST = "privacy_request", N_("Request about personal data")


class ApplicationState(Term):
    """Where a citizen's application for the year stands."""

    DRAFT = "draft", N_("Draft"), Tone.NEUTRAL
    SUBMITTED = "submitted", N_("Submitted"), Tone.PROGRESS
    RETURNED = "returned", N_("Returned for more evidence"), Tone.PROBLEM
    APPROVED = "approved", N_("Proposed for recognition"), Tone.PROGRESS
    REJECTED = "rejected", N_("Not proposed for recognition"), Tone.PROBLEM
    RECOGNISED = "recognised", N_("Recognised"), Tone.DONE


class CertificateStatus(Term):
    """Where a certificate stands, from the decision that earned it to its revocation."""

    QUEUED = "queued", N_("Waiting to be issued"), Tone.PROGRESS
    RENDERING = "rendering", N_("Being issued"), Tone.PROGRESS
    ISSUED = "issued", N_("Issued"), Tone.DONE
    FAILED = "failed", N_("Could not be issued"), Tone.PROBLEM
    REVOKED = "revoked", N_("Revoked"), Tone.PROBLEM
    SUPERSEDED = "superseded", N_("Superseded"), Tone.NEUTRAL


class VerificationStatus(Term):
    """What the public verification says about a code."""

    VALID = "valid", N_("Valid"), Tone.DONE
    REVOKED = "revoked", N_("Revoked"), Tone.PROBLEM
    SUPERSEDED = "superseded", N_("Superseded"), Tone.NEUTRAL
    PENDING = "pending", N_("Not issued yet"), Tone.NEUTRAL
    INVALID = "invalid", N_("Not valid"), Tone.PROBLEM
    UNKNOWN = "unknown", N_("Not found"), Tone.NEUTRAL


class Event(Term):
    """What can happen to an object; the state table says which event moves which state."""

    CREATE = "create", N_("Created")
    REGISTER = "register", N_("Registered")
    # Someone registered with a number already registered: nothing was created, the owner is told (ADR 43).
    REGISTER_AGAIN = "register_again", N_("Registration tried with this number again"), Tone.PROBLEM
    RECLAIM = "reclaim", N_("Account given back to its owner at the ward"), Tone.PROBLEM
    SUBMIT = "submit", N_("Submit")
    APPROVE = "approve", N_("Propose for recognition"), Tone.DONE
    RETURN = "return", N_("Return for more evidence"), Tone.PROBLEM
    REJECT = "reject", N_("Do not propose for recognition"), Tone.PROBLEM
    RECOGNISE = "recognise", N_("Recognise"), Tone.DONE
    CLAIM = "claim", N_("Start issuing")
    COMPLETE = "complete", N_("Issue"), Tone.DONE
    RELEASE = "release", N_("Put back in the queue")
    FAIL = "fail", N_("Mark as failed"), Tone.PROBLEM
    RETRY = "retry", N_("Try again")
    REVOKE = "revoke", N_("Revoke"), Tone.PROBLEM
    SUPERSEDE = "supersede", N_("Replace by a corrected certificate")
    CORRECT = "correct", N_("Corrected")
    VERIFY = "verify", N_("Verify"), Tone.DONE
    DECLINE = "decline", N_("Do not accept"), Tone.PROBLEM
    IMPORT = "import", N_("Import")
    FREEZE = "freeze", N_("Freeze")
    MOVE = "move", N_("Change of residence")
    ASSIGN = "assign", N_("Assign")
    SCOPE = "scope", N_("Set the area reviewed")
    CHANGE = "change", N_("Changed")
    CLOSE = "close", N_("Close the year")
    ACTIVATE = "activate", N_("Account activated")
    ACTIVATION_CODE = "activation_code", N_("Activation code issued")
    PUBLISH = "publish", N_("Publish"), Tone.DONE
    SIGN_IN = "sign_in", N_("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", N_("Sign-in refused"), Tone.PROBLEM
    SIGN_OUT = "sign_out", N_("Signed out")
    PASSWORD_ACCEPTED = "password_accepted", N_("Password accepted, code asked")
    TWO_FACTOR_ENROL = "two_factor_enrol", N_("Two-step sign-in turned on")
    TWO_FACTOR_DISABLE = "two_factor_disable", N_("Two-step sign-in turned off"), Tone.PROBLEM
    TWO_FACTOR_RESET = "two_factor_reset", N_("Two-step sign-in reset"), Tone.PROBLEM
    RECOVERY_CODE_USE = "recovery_code_use", N_("Recovery code used")
    TOKEN_ISSUE = "token_issue", N_("API token issued")
    TOKEN_REVOKE = "token_revoke", N_("API token revoked")
    RESEND = "resend", N_("Sent to the workers again")
    COMMAND = "command", N_("Command run by an operator")
    CHECK = "check", N_("Checked against a recount")
    EXPORT = "export", N_("Personal data downloaded")
    FILE_REQUEST = "file_request", N_("Request filed")
    CLOSE_REQUEST = "close_request", N_("Request answered")
    ERASE = "erase", N_("Personal data erased"), Tone.PROBLEM


class Role(Term):
    """Who acts: citizens, ward staff (scoped to one ward), city administrators, and the system itself."""

    CITIZEN = "citizen", N_("Citizen")
    WARD_REVIEWER = "ward_reviewer", N_("Ward reviewer")
    WARD_CHAIR = "ward_chair", N_("Ward chair")
    CENTRE_STAFF = "centre_staff", N_("Community learning centre staff")
    CITY_ADMIN = "city_admin", N_("City administrator")
    SYSTEM = "system", N_("System")


class TargetGroup(Term):
    """The four target groups of QĐ 324/QĐ-KHVN; the criteria are worded for each."""

    RESIDENT = "resident", N_("Residents of the ward or commune")
    WORKER = "worker", N_("Workers")
    STAFF = "staff", N_("Staff and business people")
    LEARNER = "learner", N_("Pupils, students and learners")


class ActivityKind(Term):
    """What kind of learning a logged activity was."""

    COURSE = "course", N_("Course or class")
    SELF_STUDY = "self_study", N_("Self-study")
    COMMUNITY = "community", N_("Community activity")
    CLUB = "club", N_("Club")
    TRAINING = "training", N_("Training at work")
    OTHER = "other", N_("Other")


class TitleType(Term):
    """The titles a criteria set and a certificate can be for (sister titles can be added here)."""

    CDHT = "cdht", N_("Learning citizen")


class CriteriaSetState(Term):
    """Where a version of the criteria stands: a draft a city administrator may still correct, or published (in force
    from its year, pinned to the applications opened under it, never changed again)."""

    DRAFT = "draft", N_("Draft version"), Tone.NEUTRAL
    PUBLISHED = "published", N_("Published"), Tone.DONE


class AttainmentKind(Term):
    """Where a record of digital skills comes from; a self-assessment is kept and never counts."""

    TEST = "test", N_("Built-in test")
    CERTIFICATE = "certificate", N_("Certificate of a course")
    IMPORT = "import", N_("Training platform")
    ASSESSMENT = "assessment", N_("Supervised assessment")
    SELF_ASSESSMENT = "self_assessment", N_("Self-assessment")


class AttainmentState(Term):
    """Where a record of digital skills stands; only a verified one can count."""

    PENDING = "pending", N_("Waiting for verification"), Tone.PROGRESS
    VERIFIED = "verified", N_("Verified"), Tone.DONE
    REJECTED = "rejected", N_("Not accepted"), Tone.PROBLEM
    REVOKED = "revoked", N_("Revoked"), Tone.PROBLEM


class Sex(Term):
    """Recorded sex, as the identity number encodes it; decides 'Ông' or 'Bà' on the certificate."""

    MALE = "male", N_("Male")
    FEMALE = "female", N_("Female")


VOCABULARY: tuple[type[Term], ...] = (
    Entity, ApplicationState, CertificateStatus, VerificationStatus, Event, Role, TargetGroup, ActivityKind,
    TitleType, CriteriaSetState, AttainmentKind, AttainmentState, Sex,
)


class TargetIndicator(Term):
    """The citizen-level indicators of Plan 52/KH-UBND that roll-ups compute and targets are set for."""

    CDHT = "cdht", N_("Learning citizens")
    DIGITAL = "digital", N_("Basic digital skills")


class UnitIndicator(Term):
    """The plan's unit-level indicators (DOMAIN §1): entered as figures per ward or for the city and period, with a
    source note, never computed from citizens."""

    CADRES_DIGITAL = "cadres_digital", N_("Cadres and civil servants trained in basic digital skills")
    CADRES_DATA = "cadres_data", N_("Cadres and civil servants trained in data analysis")
    SCHOOLS_DIGITAL = "schools_digital", N_("Schools and education centres teaching and managing digitally")
    CENTRES_IT = "centres_it", N_("Community learning centres applying IT")
    SCHOOLS_STANDARD = "schools_standard", N_("Public schools meeting national standards")
    WORKERS_TRAINED = "workers_trained", N_("Workers trained")
    WORKERS_CERTIFIED = "workers_certified", N_("Trained workers holding a degree or certificate")


class DenominatorMode(Term):
    """Whom a rate is a share of; a target names its mode, and the population figures come per mode."""

    RESIDENTS_15_PLUS = "residents_15_plus", N_("Residents aged 15 and over")
    ALL_RESIDENTS = "all_residents", N_("All residents")
    UNITS = "units", N_("The units counted with the figure")


# The modes that count people (residents); "units" belongs to the unit-level indicators' own figures.
PEOPLE_MODES = (DenominatorMode.RESIDENTS_15_PLUS, DenominatorMode.ALL_RESIDENTS)


class ReportPeriod(Term):
    """The reports the city sends on Plan 52 each year: at mid-year and at the end of the year."""

    MID_YEAR = "mid_year", N_("Mid-year report")
    YEAR_END = "year_end", N_("Year-end report")


class Breakdown(Term):
    """The ways the holders of an indicator are broken down on the dashboard (ADR 20); `total` is the whole."""

    TOTAL = "total", N_("All holders")
    TARGET_GROUP = "target_group", N_("Target group")
    SEX = "sex", N_("Sex")
    AGE_BAND = "age_band", N_("Age band")
    HAMLET = "hamlet", N_("Residential group or village")
    MONTH = "month", N_("Month")


class AgeBand(Term):
    """Age bands of the breakdowns, by the age reached in the year counted (the year minus the birth year)."""

    UNDER_15 = "0_14", N_("Under 15")
    FROM_15 = "15_24", N_("15 to 24")
    FROM_25 = "25_34", N_("25 to 34")
    FROM_35 = "35_44", N_("35 to 44")
    FROM_45 = "45_59", N_("45 to 59")
    FROM_60 = "60_plus", N_("60 and over")


# The youngest age of each band, in the order of AgeBand; the age from which residents count for "aged 15 and over".
AGE_BAND_FROM: tuple[int, ...] = (0, 15, 25, 35, 45, 60)
ADULT_AGE = 15


class CampaignDate(Term):
    """The dates of a year's campaign (workflows.campaigns): the value is the column, the form field and the CLI
    option (with dashes); two windows, the review deadline and the two reports."""

    REGISTRATION_OPENS = "registration_opens", N_("Registration opens")
    REGISTRATION_CLOSES = "registration_closes", N_("Registration closes")
    SELF_ASSESSMENT_OPENS = "self_assessment_opens", N_("Self-assessment and submission open")
    SELF_ASSESSMENT_CLOSES = "self_assessment_closes", N_("Self-assessment and submission close")
    REVIEW_DEADLINE = "review_deadline", N_("Review deadline")
    MID_YEAR_REPORT = "mid_year_report_on", N_("Mid-year report due")
    YEAR_END_REPORT = "year_end_report_on", N_("Year-end report due")


class PrivacyRequestKind(Term):
    """What a citizen asks about their personal data (Law 91/2025/QH15, ADR 41)."""

    CORRECTION = "correction", N_("Correction")
    DELETION = "deletion", N_("Deletion")


class PrivacyRequestState(Term):
    """Where a citizen's request about their personal data stands."""

    OPEN = "open", N_("Waiting for an answer"), Tone.PROGRESS
    DONE = "done", N_("Done"), Tone.DONE
    REFUSED = "refused", N_("Refused"), Tone.PROBLEM


VOCABULARY += (TargetIndicator, UnitIndicator, DenominatorMode, ReportPeriod, Breakdown, AgeBand, CampaignDate,
               PrivacyRequestKind, PrivacyRequestState)
