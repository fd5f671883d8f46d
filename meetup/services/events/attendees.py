"""The organizer's list of who answered: grouped by status, waitlist positions, CSV export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import Event, Rsvp
from ...timeutil import format_in_zone

# Spreadsheets run cells that start with these as formulas ("CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Roster:
    going: list[Rsvp] = field(default_factory=list)
    waitlisted: list[Rsvp] = field(default_factory=list)  # in line order: index + 1 = position
    not_going: list[Rsvp] = field(default_factory=list)
    pending: list[Rsvp] = field(default_factory=list)
    removed: list[Rsvp] = field(default_factory=list)

    @property
    def checked_in(self) -> int:
        """Going people admitted at the door: once the event is on, who came."""
        return sum(1 for rsvp in self.going if rsvp.checked_in_at is not None)

    def rows(self):
        """(rsvp, waitlist position or None) in the order people are shown."""
        for group in (self.going, self.waitlisted, self.pending, self.not_going, self.removed):
            for i, rsvp in enumerate(group, 1):
                yield rsvp, (i if group is self.waitlisted else None)


def roster(event: Event) -> Roster:
    """Everyone who answered, with their accounts, in one query."""
    result = Roster()
    rows = db.session.scalars(
        select(Rsvp)
        .where(Rsvp.event_id == event.id)
        .options(joinedload(Rsvp.user))
        .order_by(Rsvp.requested_at, Rsvp.id)
    )
    for rsvp in rows:
        getattr(result, rsvp.status).append(rsvp)
    return result


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


HEADER = (
    "name",
    "email",
    "status",
    "waitlist_position",
    "requested_at",
    "looking_for",
    "can_offer",
    "wants_intros",
    "checked_in_at",
)


def to_csv(event: Event, roster: Roster) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for rsvp, position in roster.rows():
        writer.writerow(
            safe_cell(v)
            for v in (
                rsvp.user.name,
                rsvp.user.email,
                rsvp.status,
                position or "",
                format_in_zone(rsvp.requested_at, event.timezone, "yyyy-MM-dd HH:mm:ss"),
                rsvp.looking_for,
                rsvp.can_offer,
                "yes" if rsvp.wants_intros else "no",
                format_in_zone(rsvp.checked_in_at, event.timezone, "yyyy-MM-dd HH:mm:ss"),
            )
        )
    return out.getvalue()
