"""Emailed calendar invites (iTIP): what each person's calendar must receive, and when.

- A confirmed seat (going, added by an organizer, promoted) comes with a REQUEST: the event
  lands in the calendar.
- Losing it (cancelled, removed, a lapsed claim) comes with a CANCEL: same UID, and it goes.
- A change of time or place sends every going attendee an updated REQUEST; an edit of the
  description alone sends nothing. Cancelling the event sends every going attendee a CANCEL.

SEQUENCE: clients keep the message with the highest SEQUENCE for a UID and ignore older or
equal ones. Each person's invites carry Event.sequence + Rsvp.invite_sequence
(calendar.person_sequence). Their own seat gained or lost raises the second (services/events/),
a change of time or place or a cancellation the first (services/events/editing.py). Neither ever
falls, so each message outranks everything that person received before: the CANCEL beats
their REQUEST, a later REQUEST (they RSVP again) beats that CANCEL. One person's seat leaves
the event, its feeds and their validators as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import Event, Rsvp, User, utcnow
from ...urls import event_url, ticket_url
from ..mail import messages as mail
from . import files as calendar

# What a calendar entry shows of an event: a change of any of these is sent to attendees.
SCHEDULE_FIELDS = frozenset({"starts_at", "ends_at", "venue_name", "venue_address"})
SEAT_GAINED = frozenset({"going", "added", "promoted"})
SEAT_LOST = frozenset({"cancelled", "removed", "claim_expired"})


def for_notice(rsvp: Rsvp, kind: str, *, had_seat: bool = True) -> dict[str, object]:
    """The invite an RSVP notice carries, as part of the notice: {"invite", "sequence"}.

    `kind` is the notice (going, promoted, waitlisted, cancelled, removed, claim_expired);
    `had_seat` False for someone leaving the waitlist, whose calendar holds nothing to cancel.
    The SEQUENCE is taken now, in the change's transaction; the file is written with the
    notice (write_for_notice).
    """
    if kind in SEAT_GAINED and rsvp.status == "going":
        return {"invite": "REQUEST", "sequence": calendar.person_sequence(rsvp)}
    if kind in SEAT_LOST and had_seat:
        return {"invite": "CANCEL", "sequence": calendar.person_sequence(rsvp)}
    return {}


def write_for_notice(
    notice: dict, event: Event, user: User, *, now: datetime | None = None
) -> dict[str, str]:
    """The invite of a notice queued with for_notice(): mail kwargs (ics, ics_method)."""
    sequence = notice.get("sequence")
    if notice.get("invite") == "REQUEST":
        token = notice.get("ticket_token")
        invite = calendar.request_to(event, user, ticket_token=token, sequence=sequence, now=now)
    elif notice.get("invite") == "CANCEL":
        invite = calendar.cancel_for(event, user, sequence=sequence, now=now)
    else:
        return {}
    return invite.mail_kwargs()


def send_update(event: Event, changed: set[str], *, now: datetime | None = None) -> int:
    """After services.events.editing.update_event: if the time or place moved, every going attendee
    gets an updated REQUEST. Returns the number of messages queued. A correction to an event
    that is over (the venue's name fixed for the record) emails nobody."""
    if not changed & SCHEDULE_FIELDS or event.has_ended(now):
        return 0
    subject = _("Updated: %(title)s", title=event.title)
    return _send_to_going(event, "event_updated", subject, calendar.request_for, now=now)


def send_cancellation(event: Event, *, now: datetime | None = None) -> int:
    """After services.events.editing.cancel_event: every going attendee gets a CANCEL."""
    subject = _("Cancelled: %(title)s", title=event.title)

    def cancel(rsvp: Rsvp, *, now: datetime | None) -> calendar.Invite:
        return calendar.cancel_for(
            event, rsvp.user, sequence=calendar.person_sequence(rsvp), now=now
        )

    return _send_to_going(event, "event_cancelled", subject, cancel, now=now)


def _send_to_going(
    event: Event,
    template: str,
    subject: str,
    invite: Callable[..., calendar.Invite],
    *,
    now: datetime | None,
) -> int:
    """One message per going attendee: one query for them all, one flush for the outbox."""
    now = now or utcnow()
    db.session.flush()
    rsvps = db.session.scalars(
        select(Rsvp)
        .where(Rsvp.event_id == event.id, Rsvp.status == "going")
        .options(joinedload(Rsvp.user))
        .order_by(Rsvp.id)
    ).all()
    messages = []
    for rsvp in rsvps:
        context = {
            "event": event,
            "event_link": event_url(event.key),
            "ticket_link": ticket_url(rsvp.ticket_token) if rsvp.ticket_token else None,
        }
        messages.append(
            mail.build(
                rsvp.user,
                template,
                subject,
                context=context,
                group_id=event.group_id,
                now=now,
                **invite(rsvp, now=now).mail_kwargs(),
            )
        )
    db.session.add_all(messages)
    db.session.flush()
    return len(messages)
