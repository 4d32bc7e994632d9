"""Who is acting: a framework-free view of the signed-in user."""

from dataclasses import dataclass

from .vocabulary import Role

# Short names for the roles, the same members as workflows.vocabulary.Role.
CITIZEN = Role.CITIZEN
WARD_REVIEWER = Role.WARD_REVIEWER
WARD_CHAIR = Role.WARD_CHAIR
CITY_ADMIN = Role.CITY_ADMIN
CENTRE_STAFF = Role.CENTRE_STAFF
SYSTEM = Role.SYSTEM

# Roles a login can have.
ROLES = (Role.CITIZEN, Role.WARD_REVIEWER, Role.WARD_CHAIR, Role.CENTRE_STAFF, Role.CITY_ADMIN)
WARD_STAFF = (Role.WARD_REVIEWER, Role.WARD_CHAIR)  # the ward's officials: they see its applications
# Everyone whose account belongs to one ward: its officials, and the staff of a community learning centre in it, who
# record supervised assessments of digital skills and see nothing else.
WARD_SCOPED = (*WARD_STAFF, Role.CENTRE_STAFF)


@dataclass(frozen=True)
class Actor:
    """The user behind a request, task or command; citizen_id is set when they have a citizen profile."""

    user_id: str | None
    role: Role
    ward_code: str | None = None
    citizen_id: str | None = None
    # A ward reviewer of some tổ dân phố / thôn: their codes; None for the whole ward (ADR 26).
    hamlets: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))  # a role read from the database becomes the member

    @property
    def is_ward_staff(self) -> bool:
        """Ward reviewers and chairs are scoped to one ward."""
        return self.role in WARD_STAFF

    @property
    def whole_ward(self) -> bool:
        """Ward staff who see the whole ward (a chair, or a reviewer not scoped to some tổ dân phố / thôn)."""
        return self.is_ward_staff and self.hamlets is None


SYSTEM_ACTOR = Actor(user_id=None, role=Role.SYSTEM)
