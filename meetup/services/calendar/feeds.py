"""Subscription feeds: which events a feed holds, and a validator computed before building it.

Calendar apps poll feeds every few minutes to hours. The validator (ETag, Last-Modified) comes
from one aggregate query (count and latest change of the rows the feed shows), so an unchanged
feed answers 304 without loading or serialising a single event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from threading import Lock

import cachetools
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from ...extensions import db
from ...models import Event, Group, Rsvp, User, utcnow
from ..tokens import new_token, same
from . import files as calendar

HISTORY = timedelta(days=183)  # past events stay in feeds for about six months
FEED_STATUSES = {"going": None, "waitlisted": "TENTATIVE"}
FORMAT_VERSION = "1"  # bump when the feed's layout changes, so every ETag changes


@dataclass(frozen=True)
class Validator:
    etag: str
    last_modified: datetime | None


# Whole feeds by ETag, per process: a poll without validators costs one query.
@cachetools.cached(cachetools.LRUCache(maxsize=64), key=lambda validator, build: validator.etag,
                   lock=Lock())  # fmt: skip
def cached(validator: Validator, build: Callable[[], bytes]) -> bytes:
    """The feed for this validator, built at most once per process while it is current."""
    return build()


def find_user_by_token(token: str | None) -> User | None:
    if not token or len(token) > 64:
        return None
    user = db.session.scalar(select(User).where(User.feed_token == token))
    return user if user is not None and same(user.feed_token, token) else None


def reset_token(user: User) -> str:
    """A new secret for the user's feed links; the old links stop working at once."""
    user.feed_token = new_token()
    db.session.flush()
    return user.feed_token


def event_validator(event: Event) -> Validator:
    return _validator("event", event.id, event.sequence, event.cancelled_at, event.updated_at)


def ticket_validator(event: Event, ticket_token: str | None) -> Validator:
    """An attendee's copy of the event's file: their ticket is part of it."""
    parts = (event.id, event.sequence, event.cancelled_at, event.updated_at)
    return _validator("ticket", ticket_token, *parts)


# ------------------------------------------------------------------ group feed


def _group_events(group: Group, members: bool, now: datetime) -> Select:
    """`members`: the viewer belongs to the group and so sees members-only events too."""
    query = select(*calendar.FEED_COLUMNS).where(
        Event.group_id == group.id, Event.ends_at >= now - HISTORY
    )
    return query if members else query.where(Event.visibility == "public")


def group_validator(group: Group, members: bool, *, now: datetime | None = None) -> Validator:
    events = _group_events(group, members, now or utcnow()).subquery()
    count, sequences, latest = db.session.execute(
        select(func.count(), func.sum(events.c.sequence), func.max(events.c.updated_at))
    ).one()
    return _validator("group", group.id, group.name, members, count, sequences, latest)


def group_feed(group: Group, members: bool, *, now: datetime | None = None) -> bytes:
    events = db.session.execute(
        _group_events(group, members, now or utcnow()).order_by(Event.starts_at, Event.id)
    ).all()
    return calendar.feed(group.name, events)


# ------------------------------------------------------------------ personal feed


def _my_rsvps(user: User, now: datetime) -> Select:
    return (
        select(*calendar.FEED_COLUMNS, Rsvp.status.label("rsvp_status"))
        .select_from(Rsvp)
        .join(Rsvp.event)
        .where(
            Rsvp.user_id == user.id,
            Rsvp.status.in_(FEED_STATUSES),
            Event.ends_at >= now - HISTORY,
        )
    )


def personal_validator(user: User, *, now: datetime | None = None) -> Validator:
    rows = _my_rsvps(user, now or utcnow()).with_only_columns(
        func.count(),
        func.sum(Event.sequence),
        func.max(Event.updated_at),
        func.max(Rsvp.updated_at),
    )
    count, sequences, event_latest, rsvp_latest = db.session.execute(rows).one()
    latest = max((t for t in (event_latest, rsvp_latest) if t is not None), default=None)
    return _validator("user", user.id, user.feed_token, count, sequences, rsvp_latest, latest)


def personal_feed(user: User, *, now: datetime | None = None) -> bytes:
    rows = db.session.execute(
        _my_rsvps(user, now or utcnow()).order_by(Event.starts_at, Event.id)
    ).all()
    statuses = {row.id: FEED_STATUSES[row.rsvp_status] for row in rows}
    seated = frozenset(row.id for row in rows if row.rsvp_status == "going")
    return calendar.feed(_("My meetups"), rows, statuses=statuses, seated=seated)


def _validator(*parts: object) -> Validator:
    *_, latest = parts
    if isinstance(latest, datetime) and latest.tzinfo is None:
        latest = latest.replace(tzinfo=UTC)  # an aggregate skips the column's type on SQLite
    # The language too: a file's words (its name, "Event page: ...") are in the reader's.
    context = (FORMAT_VERSION, current_app.config["BASE_URL"], str(get_locale()))
    text = "|".join(str(p) for p in (*context, *parts))
    return Validator(hashlib.sha256(text.encode()).hexdigest()[:32], latest)
