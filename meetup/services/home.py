"""What a signed-in person's home page lists: their upcoming events and their groups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import Event, Group, Membership, Rsvp, User, utcnow

HOME_EVENTS_LIMIT = 20
ATTENDING = ("going", "waitlisted")


@dataclass
class HomeEvent:
    event: Event
    rsvp_status: str | None  # mine, or None when I haven't answered


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
        select(Event, Rsvp.status)
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
    return [HomeEvent(event, status) for event, status in rows]


def my_groups(user: User) -> list[HomeGroup]:
    rows = db.session.execute(
        select(Group, Membership.role)
        .join(Membership, Membership.group_id == Group.id)
        .where(Membership.user_id == user.id)
        .order_by(Group.name, Group.id)
    )
    return [HomeGroup(group, role) for group, role in rows]
