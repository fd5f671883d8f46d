"""Groups: create, edit, delete; roles; invite links and joining through them; members list."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import PLATFORMS, Event, Group, Invite, Membership, User, utcnow
from ..errors import DomainError
from ..permissions import ORGANIZER_ROLES, require_organizer, require_owner, role_in
from ..tokens import new_token

SLUG_MAX = 60  # leaves room for a "-12" suffix within the column's 80
NAME_MAX = 120
LABEL_MAX = 120
URL_MAX = 500
DESCRIPTION_MAX = 20_000

# ---------------------------------------------------------------- slugs


def slugify(name: str) -> str:
    """ "Café Rust Berlin!" -> "cafe-rust-berlin"; never empty."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-") or "group"


def _free_slug(base: str) -> str:
    """`base`, or `base-2`, `base-3`... whichever is unused (one query)."""
    taken = set(
        db.session.scalars(
            select(Group.slug).where(or_(Group.slug == base, Group.slug.like(f"{base}-%")))
        )
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


# ---------------------------------------------------------------- validation


def clean_community_url(raw: str | None) -> str:
    """An http(s) link with a host, or "" when none is given."""
    url = (raw or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if len(url) > URL_MAX or parts.scheme not in ("http", "https") or not parts.hostname:
        raise DomainError("invalid_url")
    return url


def _clean_fields(name: str, description: str, platform: str, community_url: str) -> dict:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("name_required")
    if len(name) > NAME_MAX or len(description or "") > DESCRIPTION_MAX:
        raise DomainError("too_long")
    if platform not in PLATFORMS:
        raise DomainError("invalid_platform")
    return {
        "name": name,
        "description": (description or "").strip(),
        "platform": platform,
        "community_url": clean_community_url(community_url),
    }


# ---------------------------------------------------------------- groups


def create_group(
    creator: User,
    *,
    name: str,
    description: str = "",
    platform: str = "other",
    community_url: str = "",
    now: datetime | None = None,
) -> Group:
    """A new group with `creator` as its organizer. The slug comes from the name, once."""
    now = now or utcnow()
    fields = _clean_fields(name, description, platform, community_url)
    base = slugify(fields["name"])
    for _attempt in range(5):
        group = Group(slug=_free_slug(base), created_at=now, **fields)
        try:
            # A savepoint: a concurrent creator may take the same slug between check and insert.
            with db.session.begin_nested():
                db.session.add(group)
                db.session.flush()
        except IntegrityError:
            continue
        db.session.add(
            Membership(
                group_id=group.id,
                user_id=creator.id,
                role="organizer",
                source="created",
                joined_at=now,
            )
        )
        db.session.flush()
        return group
    raise DomainError("slug_taken")


def update_group(
    group: Group,
    actor: User,
    *,
    name: str,
    description: str,
    platform: str,
    community_url: str,
) -> Group:
    """Edit; the slug stays as it was, so shared links keep working after a rename."""
    require_organizer(group, actor)
    for key, value in _clean_fields(name, description, platform, community_url).items():
        setattr(group, key, value)
    db.session.flush()
    return group


def delete_group(group: Group, actor: User) -> None:
    """The organizer only. Events, memberships and invite links go with it (ON DELETE CASCADE)."""
    require_owner(group, actor)
    db.session.delete(group)
    db.session.flush()


def get_by_slug(slug: str) -> Group:
    group = db.session.scalar(select(Group).where(Group.slug == slug))
    if group is None:
        raise DomainError("group_not_found")
    return group


# ---------------------------------------------------------------- roles and leaving


def _membership(group: Group, user_id: int) -> Membership:
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
    m = _membership(group, user_id)
    if m.role == "organizer":
        raise DomainError("cannot_change_organizer")
    m.role = role
    db.session.flush()
    return m


def leave(group: Group, user: User) -> None:
    m = _membership(group, user.id)
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


# ---------------------------------------------------------------- invite links


def create_invite(group: Group, actor: User, label: str, *, now: datetime | None = None) -> Invite:
    require_organizer(group, actor)
    label = " ".join((label or "").split())
    if not label:
        raise DomainError("label_required")
    if len(label) > LABEL_MAX:
        raise DomainError("too_long")
    invite = Invite(group_id=group.id, code=new_token(), label=label, created_at=now or utcnow())
    db.session.add(invite)
    db.session.flush()
    return invite


def revoke_invite(
    group: Group, actor: User, invite_id: int, *, now: datetime | None = None
) -> Invite:
    require_organizer(group, actor)
    invite = db.session.get(Invite, invite_id)
    if invite is None or invite.group_id != group.id:
        raise DomainError("not_found")
    if invite.revoked_at is None:
        invite.revoked_at = now or utcnow()
        db.session.flush()
    return invite


@dataclass(frozen=True)
class InviteStats:
    invite: Invite
    joined: int


def invites_with_counts(group: Group) -> list[InviteStats]:
    """Every link of the group with how many joined through it: one query for all links."""
    joined = func.count(Membership.id)
    rows = db.session.execute(
        select(Invite, joined)
        .outerjoin(Membership, Membership.invite_id == Invite.id)
        .where(Invite.group_id == group.id)
        .group_by(Invite.id)
        .order_by(Invite.revoked_at.is_not(None), Invite.created_at.desc(), Invite.id.desc())
    ).all()
    return [InviteStats(invite, count) for invite, count in rows]


def find_invite(code: str) -> Invite:
    """The active link for `code`. Unknown (or its group deleted): 404; revoked: 410."""
    if not code or len(code) > 64:
        raise DomainError("invite_not_found")
    invite = db.session.scalar(select(Invite).where(Invite.code == code))
    if invite is None:
        raise DomainError("invite_not_found")
    if invite.revoked_at is not None:
        raise DomainError("invite_revoked")
    return invite


def join(code: str, user: User, *, now: datetime | None = None) -> tuple[Membership, bool]:
    """Join through an invite link: (membership, True if new). Joining twice changes nothing."""
    invite = find_invite(code)
    existing = db.session.scalar(
        select(Membership).where(
            Membership.group_id == invite.group_id, Membership.user_id == user.id
        )
    )
    if existing is not None:
        return existing, False
    m = Membership(
        group_id=invite.group_id,
        user_id=user.id,
        role="member",
        source="invite",
        invite_id=invite.id,
        joined_at=now or utcnow(),
    )
    try:
        with db.session.begin_nested():  # a double tap on two devices
            db.session.add(m)
            db.session.flush()
    except IntegrityError:
        return _membership(invite.group, user.id), False
    return m, True


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class GroupEvents:
    upcoming: list[Event]
    past: list[Event]


def group_events(
    group: Group, viewer: User | None, *, past_limit: int = 20, now: datetime | None = None
) -> GroupEvents:
    """Upcoming and past events; members-only ones only for members (as can_view_event)."""
    now = now or utcnow()
    query = select(Event).where(Event.group_id == group.id)
    if role_in(group, viewer) is None:
        query = query.where(Event.visibility == "public")
    upcoming = db.session.scalars(
        query.where(Event.ends_at >= now).order_by(Event.starts_at, Event.id)
    ).all()
    past = db.session.scalars(
        query.where(Event.ends_at < now).order_by(Event.starts_at.desc()).limit(past_limit)
    ).all()
    return GroupEvents(list(upcoming), list(past))


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


@dataclass(frozen=True)
class MemberPage:
    rows: list[MemberRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


_ROLE_ORDER = case({"organizer": 0, "co_organizer": 1}, value=Membership.role, else_=2)


def members_page(
    group: Group, viewer: User | None, *, page: int = 1, per_page: int = 50, search: str = ""
) -> MemberPage:
    """One page of members in two queries (count + rows), for members only. Emails are the
    caller's to hide from non-organizers, who can't search by email either."""
    role = role_in(group, viewer)
    if role is None:
        raise DomainError("forbidden")
    where = [Membership.group_id == group.id]
    search = search.strip()[:100]
    if search:
        needle = search.lower()
        by_name = func.lower(User.name).contains(needle, autoescape=True)
        by_email = User.email.contains(needle, autoescape=True)
        where.append(or_(by_name, by_email) if role in ORGANIZER_ROLES else by_name)
    total = db.session.scalar(select(func.count()).select_from(Membership).join(User).where(*where))
    page = max(1, page)
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
        )
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .outerjoin(Invite, Invite.id == Membership.invite_id)
        .where(*where)
        .order_by(_ROLE_ORDER, User.name == "", func.lower(User.name), User.email)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return MemberPage([MemberRow(*r) for r in rows], total or 0, page, per_page)


def member_count(group: Group) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Membership).where(Membership.group_id == group.id)
    )
