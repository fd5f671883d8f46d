"""Groups: create, edit, delete; roles; invite links and joining through them; members list."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...i18n import known_locale
from ...models import PLATFORMS, Event, Group, Membership, User, utcnow
from .. import text
from ..errors import DomainError
from ..permissions import require_organizer, require_owner, role_in

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
    refused = text.refusal(name)
    if refused is not None:
        raise DomainError(refused)
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
    locale: str | None = None,
    now: datetime | None = None,
) -> Group:
    """A new group with `creator` as its organizer. The slug comes from the name, once. Its
    language is `locale`, else the organizer's."""
    now = now or utcnow()
    fields = _clean_fields(name, description, platform, community_url)
    fields["locale"] = known_locale(locale) or creator.locale
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
    locale: str | None = None,
) -> Group:
    """Edit; the slug stays as it was, so shared links keep working after a rename."""
    require_organizer(group, actor)
    for key, value in _clean_fields(name, description, platform, community_url).items():
        setattr(group, key, value)
    group.locale = known_locale(locale) or group.locale
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


# ---------------------------------------------------------------- invite links


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
