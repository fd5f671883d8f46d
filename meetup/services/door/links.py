"""Volunteer door links: a secret URL that opens one event's door page and nothing else.

Only the token's hash is stored; the URL is shown once, when the organizer makes it. A link
expires some hours after the event ends and can be revoked at any time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Row, bindparam, select

from ...extensions import db
from ...models import DoorLink, Event, utcnow
from .. import tokens
from ..errors import DomainError
from ..tokens import hash_token, new_token

HOURS_AFTER_EVENT = 6


def refusal(event: Event, now: datetime | None = None) -> str | None:
    """Why no link can be made for `event` now (an error code), or None: a link would stop
    working at once after the event, and a cancelled event's door admits no one."""
    if event.cancelled_at is not None:
        return "event_cancelled"
    if event.ends_at + timedelta(hours=HOURS_AFTER_EVENT) <= (now or utcnow()):
        return "event_over"
    return None


def create(event: Event, label: str, *, now: datetime | None = None) -> tuple[DoorLink, str]:
    """A new link and its raw token (to show once)."""
    now = now or utcnow()
    if code := refusal(event, now):
        raise DomainError(code)
    expires_at = event.ends_at + timedelta(hours=HOURS_AFTER_EVENT)
    label = " ".join(label.split())[:120]
    if not label:
        raise DomainError("invalid")
    token = new_token()
    link = DoorLink(
        event_id=event.id,
        token_hash=hash_token(token),
        label=label,
        created_at=now,
        expires_at=expires_at,
    )
    db.session.add(link)
    db.session.flush()
    return link, token


def is_active(link: DoorLink | LinkRow | Row, now: datetime | None = None) -> bool:
    return link.revoked_at is None and link.expires_at > (now or utcnow())


def redeem(token: str, *, now: datetime | None = None) -> DoorLink:
    """The link a volunteer opened, if it still works."""
    link = db.session.scalar(select(DoorLink).where(DoorLink.token_hash == hash_token(token)))
    if link is None:
        raise DomainError("door_link_invalid")
    if link.revoked_at is not None:
        raise DomainError("door_link_revoked")
    if link.expires_at <= (now or utcnow()):
        raise DomainError("door_link_expired")
    return link


class LinkRow(NamedTuple):
    """What a request needs of its session's door link: who (id, label), whether it works."""

    id: int
    label: str
    revoked_at: datetime | None
    expires_at: datetime


COLUMNS = tuple(getattr(DoorLink, field) for field in LinkRow._fields)
_ACTIVE = select(*COLUMNS).where(
    DoorLink.id == bindparam("id"), DoorLink.event_id == bindparam("event_id")
)


def active(link_id: int, event_id: int, *, now: datetime | None = None) -> Row | None:
    """The session's door link for this event (id, label), checked again on every request.
    Read as a plain row: every scan of a volunteer's phone asks."""
    link = db.session.connection().execute(_ACTIVE, {"id": link_id, "event_id": event_id}).first()
    return link if link is not None and is_active(link, now) else None


def for_event(event_id: int) -> list[DoorLink]:
    return db.session.scalars(
        select(DoorLink).where(DoorLink.event_id == event_id).order_by(DoorLink.created_at.desc())
    ).all()


def revoke(event: Event, link_id: int, *, now: datetime | None = None) -> DoorLink:
    return tokens.revoke(DoorLink, link_id, owner=("event_id", event.id), now=now or utcnow())
