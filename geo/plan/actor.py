"""Who acts: the actor every command takes, with its role and the units it may act for."""

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """The roles of planview (the database's CHECK on accounts lists the same values)."""

    anonymous = "anonymous"
    officer = "officer"
    planner = "planner"
    admin = "admin"


@dataclass(frozen=True)
class Actor:
    """An authenticated (or anonymous) caller; commands record it and check its scope."""

    username: str
    role: Role
    # reporting units the actor acts for: pre-2025 district codes, 2025 unit codes, agency ids
    units: tuple[str, ...] = field(default_factory=tuple)
    user_id: int | None = None
    display_name: str | None = None
    request_id: str | None = None
    client_address: str | None = None

    @property
    def is_anonymous(self) -> bool:
        """True for a caller who has not logged in."""
        return self.role is Role.anonymous


ANONYMOUS = Actor(username="anonymous", role=Role.anonymous)


def system_actor(username: str) -> Actor:
    """The operator behind a command-line write (``planview load``, ``planview import``).

    Whoever runs the command line holds the database itself, so it acts with the admin role.
    """
    return Actor(username=username, role=Role.admin)


LOAD_ACTOR = system_actor("planview load")
IMPORT_ACTOR = system_actor("planview import")
