"""Who is acting: a framework-free view of the signed-in user."""

from dataclasses import dataclass

CITIZEN = "citizen"
WARD_REVIEWER = "ward_reviewer"
WARD_CHAIR = "ward_chair"
CITY_ADMIN = "city_admin"
SYSTEM = "system"

ROLES = (CITIZEN, WARD_REVIEWER, WARD_CHAIR, CITY_ADMIN)
WARD_STAFF = (WARD_REVIEWER, WARD_CHAIR)


@dataclass(frozen=True)
class Actor:
    """The user behind a request, task or command; citizen_id is set when they have a citizen profile."""

    user_id: str | None
    role: str
    ward_code: str | None = None
    citizen_id: str | None = None

    @property
    def is_ward_staff(self) -> bool:
        """Ward reviewers and chairs are scoped to one ward."""
        return self.role in WARD_STAFF


SYSTEM_ACTOR = Actor(user_id=None, role=SYSTEM)
