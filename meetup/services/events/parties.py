"""A host changes their party after answering: adds, renames or removes a named guest.

Each change runs under the event's lock and counts the seats as every answer does (the sum
of party sizes, services/events/seats.py). Decisions (docs/events.md, "Named plus-ones"):

- Adding and renaming close at the RSVP deadline (or the start); removing a guest stays
  open until the start, as saying "Can't go" does.
- Adding a guest to a party that is going needs a free seat that nobody waits for. When
  there is none, the guest is refused (`guest_no_seat`) and the host keeps their seat: the
  party isn't sent to the waitlist for a guest the host may bring another time.
- A party that waits can grow or shrink in line, keeping its place.
- Removing a guest frees their seat (or shrinks the waiting party), and the line moves at
  once, first come first served (waitlist.fill_seats).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ...extensions import db
from ...models import Event, Rsvp, RsvpGuest, utcnow
from ..errors import DomainError
from . import guests, seats, waitlist
from .locking import lock_event


def _locked(event: Event, rsvp: Rsvp, now: datetime, *, adding: bool) -> seats.Seats:
    """The event's lock, its seats, and the host's RSVP as committed: `not_attending` unless
    it is going or waiting; `rsvp_closed` after the deadline for adding or renaming."""
    lock_event(event.id)
    state = seats.of(event.id)
    seats.ensure_changeable(state, now)
    db.session.refresh(rsvp)
    if rsvp.status not in seats.ACTIVE:
        raise DomainError("not_attending")
    if adding and state.rsvp_deadline is not None and now >= state.rsvp_deadline:
        raise DomainError("rsvp_closed")
    return state


def _guest_of(rsvp: Rsvp, guest_id: int) -> RsvpGuest:
    guest = db.session.scalar(
        select(RsvpGuest).where(RsvpGuest.id == guest_id, RsvpGuest.rsvp_id == rsvp.id)
    )
    if guest is None:
        raise DomainError("guest_not_found")
    return guest


def add_guest(
    event: Event, rsvp: Rsvp, guest: guests.GuestInput, now: datetime | None = None
) -> RsvpGuest:
    """A new guest in the host's party: seated with it if a seat is free for them (else
    refused, the host keeping their seat), or waiting with it."""
    now = now or utcnow()
    guest = guests.clean_one(guest)
    state = _locked(event, rsvp, now, adding=True)
    if rsvp.party_size - 1 >= event.max_guests:
        raise DomainError("too_many_guests", max=event.max_guests)
    if rsvp.status == "going" and not state.seats_party(1, event):
        raise DomainError("guest_no_seat")
    row = guests.new_row(rsvp, guest, now)
    rsvp.party_size += 1
    rsvp.updated_at = now
    db.session.flush()
    if rsvp.status == "going":
        guests.send_ticket(row, rsvp, now)
    return row


def rename_guest(
    event: Event,
    rsvp: Rsvp,
    guest_id: int,
    guest: guests.GuestInput,
    now: datetime | None = None,
) -> RsvpGuest:
    """A guest's name or email corrected. A new address gets the ticket (and a new consent
    link: the old address's stops working)."""
    now = now or utcnow()
    guest = guests.clean_one(guest)
    _locked(event, rsvp, now, adding=True)
    row = _guest_of(rsvp, guest_id)
    new_address = guest.email is not None and guest.email != row.email
    row.name, row.email = guest.name, guest.email
    if guest.email is None:
        row.consent_token = None
    elif new_address:
        row.consent_token = None  # send_ticket draws a new one
    db.session.flush()
    if new_address and rsvp.status == "going":
        guests.send_ticket(row, rsvp, now)
    return row


def remove_guest(
    event: Event, rsvp: Rsvp, guest_id: int, now: datetime | None = None
) -> list[Rsvp]:
    """A guest who won't come: their seat goes to the line at once. Returns who was seated."""
    now = now or utcnow()
    _locked(event, rsvp, now, adding=False)
    db.session.delete(_guest_of(rsvp, guest_id))
    rsvp.party_size -= 1
    rsvp.updated_at = now
    db.session.flush()
    return waitlist.fill_seats(event, now)
