"""Demo data of an approval-required event: a curated dinner whose organizer approves each
RSVP and shares the address once approved, a few guests already approved, and one pending
request, from the member the demo signs in as (services/events/approval.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from .extensions import db
from .models import Event, Group, Rsvp, User
from .services.events.editing import EventInput, create_event
from .services.tokens import new_token

TITLE = "Founders & investors dinner"


def seed(
    group: Group, organizer: User, member: User, guests: list[User], now: datetime, local
) -> Event:
    """The dinner, made once (found by its title after that). `local(day, hour)` gives a
    wall-clock reading in the demo's zone."""
    event = db.session.scalar(select(Event).where(Event.group_id == group.id, Event.title == TITLE))
    if event is not None:
        return event
    day = now + timedelta(days=17)
    event = create_event(
        group,
        organizer,
        EventInput(
            title=TITLE,
            timezone="Europe/Paris",
            starts_local=local(day, 20),
            ends_local=local(day, 23),
            description=(
                "Twelve founders and twelve investors around one table. Each seat is "
                "approved by the organizers, to keep the balance."
            ),
            venue_name="Le Comptoir Général",
            venue_address="80 Quai de Jemmapes, 75010 Paris",
            capacity=24,
            requires_approval=True,
            hide_address=True,
        ),
        now=now,
    )
    asked = now - timedelta(days=1)
    for i, user in enumerate(g for g in guests if g.id not in (member.id, organizer.id)):
        db.session.add(_row(event, user, "going", asked + timedelta(minutes=i), new_token()))
    db.session.add(_row(event, member, "requested", now - timedelta(hours=3), None))
    db.session.flush()
    return event


def _row(event: Event, user: User, status: str, at: datetime, token: str | None) -> Rsvp:
    return Rsvp(
        event_id=event.id,
        user_id=user.id,
        status=status,
        requested_at=at,
        looking_for=user.looking_for,
        can_offer=user.can_offer,
        wants_intros=user.wants_intros,
        ticket_token=token,
    )
