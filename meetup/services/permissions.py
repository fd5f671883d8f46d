"""Who may do what to which object. Every organizer action goes through require_organizer."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import Event, Group, Membership, Rsvp, User
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


_ON_LIST = select(Rsvp.id).where(
    Rsvp.event_id == bindparam("event_id"), Rsvp.user_id == bindparam("user_id")
)


def can_view_event(event: Event, user: User | None) -> bool:
    """Public events: anyone. Members-only ones: the group's members, and whoever is on the
    event's list without being one (a speaker an organizer added by hand): their emails
    link to the page, where they can say they can't come after all."""
    if event.visibility == "public" or is_member(event.group_id, user):
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(_ON_LIST, {"event_id": event.id, "user_id": user.id}) is not None
