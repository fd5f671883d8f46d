"""What a signed-in person's home page lists: their upcoming events, the ones they recently went
to, and their groups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased, contains_eager

from ..extensions import db
from ..models import Event, Group, Membership, Rsvp, User, utcnow
from .intros import proposals as intros
from .permissions import ORGANIZER_ROLES

HOME_EVENTS_LIMIT = 20
RECENT_DAYS, RECENT_LIMIT = 60, 5
ATTENDING = ("going", "waitlisted", "requested")  # requested: waiting for an organizer's approval


@dataclass
class HomeEvent:
    event: Event
    rsvp_status: str | None  # mine, or None when I haven't answered
    ticket_token: str | None = None  # my ticket, when I have a seat


@dataclass
class PastEvent:
    event: Event
    checked_in: bool  # I was admitted at the door
    came: int | None = None  # for the group's organizers: people checked in
    intros_at: datetime | None = None  # for them: when unreviewed introductions go out


@dataclass
class HomeGroup:
    group: Group
    role: str


def upcoming_events(
    user: User, *, now: datetime | None = None, limit: int = HOME_EVENTS_LIMIT
) -> list[HomeEvent]:
    """Events not yet over that my groups hold, or that I'm going to or waitlisted for.

    One query, whatever the number of events or groups.
    """
    now = now or utcnow()
    my_groups = select(Membership.group_id).where(Membership.user_id == user.id)
    rows = db.session.execute(
        select(Event, Rsvp.status, Rsvp.ticket_token)
        .join(Event.group)
        .outerjoin(Rsvp, and_(Rsvp.event_id == Event.id, Rsvp.user_id == user.id))
        .where(
            Event.ends_at > now,
            or_(
                Event.group_id.in_(my_groups),
                # Someone who left a group keeps its public events they signed up for.
                and_(Rsvp.status.in_(ATTENDING), Event.visibility == "public"),
            ),
        )
        .options(contains_eager(Event.group))
        .order_by(Event.starts_at, Event.id)
        .limit(limit)
    )
    return [HomeEvent(event, status, token) for event, status, token in rows]


def recent_events(user: User, *, now: datetime | None = None) -> list[PastEvent]:
    """Events of the last RECENT_DAYS where I had a seat, or that a group I run held, latest
    first: the page to go back to for who was there (and, for organizers, the introductions to
    review). Members-only events count only while I am in the group. One query."""
    now = now or utcnow()
    my_groups = select(Membership.group_id).where(Membership.user_id == user.id)
    i_run = my_groups.where(Membership.role.in_(ORGANIZER_ROLES))
    others = aliased(Rsvp)
    came = (
        select(func.count(others.id))
        .where(others.event_id == Event.id, others.status == "going")
        .where(others.checked_in_at.is_not(None))
        .correlate(Event)
        .scalar_subquery()
    )
    runs = Event.group_id.in_(i_run)
    rows = db.session.execute(
        select(Event, Rsvp.checked_in_at, runs, came)
        .outerjoin(
            Rsvp, and_(Rsvp.event_id == Event.id, Rsvp.user_id == user.id, Rsvp.status == "going")
        )
        .join(Event.group)
        .where(
            or_(Rsvp.id.is_not(None), runs),
            Event.ends_at <= now,
            Event.ends_at > now - timedelta(days=RECENT_DAYS),
            Event.cancelled_at.is_(None),
            or_(Event.visibility == "public", Event.group_id.in_(my_groups)),
        )
        .options(contains_eager(Event.group))
        .order_by(Event.starts_at.desc(), Event.id.desc())
        .limit(RECENT_LIMIT)
    )
    return [
        PastEvent(
            event,
            checked_in=checked_in is not None,
            came=came_count if organizer else None,
            intros_at=None if not organizer else intros.review_until(event, now),
        )
        for event, checked_in, organizer, came_count in rows
    ]


def my_groups(user: User) -> list[HomeGroup]:
    rows = db.session.execute(
        select(Group, Membership.role)
        .join(Membership, Membership.group_id == Group.id)
        .where(Membership.user_id == user.id)
        .order_by(Group.name, Group.id)
    )
    return [HomeGroup(group, role) for group, role in rows]
