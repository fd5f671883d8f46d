"""iCalendar files for events: the .ics download, feeds, and emailed invites (iTIP).

What keeps calendars in step with the event:
- one UID per event for ever (`<event key>@<host>`), so every file updates the same entry;
- SEQUENCE from Event.sequence, which rises on each change of time or place and on
  cancellation; an attendee's own invites add their Rsvp.invite_sequence, which rises when
  they gain or lose their seat, so their CANCEL outranks the REQUEST they hold and any later
  REQUEST outranks the CANCEL (person_sequence; services/calendar/invites.py);
- times carry the event's IANA TZID with its VTIMEZONE (never floating; zones.py writes it as
  Outlook and Google do, the zone's current rule as RRULEs); a local reading
  that the zone repeats (the hour clocks go back) is written in UTC instead, because a TZID
  reading in an overlap means its first occurrence (RFC 5545 3.3.5).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from threading import Lock
from zoneinfo import ZoneInfo

from cachetools import LRUCache, cached
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from icalendar import Alarm, Calendar, vCalAddress, vDuration, vText
from icalendar import Event as VEvent
from sqlalchemy import Row

from ...models import Event, Rsvp, User, utcnow
from ...text import markdown_to_text
from ...timeutil import EARLIEST, instant_in_window, latest
from ...urls import base_host, event_url, ticket_url
from .zones import vtimezone

log = logging.getLogger(__name__)

PRODID = "-//Meetup//Meetup calendar//EN"
REMINDER = timedelta(hours=1)
UTC_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/Universal", "Etc/Zulu", "Universal", "Zulu"})
FEED_REFRESH = timedelta(hours=1)  # what subscribed clients are asked to poll at
DESCRIPTION_MAX = 2000
# Rows stored before dates were bounded (or written by hand) may lie beyond what the forms
# accept today: files hold events up to this far ahead, and leave out the rest.
RENDER_AHEAD = timedelta(days=365 * 10)


def renderable(event: Row | Event, *, now: datetime | None = None) -> bool:
    """Whether a calendar file can hold the event's times."""
    high = latest(now or utcnow()) + RENDER_AHEAD
    return all(
        instant_in_window(at, earliest=EARLIEST, latest=high)
        for at in (event.starts_at, event.ends_at)
    )


@dataclass(frozen=True)
class Invite:
    """An iTIP message ready for mail.queue(ics=..., ics_method=...)."""

    ics: str
    method: str

    def mail_kwargs(self) -> dict[str, str]:
        return {"ics": self.ics, "ics_method": self.method}


def event_uid(event: Event) -> str:
    return f"{event.key}@{base_host()}"


# ------------------------------------------------------------------ whole files


def event_file(event: Event, *, ticket_token: str | None = None) -> bytes:
    """The event's own file (METHOD:PUBLISH), as served at /e/<key>/event.ics; with
    `ticket_token`, an attendee's copy whose description links to their ticket (and the
    address, which an event may keep for those holding a seat: Event.hide_address)."""
    address = ticket_token is not None or not event.hide_address
    vevent = _vevent(event, stamp=event.updated_at, ticket_token=ticket_token, address=address)
    return _calendar([event], [vevent], method="PUBLISH")


def download_names(title: str) -> tuple[str, str]:
    """The file names of an event's .ics: (an ASCII slug, the title's own letters), e.g.
    ("soiree-dbt-lyon.ics", "Soirée-dbt-Lyon.ics"); "event.ics" when nothing is left."""
    words = re.findall(r"\w+", title.replace("_", " "))
    name = "-".join(words)[:80].strip("-") or "event"
    ascii_words = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = "-".join(re.findall(r"[a-z0-9]+", ascii_words.lower()))[:80].strip("-") or "event"
    return f"{slug}.ics", f"{name}.ics"


# What a feed's VEVENT is made of: feeds load these columns only (rows, not ORM objects,
# which cost more to load than the cached VEVENT costs to reuse). Description last: see below.
FEED_COLUMNS = (
    Event.id,
    Event.key,
    Event.sequence,
    Event.title,
    Event.starts_at,
    Event.ends_at,
    Event.timezone,
    Event.venue_name,
    Event.venue_address,
    Event.hide_address,
    Event.cancelled_at,
    Event.created_at,
    Event.updated_at,
    Event.description,
)


def feed(
    name: str,
    events: Iterable[Row | Event],
    *,
    statuses: dict[int, str] | None = None,
    seated: frozenset[int] = frozenset(),
) -> bytes:
    """A subscription feed. `statuses` maps event ids to a STATUS (e.g. TENTATIVE); `seated`:
    the events where the feed's owner holds a seat, whose hidden address they see.

    Each VEVENT is serialised once per revision of its event (see _cached_vevent): icalendar
    spends about half a millisecond per event, too slow for a feed of a thousand.
    """
    statuses = statuses or {}
    events = list(events)
    properties = {
        "name": name,
        "x-wr-calname": name,
        "refresh-interval": FEED_REFRESH,
        "x-published-ttl": vDuration(FEED_REFRESH),  # PT1H: a plain timedelta reads 1:00:00
    }
    context = _context_key()
    shown, body = [], []
    for event in events:  # one row that can't be written leaves the others in the feed
        try:
            if not renderable(event):
                raise ValueError("its times are out of range")
            address = event.id in seated or not event.hide_address
            body.append(_cached_vevent(event, statuses.get(event.id), context, address))
        except (ValueError, OverflowError, TypeError, KeyError) as exc:
            log.warning("calendar feed %r: event %s left out: %s", name, event.id, exc)
            continue
        shown.append(event)
    return _calendar(shown, body, method="PUBLISH", properties=properties)


def person_sequence(rsvp: Rsvp) -> int:
    """The SEQUENCE of this attendee's invites: above all they received before, as both
    terms only rise, without a write to the event for one person's seat. A row not yet
    written counts none of its own."""
    return rsvp.event.sequence + (rsvp.invite_sequence or 0)


def request_for(rsvp: Rsvp, *, now: datetime | None = None) -> Invite:
    """The attendee's own invite (METHOD:REQUEST) for a confirmed seat or an update."""
    return request_to(
        rsvp.event,
        rsvp.user,
        ticket_token=rsvp.ticket_token,
        sequence=person_sequence(rsvp),
        now=now,
    )


def request_to(
    event: Event,
    user: User,
    *,
    ticket_token: str | None,
    sequence: int | None = None,
    now: datetime | None = None,
) -> Invite:
    """METHOD:REQUEST for one attendee: `sequence` (default Event.sequence)."""
    vevent = _vevent(
        event, stamp=now or utcnow(), ticket_token=ticket_token, attendee=user, sequence=sequence
    )
    return Invite(_calendar([event], [vevent], method="REQUEST").decode(), "REQUEST")


def cancel_for(
    event: Event, user: User, *, sequence: int | None = None, now: datetime | None = None
) -> Invite:
    """METHOD:CANCEL for one attendee: same UID, `sequence` (default Event.sequence)."""
    vevent = _vevent(
        event,
        stamp=now or utcnow(),
        attendee=user,
        status="CANCELLED",
        sequence=sequence,
    )
    return Invite(_calendar([event], [vevent], method="CANCEL").decode(), "CANCEL")


# ------------------------------------------------------------------ building blocks


def _calendar(
    events: list[Event],
    vevents: list[bytes],
    *,
    method: str,
    properties: dict[str, object] | None = None,
) -> bytes:
    """A whole file from serialised parts: its header, one VTIMEZONE per zone used, VEVENTs."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    for key, value in (properties or {}).items():
        params = {"VALUE": "DURATION"} if key == "refresh-interval" else None
        cal.add(key, value, parameters=params)
    head = cal.to_ical()
    end = b"END:VCALENDAR\r\n"
    used = sorted(_zones(events).items())
    zones = [vtimezone(tzid, low, high) for tzid, (low, high) in used]
    return head.removesuffix(end) + b"".join(zones) + b"".join(vevents) + end


def _zones(events: Iterable[Event]) -> dict[str, tuple[int, int]]:
    """The zones of these events, with their first and last year (UTC years: _vtimezone pads)."""
    years: dict[str, tuple[int, int]] = {}
    for event in events:
        if event.timezone in UTC_ZONES:
            continue
        low, high = years.get(event.timezone, (event.starts_at.year, event.ends_at.year))
        years[event.timezone] = (min(low, event.starts_at.year), max(high, event.ends_at.year))
    return years


def _context_key() -> tuple[str, str]:
    return current_app.config["BASE_URL"], str(get_locale())


def _vevent_key(
    event: Row | Event, status: str | None, context: tuple[str, str], address: bool
) -> tuple:
    """Everything the VEVENT is made of, with the description by hash to keep keys small.
    `event`: a row starting with FEED_COLUMNS (or an Event)."""
    if isinstance(event, Row):
        values = tuple(event[: len(FEED_COLUMNS) - 1])
    else:
        values = tuple(getattr(event, column.key) for column in FEED_COLUMNS[:-1])
    return (context, status, address, *values, hash(event.description))


# Serialised VEVENTs, per process: a feed rebuilds only the events that changed.
@cached(LRUCache(maxsize=20_000), key=_vevent_key, lock=Lock())
def _cached_vevent(
    event: Row | Event, status: str | None, context: tuple[str, str], address: bool
) -> bytes:
    return _vevent(event, stamp=event.updated_at, status=status, address=address)


def ical_time(instant: datetime, tz: str) -> datetime:
    """The instant as a reading in `tz`, or in UTC where a TZID can't say it unambiguously."""
    if tz in UTC_ZONES:
        return instant.astimezone(UTC)
    local = instant.astimezone(ZoneInfo(tz))
    if local.replace(fold=0).astimezone(UTC) != instant.astimezone(UTC):
        return instant.astimezone(UTC)  # second pass through a repeated hour
    return local.replace(fold=0)


def _vevent(
    event: Event,
    *,
    stamp: datetime,
    status: str | None = None,
    sequence: int | None = None,
    attendee: User | None = None,
    ticket_token: str | None = None,
    address: bool = True,
) -> bytes:
    url = event_url(event.key)
    vevent = VEvent()
    vevent.add("uid", event_uid(event))
    vevent.add("dtstamp", stamp.astimezone(UTC))
    vevent.add("sequence", event.sequence if sequence is None else sequence)
    vevent.add("dtstart", ical_time(event.starts_at, event.timezone))
    vevent.add("dtend", ical_time(event.ends_at, event.timezone))
    vevent.add("summary", event.title)
    location = location_text(event, address=address)
    if location:
        vevent.add("location", location)
    vevent.add("url", url, parameters={"VALUE": "URI"})
    vevent.add("description", _description(event, url, ticket_token))
    if event.cancelled_at is not None:
        status = "CANCELLED"
    vevent.add("status", status or "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    if event.created_at:
        vevent.add("created", event.created_at.astimezone(UTC))
    if event.updated_at:
        vevent.add("last-modified", event.updated_at.astimezone(UTC))
    if attendee is not None:
        vevent.add("organizer", _organizer(event))
        vevent.add("attendee", _attendee(attendee))
    if status != "CANCELLED":
        vevent.add_component(_alarm(event))
    return vevent.to_ical()


def location_text(event: Row | Event, *, address: bool = True) -> str:
    """Where it is; without `address`, the address an event keeps for those holding a seat
    is left out (Event.hide_address)."""
    shown = event.venue_address if address or not event.hide_address else ""
    return ", ".join(part for part in (event.venue_name, shown) if part)


def _description(event: Event, url: str, ticket_token: str | None) -> str:
    parts = []
    text = markdown_to_text(event.description)  # calendars show no formatting
    if text:
        if len(text) > DESCRIPTION_MAX:
            text = text[:DESCRIPTION_MAX].rstrip() + "…"
        parts.append(text)
    parts.append(_("Event page: %(url)s", url=url))
    if ticket_token:
        parts.append(_("Your ticket: %(url)s", url=ticket_url(ticket_token)))
    return "\n\n".join(parts)


def _alarm(event: Event) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", event.title)
    alarm.add("trigger", -REMINDER)
    return alarm


def _organizer(event: Event) -> vCalAddress:
    """The group, speaking through our sender address (replies come back to us)."""
    _, sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    organizer = vCalAddress(f"mailto:{sender or 'meetup@' + base_host()}")
    organizer.params["CN"] = vText(event.group.name)
    return organizer


def _attendee(user: User) -> vCalAddress:
    attendee = vCalAddress(f"mailto:{user.email}")
    attendee.params["CN"] = vText(user.display_name)
    attendee.params["CUTYPE"] = vText("INDIVIDUAL")
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    attendee.params["PARTSTAT"] = vText("ACCEPTED")
    attendee.params["RSVP"] = vText("FALSE")
    return attendee
