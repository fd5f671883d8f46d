"""Seats: counting them under the event's lock, and reading an event's list.

Seats are never kept in a counter: `going` rows are counted under locking.lock_event, each
for its party (the person and their named guests: Rsvp.party_size, services/events/guests.py). On
PostgreSQL a new person's answer to an event that looks full takes the lock shared
(migration 0007): joining the waitlist changes no seat, so such answers run side by side,
while every seat change still holds the lock alone (NeedsExclusiveLock).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from flask import current_app
from sqlalchemy import Boolean, Integer, Select, bindparam, column, func, select, text, true, tuple_
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ...extensions import db
from ...models import RSVP_STATUSES, Event, Rsvp, UTCDateTime
from ..errors import DomainError
from .locking import lock_event, widen_race_window

ACTIVE = ("going", "waitlisted")
HELD = (*ACTIVE, "requested")  # answered Going: placed, or waiting for an organizer's approval


class Seats(NamedTuple):
    """The event's rules and its going count, read together right after the lock."""

    capacity: int | None
    going: int
    starts_at: datetime
    rsvp_deadline: datetime | None
    cancelled_at: datetime | None
    sequence: int
    waiting: bool = False  # anyone on the waitlist

    @property
    def free(self) -> float:
        return float("inf") if self.capacity is None else max(0, self.capacity - self.going)

    def seats_party(self, size: int, event: Event) -> bool:
        """Whether a party of `size` arriving now is seated: the seats are free and nobody
        waits ahead of it (a larger party may wait while seats are free), unless the
        organizer lets smaller parties past (read only then: the answer path doesn't load
        that column)."""
        return self.free >= size and (not self.waiting or event.parties_may_pass)


# Statements of the RSVP path, built once: under a burst, building and keying a statement
# per request cost more than the database took to run it.
_GOING = select(func.coalesce(func.sum(Rsvp.party_size), 0)).where(
    Rsvp.event_id == bindparam("event_id"), Rsvp.status == "going"
)


_WAITING = (
    select(Rsvp.id)
    .where(Rsvp.event_id == bindparam("event_id"), Rsvp.status == "waitlisted")
    .exists()
)


_SEATS = select(
    Event.capacity,
    _GOING.scalar_subquery(),
    Event.starts_at,
    Event.rsvp_deadline,
    Event.cancelled_at,
    Event.sequence,
    _WAITING,
).where(Event.id == bindparam("event_id"))


_MINE = (
    select(Rsvp.id)
    .where(Rsvp.event_id == bindparam("event_id"), Rsvp.user_id == bindparam("user_id"))
    .scalar_subquery()
)


_SEATS_AND_MINE = _SEATS.add_columns(_MINE)


_COUNTS = (
    select(Rsvp.status, func.sum(Rsvp.party_size))
    .where(Rsvp.event_id == bindparam("event_id"))
    .group_by(Rsvp.status)
)


_AHEAD = select(func.count(Rsvp.id)).where(
    Rsvp.event_id == bindparam("event_id"),
    Rsvp.status == "waitlisted",
    tuple_(Rsvp.requested_at, Rsvp.id)
    < tuple_(bindparam("at", type_=UTCDateTime), bindparam("id", type_=Integer)),
)


# populate_existing: under the lock we want the row as committed, not a stale copy.
_FIND = (
    select(Rsvp)
    .where(Rsvp.event_id == bindparam("event_id"), Rsvp.user_id == bindparam("user_id"))
    .execution_options(populate_existing=True)
)


def _core(statement, params: dict):
    """Run a Core statement of the RSVP path on the session's connection, pending changes
    flushed first as session.execute would: the ORM's execute path, which these don't
    need, cost more per statement than the database took to run it."""
    db.session.flush()
    return db.session.connection().execute(statement, params)


def going_count(event_id: int) -> int:
    return _core(_GOING, {"event_id": event_id}).scalar_one()


def of(event_id: int) -> Seats:
    """One query: fresh capacity and rules (an organizer may just have changed them) + count."""
    return _fresh(Seats(*_core(_SEATS, {"event_id": event_id}).one()), event_id)


class Locked(NamedTuple):
    """What an answer reads under the event's lock."""

    seats: Seats
    rsvp_id: int | None  # the person's row, if they have one
    new_id: int | None  # PostgreSQL: the id drawn for their row if they have none
    # PostgreSQL: the lock is the shared one (migration 0007), held by a new person's answer
    # to an event that looked full: it allows joining the waitlist, not a seat change.
    shared: bool = False


class NeedsExclusiveLock(Exception):  # noqa: N818 (a signal to the caller, not an error)
    """The answer needs the event's exclusive lock but holds the shared one: start over
    (a new transaction) with lock_seats_and_row(), which takes the exclusive one."""


# PostgreSQL's rsvp_seats_locked (migrations 0006, 0007): the lock, then _SEATS_AND_MINE as
# a statement of its own, in one round trip: the lock is held for one fewer.
_LOCKED_COLUMNS = (
    column("capacity", Integer),
    column("going", Integer),
    column("starts_at", UTCDateTime),
    column("rsvp_deadline", UTCDateTime),
    column("cancelled_at", UTCDateTime),
    column("sequence", Integer),
    column("waiting", Boolean),
    column("mine", Integer),
    column("new_id", Integer),
    column("shared", Boolean),
)


_LOCKED_SEATS_AND_MINE = text(
    "SELECT * FROM rsvp_seats_locked(:event_id, :user_id, :lock, false)"
).columns(*_LOCKED_COLUMNS)


# The same call as a LATERAL join of a statement that reads the event (with_lock()); the
# shared lock if the event looks full and the person has no RSVP yet.
_LOCKED_WITH_EVENT = (
    func.rsvp_seats_locked(Event.id, bindparam("user_id"), bindparam("lock"), true())
    .table_valued(*_LOCKED_COLUMNS, name="locked")
    .lateral()
)


def lock_seats_and_row(event_id: int, user_id: int) -> Locked:
    """lock_event(), then seats() and the id of the person's RSVP if they have one, in the
    same query: a new RSVP (most of a burst) costs no second query under the lock."""
    params = {"event_id": event_id, "user_id": user_id}
    if db.session.connection().dialect.name != "postgresql":
        lock_event(event_id)
        *row, rsvp_id = _core(_SEATS_AND_MINE, params).one()
        return Locked(_fresh(Seats(*row), event_id), rsvp_id, None)
    params["lock"] = lock_param()
    return _locked(_core(_LOCKED_SEATS_AND_MINE, params).one(), event_id)


def can_lock_with_read() -> bool:
    """Whether with_lock() applies: PostgreSQL, where a row lock can be taken by any
    statement. SQLite's lock is the transaction's (BEGIN IMMEDIATE: meetup/database.py)."""
    return db.engine.dialect.name == "postgresql"


def with_lock(statement: Select) -> Select:
    """`statement`, which reads one event, also takes the event's lock and reads what
    lock_seats_and_row() does, for the person `:user_id` (columns added at the end; pass
    `lock=lock_param()`). An answer's first statement can so be its lock too: one round
    trip fewer per answer. PostgreSQL only (can_lock_with_read())."""
    return statement.outerjoin(_LOCKED_WITH_EVENT, true()).add_columns(*_LOCKED_WITH_EVENT.c)


def lock_param() -> bool:
    return not current_app.config["TESTING_SKIP_LOCKS"]


def locked_from_row(row, event_id: int) -> Locked:
    """The Locked of a row of with_lock(statement)."""
    return _locked(tuple(row)[-len(_LOCKED_COLUMNS) :], event_id)


def _locked(row, event_id: int) -> Locked:
    *seats_row, rsvp_id, new_id, shared = row
    return Locked(_fresh(Seats(*seats_row), event_id), rsvp_id, new_id, shared)


def _fresh(state: Seats, event_id: int) -> Seats:
    """The session's copy of the event may have been read before the lock: the invites of
    this change count from the event's sequence as committed."""
    event = db.session.identity_map.get(identity_key(Event, event_id))
    if event is not None:
        set_committed_value(event, "sequence", state.sequence)
    widen_race_window()
    return state


def counts(event_id: int) -> dict[str, int]:
    """People per status (each answer with its named guests), every status present (one
    query)."""
    rows = _core(_COUNTS, {"event_id": event_id}).all()
    return {**dict.fromkeys(RSVP_STATUSES, 0), **dict(rows)}


def waitlist_position(rsvp: Rsvp) -> int | None:
    """1 for the head of the waitlist; None if not waitlisted."""
    if rsvp.status != "waitlisted":
        return None
    params = {"event_id": rsvp.event_id, "at": rsvp.requested_at, "id": rsvp.id}
    return _core(_AHEAD, params).scalar_one() + 1


def find(event_id: int, user_id: int) -> Rsvp | None:
    return db.session.scalar(_FIND, {"event_id": event_id, "user_id": user_id})


def find_by_ticket(event: Event, ticket_token: str) -> Rsvp | None:
    return db.session.scalar(
        select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.ticket_token == ticket_token)
    )


def get_for_event(event: Event, rsvp_id: int) -> Rsvp:
    """The RSVP `rsvp_id` of `event`, read fresh; `rsvp_not_found` if it is another's."""
    rsvp = db.session.scalar(
        select(Rsvp)
        .where(Rsvp.id == rsvp_id, Rsvp.event_id == event.id)
        .execution_options(populate_existing=True)
    )
    if rsvp is None:
        raise DomainError("rsvp_not_found")
    return rsvp


def list_closed(event: Event | Seats, now: datetime) -> bool:
    """Once the event is on (or cancelled) its list is a record: no seat or list changes."""
    return event.cancelled_at is not None or now >= event.starts_at


def ensure_changeable(state: Seats, now: datetime) -> None:
    if list_closed(state, now):
        raise DomainError("event_cancelled" if state.cancelled_at is not None else "event_started")
