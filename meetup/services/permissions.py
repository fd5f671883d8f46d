"""Who may do what to which object. Every organizer action goes through require_organizer."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import Event, Group, Membership, User
from .errors import DomainError

ORGANIZER_ROLES = ("organizer", "co_organizer")


_ROLE = select(Membership.role).where(
    Membership.group_id == bindparam("group_id"), Membership.user_id == bindparam("user_id")
)  # built once: asked on nearly every request


def role_in(group: Group | int, user: User | None) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    group_id = group if isinstance(group, int) else group.id
    return db.session.scalar(_ROLE, {"group_id": group_id, "user_id": user.id})


def is_organizer(group: Group | int, user: User | None) -> bool:
    return role_in(group, user) in ORGANIZER_ROLES


def is_member(group: Group | int, user: User | None) -> bool:
    return role_in(group, user) is not None


def require_organizer(group: Group | int, user: User | None) -> None:
    if not is_organizer(group, user):
        raise DomainError("forbidden")


def require_owner(group: Group | int, user: User | None) -> None:
    """Deleting a group or changing roles: the organizer only, not co-organizers."""
    if role_in(group, user) != "organizer":
        raise DomainError("forbidden")


def can_view_event(event: Event, user: User | None) -> bool:
    return event.visibility == "public" or is_member(event.group_id, user)
