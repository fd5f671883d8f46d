"""An organizer writes to the people of one event: "doors open at 18:45", "bring your ID",
"the slides are here". One email each, queued in the outbox like any other.

Sending twice is harmless: each form carries a random key, and a message is queued at most
once per (key, person), by the outbox's unique dedupe key. A double tap, a retried POST or
the back button then re-send finds everyone already written to.

Named guests who gave an email are people of the event too: those holding a ticket (their
host going) get the message with the people going, as those who came do with those who came.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ...extensions import db
from ...models import Event, OutboxMessage, Rsvp, RsvpGuest, User, utcnow
from ...urls import event_url
from ..errors import DomainError
from ..tokens import new_token
from . import messages as mail

SUBJECT_MAX = 150
BODY_MAX = 5000
KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass(frozen=True)
class Sent:
    queued: int  # new emails
    already: int  # people this form's key had reached before (a repeat)


def _audience(event: Event, audience: str):
    """Who an audience is, by RSVP status; "came" are those checked in at the door."""
    query = select(User).join(Rsvp, Rsvp.user_id == User.id).where(Rsvp.event_id == event.id)
    if audience == "going":
        return query.where(Rsvp.status == "going")
    if audience == "everyone":
        return query.where(Rsvp.status.in_(("going", "waitlisted")))
    if audience == "came":
        return query.where(Rsvp.status == "going", Rsvp.checked_in_at.is_not(None))
    raise DomainError("bad_audience")


def _guests(event: Event, audience: str):
    """The named guests with an email an audience reaches: those holding a ticket (their host
    going), and for "came" those checked in."""
    query = (
        select(RsvpGuest)
        .join(Rsvp, Rsvp.id == RsvpGuest.rsvp_id)
        .where(
            RsvpGuest.event_id == event.id,
            *RsvpGuest.with_ticket_and_address(),
        )
    )
    if audience == "came":
        return query.where(RsvpGuest.checked_in_at.is_not(None))
    return query


def guest_counts(event: Event) -> dict[str, int]:
    """How many named guests each audience reaches besides its people (one query)."""
    reached = _guests(event, "going").subquery()
    held, came = db.session.execute(
        select(func.count(), func.count(reached.c.checked_in_at)).select_from(reached)
    ).one()
    return {"going": held, "everyone": held, "came": came}


def counts(event: Event) -> dict[str, int]:
    """How many people each audience reaches (one query)."""
    rows = db.session.execute(
        select(Rsvp.status, Rsvp.checked_in_at.is_not(None)).where(
            Rsvp.event_id == event.id, Rsvp.status.in_(("going", "waitlisted"))
        )
    ).all()
    going = sum(1 for status, _came in rows if status == "going")
    return {
        "going": going,
        "everyone": len(rows),
        "came": sum(1 for status, came in rows if status == "going" and came),
    }


def _key(event: Event, form_key: str, user: User) -> str:
    return f"announce:{event.id}:{form_key}:{user.id}"


def _guest_key(event: Event, form_key: str, guest: RsvpGuest) -> str:
    return f"announce:{event.id}:{form_key}:guest-{guest.id}"


def send(
    event: Event,
    sender: User,
    *,
    audience: str,
    subject: str,
    body: str,
    form_key: str,
    now: datetime | None = None,
) -> Sent:
    """Queue the message for everyone in `audience`, in the caller's transaction.

    Codes: bad_audience, announcement_invalid (subject or text empty or too long, a form
    key of the wrong shape), nobody_to_write_to.
    """
    subject, body = " ".join(subject.split()), body.strip()
    if not subject or not body or len(subject) > SUBJECT_MAX or len(body) > BODY_MAX:
        raise DomainError("announcement_invalid")
    if not KEY_SHAPE.fullmatch(form_key):
        raise DomainError("announcement_invalid")
    people = list(db.session.scalars(_audience(event, audience).order_by(User.id)))
    addresses = {person.email for person in people}
    guests = []
    for guest in db.session.scalars(_guests(event, audience).order_by(RsvpGuest.id)):
        if guest.email not in addresses:  # one email per address: a guest who also RSVPed
            addresses.add(guest.email)
            guests.append(guest)
    if not people and not guests:
        raise DomainError("nobody_to_write_to")
    keys = {person.id: _key(event, form_key, person) for person in people}
    guest_keys = {guest.id: _guest_key(event, form_key, guest) for guest in guests}
    done = set(
        db.session.scalars(
            select(OutboxMessage.dedupe_key).where(
                OutboxMessage.dedupe_key.in_([*keys.values(), *guest_keys.values()])
            )
        )
    )
    now = now or utcnow()
    full_subject = f"{event.title}: {subject}"
    context = {
        "event": event,
        "event_link": event_url(event.key),
        "sender_name": sender.display_name,
        "group_name": event.group.name,
        "lines": body.splitlines(),
    }
    rows = [
        mail.build(
            person,
            "announcement",
            full_subject,
            context=context,
            dedupe_key=keys[person.id],
            group_id=event.group_id,
            now=now,
        )
        for person in people
        if keys[person.id] not in done
    ]
    rows += [
        mail.build(
            guest.email,
            "announcement",
            full_subject,
            context={**context, "recipient_name": guest.name},
            dedupe_key=guest_keys[guest.id],
            group_id=event.group_id,
            now=now,
        )
        for guest in guests
        if guest_keys[guest.id] not in done
    ]
    db.session.add_all(rows)
    db.session.flush()
    return Sent(queued=len(rows), already=len(people) + len(guests) - len(rows))


def new_form_key() -> str:
    """The key a message form carries (see the module's docstring)."""
    return new_token(18)
