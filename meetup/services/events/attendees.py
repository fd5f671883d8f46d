"""The organizer's list of who answered: grouped by status, waitlist positions, CSV export,
and what an organizer does to it (capacity, remove, put back, seat by hand, add someone).

- Lowering the capacity below the number going takes nobody's seat: new answers wait until
  enough people cancel. Raising it (or removing someone) promotes at once.
- An organizer seats someone by hand from the waitlist (with their party, which may pass a
  larger party waiting first). Without enough free seats that needs an explicit override,
  and the excess is absorbed by the next cancellations.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import Event, OutboxMessage, Rsvp, RsvpGuest, utcnow
from ...timeutil import format_in_zone
from ..accounts import users as accounts
from ..errors import DomainError
from . import notices, questions, rows, seats, waitlist
from .locking import lock_event

# Spreadsheets run cells that start with these as formulas ("CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Roster:
    going: list[Rsvp] = field(default_factory=list)
    waitlisted: list[Rsvp] = field(default_factory=list)  # in line order: index + 1 = position
    not_going: list[Rsvp] = field(default_factory=list)
    pending: list[Rsvp] = field(default_factory=list)
    removed: list[Rsvp] = field(default_factory=list)
    requested: list[Rsvp] = field(default_factory=list)  # waiting for approval (approval.py)
    declined: list[Rsvp] = field(default_factory=list)
    # Named guests by their host's RSVP id (services/events/guests.py), in the order added.
    guests: dict[int, list[RsvpGuest]] = field(default_factory=dict)

    @property
    def checked_in(self) -> int:
        """Going people admitted at the door, named guests too: once the event is on, who came."""
        hosts = sum(1 for rsvp in self.going if rsvp.checked_in_at is not None)
        guests = sum(
            1 for rsvp in self.going for g in self.guests.get(rsvp.id, ()) if g.checked_in_at
        )
        return hosts + guests

    def rows(self):
        """(rsvp, waitlist position or None) in the order people are shown."""
        for group in (
            self.going,
            self.waitlisted,
            self.requested,
            self.pending,
            self.not_going,
            self.declined,
            self.removed,
        ):
            for i, rsvp in enumerate(group, 1):
                yield rsvp, (i if group is self.waitlisted else None)


def roster(event: Event) -> Roster:
    """Everyone who answered, with their accounts, in one query; their guests in another."""
    result = Roster()
    rows = db.session.scalars(
        select(Rsvp)
        .where(Rsvp.event_id == event.id)
        .options(joinedload(Rsvp.user))
        .order_by(Rsvp.requested_at, Rsvp.id)
    )
    for rsvp in rows:
        getattr(result, rsvp.status).append(rsvp)
    guests = db.session.scalars(
        select(RsvpGuest).where(RsvpGuest.event_id == event.id).order_by(RsvpGuest.id)
    )
    for guest in guests:
        result.guests.setdefault(guest.rsvp_id, []).append(guest)
    return result


def undelivered(event: Event, roster: Roster) -> dict[str, str]:
    """Who on the list never got an email from this group, by address: the reason the
    newest message that failed for good gave. Someone waiting on a link they never got
    (to confirm a seat, to claim one) can only be helped by the organizer. One query."""
    emails = {rsvp.user.email for rsvp, _position in roster.rows()}
    if not emails:
        return {}
    rows = db.session.execute(
        select(OutboxMessage.to_addr, OutboxMessage.last_error)
        .where(
            OutboxMessage.group_id == event.group_id,
            OutboxMessage.status == "failed",
            OutboxMessage.to_addr.in_(emails),
        )
        .order_by(OutboxMessage.id)
    )
    return {to_addr: last_error or "" for to_addr, last_error in rows}


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
    "guest_of",  # a named guest's row, after their host's: the host's name
)


def to_csv(event: Event, roster: Roster) -> str:
    """Everyone who answered, a row each, each named guest on a row after their host's."""
    out = io.StringIO()
    writer = csv.writer(out)
    asked = questions.csv_header(event)
    writer.writerow([*HEADER, *map(safe_cell, asked)])
    blank_answers = [""] * len(asked)

    def when(moment: datetime | None) -> str:
        return format_in_zone(moment, event.timezone, "yyyy-MM-dd HH:mm:ss")

    for rsvp, position in roster.rows():
        line = (rsvp.status, position or "", when(rsvp.requested_at))
        writer.writerow(
            safe_cell(v)
            for v in (
                rsvp.user.name,
                rsvp.user.email,
                *line,
                rsvp.looking_for,
                rsvp.can_offer,
                "yes" if rsvp.wants_intros else "no",
                when(rsvp.checked_in_at),
                "",  # guest_of
                *questions.csv_cells(event, rsvp),  # a column per question, in order
            )
        )
        for guest in roster.guests.get(rsvp.id, ()):
            writer.writerow(
                safe_cell(v)
                for v in (
                    guest.name,
                    guest.email or "",
                    *line,  # their host's place on the list: a party is seated or waits whole
                    guest.looking_for,
                    guest.can_offer,
                    "yes" if guest.intro_consent_at else "no",
                    when(guest.checked_in_at),
                    rsvp.user.name,
                    *blank_answers,  # the host answered the questions, not their guests
                )
            )
    return out.getvalue()


# ------------------------------------------------------------------ organizer actions


def set_capacity(event: Event, capacity: int | None, now: datetime | None = None) -> list[Rsvp]:
    """Change the number of seats (None: unlimited). Promotes into new seats at once;
    lowering below the number going takes nobody's seat."""
    if capacity is not None and capacity < 0:
        raise DomainError("invalid_capacity")
    lock_event(event.id)
    now = now or utcnow()
    seats.ensure_changeable(seats.of(event.id), now)
    event.capacity = capacity
    return waitlist.fill_seats(event, now)


def remove(event: Event, rsvp_id: int, now: datetime | None = None) -> tuple[Rsvp, list[Rsvp]]:
    """An organizer takes someone off the list; the seat goes to the next in line.
    Returns the RSVP and who was promoted into the freed seat (if anyone was waiting)."""
    lock_event(event.id)
    now = now or utcnow()
    seats.ensure_changeable(seats.of(event.id), now)
    rsvp = seats.get_for_event(event, rsvp_id)
    if rsvp.status == "removed":
        return rsvp, []
    if rsvp.status not in seats.ACTIVE:
        # Only a seat or a place in line is taken away (and given back by reinstate()).
        raise DomainError("not_removable")
    had_seat = rsvp.status == "going"
    rows.unseat(rsvp, "removed", now)
    db.session.flush()
    notices.notify(rsvp, "removed", now, had_seat=had_seat)
    return rsvp, waitlist.fill_seats(event, now)


def reinstate(event: Event, rsvp_id: int, now: datetime | None = None) -> Rsvp:
    """Undo a removal: back on the waitlist at the place in line they had (their first
    request), then seats are filled as after any change, so a free seat goes to whoever is
    first. They are emailed as any change of theirs: waitlisted, or promoted."""
    lock_event(event.id)
    now = now or utcnow()
    seats.ensure_changeable(seats.of(event.id), now)
    rsvp = seats.get_for_event(event, rsvp_id)
    if rsvp.status != "removed":
        raise DomainError("not_removed")
    rows.unseat(rsvp, "waitlisted", now)
    db.session.flush()
    waitlist.fill_seats(event, now)
    if rsvp.status == "waitlisted":
        notices.notify(rsvp, "waitlisted", now)
    return rsvp


def promote(
    event: Event, rsvp_id: int, *, override: bool = False, now: datetime | None = None
) -> Rsvp:
    """An organizer seats someone from the waitlist, out of turn. Without a free seat this
    needs `override` (the room goes over capacity; no one else loses a seat)."""
    lock_event(event.id)
    now = now or utcnow()
    state = seats.of(event.id)
    seats.ensure_changeable(state, now)
    rsvp = seats.get_for_event(event, rsvp_id)
    if rsvp.status != "waitlisted":
        raise DomainError("not_waitlisted")
    if state.free < rsvp.party_size and not override:  # the whole party, or none of it
        raise DomainError("no_free_seat")
    rows.seat(rsvp, event, now, claim=True)
    db.session.flush()
    notices.notify(rsvp, "promoted", now)
    return rsvp


def add(
    event: Event, email: str, name: str, *, override: bool = False, now: datetime | None = None
) -> Rsvp:
    """An organizer puts someone on the list by hand (a speaker, a guest who wrote to them):
    a seat, and a ticket by email. Without a free seat this needs `override`, as promote()
    does. The RSVP deadline and members-only don't apply: they bind answers, not organizers.
    Someone on the waitlist is seated; someone removed is put back with reinstate()."""
    now = now or utcnow()
    user = accounts.get_or_create(email, name, now=now)
    lock_event(event.id)
    state = seats.of(event.id)
    seats.ensure_changeable(state, now)
    rsvp = seats.find(event.id, user.id)
    if rsvp is not None and rsvp.status == "going":
        raise DomainError("already_going")
    if rsvp is not None and rsvp.status == "removed":
        raise DomainError("add_removed")
    if state.free < (rsvp.party_size if rsvp is not None else 1) and not override:
        raise DomainError("no_free_seat")
    if rsvp is None:
        rsvp = rows.new_row(event, user, "not_going", now)
    elif rsvp.status != "waitlisted":
        rsvp.requested_at = now  # a new request; someone waiting keeps their place
    rows.seat(rsvp, event, now, claim=False)
    rsvp = rows.save(rsvp)
    notices.notify(rsvp, "added", now)
    return rsvp
