"""Members: roles, leaving a group, and the member list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, text

from ...extensions import db
from ...models import Group, Invite, Membership, User
from ...models.community import SHOWN_TO_MEMBERS
from ..errors import DomainError
from ..permissions import ORGANIZER_ROLES, require_owner, role_in


def membership(group: Group, user_id: int) -> Membership:
    m = db.session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == user_id)
    )
    if m is None:
        raise DomainError("not_a_member")
    return m


def set_role(group: Group, actor: User, user_id: int, role: str) -> Membership:
    """The organizer promotes a member to co-organizer, or back. The organizer role is fixed."""
    require_owner(group, actor)
    if role not in ("co_organizer", "member"):
        raise DomainError("invalid_role")
    m = membership(group, user_id)
    if m.role == "organizer":
        raise DomainError("cannot_change_organizer")
    m.role = role
    db.session.flush()
    return m


def leave(group: Group, user: User) -> None:
    m = membership(group, user.id)
    if m.role == "organizer":
        others = db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(
                Membership.group_id == group.id,
                Membership.role == "organizer",
                Membership.user_id != user.id,
            )
        )
        if not others:
            raise DomainError("last_organizer")
    db.session.delete(m)
    db.session.flush()


@dataclass(frozen=True)
class MemberRow:
    user_id: int
    name: str
    email: str
    headline: str
    company: str
    role: str
    source: str
    invite_label: str | None
    joined_at: datetime
    undeliverable: bool = False  # their address hard-bounced: no group email reaches them


@dataclass(frozen=True)
class MemberPage:
    rows: list[MemberRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# The list's order, read from the index ix_memberships_list (see models.member_sort).
_ORDER = (Membership.sort_rank, Membership.sort_name, Membership.user_id)


def members_page(
    group: Group, viewer: User | None, *, page: int = 1, per_page: int = 50, search: str = ""
) -> MemberPage:
    """One page of members in two queries (count + rows), for members only. Emails are the
    caller's to hide from non-organizers, who can't search by email either. People an
    organizer imported are shown to other members only once they joined or RSVPed themselves.

    The page's people are found in the list's index (skipping the pages before it there),
    then only those 50 are read with their details: however far the page, no sort."""
    role = role_in(group, viewer)
    if role is None:
        raise DomainError("forbidden")
    where = [Membership.group_id == group.id]
    if role not in ORGANIZER_ROLES:
        where.append(text(f"({SHOWN_TO_MEMBERS})"))
    search = search.strip()[:100]
    if search:
        needle = search.lower()
        by_name = func.lower(User.name).contains(needle, autoescape=True)
        by_email = User.email.contains(needle, autoescape=True)
        where.append(or_(by_name, by_email) if role in ORGANIZER_ROLES else by_name)
    members = select(Membership.user_id).select_from(Membership)
    if search:
        members = members.join(User, User.id == Membership.user_id)
    members = members.where(*where).order_by(*_ORDER)
    # Counted in the list's order too: SQLite (which keeps no statistics) then reads the same
    # index as the page, not one that needs the table for each of 50,000 rows.
    total = db.session.scalar(select(func.count()).select_from(members.subquery()))
    page = max(1, page)
    on_page = members.limit(per_page).offset((page - 1) * per_page)
    rows = db.session.execute(
        select(
            User.id,
            User.name,
            User.email,
            User.headline,
            User.company,
            Membership.role,
            Membership.source,
            Invite.label,
            Membership.joined_at,
            User.mail_undeliverable_at.is_not(None),
        )
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .outerjoin(Invite, Invite.id == Membership.invite_id)
        .where(Membership.group_id == group.id, Membership.user_id.in_(on_page.scalar_subquery()))
        .order_by(*_ORDER)
    ).all()
    return MemberPage([MemberRow(*r) for r in rows], total or 0, page, per_page)


def member_count(group: Group) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Membership).where(Membership.group_id == group.id)
    )
