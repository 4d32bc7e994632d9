"""Who is acting: a framework-free view of the signed-in user."""

from dataclasses import dataclass

from .vocabulary import Role

# Short names for the roles, the same members as workflows.vocabulary.Role.
CITIZEN = Role.CITIZEN
WARD_REVIEWER = Role.WARD_REVIEWER
WARD_CHAIR = Role.WARD_CHAIR
CITY_ADMIN = Role.CITY_ADMIN
SYSTEM = Role.SYSTEM

ROLES = (Role.CITIZEN, Role.WARD_REVIEWER, Role.WARD_CHAIR, Role.CITY_ADMIN)  # roles a login can have
WARD_STAFF = (Role.WARD_REVIEWER, Role.WARD_CHAIR)


@dataclass(frozen=True)
class Actor:
    """The user behind a request, task or command; citizen_id is set when they have a citizen profile."""

    user_id: str | None
    role: Role
    ward_code: str | None = None
    citizen_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))  # a role read from the database becomes the member

    @property
    def is_ward_staff(self) -> bool:
        """Ward reviewers and chairs are scoped to one ward."""
        return self.role in WARD_STAFF


SYSTEM_ACTOR = Actor(user_id=None, role=Role.SYSTEM)
