"""Creating, editing and cancelling events: the one place that changes an Event row.

Everything that must happen when an event changes (calendar updates, notices to attendees,
waitlist promotion when seats are added) hooks in here: `update_event` returns the names of
the fields that changed, and `Event.sequence` rises when the time or the place changes and on
cancellation, so invites sent from these functions carry the right SEQUENCE.

Times arrive as wall-clock readings in the event's IANA zone and are stored in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote_plus

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import VISIBILITIES, Event, Group, Rsvp, RsvpGuest, User, utcnow
from ...timeutil import is_valid_timezone, local_to_utc, reading_in_window, wall_clock_exists
from .. import permissions, text
from ..calendar import invites
from ..channels import posts as channel_posts
from ..errors import DomainError
from ..tokens import new_event_key
from . import approval, guests, rows
from . import waitlist as rsvp_waitlist
from .locking import lock_event

# Limits shared by the form and these functions (the form shows them, these enforce them).
TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
VENUE_NAME_MAX = 200
VENUE_ADDRESS_MAX = 500
CAPACITY_MAX = 100_000
CLAIM_WINDOW_MAX_HOURS = 7 * 24
REMINDER_MAX_HOURS = 14 * 24
INTROS_DELAY_MAX_HOURS = 7 * 24
LONGEST_EVENT = timedelta(days=14)
FALLBACK_TIMEZONE = "Europe/London"

# A change to one of these moves the event in someone's calendar: SEQUENCE must rise.


@dataclass
class EventInput:
    """What an organizer enters. Times are naive wall-clock readings in `timezone`."""

    title: str
    timezone: str
    starts_local: datetime
    ends_local: datetime
    description: str = ""
    venue_name: str = ""
    venue_address: str = ""
    capacity: int | None = None
    rsvp_deadline_local: datetime | None = None
    visibility: str = "public"
    claim_window_hours: int | None = None
    reminder_hours: int | None = 24
    intros_delay_hours: int = 18
    followup_thanks: bool = False
    followup_missed: bool = False
    requires_approval: bool = False  # the organizer approves each RSVP (approval.py)
    hide_address: bool = False  # and only those approved into a seat see the address
    # Named plus-ones (services/events/guests.py): guests per person, and whether a freed
    # seat may go to a smaller party behind a larger one waiting first.
    max_guests: int = 0
    parties_may_pass: bool = False


def create_event(
    group: Group, user: User, data: EventInput, *, now: datetime | None = None
) -> Event:
    permissions.require_organizer(group, user)
    now = now or utcnow()
    event = new_event(group.id, user.id, data, now=now)
    db.session.flush()
    # Whoever makes the event comes to it: they hold a seat (counted like anyone's, with a
    # ticket for the door), so it never offers them its waitlist. No email: they know.
    host = rows.new_row(event, user, "going", now)
    rows.seat(host, event, now, claim=False)
    rows.save(host)
    return event


def new_event(
    group_id: int, created_by_id: int | None, data: EventInput, *, now: datetime, **extra
) -> Event:
    """A validated Event row, added to the session (not flushed)."""
    event = Event(
        key=new_event_key(),
        group_id=group_id,
        created_by_id=created_by_id,
        created_at=now,
        updated_at=now,
        sequence=0,
        **validated(data, now=now, previous=None),
        **extra,
    )
    db.session.add(event)
    return event


def update_event(
    event: Event,
    user: User,
    data: EventInput,
    *,
    now: datetime | None = None,
    from_series: bool = False,
) -> set[str]:
    """Apply an edit; returns the names of the fields that changed (empty: nothing did).
    An occurrence of a series edited on its own (not `from_series`) keeps its edits when the
    series is edited later."""
    permissions.require_organizer(event.group_id, user)
    _lock_fresh(event)
    if event.cancelled_at is not None:
        raise DomainError("cancelled_event_is_final")
    now = now or utcnow()
    values = validated(data, now=now, previous=event)
    changed = {name for name, value in values.items() if getattr(event, name) != value}
    before = {name: getattr(event, name) for name in changed & invites.SCHEDULE_FIELDS}
    for name in changed:
        setattr(event, name, values[name])
    if changed & invites.SCHEDULE_FIELDS:
        event.sequence += 1
    if changed:
        event.updated_at = now
        if event.series_id is not None and not from_series:
            event.series_detached = True
        db.session.flush()
    invites.send_update(event, before, now=now)  # attendees' calendars follow a move
    guests.tell_event_moved(event, before, now)  # named guests with an address too
    channel_posts.event_changed(event, changed, now=now)  # and the Slack and Discord posts
    if "requires_approval" in changed and not event.requires_approval:
        approval.admit_all(event, now)  # pending requests take the normal path, in order
    if changed & {"capacity", "parties_may_pass"}:
        rsvp_waitlist.fill_seats(event, now)  # new seats go to the waitlist at once
    return changed


def _lock_fresh(event: Event) -> None:
    """An edit takes its turn with RSVPs and other edits, on the event as committed: the
    sequence it raises is then above every invite already sent (services/calendar/invites.py), and
    two organizers saving at once both count."""
    lock_event(event.id)
    db.session.refresh(event)


def cancel_event(event: Event, user: User, *, now: datetime | None = None) -> bool:
    """Cancel; returns False when it already was (a repeated click changes nothing)."""
    permissions.require_organizer(event.group_id, user)
    _lock_fresh(event)
    if event.cancelled_at is not None:
        return False
    now = now or utcnow()
    if event.has_ended(now):
        # It happened: a cancellation would only take it out of everyone's calendar.
        raise DomainError("event_ended")
    event.cancelled_at = now
    event.updated_at = now
    event.sequence += 1
    db.session.flush()
    invites.send_cancellation(event, now=now)  # and it leaves their calendars
    guests.tell_event_cancelled(event, now)  # named guests with an address too
    approval.close_requests(event, now)  # requesters are told too
    channel_posts.event_cancelled(event, now=now)
    return True


# ------------------------------------------------------------------ reading


def get_by_key(key: str) -> Event | None:
    if not key or len(key) > 32:
        return None
    # Its group comes along: every page of an event names it.
    return db.session.scalar(select(Event).options(joinedload(Event.group)).where(Event.key == key))


def last_timezone(group: Group) -> str:
    """The zone of the group's most recently created event: the likely zone of the next."""
    zone = db.session.scalar(
        select(Event.timezone)
        .where(Event.group_id == group.id)
        .order_by(Event.created_at.desc(), Event.id.desc())
        .limit(1)
    )
    return zone if zone and is_valid_timezone(zone) else FALLBACK_TIMEZONE


def has_events(group: Group) -> bool:
    first = db.session.scalar(select(Event.id).where(Event.group_id == group.id).limit(1))
    return first is not None


def rsvp_counts(event: Event) -> dict[str, int]:
    """People per RSVP status (each answer with its named guests), in one query."""
    rows = db.session.execute(
        select(Rsvp.status, func.sum(Rsvp.party_size))
        .where(Rsvp.event_id == event.id)
        .group_by(Rsvp.status)
    )
    return {status: count for status, count in rows}


def came_count(event: Event) -> int:
    """People checked in at the door (what "came" means once the event is over), with the
    named guests of going parties (a guest holds a ticket only while their party is going)."""
    guests = (
        select(func.count(RsvpGuest.id))
        .where(RsvpGuest.event_id == event.id, RsvpGuest.checked_in_at.is_not(None))
        .where(RsvpGuest.ticket_token.is_not(None))
        .scalar_subquery()
    )
    return db.session.scalar(
        select(func.count() + guests)
        .where(Rsvp.event_id == event.id, Rsvp.status == "going")
        .where(Rsvp.checked_in_at.is_not(None))
    )


def map_url(address: str) -> str:
    return "https://www.openstreetmap.org/search?query=" + quote_plus(address.strip())


# ------------------------------------------------------------------ validation


def validated(data: EventInput, *, now: datetime, previous: Event | None) -> dict:
    """Check the input and return the column values to store. Raises DomainError(code, field=)."""
    title = data.title.strip()
    if not title:
        raise DomainError("event_title_required", field="title")
    _check_length(title, TITLE_MAX, "title")
    description = data.description.strip()
    _check_length(description, DESCRIPTION_MAX, "description")
    venue_name = data.venue_name.strip()
    _check_length(venue_name, VENUE_NAME_MAX, "venue_name")
    venue_address = data.venue_address.strip()
    _check_length(venue_address, VENUE_ADDRESS_MAX, "venue_address")
    for value, field in (
        (title, "title"),
        (venue_name, "venue_name"),
        (venue_address, "venue_address"),
    ):
        refused = text.refusal(value)
        if refused is not None:
            raise DomainError(refused, field=field)
    if data.visibility not in VISIBILITIES:
        raise DomainError("invalid", field="visibility")

    tz = data.timezone
    if not is_valid_timezone(tz):
        raise DomainError("event_bad_timezone", field="timezone")
    readings = (
        (data.starts_local, "start_date"),
        (data.ends_local, "end_date"),
        (data.rsvp_deadline_local, "rsvp_deadline_date"),
    )
    for reading, field in readings:
        if reading is not None and not reading_in_window(reading, now):
            raise DomainError("event_date_out_of_range", field=field)
    starts_at = _to_utc(data.starts_local, tz, "start_time")
    ends_at = _to_utc(data.ends_local, tz, "end_time")
    if ends_at <= starts_at:
        raise DomainError("event_end_before_start", field="end_time")
    if ends_at - starts_at > LONGEST_EVENT:
        raise DomainError("event_too_long", field="end_date")
    start_moved = previous is None or previous.starts_at != starts_at
    if start_moved and starts_at <= now:
        raise DomainError("event_in_past", field="start_date")

    deadline = None
    if data.rsvp_deadline_local is not None:
        deadline = _to_utc(data.rsvp_deadline_local, tz, "rsvp_deadline_time")
        if deadline > starts_at:
            raise DomainError("event_deadline_after_start", field="rsvp_deadline_date")
        deadline_moved = previous is None or previous.rsvp_deadline != deadline
        if deadline_moved and deadline <= now:
            raise DomainError("event_deadline_in_past", field="rsvp_deadline_date")

    _check_range(data.capacity, 1, CAPACITY_MAX, "capacity")
    _check_range(data.claim_window_hours, 1, CLAIM_WINDOW_MAX_HOURS, "claim_window_hours")
    _check_range(data.reminder_hours, 1, REMINDER_MAX_HOURS, "reminder_hours")
    _check_range(data.intros_delay_hours, 0, INTROS_DELAY_MAX_HOURS, "intros_delay_hours")
    if data.intros_delay_hours is None:
        raise DomainError("invalid", field="intros_delay_hours")
    _check_range(data.max_guests or 0, 0, guests.MAX_GUESTS, "max_guests")

    return {
        "title": title,
        "description": description,
        "timezone": tz,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "venue_name": venue_name,
        "venue_address": venue_address,
        "capacity": data.capacity,
        "rsvp_deadline": deadline,
        "visibility": data.visibility,
        "claim_window_hours": data.claim_window_hours,
        "reminder_hours": data.reminder_hours,
        "intros_delay_hours": data.intros_delay_hours,
        "followup_thanks": bool(data.followup_thanks),
        "followup_missed": bool(data.followup_missed),
        "requires_approval": bool(data.requires_approval),
        # Hidden until approval: meaningless (and so off) without approval.
        "hide_address": bool(data.requires_approval and data.hide_address),
        "max_guests": data.max_guests or 0,
        "parties_may_pass": bool(data.parties_may_pass),
    }


def _to_utc(local: datetime, tz: str, field: str) -> datetime:
    if not wall_clock_exists(local.date(), local.time(), tz):
        raise DomainError("event_time_in_dst_gap", field=field)
    return local_to_utc(local.date(), local.time(), tz)


def _check_length(value: str, limit: int, field: str) -> None:
    if len(value) > limit:
        raise DomainError("too_long", field=field, limit=limit)


def _check_range(value: int | None, low: int, high: int, field: str) -> None:
    if value is not None and not low <= value <= high:
        raise DomainError("out_of_range", field=field, low=low, high=high)
