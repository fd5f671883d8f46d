"""Emailed calendar invites (iTIP): what each person's calendar must receive, and when.

- A confirmed seat (going, added by an organizer, promoted) comes with a REQUEST: the event
  lands in the calendar.
- Losing it (cancelled, removed, a lapsed claim) comes with a CANCEL: same UID, and it goes.
- A change of time or place sends every going attendee an updated REQUEST; an edit of the
  description alone sends nothing. Cancelling the event sends every going attendee a CANCEL.
  People on the waitlist are told of both by email, with no invite (they hold none).
  Named guests with an address hear of both too (services/events/guests.py).

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

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import Event, Rsvp, User, utcnow
from ...timeutil import format_in_zone
from ...urls import event_url, ticket_url
from ..mail import messages as mail
from . import files as calendar

# What a calendar entry shows of an event: a change of any of these is sent to attendees.
TIME_FIELDS = frozenset({"starts_at", "ends_at"})
PLACE_FIELDS = frozenset({"venue_name", "venue_address"})
SCHEDULE_FIELDS = TIME_FIELDS | PLACE_FIELDS
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


def send_update(event: Event, before: dict[str, object], *, now: datetime | None = None) -> int:
    """After services.events.editing.update_event, `before` holding the old values of the
    fields that changed: if the time or place moved, every going attendee gets an updated
    REQUEST, and everyone on the waitlist an email (no invite: their calendar holds none),
    both saying what it was and what it is now. Returns the number of messages queued. A
    correction to an event that is over (the venue's name fixed for the record) emails
    nobody."""
    if not moved(event, before, now):
        return 0
    changes = ChangesAsRead(event, before)
    # Those without a seat don't see an address kept for seats (Event.hide_address).
    unseated = {"changes": ChangesAsRead(event, before, address=False)}
    return _send_to_people(
        event,
        "event_updated",
        update_subject(event, before),
        calendar.request_for,
        {"changes": changes},
        unseated_extra=unseated,
        now=now,
    )


def update_subject(event: Event, before: dict[str, object]) -> str:
    """The subject of a move's email: what moved, the time, the place or both."""
    time_moved, place_moved = bool(TIME_FIELDS & before.keys()), bool(PLACE_FIELDS & before.keys())
    if time_moved and place_moved:
        return _l("New time and place: %(title)s", title=event.title)
    if time_moved:
        return _l("New time: %(title)s", title=event.title)
    return _l("New place: %(title)s", title=event.title)


def moved(event: Event, before: dict[str, object], now: datetime | None = None) -> bool:
    """Whether an edit whose old values are `before` moved the event (time or place) in a way
    its people are told of: not a correction made once it is over."""
    return bool(before.keys() & SCHEDULE_FIELDS) and not event.has_ended(now)


class ChangesAsRead:
    """what_changed(), worded when each message is written: in its recipient's language (the
    labels and dates), not the editor's; once per language."""

    def __init__(self, event: Event, before: dict[str, object], *, address: bool = True):
        self._event, self._before, self._address = event, before, address
        self._by_locale: dict[str, list[tuple[str, str, str]]] = {}

    def __iter__(self):
        locale = str(get_locale())
        if locale not in self._by_locale:
            self._by_locale[locale] = what_changed(self._event, self._before, address=self._address)
        return iter(self._by_locale[locale])


def what_changed(
    event: Event, before: dict[str, object], *, address: bool = True
) -> list[tuple[str, str, str]]:
    """(label, before, now) for the time and the place, those that changed, as shown;
    without `address`, an address the event keeps for seats is left out."""
    old = {name: before.get(name, getattr(event, name)) for name in SCHEDULE_FIELDS}
    changes = []
    if TIME_FIELDS & before.keys():
        changes.append(
            (
                _("When"),
                _when(old["starts_at"], old["ends_at"], event.timezone),
                _when(event.starts_at, event.ends_at, event.timezone),
            )
        )
    shown = address or not event.hide_address
    if PLACE_FIELDS & before.keys():
        changes.append(
            (
                _("Where"),
                _where(old["venue_name"], old["venue_address"] if shown else ""),
                _where(event.venue_name, event.venue_address if shown else ""),
            )
        )
    return changes


def _when(starts: datetime, ends: datetime, zone: str) -> str:
    same_day = format_in_zone(starts, zone, "y-MM-dd") == format_in_zone(ends, zone, "y-MM-dd")
    end = format_in_zone(ends, zone, "HH:mm" if same_day else "EEE d MMM y, HH:mm")
    return f"{format_in_zone(starts, zone)} – {end} ({zone})"


def _where(name: str, address: str) -> str:
    return ", ".join(part for part in (name, address) if part) or _("no place given")


def send_cancellation(event: Event, *, now: datetime | None = None) -> int:
    """After services.events.editing.cancel_event: every going attendee gets a CANCEL, and
    everyone on the waitlist an email saying so."""
    subject = _l("Cancelled: %(title)s", title=event.title)

    def cancel(rsvp: Rsvp, *, now: datetime | None) -> calendar.Invite:
        return calendar.cancel_for(
            event, rsvp.user, sequence=calendar.person_sequence(rsvp), now=now
        )

    return _send_to_people(event, "event_cancelled", subject, cancel, {}, now=now)


def _send_to_people(
    event: Event,
    template: str,
    subject: str,
    invite: Callable[..., calendar.Invite],
    extra: dict[str, object],
    *,
    unseated_extra: dict[str, object] | None = None,
    now: datetime | None,
) -> int:
    """One message per person going or waiting (an invite for those going): one query for
    them all, one flush for the outbox."""
    now = now or utcnow()
    db.session.flush()
    rsvps = db.session.scalars(
        select(Rsvp)
        .where(Rsvp.event_id == event.id, Rsvp.status.in_(("going", "waitlisted")))
        .options(joinedload(Rsvp.user))
        .order_by(Rsvp.id)
    ).all()
    messages = []
    for rsvp in rsvps:
        going = rsvp.status == "going"
        context = {
            "event": event,
            "event_link": event_url(event.key),
            "ticket_link": ticket_url(rsvp.ticket_token) if going and rsvp.ticket_token else None,
            "waitlisted": not going,
            "address_shown": going,
            **(extra if going or unseated_extra is None else unseated_extra),
        }
        with mail.speaking_to(rsvp.user, event.group_id):  # the calendar file's words too
            messages.append(
                mail.build(
                    rsvp.user,
                    template,
                    subject,
                    context=context,
                    group_id=event.group_id,
                    now=now,
                    **(invite(rsvp, now=now).mail_kwargs() if going else {}),
                )
            )
    db.session.add_all(messages)
    db.session.flush()
    return len(messages)
