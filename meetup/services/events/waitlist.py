"""The waitlist: every freed seat goes at once to the head of the line, and seats offered
with a claim window pass on when they are not claimed in time.

A party (a person and their named guests, services/events/guests.py) is seated whole or
waits whole: when the head of the line is a party larger than the free seats, the seats
stay free for it and nobody behind passes it, unless the organizer lets smaller parties past
(Event.parties_may_pass) or seats a party by hand (attendees.promote).

Place in line is `requested_at`. Anything that may free a seat (a cancellation, a removal, a
capacity change, a lapsed claim) ends with fill_seats(), so nobody waits while a seat is free.
With a claim window, every promotion holds the seat (with a ticket) for N hours, capped at the
start; unclaimed seats pass on (expire_claims, run by the worker).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import Event, Rsvp, utcnow
from ..errors import DomainError
from . import notices, rows, seats
from .locking import lock_event


def fill_seats(event: Event, now: datetime | None = None) -> list[Rsvp]:
    """Promote the head of the waitlist into every free seat.

    Anything that may free a seat calls this (cancel, remove, capacity change, lapsed claim),
    including services/events/editing.py when an organizer edits the capacity there.
    """
    now = now or utcnow()
    lock_event(event.id)  # already held by our own callers; taken for the events blueprint
    db.session.flush()
    state = seats.of(event.id)
    if state.free <= 0 or state.cancelled_at is not None or now >= state.starts_at:
        return []
    query = (
        select(Rsvp)
        .where(Rsvp.event_id == event.id, Rsvp.status == "waitlisted")
        .order_by(Rsvp.requested_at, Rsvp.id)
        .options(joinedload(Rsvp.user))
        .execution_options(populate_existing=True)
    )
    if state.capacity is not None and not event.parties_may_pass:
        query = query.limit(int(state.free))  # parties of one or more: no more than this
    promoted = []
    free = state.free
    for rsvp in db.session.scalars(query).all():
        if rsvp.party_size > free:
            if event.parties_may_pass:
                continue  # the organizer lets smaller parties behind it take the seats
            break  # first come, first served: nobody passes a larger party waiting first
        rows.seat(rsvp, event, now, claim=True)
        promoted.append(rsvp)
        free -= rsvp.party_size
        if free <= 0:
            break
    db.session.flush()
    for rsvp in promoted:
        notices.notify(rsvp, "promoted", now)
    return promoted


def claim(rsvp: Rsvp, now: datetime | None = None) -> Rsvp:
    """The promoted person confirms the seat held for them."""
    lock_event(rsvp.event_id)
    now = now or utcnow()
    state = seats.of(rsvp.event_id)
    seats.ensure_changeable(state, now)
    db.session.refresh(rsvp)
    if rsvp.status != "going":
        raise DomainError("claim_lapsed")
    rsvp.claim_expires_at = None
    rsvp.updated_at = now
    db.session.flush()
    return rsvp


def expire_claims(now: datetime | None = None) -> int:
    """Seats offered with a claim window and not claimed in time pass to the next in line.

    Run by the worker. Returns how many seats were released.
    """
    now = now or utcnow()
    event_ids = db.session.scalars(
        select(Rsvp.event_id)
        .join(Event, Event.id == Rsvp.event_id)
        .where(
            Rsvp.status == "going",
            Rsvp.claim_expires_at <= now,
            Event.starts_at > now,
            Event.cancelled_at.is_(None),
        )
        .distinct()
    ).all()
    released = 0
    for event_id in event_ids:
        lock_event(event_id)
        # As committed: the CANCELs below count from the event's sequence (invites.py).
        event = db.session.get(Event, event_id, populate_existing=True)
        lapsed = db.session.scalars(
            select(Rsvp)
            .where(
                Rsvp.event_id == event_id,
                Rsvp.status == "going",
                Rsvp.claim_expires_at <= now,
            )
            .options(joinedload(Rsvp.user))
            .execution_options(populate_existing=True)
        ).all()
        for rsvp in lapsed:
            rows.unseat(rsvp, "not_going", now)
        db.session.flush()
        promoted = fill_seats(event, now)  # first: each email says whether its seat went on
        for i, rsvp in enumerate(lapsed):
            notices.notify(rsvp, "claim_expired", now, handed_on=i < len(promoted))
        released += len(lapsed)
    return released
