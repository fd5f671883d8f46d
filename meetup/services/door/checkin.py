"""The door: scans, manual check-ins, walk-ins, undo and offline sync, with an audit log.

Every request carries a nonce chosen by the device. (event, nonce) is unique in checkin_log:
a retried request fails to insert its log row, the caller rolls the whole transaction back
and answers with `replay()`, the stored answer of the first time, so a retry changes
nothing. (Checking the constraint rather than looking the nonce up first saves a query on
every scan, and it is the same path whether the retry comes later or races the original.)

Between reading `checked_in_at` and writing it the RSVP row is locked (FOR UPDATE on
PostgreSQL; SQLite writers already hold BEGIN IMMEDIATE): without the lock two scanners of
the same ticket would both read "not yet" and both admit, which the negative control in
tests/test_door_checkin.py shows by switching the lock off (TESTING_SKIP_LOCKS).

The door is open from DOOR_OPENS before the start to DOOR_CLOSES after the end: a ticket
scanned outside that window (a test scan days before, a stray one the next week) is refused
with the status `outside_window` (reason `too_early` or `too_late`) and counts nowhere,
unless an organizer lets that person in anyway (`override`). Volunteers can't override.

A scan is the door's hot path (a queue in the rain waits on it), so it reads and writes
rows with Core statements on the session's connection: no ORM objects to build, track and
flush. `Ticket` is the RSVP as the door needs it; ORM copies in the session are expired
when a scan changes their row.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Connection,
    Insert,
    Row,
    Select,
    bindparam,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.orm import aliased
from sqlalchemy.orm.util import identity_key

from ...extensions import db
from ...models import CheckinLog, DoorLink, Event, Membership, Rsvp, RsvpGuest, User, utcnow
from ...timeutil import format_in_zone, in_zone
from ..accounts import users as accounts
from ..errors import DomainError
from ..events import guests as event_guests
from ..events.locking import lock_event
from ..events.seats import of as seats
from ..tokens import hash_token, new_token
from . import links as door_links
from . import tickets

METHODS = ("scan", "manual", "walkin", "offline")

# Statuses of the public contract (DESIGN.md).
CHECKED_IN = "checked_in"
ALREADY = "already_checked_in"
NOT_FOUND = "not_found"
NOT_ATTENDING = "not_attending"
OUTSIDE_WINDOW = "outside_window"  # added later: the first four keep their meaning

# When the door admits: from a few hours before the start (early helpers, a long queue) to
# late on the night of the event (offline scans synced on the way home still count).
DOOR_OPENS = timedelta(hours=4)
DOOR_CLOSES = timedelta(hours=12)

# Why a ticket doesn't get in, for the door's red screen.
REASONS = {
    "waitlisted": "waitlisted",
    "pending": "pending",
    "requested": "pending",  # a request is not a ticket
    "not_going": "cancelled",
    "declined": "cancelled",
}


@dataclass(frozen=True)
class Actor:
    """Who is at the door: an organizer ("user:3") or a volunteer's door link ("door:7")."""

    key: str
    name: str  # shown as "by Sam"
    is_organizer: bool = False

    @property
    def audit(self) -> str:
        return f"{self.key} ({self.name})"[:160]


class EventLike(Protocol):
    """An Event, or the DoorEvent the scan path reads instead."""

    id: int
    timezone: str
    capacity: int | None
    cancelled_at: datetime | None
    starts_at: datetime
    ends_at: datetime


class Ticket(NamedTuple):
    """An RSVP as the door sees it (with its attendee's name), read under the row lock,
    and the door's counter as it was then (going rows of the door's event, and how many
    of them are checked in)."""

    id: int
    event_id: int
    status: str
    ticket_token: str | None
    checked_in_at: datetime | None
    checked_in_by: str | None
    checkin_flagged: bool
    user_name: str | None
    user_email: str
    checked_in_count: int
    going_count: int

    @property
    def name(self) -> str:
        return self.user_name or self.user_email.split("@", 1)[0]  # as User.display_name


class DoorEvent(NamedTuple):
    """What the door's JSON endpoints need of an event, read in one light query, with the
    door link to it that the asker's session holds, if any, and the signed-in asker's role
    in its group (None: not a member, or signed out).

    On PostgreSQL the same statement reads and locks the ticket the request names: `lookup`
    is what it looked for, ("token", raw token) or ("rsvp_id", id), and `found` the ticket
    (None: no such ticket). A round trip fewer per scan, on the door's hot path.
    """

    id: int
    key: str
    group_id: int
    title: str
    timezone: str
    capacity: int | None
    cancelled_at: datetime | None
    starts_at: datetime
    ends_at: datetime
    link: door_links.LinkRow | None = None
    role: str | None = None
    lookup: tuple[str, object] | None = None
    found: Ticket | None = None


# The scan path's statements, built once: building and keying a statement per scan cost
# more than SQLite took to run it.
_N_EVENT = 9  # DoorEvent's fields read from the event row
_EVENT_COLUMNS = tuple(getattr(Event, f) for f in DoorEvent._fields[:_N_EVENT])
_LINK_ON = (DoorLink.event_id == Event.id) & DoorLink.id.in_(bindparam("link_ids", expanding=True))
_ROLE_ON = (Membership.group_id == Event.group_id) & (Membership.user_id == bindparam("user_id"))
_DOOR_EVENT = (
    select(*_EVENT_COLUMNS, *door_links.COLUMNS, Membership.role)
    .outerjoin(DoorLink, _LINK_ON)
    .outerjoin(Membership, _ROLE_ON)
    .where(Event.key == bindparam("key"))
)
_TICKET_COLUMNS = (*(getattr(Rsvp, f) for f in Ticket._fields[:7]), User.name, User.email)


def _counter(event_id: ColumnElement[int]) -> Select:
    """The door's counter: people of going rows (party sizes, read from the (event_id,
    status, ...) index), and how many of them are checked in (count skips NULLs). It comes
    with the ticket: a statement (and on SQLite a transaction) fewer per scan."""
    going = aliased(Rsvp, name="going")
    # Named guests count as people: seats are party sizes, and a guest holds a ticket only
    # while their party is going (services/events/guests.py).
    guests_in = (
        select(func.count(RsvpGuest.id))
        .where(RsvpGuest.event_id == event_id, RsvpGuest.checked_in_at.is_not(None))
        .where(RsvpGuest.ticket_token.is_not(None))
        .correlate_except(RsvpGuest)  # to the event of the enclosing statement, if any
        .scalar_subquery()
    )
    return select(
        func.count(going.checked_in_at) + guests_in, func.coalesce(func.sum(going.party_size), 0)
    ).where(going.event_id == event_id, going.status == "going")


def _ticket(where: ColumnElement[bool]) -> Select:
    return select(*_TICKET_COLUMNS).join(User, User.id == Rsvp.user_id).where(where)


# How a request names its ticket; a token finds a ticket of any event ("Other event").
_LOOKUPS = {
    "token": lambda event_id: Rsvp.ticket_token == bindparam("token"),
    "rsvp_id": lambda event_id: (Rsvp.id == bindparam("rsvp_id")) & (Rsvp.event_id == event_id),
}


def _ticket_alone(where: ColumnElement[bool], *, locked: bool) -> Select:
    """The ticket with the counter of the event `event_id`: SQLite, and walk-ins (their
    RSVP is made by the request)."""
    counter = _counter(bindparam("event_id")).subquery("counter")
    query = _ticket(where).add_columns(*counter.c).join(counter, true())
    return query.with_for_update(of=Rsvp) if locked else query


def _event_and_ticket(where: ColumnElement[bool], *, locked: bool) -> Select:
    """PostgreSQL: the event, the link, the counter and the ticket `where` finds, locked,
    in one statement. The ticket is a LATERAL subquery so that its FOR UPDATE locks the
    RSVP row alone; as with the ticket on its own, a scan that waited for the lock sees the
    counter as it was before the wait (the statement's snapshot) and the ticket as it is."""
    ticket = _ticket(where)
    ticket = (ticket.with_for_update(of=Rsvp) if locked else ticket).lateral("ticket")
    counter = _counter(Event.id).lateral("counter")
    return (
        select(*_EVENT_COLUMNS, *door_links.COLUMNS, Membership.role, *ticket.c, *counter.c)
        .outerjoin(DoorLink, _LINK_ON)
        .outerjoin(Membership, _ROLE_ON)
        .join(counter, true())
        .outerjoin(ticket, true())
        .where(Event.key == bindparam("key"))
    )


# {(lookup, locked): statement}; unlocked only under the negative control (_lock_read).
_ALONE = {
    (kind, locked): _ticket_alone(where(bindparam("event_id")), locked=locked)
    for kind, where in _LOOKUPS.items()
    for locked in (True, False)
}
_WITH_EVENT = {
    (kind, locked): _event_and_ticket(where(Event.id), locked=locked)
    for kind, where in _LOOKUPS.items()
    for locked in (True, False)
}
_COUNTS = _counter(bindparam("event_id"))
_UPDATE = update(Rsvp).where(Rsvp.id == bindparam("row_id"))  # SET: the keys passed
_LOG = insert(CheckinLog).inline()  # no RETURNING: the log row's id is never needed


def door_event(
    event_key: str,
    link_ids: Collection[int] = (),
    *,
    user_id: int | None = None,
    token: str | None = None,
    rsvp_id: int | None = None,
) -> DoorEvent | None:
    """The event, among the door links `link_ids` (a volunteer's session) the one to this
    event, and the role in its group of the signed-in `user_id`: who may scan, in the same
    statement as what. On PostgreSQL it also reads and locks the ticket named by `rsvp_id`
    or else `token`, as check_in() and undo() would."""
    conn = _conn()
    params = {"key": event_key, "link_ids": list(link_ids), "user_id": user_id}
    lookup = _lookup(token, rsvp_id) if conn.dialect.name == "postgresql" else None
    if lookup is None:
        row = conn.execute(_DOOR_EVENT, params).first()
    else:
        kind, value = lookup
        row = _lock_read(_WITH_EVENT, kind, {**params, kind: value})
    if row is None:
        return None
    n = _N_EVENT
    event, (link_id, *link), role, found = row[:n], row[n : n + 4], row[n + 4], row[n + 5 :]
    link = door_links.LinkRow(link_id, *link) if link_id else None
    ticket = Ticket(*found) if lookup and found[0] is not None else None
    return DoorEvent(*event, link=link, role=role, lookup=lookup, found=ticket)


def _lookup(token: str | None, rsvp_id: int | None) -> tuple[str, object] | None:
    """How the request names its ticket, as _resolve() reads it: the RSVP id first."""
    if rsvp_id is not None:
        return "rsvp_id", rsvp_id
    raw = tickets.token_from_scan(token)
    return ("token", raw) if raw is not None else None


def replay(event_id: int, nonce: str) -> dict | None:
    """The stored answer to a request already handled with this nonce."""
    return db.session.scalar(
        select(CheckinLog.response).where(
            CheckinLog.event_id == event_id, CheckinLog.nonce == nonce
        )
    )


def check_in(
    event: EventLike,
    *,
    nonce: str,
    actor: Actor,
    token: str | None = None,
    rsvp_id: int | None = None,
    method: str = "scan",
    device: str = "",
    scanned_at: datetime | None = None,
    override: bool = False,
    now: datetime | None = None,
    guests: Callable[[str], dict | None] | None = None,
) -> dict:
    """Admit the holder of `token` (a token or a ticket URL) or the RSVP `rsvp_id`.
    `guests`: the named guests' door (services/door/guests.py), offered a token no RSVP
    holds before it is refused; its answer (None: no guest holds it either) is the answer.

    An offline scan synced late keeps its scan time; if the ticket was already admitted
    elsewhere, the device let the person in a second time: the RSVP is flagged for the
    organizer rather than the scan being dropped. Outside the door's window (judged at the
    scan time) the answer is `outside_window`, unless an organizer passes `override`.
    """
    now = now or utcnow()
    _check_method(method)
    if override and not actor.is_organizer:
        raise DomainError("forbidden")
    scanned_at = min(scanned_at or now, now)

    found, refusal = _resolve(event, token, rsvp_id)
    if found is None and guests is not None and refusal["reason"] == "unknown" and token:
        answer = guests(tickets.token_from_scan(token))
        if answer is not None:
            return answer
    if refusal is None and not override:
        refusal = _outside_window(event, found, scanned_at)
    if refusal is not None:
        response = _log(event, None, nonce, "checkin", method, refusal, actor, device, scanned_at)
        return _with_counts(response, event, found)

    change: dict[str, object] = {}
    if found.checked_in_at is None:
        checked_in_at = scanned_at if method == "offline" else now
        change = {"checked_in_at": checked_in_at, "checked_in_by": actor.name[:120]}
        status = CHECKED_IN
    else:
        status = ALREADY
        if method == "offline" and not found.checkin_flagged:
            change = {"checkin_flagged": True}
    ticket = found._replace(**change)
    response = _answer(status, ticket, event)
    response = _log(
        event, ticket, nonce, "checkin", method, response, actor, device, scanned_at, change
    )
    return _with_counts(response, event, found, ticket)


def undo(
    event: EventLike,
    *,
    nonce: str,
    actor: Actor,
    rsvp_id: int,
    method: str = "manual",
    device: str = "",
    scanned_at: datetime | None = None,
    now: datetime | None = None,
) -> dict:
    """Take back a check-in (a wrong tap); logged like everything else."""
    now = now or utcnow()
    _check_method(method)
    scanned_at = min(scanned_at or now, now)
    ticket = _find(event, "rsvp_id", rsvp_id)
    if ticket is None:
        raise DomainError("not_found")
    status = "undone" if ticket.checked_in_at is not None else "not_checked_in"
    change: dict[str, object] = {}
    if ticket.checked_in_at is not None or ticket.checked_in_by is not None:
        change = {"checked_in_at": None, "checked_in_by": None}
    after = ticket._replace(**change)
    response = _answer(status, after, event)
    response = _log(
        event, after, nonce, "undo", method, response, actor, device, scanned_at, change
    )
    return _with_counts(response, event, ticket, after)


def register_walkin(
    event: EventLike,
    *,
    nonce: str,
    actor: Actor,
    name: str,
    email: str,
    override: bool = False,
    device: str = "",
    now: datetime | None = None,
) -> dict:
    """Someone at the door without an RSVP: make them going and check them in at once.

    Seats are counted under the event lock; only an organizer may go over capacity. Someone
    an organizer took off the list stays off (`walkin_removed`): putting them back is the
    organizer's call, on the attendee list, not the door's.
    """
    now = now or utcnow()
    if event.cancelled_at is not None:
        raise DomainError("event_cancelled")
    if override and not actor.is_organizer:
        raise DomainError("forbidden")
    if not override and not is_open(event, now):
        raise DomainError("door_closed")
    user = accounts.get_or_create(email, name, now=now)
    lock_event(event.id)
    rsvp = db.session.scalar(select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.user_id == user.id))
    if rsvp is not None and rsvp.status == "removed":
        raise DomainError("walkin_removed")
    if rsvp is None or rsvp.status != "going":
        state = seats(event.id)  # read under the lock: the capacity may just have changed
        if not override and state.free < (rsvp.party_size if rsvp is not None else 1):
            raise DomainError("event_full", capacity=state.capacity)
        if rsvp is None:
            rsvp = Rsvp(event_id=event.id, user_id=user.id, requested_at=now)
            db.session.add(rsvp)
        rsvp.status = "going"
        rsvp.claim_expires_at = None
        rsvp.ticket_token = rsvp.ticket_token or new_token()
        if (rsvp.party_size or 1) > 1:  # a new row has none until written
            event_guests.seated(rsvp, now)  # their named guests are seated with them
        db.session.flush()
    return check_in(
        event,
        nonce=nonce,
        actor=actor,
        rsvp_id=rsvp.id,
        method="walkin",
        device=device,
        override=override,
        now=now,
    )


def door_window(event: EventLike) -> tuple[datetime, datetime]:
    """When the door admits: (opens, closes)."""
    return event.starts_at - DOOR_OPENS, event.ends_at + DOOR_CLOSES


def is_open(event: EventLike, at: datetime) -> bool:
    opens, closes = door_window(event)
    return opens <= at <= closes


def _outside_window(event: EventLike, ticket: Ticket, at: datetime) -> dict | None:
    """The refusal of a scan at `at` outside the door's window, with when it opens (too
    early) or closed (too late) in the event's zone, for the door's screen."""
    opens, closes = door_window(event)
    if opens <= at <= closes:
        return None
    early = at < opens
    edge = opens if early else closes
    return {
        "status": OUTSIDE_WINDOW,
        "reason": "too_early" if early else "too_late",
        "name": ticket.name,
        "rsvp_id": ticket.id,
        "door_opens_at" if early else "door_closed_at": iso(edge),
        "door_time": format_in_zone(edge, event.timezone, "EEE d MMM, HH:mm"),
    }


def counts(event_id: int) -> dict[str, int]:
    """The door's live counter: checked in / going."""
    row = _conn().execute(_COUNTS, {"event_id": event_id}).one()
    return {"checked_in": row[0], "going": row[1]}


def _with_counts(
    response: dict, event: EventLike, before: Ticket | None, after: Ticket | None = None
) -> dict:
    """The answer (as logged) with the door's counter after this change: the counter read
    with the ticket, moved by the change, or read on its own when no ticket was found.
    On PostgreSQL a scan that waited for the ticket's lock shows the counter as it was
    before the wait (the statement's snapshot); the next answer catches up."""
    if before is None:
        return {**response, "counts": counts(event.id)}
    checked_in = before.checked_in_count
    if after is not None and before.status == "going":
        checked_in += (after.checked_in_at is not None) - (before.checked_in_at is not None)
    return {**response, "counts": {"checked_in": checked_in, "going": before.going_count}}


def guest_list(event: EventLike) -> list[dict]:
    """Everyone who answered, for the name search and the offline copy.

    Tickets appear only as SHA-256 hashes: a lost phone leaks names, not working tickets.
    """
    rows = db.session.execute(
        select(
            Rsvp.id,
            Rsvp.status,
            Rsvp.ticket_token,
            Rsvp.checked_in_at,
            Rsvp.checked_in_by,
            User.name,
            User.email,
        )
        .join(User, User.id == Rsvp.user_id)
        .where(Rsvp.event_id == event.id, Rsvp.status != "removed")
    ).all()
    guests = [
        {
            "id": r.id,
            "name": r.name or r.email.split("@", 1)[0],
            "status": r.status,
            "reason": REASONS.get(r.status),
            "hash": hash_token(r.ticket_token) if r.ticket_token else None,
            "checked_in_at": iso(r.checked_in_at),
            "checked_in_time": _clock(r.checked_in_at, event.timezone),
            "checked_in_by": r.checked_in_by,
        }
        for r in rows
    ]
    return sorted(guests, key=lambda g: g["name"].casefold())


def flagged(event_id: int) -> list[tuple[Rsvp, list[CheckinLog]]]:
    """Tickets admitted twice (offline on two devices): each with its check-in log."""
    rsvps = db.session.scalars(
        select(Rsvp)
        .where(Rsvp.event_id == event_id, Rsvp.checkin_flagged.is_(True))
        .join(User, User.id == Rsvp.user_id)
        .order_by(User.name)
    ).all()
    logs = db.session.scalars(
        select(CheckinLog)
        .where(CheckinLog.rsvp_id.in_([r.id for r in rsvps]), CheckinLog.action == "checkin")
        .order_by(CheckinLog.scanned_at)
    ).all()
    return [(r, [log for log in logs if log.rsvp_id == r.id]) for r in rsvps]


def resolve_flag(event: EventLike, rsvp_id: int) -> None:
    rsvp = db.session.get(Rsvp, rsvp_id)
    if rsvp is None or rsvp.event_id != event.id:
        raise DomainError("not_found")
    rsvp.checkin_flagged = False
    db.session.flush()


def recent_log(event_id: int, limit: int = 30) -> list[CheckinLog]:
    """The latest lines, newest first by when they happened at the door (an offline scan
    synced late takes its place by its scan time, not by when it arrived)."""
    return db.session.scalars(
        select(CheckinLog)
        .where(CheckinLog.event_id == event_id)
        .order_by(CheckinLog.scanned_at.desc(), CheckinLog.id.desc())
        .limit(limit)
    ).all()


# ---------------------------------------------------------------- internals


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise DomainError("invalid")


def _conn() -> Connection:
    """The session's connection: Core statements run in the request's transaction."""
    return db.session.connection()


def _resolve(
    event: EventLike, token: str | None, rsvp_id: int | None
) -> tuple[Ticket | None, dict | None]:
    """The ticket, locked (None if there is none), and the refusal to answer with if it
    doesn't get in."""
    if rsvp_id is not None:
        ticket = _find(event, "rsvp_id", rsvp_id)
        if ticket is None:
            return None, {"status": NOT_FOUND, "reason": "unknown"}
    else:
        raw = tickets.token_from_scan(token)
        if raw is None:
            return None, {"status": NOT_FOUND, "reason": "not_a_ticket"}
        ticket = tickets.checked(_find(event, "token", raw), raw)
        if ticket is None:
            return None, {"status": NOT_FOUND, "reason": "unknown"}
        if ticket.event_id != event.id:
            other = _conn().execute(select(Event.title).where(Event.id == ticket.event_id))
            return ticket, {
                "status": NOT_FOUND,
                "reason": "other_event",
                "name": ticket.name,
                "other_event": other.scalar_one(),
            }
    if event.cancelled_at is not None:
        # Its tickets still read "going": the door must not let anyone in on them.
        return ticket, {
            "status": NOT_ATTENDING,
            "reason": "event_cancelled",
            "name": ticket.name,
            "rsvp_id": ticket.id,
        }
    if not tickets.is_valid(ticket):
        return ticket, {
            "status": NOT_ATTENDING,
            "reason": REASONS.get(ticket.status, "cancelled"),
            "name": ticket.name,
            "rsvp_id": ticket.id,
        }
    return ticket, None


def _find(event: EventLike, kind: str, value: object) -> Ticket | None:
    """The ticket `kind` ("token" or "rsvp_id") names, read fresh and locked until the
    transaction ends: read with the event (PostgreSQL) or now."""
    if isinstance(event, DoorEvent) and event.lookup == (kind, value):
        return event.found
    db.session.flush()  # a walk-in's new RSVP must be visible to the Core query
    row = _lock_read(_ALONE, kind, {"event_id": event.id, kind: value})
    return Ticket(*row) if row else None


def _lock_read(statements: dict[tuple[str, bool], Select], kind: str, params: dict) -> Row | None:
    """The row of the ticket statement for `kind`, with its ticket locked."""
    skip_locks = current_app.config["TESTING_SKIP_LOCKS"]
    row = _conn().execute(statements[kind, not skip_locks], params).first()
    if skip_locks:
        # Negative control: no lock, and a window wide enough for the race to show (50 ms
        # was not always: on a loaded machine the other scans could all arrive later).
        time.sleep(0.2)
    return row


def _answer(status: str, ticket: Ticket, event: EventLike) -> dict:
    return {
        "status": status,
        "name": ticket.name,
        "rsvp_id": ticket.id,
        "checked_in_at": iso(ticket.checked_in_at),
        "checked_in_time": _clock(ticket.checked_in_at, event.timezone),
        "checked_in_by": ticket.checked_in_by,
        "flagged": ticket.checkin_flagged,
    }


def _log(
    event: EventLike,
    ticket: Ticket | None,
    nonce: str,
    action: str,
    method: str,
    response: dict,
    actor: Actor,
    device: str,
    scanned_at: datetime,
    change: dict[str, object] | None = None,
) -> dict:
    """Write the log line, and `change` to the ticket's RSVP row; returns the answer as
    logged (what a retry of `nonce` gets)."""
    response = {"nonce": nonce, "method": method, **response}
    line = {
        "event_id": event.id,
        "rsvp_id": ticket.id if ticket else None,
        "nonce": nonce,
        "action": action,
        "method": method,
        "status": response["status"],
        "actor": actor.audit,
        "device": device[:120],
        "scanned_at": scanned_at,
        "response": response,
    }
    conn = _conn()
    if not change:
        conn.execute(_LOG, line)
        return response
    if conn.dialect.name == "postgresql":  # one statement: a round trip fewer per admission
        # Every value given: column defaults of a nested statement aren't filled in.
        line["created_at"] = stamp = utcnow()
        change = {**change, "updated_at": stamp}
        params = {f"log_{column}": value for column, value in line.items()}
        params |= {f"new_{column}": value for column, value in change.items()}
        conn.execute(_change_and_log(tuple(line), tuple(change)), {**params, "row_id": ticket.id})
    else:
        conn.execute(_UPDATE, {"row_id": ticket.id, **change})
        conn.execute(_LOG, line)
    loaded = db.session.identity_map.get(identity_key(Rsvp, ticket.id))
    if loaded is not None:
        db.session.expire(loaded)  # the ORM copy no longer holds what the row does
    return response


@functools.cache
def _change_and_log(line: tuple[str, ...], change: tuple[str, ...]) -> Insert:
    """PostgreSQL: INSERT INTO checkin_log (`line`) with UPDATE rsvps SET `change` as its
    CTE (run once, whether or not the INSERT reads it; a retried nonce fails both). Both
    take their values from prefixed parameters: a nested statement would also take any
    parameter named like one of its columns (the log line's event_id and status)."""
    rsvps, log = Rsvp.__table__, CheckinLog.__table__
    new = {column: bindparam(f"new_{column}", type_=rsvps.c[column].type) for column in change}
    update_row = update(rsvps).where(rsvps.c.id == bindparam("row_id")).values(new)
    values = {column: bindparam(f"log_{column}", type_=log.c[column].type) for column in line}
    return insert(log).values(values).add_cte(update_row.cte("change"))


def _clock(dt: datetime | None, tz: str) -> str | None:
    """ "19:02" in the event's zone: what the door shows, wherever the phone's clock is set."""
    return in_zone(dt, tz).strftime("%H:%M") if dt else None


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat().replace("+00:00", "Z") if dt else None
