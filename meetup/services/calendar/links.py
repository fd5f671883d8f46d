"""'Add to calendar' links: Google Calendar, Outlook.com, Office 365, and our .ics file.

For someone holding a ticket each carries its link: the .ics is their copy (/t/<ticket>/event.ics).

The web calendars take UTC instants (Google `dates=...Z/...Z`, Outlook ISO 8601 with Z), so
the event's zone can't be misread; Google also gets `ctz` to show it in the event's zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from flask import url_for
from flask_babel import gettext as _

from ...models import Event, Rsvp
from ...urls import event_url, ticket_url
from .files import location_text

GOOGLE = "https://calendar.google.com/calendar/render"
OUTLOOK = "https://outlook.live.com/calendar/0/deeplink/compose"
OFFICE = "https://outlook.office.com/calendar/0/deeplink/compose"


def _google_time(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _iso_utc(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _holds_ticket(rsvp: Rsvp | None) -> bool:
    return rsvp is not None and rsvp.status == "going" and bool(rsvp.ticket_token)


def _details(event: Event, rsvp: Rsvp | None) -> str:
    lines = [_("Event page: %(url)s", url=event_url(event.key))]
    if _holds_ticket(rsvp):
        lines.append(_("Your ticket: %(url)s", url=ticket_url(rsvp.ticket_token)))
    return "\n".join(lines)


def add_links(event: Event, rsvp: Rsvp | None = None) -> dict[str, str]:
    details = _details(event, rsvp)
    location = location_text(event, address=_holds_ticket(rsvp))
    google = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": f"{_google_time(event.starts_at)}/{_google_time(event.ends_at)}",
        "details": details,
        "location": location,
        "ctz": event.timezone,
    }
    outlook = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.title,
        "startdt": _iso_utc(event.starts_at),
        "enddt": _iso_utc(event.ends_at),
        "body": details,
        "location": location,
    }
    return {
        "google": f"{GOOGLE}?{urlencode(google, quote_via=quote)}",
        "outlook": f"{OUTLOOK}?{urlencode(outlook, quote_via=quote)}",
        "office": f"{OFFICE}?{urlencode(outlook, quote_via=quote)}",
        "ics": (
            url_for("calendar.ticket_ics", ticket_token=rsvp.ticket_token)
            if _holds_ticket(rsvp)
            else url_for("calendar.event_ics", event_key=event.key)
        ),
    }
