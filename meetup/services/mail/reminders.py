"""Event reminders: one email per `going` attendee, Event.reminder_hours before the start.

A scheduled job (worker/jobs.py). Idempotent: each reminder's dedupe key names the event,
the person and the start time, so running the job twice queues nothing more, while an
event moved to another time gets a reminder for its new time. Someone given a seat once the
reminder time has come gets their confirmation only: it carries the reminder's key
(covered_by), so the job sends them nothing more.

Named guests who gave an email and hold a ticket get theirs too, worded for a guest, with
their own ticket: keyed by the guest row, and covered by their ticket email the same way.
They follow no list, so a member's reminder setting is not theirs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import quote

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ...extensions import db
from ...models import Event, Membership, OutboxMessage, Rsvp, RsvpGuest, User
from ...timeutil import format_in_zone, zone_abbreviation
from ...urls import event_url, ticket_url
from . import consent
from . import messages as mail

_CHUNK = 500  # keys per IN (...) list


def reminder_key(event: Event, user_id: int) -> str:
    return f"reminder:{event.id}:{user_id}:{int(event.starts_at.timestamp())}"


def guest_reminder_key(event: Event, guest_id: int) -> str:
    return f"reminder:{event.id}:guest-{guest_id}:{int(event.starts_at.timestamp())}"


def is_due(event: Event, now: datetime) -> bool:
    """The event's reminder time has come (and it has not started). Reads the start and
    the reminder's hours only: an RSVP's hot path loads no more (a cancelled event takes no
    RSVP, and due_events() leaves cancelled ones out)."""
    if event.reminder_hours is None:
        return False
    return event.starts_at - timedelta(hours=event.reminder_hours) <= now < event.starts_at


def covered_by(event: Event, user_id: int, now: datetime) -> str | None:
    """The reminder key a confirmation sent now carries when it stands for the reminder too:
    someone given a seat once the reminder time has come gets one email, not the
    confirmation and the reminder a minute apart. None when the reminder is not due yet, or
    was already queued for them (a second confirmation then carries no key)."""
    if not is_due(event, now):
        return None
    key = reminder_key(event, user_id)
    return None if _already_queued([key]) else key


def guest_covered_by(event: Event, guest_id: int, now: datetime) -> str | None:
    """covered_by() for a named guest's ticket email."""
    if not is_due(event, now):
        return None
    key = guest_reminder_key(event, guest_id)
    return None if _already_queued([key]) else key


def map_url(address: str) -> str:
    return f"https://www.openstreetmap.org/search?query={quote(address)}"


def due_events(now: datetime) -> list[Event]:
    """Events not cancelled, not started, whose reminder time has come."""
    live = (Event.cancelled_at.is_(None), Event.starts_at > now, Event.reminder_hours.is_not(None))
    longest = db.session.scalar(select(func.max(Event.reminder_hours)).where(*live))
    if not longest:
        return []
    candidates = db.session.scalars(
        select(Event).where(*live, Event.starts_at <= now + timedelta(hours=longest))
    )
    return [e for e in candidates if is_due(e, now)]


def _already_queued(keys: Iterable[str]) -> set[str]:
    keys = list(keys)
    found: set[str] = set()
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i : i + _CHUNK]
        found.update(
            db.session.scalars(
                select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(chunk))
            )
        )
    return found


def send_reminders(now: datetime) -> int:
    """Queue the reminders that are due; returns how many were queued."""
    events = {e.id: e for e in due_events(now)}
    if not events:
        return 0
    return _remind_hosts(events, now) + _remind_guests(events, now)


def _context(event: Event, ticket: str | None) -> dict:
    """What a reminder says, worded in the language spoken when it is called."""
    return {
        "event": event,
        "when": format_in_zone(event.starts_at, event.timezone),
        "zone": zone_abbreviation(event.starts_at, event.timezone),
        "map_url": map_url(event.venue_address) if event.venue_address else None,
        "ticket_url": ticket,
        "qr_cid": mail.QR_CID if ticket else None,
        "event_url": event_url(event.key),
        "ics_url": event_url(event.key) + "/event.ics",
    }


def _subject(context: dict) -> str:
    return _("Reminder: %(title)s, %(when)s", title=context["event"].title, when=context["when"])


def _remind_hosts(events: dict[int, Event], now: datetime) -> int:
    going = db.session.execute(
        select(Rsvp, User, Membership.mail_reminders)
        .join(User, User.id == Rsvp.user_id)
        .join(Event, Event.id == Rsvp.event_id)
        .outerjoin(
            Membership,
            (Membership.group_id == Event.group_id) & (Membership.user_id == Rsvp.user_id),
        )
        .where(
            Rsvp.event_id.in_(events),
            Rsvp.status == "going",
            User.mail_undeliverable_at.is_(None),
        )
        .order_by(Rsvp.event_id, Rsvp.id)
    ).all()
    # A member who turned reminders off gets none; someone outside the group who RSVPed to a
    # public event gets theirs without list headers (they follow no list).
    members = {(r.event_id, u.id) for r, u, wants in going if wants is not None}
    keyed = [
        (reminder_key(events[r.event_id], u.id), r, u)
        for r, u, wants in going
        if wants is not False
    ]
    done = _already_queued(k for k, _r, _u in keyed)
    queued = 0
    for key, rsvp, user in keyed:
        if key in done:
            continue
        event = events[rsvp.event_id]
        with mail.speaking_to(user, event.group_id):  # the date as they read it
            ticket = ticket_url(rsvp.ticket_token) if rsvp.ticket_token else None
            context = _context(event, ticket)
            subject = _subject(context)
            member = (event.id, user.id) in members
            if member:
                context["unsubscribe_link"] = consent.unsubscribe_url(event.group_id, user.id)
                context["group"] = event.group
        if mail.queue(
            user,
            "reminder",
            subject,
            context=context,
            list_kind="reminders" if member else None,
            headers=consent.list_headers(event.group, user.id) if member else None,
            qr_url=ticket,
            dedupe_key=key,
            group_id=event.group_id,
            now=now,
        ):
            queued += 1
    return queued


def _remind_guests(events: dict[int, Event], now: datetime) -> int:
    """The named guests with an email holding a ticket (their host going), one query; an
    address that hard-bounced as an account's is left out, as the account's would be."""
    bounced = aliased(User)
    held = db.session.execute(
        select(RsvpGuest, User)
        .join(Rsvp, Rsvp.id == RsvpGuest.rsvp_id)
        .join(User, User.id == Rsvp.user_id)
        .where(
            RsvpGuest.event_id.in_(events),
            *RsvpGuest.with_ticket_and_address(),
            ~select(bounced.id)
            .where(bounced.email == RsvpGuest.email, bounced.mail_undeliverable_at.is_not(None))
            .exists(),
        )
        .order_by(RsvpGuest.event_id, RsvpGuest.id)
    ).all()
    keyed = [
        (guest_reminder_key(events[g.event_id], g.id), g, host.display_name) for g, host in held
    ]
    done = _already_queued(k for k, _g, _h in keyed)
    queued = 0
    for key, guest, host in keyed:
        if key in done:
            continue
        event = events[guest.event_id]
        ticket = ticket_url(guest.ticket_token)
        with mail.speaking_to(guest.email, event.group_id):
            context = {**_context(event, ticket), "recipient_name": guest.name, "host_name": host}
            subject = _subject(context)
        if mail.queue(
            guest.email,
            "reminder",
            subject,
            context=context,
            qr_url=ticket,
            dedupe_key=key,
            group_id=event.group_id,
            now=now,
        ):
            queued += 1
    return queued
