"""The door's audit log as an organizer reads it: who was let in, refused or undone, how,
and by whom. The log keeps codes (the check-in API's statuses and reasons); this says them
in words, with the same words the door's own screen uses."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...extensions import db
from ...models import CheckinLog, Event
from ...timeutil import format_in_zone
from ..events.attendees import safe_cell

# (action, status) -> (what happened, tone of its pill)
_OUTCOMES = {
    ("checkin", "checked_in"): (_l("Checked in"), "ok"),
    ("checkin", "already_checked_in"): (_l("Already checked in"), "warn"),
    ("undo", "undone"): (_l("Check-in undone"), ""),
    ("undo", "not_checked_in"): (_l("Undo: was not checked in"), ""),
}
# Refusals (not_found, not_attending) by their reason: the door's red screen says the same
# (views/door/door.py hands these to door.js).
REFUSALS = {
    "unknown": _l("Not on the list"),
    "not_a_ticket": _l("Not a ticket"),
    "other_event": _l("Other event"),
    "waitlisted": _l("Waitlisted"),
    "pending": _l("Not confirmed"),
    "cancelled": _l("Cancelled"),
    "event_cancelled": _l("Event cancelled"),
    "too_early": _l("Too early"),
    "too_late": _l("Too late"),
}
_METHODS = {
    "scan": _l("scanned"),
    "manual": _l("from the name list"),
    "walkin": _l("walk-in"),
    "offline": _l("scanned offline"),
}


class Line(NamedTuple):
    at: datetime  # when it happened at the door (an offline scan: on the phone, earlier)
    name: str | None  # the ticket's holder; None when no ticket was found
    outcome: str
    tone: str  # ok, warn, bad or "" (a pill's class)
    how: str
    who: str  # the organizer's or the door link's name
    device: str


def describe(entry: CheckinLog) -> Line:
    response = entry.response or {}
    if entry.method == "offline" and entry.status == "already_checked_in":
        # The phone had let them in on its own: a second admission, not a refusal.
        outcome, tone = _l("Admitted twice"), "bad"
    elif (entry.action, entry.status) in _OUTCOMES:
        outcome, tone = _OUTCOMES[entry.action, entry.status]
    else:
        outcome, tone = REFUSALS.get(response.get("reason"), _l("Refused")), "bad"
    return Line(
        at=entry.scanned_at,
        name=response.get("name"),
        outcome=str(outcome),
        tone=tone,
        how=_how(entry),
        who=actor_name(entry.actor),
        device=entry.device,
    )


def _how(entry: CheckinLog) -> str:
    if entry.action == "undo":  # the Undo button, or an undo queued offline
        return str(_l("offline")) if entry.method == "offline" else ""
    return str(_METHODS.get(entry.method, entry.method))


def actor_name(audit: str) -> str:
    """ "user:3 (Camille Durand)" -> "Camille Durand" (checkin.Actor.audit, maybe cut short)."""
    _key, sep, name = audit.partition(" (")
    if not sep:
        return audit
    return name[:-1] if name.endswith(")") else name


CSV_HEADER = (
    "scanned_at",
    "synced_at",
    "name",
    "outcome",
    "how",
    "by",
    "device",
    "status",
    "reason",
)
_STAMP = "yyyy-MM-dd HH:mm:ss"


def to_csv(event: Event) -> str:
    """The whole log, oldest first by scan time, in the event's time zone: the words of the
    page, and the API's status and reason for whoever sorts or counts."""
    entries = db.session.scalars(
        select(CheckinLog)
        .where(CheckinLog.event_id == event.id)
        .order_by(CheckinLog.scanned_at, CheckinLog.id)
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for entry in entries:
        line = describe(entry)
        writer.writerow(
            safe_cell(value)
            for value in (
                format_in_zone(entry.scanned_at, event.timezone, _STAMP),
                format_in_zone(entry.created_at, event.timezone, _STAMP),
                line.name,
                line.outcome,
                line.how,
                line.who,
                line.device,
                entry.status,
                (entry.response or {}).get("reason"),
            )
        )
    return out.getvalue()
