"""RSVPs: answers, seats, the waitlist, claims, and the emails they cause.

Seats are never kept in a counter: `going` rows are counted under
services.locking.lock_event, and every change that can free a seat ends with fill_seats(),
so nobody waits while a seat is free. On PostgreSQL a new person's answer to an event that
looks full takes the lock shared (migration 0007): joining the waitlist changes no seat, so
such answers run side by side, while every seat change still holds the lock alone.

Place in line is `requested_at`. It is read from the clock *after* the lock is taken, so it
follows the order in which requests were serialised: arrival order. Someone signed out holds
their place from the moment they asked (a `pending` row, or the time carried by the magic
link) and is placed when the link is used.

Decisions (README, "RSVPs"):
- RSVPing to a public event does not make you a group member: membership opens members-only
  events and the member list, which one RSVP doesn't consent to. Invite links do that.
- After `rsvp_deadline` nobody new may say Going (or join the waitlist); saying "Can't go" and
  editing answers stay open, and the waitlist keeps moving until the event starts.
- Once the event has started, or if it is cancelled, nothing changes.
- Lowering the capacity below the number going takes nobody's seat: new answers wait until
  enough people cancel. Raising it (or removing someone) promotes at once.
- An organizer seats someone by hand from the waitlist. With no free seat that needs an
  explicit override, and the excess is absorbed by the next cancellation.
- Someone removed by an organizer can't RSVP again by themselves.
- With a claim window, every promotion holds the seat (with a ticket) for N hours, capped at
  the start; unclaimed seats pass on (expire_claims, run by the worker).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import (
    Boolean,
    Integer,
    Select,
    bindparam,
    column,
    func,
    insert,
    inspect,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.orm import joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ...extensions import db
from ...models import Event, LoginToken, Rsvp, User, UTCDateTime, utcnow
from ...urls import MAX_ID, absolute_url, event_url, ticket_url
from ..accounts import magic_links
from ..accounts import users as accounts
from ..calendar import invites
from ..errors import DomainError
from ..mail import messages as mail
from ..permissions import is_member
from ..tokens import new_token
from .locking import lock_event, widen_race_window

ACTIVE = ("going", "waitlisted")
NOTICE = "rsvp"  # the outbox notice type (services/notices.py)
LINK_PURPOSE = "rsvp"
MAX_ANSWER = 1000  # characters of "looking for" / "can offer"


@dataclass
class Answers:
    """What someone tells this event about themselves; None keeps what is there."""

    looking_for: str | None = None
    can_offer: str | None = None
    wants_intros: bool | None = None
    save_to_profile: bool = False

    def as_payload(self) -> dict:
        return {
            "looking_for": self.looking_for,
            "can_offer": self.can_offer,
            "wants_intros": self.wants_intros,
            "save_to_profile": self.save_to_profile,
        }

    @classmethod
    def from_payload(cls, payload: dict) -> Answers:
        return cls(
            looking_for=payload.get("looking_for"),
            can_offer=payload.get("can_offer"),
            wants_intros=payload.get("wants_intros"),
            save_to_profile=bool(payload.get("save_to_profile")),
        )


class Seats(NamedTuple):
    """The event's rules and its going count, read together right after the lock."""

    capacity: int | None
    going: int
    starts_at: datetime
    rsvp_deadline: datetime | None
    cancelled_at: datetime | None
    sequence: int

    @property
    def free(self) -> float:
        return float("inf") if self.capacity is None else max(0, self.capacity - self.going)


# ------------------------------------------------------------------ reading


# Statements of the RSVP path, built once: under a burst, building and keying a statement
# per request cost more than the database took to run it.
_GOING = select(func.count(Rsvp.id)).where(
    Rsvp.event_id == bindparam("event_id"), Rsvp.status == "going"
)
_SEATS = select(
    Event.capacity,
    _GOING.scalar_subquery(),
    Event.starts_at,
    Event.rsvp_deadline,
    Event.cancelled_at,
    Event.sequence,
).where(Event.id == bindparam("event_id"))
_MINE = (
    select(Rsvp.id)
    .where(Rsvp.event_id == bindparam("event_id"), Rsvp.user_id == bindparam("user_id"))
    .scalar_subquery()
)
_SEATS_AND_MINE = _SEATS.add_columns(_MINE)
_COUNTS = (
    select(Rsvp.status, func.count(Rsvp.id))
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


def seats(event_id: int) -> Seats:
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
    """Rows per status, every status present (one query)."""
    rows = _core(_COUNTS, {"event_id": event_id}).all()
    return {"pending": 0, "going": 0, "waitlisted": 0, "not_going": 0, "removed": 0, **dict(rows)}


def waitlist_position(rsvp: Rsvp) -> int | None:
    """1 for the head of the waitlist; None if not waitlisted."""
    if rsvp.status != "waitlisted":
        return None
    params = {"event_id": rsvp.event_id, "at": rsvp.requested_at, "id": rsvp.id}
    return _core(_AHEAD, params).scalar_one() + 1


def find(event_id: int, user_id: int) -> Rsvp | None:
    return db.session.scalar(_FIND, {"event_id": event_id, "user_id": user_id})


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


# ------------------------------------------------------------------ rules


def list_closed(event: Event | Seats, now: datetime) -> bool:
    """Once the event is on (or cancelled) its list is a record: no seat or list changes."""
    return event.cancelled_at is not None or now >= event.starts_at


def _ensure_changeable(state: Seats, now: datetime) -> None:
    if list_closed(state, now):
        raise DomainError("event_cancelled" if state.cancelled_at is not None else "event_started")


def _ensure_can_join(member: bool, state: Seats, now: datetime) -> None:
    if state.rsvp_deadline is not None and now >= state.rsvp_deadline:
        raise DomainError("rsvp_closed")
    if not member:
        raise DomainError("members_only")


def _clean(text: str | None) -> str | None:
    return None if text is None else text.strip()[:MAX_ANSWER]


def _apply_answers(rsvp: Rsvp, user: User, answers: Answers) -> None:
    looking_for, can_offer = _clean(answers.looking_for), _clean(answers.can_offer)
    if looking_for is not None:
        rsvp.looking_for = looking_for
    if can_offer is not None:
        rsvp.can_offer = can_offer
    if answers.wants_intros is not None:
        rsvp.wants_intros = answers.wants_intros
    if answers.save_to_profile:
        user.looking_for = rsvp.looking_for
        user.can_offer = rsvp.can_offer
        user.wants_intros = rsvp.wants_intros


def _new_row(
    event: Event, user: User, status: str, now: datetime, new_id: int | None = None
) -> Rsvp:
    """A row prefilled from the profile, not in the session yet: _saved() or _place() writes
    it. `new_id`: the id drawn for it under the lock (PostgreSQL), else the INSERT draws one."""
    row = Rsvp(
        id=new_id,
        event_id=event.id,
        user_id=user.id,
        status=status,
        requested_at=now,
        updated_at=now,
        looking_for=user.looking_for or "",
        can_offer=user.can_offer or "",
        wants_intros=user.wants_intros if user.wants_intros is not None else True,
        ticket_token=None,
        claim_expires_at=None,
        checked_in_at=None,
        checked_in_by=None,
        checkin_flagged=False,
        invite_sequence=0,
    )  # every column set: once written, nothing is left to load
    # Nor its event and person, which the notice reads under the lock: set as loaded, not
    # assigned, so no cascade puts the row in the session before _saved() writes it.
    set_committed_value(row, "event", event)
    set_committed_value(row, "user", user)
    return row


# A new row is written with one Core INSERT ... RETURNING id and joins the session as is:
# under the event lock, on every new RSVP of a burst, a unit-of-work flush cost more than
# half again as much, and an ORM INSERT ... RETURNING the entity a third more.
_INSERT = insert(Rsvp.__table__).returning(Rsvp.__table__.c.id)
_COLUMNS = frozenset(column.key for column in Rsvp.__table__.columns)
# PostgreSQL: a new row whose id was drawn under the lock is written with its notice in one
# statement, its INSERT as a CTE (which runs whether or not the outbox's INSERT reads it):
# one round trip fewer while every other RSVP of the event waits on the lock.
_ROW_PREFIX = "new_rsvp_"
_INSERT_WITH_NOTICE = mail.NOTICE_INSERT.add_cte(
    insert(Rsvp.__table__)
    .values({c: bindparam(_ROW_PREFIX + c.key, type_=c.type) for c in Rsvp.__table__.columns})
    .cte("new_rsvp")
)


def _row_values(rsvp: Rsvp) -> dict:
    values = {key: value for key, value in vars(rsvp).items() if key in _COLUMNS}
    if values.get("id") is None:
        values.pop("id", None)  # the INSERT draws it
    return values


def _joined(rsvp: Rsvp) -> Rsvp:
    """A new row just written joins the session as it is, nothing left to load."""
    # Its event and person are in the session already: add() would walk them (and theirs).
    loaded = {key: rsvp.__dict__.pop(key) for key in ("event", "user") if key in rsvp.__dict__}
    make_transient_to_detached(rsvp)
    db.session.add(rsvp)
    for key, value in loaded.items():
        set_committed_value(rsvp, key, value)
    return rsvp


def _drawn_not_written(rsvp: Rsvp) -> bool:
    """A new row whose id was drawn under the lock (PostgreSQL): notify() writes it."""
    return inspect(rsvp).transient and rsvp.id is not None


def _saved(rsvp: Rsvp) -> Rsvp:
    """Write `rsvp`; a new one (from _new_row) becomes a persistent object of the session."""
    if inspect(rsvp).transient:
        db.session.flush()  # what the row refers to is written first, as autoflush would
        rsvp.id = db.session.connection().execute(_INSERT, _row_values(rsvp)).scalar_one()
        return _joined(rsvp)
    db.session.flush()
    return rsvp


def _pending_is_fresh(rsvp: Rsvp, now: datetime) -> bool:
    """A pending row holds its place only while the link that made it could still be used."""
    minutes = current_app.config["MAGIC_LINK_MINUTES"]
    return rsvp.status == "pending" and rsvp.requested_at >= now - timedelta(minutes=minutes)


def open_links(pending: list[Rsvp], now: datetime) -> dict[int, datetime]:
    """Until when the newest unused confirmation link emailed for each pending RSVP works,
    by RSVP id; none for those whose links have all expired (one query). While one works it
    holds their place: asking again within that time renews the link, not the place."""
    ids = {rsvp.id for rsvp in pending}
    if not ids:
        return {}
    rows = db.session.execute(
        select(LoginToken.payload, LoginToken.expires_at).where(
            LoginToken.purpose == LINK_PURPOSE,
            LoginToken.email.in_({rsvp.user.email for rsvp in pending}),
            LoginToken.used_at.is_(None),
            LoginToken.expires_at > now,
        )
    )
    until: dict[int, datetime] = {}
    for payload, expires_at in rows:
        rsvp_id = (payload or {}).get("rsvp_id")
        if rsvp_id in ids:
            until[rsvp_id] = max(expires_at, until.get(rsvp_id, expires_at))
    return until


# ------------------------------------------------------------------ state changes


def _seat(rsvp: Rsvp, event: Event, now: datetime, *, claim: bool) -> None:
    rsvp.status = "going"
    # Their REQUEST outranks any CANCEL they hold.
    rsvp.invite_sequence = (rsvp.invite_sequence or 0) + 1
    rsvp.ticket_token = new_token()
    rsvp.claim_expires_at = None
    if claim and event.claim_window_hours:
        held_until = now + timedelta(hours=event.claim_window_hours)
        rsvp.claim_expires_at = min(held_until, event.starts_at)
    rsvp.updated_at = now


def _unseat(rsvp: Rsvp, status: str, now: datetime) -> None:
    """Leave the seat or the waitlist. The ticket stops working: a later RSVP gets a new one."""
    if rsvp.status == "going":
        # Their CANCEL outranks the REQUEST they hold.
        rsvp.invite_sequence = (rsvp.invite_sequence or 0) + 1
    rsvp.status = status
    rsvp.ticket_token = None
    rsvp.claim_expires_at = None
    rsvp.updated_at = now


def _place(rsvp: Rsvp, event: Event, state: Seats, now: datetime) -> Rsvp:
    """Going if a seat is free, else the waitlist (ordered by requested_at)."""
    if state.free > 0:
        _seat(rsvp, event, now, claim=False)
    else:
        _unseat(rsvp, "waitlisted", now)
    if not _drawn_not_written(rsvp):
        rsvp = _saved(rsvp)
    notify(rsvp, rsvp.status, now)  # the notice kinds "going" and "waitlisted"
    return rsvp


def fill_seats(event: Event, now: datetime | None = None) -> list[Rsvp]:
    """Promote the head of the waitlist into every free seat.

    Anything that may free a seat calls this (cancel, remove, capacity change, lapsed claim),
    including services/events.py when an organizer edits the capacity there.
    """
    now = now or utcnow()
    lock_event(event.id)  # already held by our own callers; taken for the events blueprint
    db.session.flush()
    state = seats(event.id)
    if state.free <= 0 or state.cancelled_at is not None or now >= state.starts_at:
        return []
    query = (
        select(Rsvp)
        .where(Rsvp.event_id == event.id, Rsvp.status == "waitlisted")
        .order_by(Rsvp.requested_at, Rsvp.id)
        .options(joinedload(Rsvp.user))
        .execution_options(populate_existing=True)
    )
    if state.capacity is not None:
        query = query.limit(int(state.free))
    promoted = list(db.session.scalars(query))
    for rsvp in promoted:
        _seat(rsvp, event, now, claim=True)
    db.session.flush()
    for rsvp in promoted:
        notify(rsvp, "promoted", now)
    return promoted


def answer(
    event: Event,
    user: User,
    going: bool,
    answers: Answers | None = None,
    *,
    asked_at: datetime | None = None,
    member: bool | None = None,
    locked: Locked | None = None,
    now: datetime | None = None,
) -> Rsvp:
    """A signed-in person answers Going or Can't go (or edits their answers).

    Going when already going or waitlisted keeps the place and only updates the answers (so
    repeating the request changes nothing); Going when the seat was offered with a claim
    window claims it. `asked_at` is when a signed-out request was made (from its link).
    `member`: whether `user` is in the event's group, if the caller read it already.
    `locked`: the event's lock, taken in this transaction by the caller's read (with_lock());
    if it is the shared one and the answer would change a seat, NeedsExclusiveLock.
    """
    answers = answers or Answers()
    if event.visibility == "public":
        member = True
    elif member is None:  # read before the lock, which guards seats, not memberships
        member = is_member(event.group_id, user)
    get_locale()  # the notice's subject is translated under the lock: its language chosen now
    state, rsvp_id, new_id, shared = locked or lock_seats_and_row(event.id, user.id)
    now = now or utcnow()  # after the lock: requested_at follows arrival order
    _ensure_changeable(state, now)
    rsvp = find(event.id, user.id) if rsvp_id is not None else None
    if rsvp is not None and rsvp.status == "removed":
        raise DomainError("rsvp_removed")
    joining = going and (rsvp is None or rsvp.status not in ACTIVE)
    if shared and (rsvp is not None or (joining and state.free > 0)):
        raise NeedsExclusiveLock  # before any write: only a new waitlist row may be shared
    if joining:
        _ensure_can_join(member, state, now)
    if rsvp is None:
        rsvp = _new_row(event, user, "not_going", now, new_id)
    _apply_answers(rsvp, user, answers)
    rsvp.updated_at = now
    if joining:
        if asked_at is not None:
            rsvp.requested_at = min(asked_at, now)
        elif not _pending_is_fresh(rsvp, now):
            rsvp.requested_at = now
        rsvp = _place(rsvp, event, state, now)
    elif going:
        if rsvp.claim_expires_at is not None:
            rsvp.claim_expires_at = None  # "Yes, I'm coming": the held seat is theirs
        db.session.flush()
    elif rsvp.status in ACTIVE:
        had_seat = rsvp.status == "going"
        _unseat(rsvp, "not_going", now)
        db.session.flush()
        notify(rsvp, "cancelled", now, had_seat=had_seat)
        fill_seats(event, now)
    else:
        rsvp.status = "not_going"
        rsvp = _saved(rsvp)
    return rsvp


def request_by_email(
    event: Event,
    email: str,
    name: str,
    answers: Answers | None = None,
    *,
    now: datetime | None = None,
) -> tuple[Rsvp, str]:
    """Someone signed out says Going: hold their place and email them a link to confirm.

    A new person gets a `pending` row at once (their place in line starts now). An existing
    row is left as it is (the request isn't authenticated yet); the link carries the moment
    they asked. Returns the row and the raw link token (only the email should carry it).
    """
    answers = answers or Answers()
    now = now or utcnow()
    state = seats(event.id)
    _ensure_changeable(state, now)
    if state.rsvp_deadline is not None and now >= state.rsvp_deadline:
        raise DomainError("rsvp_closed")
    if event.visibility != "public":
        raise DomainError("members_only_sign_in")
    user = accounts.get_or_create(email, name, now=now)
    rsvp = find(event.id, user.id)
    if rsvp is None:
        rsvp = _new_row(event, user, "pending", now)
        _apply_answers(rsvp, user, Answers(answers.looking_for, answers.can_offer))
        if answers.wants_intros is not None:
            rsvp.wants_intros = answers.wants_intros
        rsvp = _saved(rsvp)
    elif rsvp.status == "pending" and not _pending_is_fresh(rsvp, now):
        rsvp.requested_at = now  # an old unconfirmed request holds no place
    asked_at = rsvp.requested_at if rsvp.status == "pending" else now
    token = magic_links.issue(
        user.email,
        purpose=LINK_PURPOSE,
        payload={"rsvp_id": rsvp.id, "asked_at": asked_at.isoformat(), **answers.as_payload()},
        now=now,
    )
    mail.queue(
        user,
        "rsvp_link",
        _("Confirm your RSVP: %(title)s", title=event.title),
        context={
            "event": event,
            "link": absolute_url("rsvp.confirm", token=token),
            "minutes": current_app.config["MAGIC_LINK_MINUTES"],
        },
        group_id=event.group_id,
        now=now,
    )
    return rsvp, token


def peek_link(token: str, now: datetime | None = None) -> Rsvp:
    """The RSVP a confirmation link is for, without using the link (for the confirm page)."""
    link = magic_links.peek(token, purpose=LINK_PURPOSE, now=now)
    return _rsvp_of_link(link)


def _rsvp_of_link(link) -> Rsvp:
    rsvp_id = (link.payload or {}).get("rsvp_id")
    rsvp = db.session.get(Rsvp, rsvp_id) if isinstance(rsvp_id, int) else None
    if rsvp is None or rsvp.user.email != link.email:
        raise DomainError("link_invalid")
    return rsvp


def confirm_by_link(token: str, now: datetime | None = None) -> Rsvp:
    """Use a confirmation link: the email is proven, the RSVP is placed (going or waitlisted).

    The caller signs `rsvp.user` in. The link is single use; if placing fails (the event
    started meanwhile...), the transaction is rolled back and the link stays unused.
    """
    link = magic_links.redeem(token, purpose=LINK_PURPOSE, now=now)
    rsvp = _rsvp_of_link(link)
    user = rsvp.user
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now or utcnow()
    try:
        asked_at = datetime.fromisoformat(link.payload["asked_at"])
    except (KeyError, TypeError, ValueError):
        asked_at = None
    return answer(
        rsvp.event, user, True, Answers.from_payload(link.payload), asked_at=asked_at, now=now
    )


def claim(rsvp: Rsvp, now: datetime | None = None) -> Rsvp:
    """The promoted person confirms the seat held for them."""
    lock_event(rsvp.event_id)
    now = now or utcnow()
    state = seats(rsvp.event_id)
    _ensure_changeable(state, now)
    db.session.refresh(rsvp)
    if rsvp.status != "going":
        raise DomainError("claim_lapsed")
    rsvp.claim_expires_at = None
    rsvp.updated_at = now
    db.session.flush()
    return rsvp


# ------------------------------------------------------------------ leaving the waitlist

# Someone waiting holds no ticket, so the waitlist email carries a signed link to leave the
# line without signing in. It names the RSVP and the moment they joined the line: it stops
# working once they leave, get a seat or join again (a new moment).
_LEAVE_SALT = "rsvp-leave-waitlist"


def _leave_signer() -> URLSafeSerializer:
    return URLSafeSerializer(
        current_app.secret_key, salt=_LEAVE_SALT, signer_kwargs={"digest_method": hashlib.sha256}
    )


def leave_token(rsvp: Rsvp) -> str:
    return _leave_signer().dumps([rsvp.id, rsvp.requested_at.isoformat()])


def waiting_by_leave_token(token: str) -> Rsvp:
    """The waitlisted RSVP a leave link is for. `leave_link_invalid` for anything forged, mangled
    or outdated; `not_waitlisted_anymore` once they are no longer waiting; `event_started`
    or `event_cancelled` once the list is closed."""
    try:
        rsvp_id, joined = _leave_signer().loads(token)
    except (BadData, TypeError, ValueError):
        raise DomainError("leave_link_invalid") from None
    rsvp = None
    # Only we sign these, but a row id the database can't hold must not become a 500.
    if type(rsvp_id) is int and 1 <= rsvp_id <= MAX_ID and isinstance(joined, str):
        rsvp = db.session.get(
            Rsvp, rsvp_id, options=[joinedload(Rsvp.event), joinedload(Rsvp.user)]
        )
    if rsvp is None or rsvp.requested_at.isoformat() != joined:
        raise DomainError("leave_link_invalid")
    if rsvp.status != "waitlisted":
        raise DomainError("not_waitlisted_anymore")
    _ensure_changeable(rsvp.event, utcnow())
    return rsvp


def leave_waitlist(token: str, now: datetime | None = None) -> Rsvp:
    """Use a leave link: the person is off the waitlist, as if they had said Can't go.

    Read again under the lock: a seat may have come their way since the page was shown,
    and a leave link must never give up a seat."""
    rsvp = waiting_by_leave_token(token)
    lock_event(rsvp.event_id)
    db.session.refresh(rsvp)
    waiting_by_leave_token(token)  # the same checks, on the row as committed
    return answer(rsvp.event, rsvp.user, False, now=now)


def find_by_ticket(event: Event, ticket_token: str) -> Rsvp | None:
    return db.session.scalar(
        select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.ticket_token == ticket_token)
    )


def expire_claims(now: datetime | None = None) -> int:
    """Seats offered with a claim window and not claimed in time pass to the next in line.

    Run by the worker. Returns how many seats were released.
    """
    now = now or utcnow()
    event_ids = db.session.scalars(
        select(Rsvp.event_id)
        .join(Event, Event.id == Rsvp.event_id)
        .where(
            Rsvp.status == "going",
            Rsvp.claim_expires_at <= now,
            Event.starts_at > now,
            Event.cancelled_at.is_(None),
        )
        .distinct()
    ).all()
    released = 0
    for event_id in event_ids:
        lock_event(event_id)
        # As committed: the CANCELs below count from the event's sequence (invites.py).
        event = db.session.get(Event, event_id, populate_existing=True)
        lapsed = db.session.scalars(
            select(Rsvp)
            .where(
                Rsvp.event_id == event_id,
                Rsvp.status == "going",
                Rsvp.claim_expires_at <= now,
            )
            .options(joinedload(Rsvp.user))
            .execution_options(populate_existing=True)
        ).all()
        for rsvp in lapsed:
            _unseat(rsvp, "not_going", now)
        db.session.flush()
        for rsvp in lapsed:
            notify(rsvp, "claim_expired", now)
        released += len(lapsed)
        fill_seats(event, now)
    return released


# ------------------------------------------------------------------ organizer actions


def set_capacity(event: Event, capacity: int | None, now: datetime | None = None) -> list[Rsvp]:
    """Change the number of seats (None: unlimited). Promotes into new seats at once;
    lowering below the number going takes nobody's seat."""
    if capacity is not None and capacity < 0:
        raise DomainError("invalid_capacity")
    lock_event(event.id)
    now = now or utcnow()
    _ensure_changeable(seats(event.id), now)
    event.capacity = capacity
    return fill_seats(event, now)


def remove(event: Event, rsvp_id: int, now: datetime | None = None) -> tuple[Rsvp, list[Rsvp]]:
    """An organizer takes someone off the list; the seat goes to the next in line.
    Returns the RSVP and who was promoted into the freed seat (if anyone was waiting)."""
    lock_event(event.id)
    now = now or utcnow()
    _ensure_changeable(seats(event.id), now)
    rsvp = get_for_event(event, rsvp_id)
    if rsvp.status == "removed":
        return rsvp, []
    if rsvp.status not in ACTIVE:
        # Only a seat or a place in line is taken away (and given back by reinstate()).
        raise DomainError("not_removable")
    had_seat = rsvp.status == "going"
    _unseat(rsvp, "removed", now)
    db.session.flush()
    notify(rsvp, "removed", now, had_seat=had_seat)
    return rsvp, fill_seats(event, now)


def reinstate(event: Event, rsvp_id: int, now: datetime | None = None) -> Rsvp:
    """Undo a removal: back on the waitlist at the place in line they had (their first
    request), then seats are filled as after any change, so a free seat goes to whoever is
    first. They are emailed as any change of theirs: waitlisted, or promoted."""
    lock_event(event.id)
    now = now or utcnow()
    _ensure_changeable(seats(event.id), now)
    rsvp = get_for_event(event, rsvp_id)
    if rsvp.status != "removed":
        raise DomainError("not_removed")
    _unseat(rsvp, "waitlisted", now)
    db.session.flush()
    fill_seats(event, now)
    if rsvp.status == "waitlisted":
        notify(rsvp, "waitlisted", now)
    return rsvp


def promote(
    event: Event, rsvp_id: int, *, override: bool = False, now: datetime | None = None
) -> Rsvp:
    """An organizer seats someone from the waitlist, out of turn. Without a free seat this
    needs `override` (the room goes over capacity; no one else loses a seat)."""
    lock_event(event.id)
    now = now or utcnow()
    state = seats(event.id)
    _ensure_changeable(state, now)
    rsvp = get_for_event(event, rsvp_id)
    if rsvp.status != "waitlisted":
        raise DomainError("not_waitlisted")
    if state.free <= 0 and not override:
        raise DomainError("no_free_seat")
    _seat(rsvp, event, now, claim=True)
    db.session.flush()
    notify(rsvp, "promoted", now)
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
    state = seats(event.id)
    _ensure_changeable(state, now)
    rsvp = find(event.id, user.id)
    if rsvp is not None and rsvp.status == "going":
        raise DomainError("already_going")
    if rsvp is not None and rsvp.status == "removed":
        raise DomainError("add_removed")
    if state.free <= 0 and not override:
        raise DomainError("no_free_seat")
    if rsvp is None:
        rsvp = _new_row(event, user, "not_going", now)
    elif rsvp.status != "waitlisted":
        rsvp.requested_at = now  # a new request; someone waiting keeps their place
    _seat(rsvp, event, now, claim=False)
    rsvp = _saved(rsvp)
    notify(rsvp, "added", now)
    return rsvp


# ------------------------------------------------------------------ emails

SUBJECTS = {
    "going": lambda t: _("You're going: %(title)s", title=t),
    "added": lambda t: _("You're on the list: %(title)s", title=t),
    "waitlisted": lambda t: _("You're on the waitlist: %(title)s", title=t),
    "promoted": lambda t: _("A seat opened up for you: %(title)s", title=t),
    "cancelled": lambda t: _("RSVP cancelled: %(title)s", title=t),
    "removed": lambda t: _("You're no longer on the list: %(title)s", title=t),
    "claim_expired": lambda t: _("Your held seat was released: %(title)s", title=t),
}


def notify(rsvp: Rsvp, kind: str, now: datetime | None = None, *, had_seat: bool = True) -> None:
    """THE one place an RSVP state change becomes an email (templates/email/rsvp_<kind>.*).

    kind: "going" (confirmation, with the ticket link), "added" (the same, for someone an
    organizer put on the list), "waitlisted" (with the position),
    "promoted" (ticket link, and the claim link when a claim window applies), "cancelled"
    (they said Can't go after going or waiting), "removed" (by an organizer),
    "claim_expired" (a held seat passed on). Called after the change is flushed, so
    `rsvp` shows the new state (status, ticket_token, claim_expires_at); a new row whose id
    was drawn under the lock (PostgreSQL) is written here, with its notice, in one statement.

    Only the notice is queued here, with what was true at this moment (the ticket, the
    held-until time, the invite's SEQUENCE); the worker writes the email when it first sends
    it (write_notice), so the event's lock is never held for templates.

    Calendar invites come with it (services/invites.py): REQUEST when the person now holds
    a seat (going/promoted); CANCEL when they lost it (cancelled/removed/claim_expired);
    waitlisted people get none, and leaving the waitlist (`had_seat` False) cancels nothing:
    their calendar holds no invite, and a CANCEL would show the event itself as cancelled.
    """
    row = _notice(rsvp, kind, now, had_seat=had_seat)
    if _drawn_not_written(rsvp):
        new = {_ROW_PREFIX + key: value for key, value in _row_values(rsvp).items()}
        db.session.flush()
        db.session.connection().execute(_INSERT_WITH_NOTICE, {**new, **row})
        _joined(rsvp)
    else:
        mail.queue_notice(row)


def _notice(
    rsvp: Rsvp, kind: str, now: datetime | None = None, *, had_seat: bool = True
) -> dict[str, object]:
    """The outbox row of notify()'s notice."""
    event = rsvp.event
    notice = {
        "type": NOTICE,
        "kind": kind,
        "rsvp_id": rsvp.id,
        "ticket_token": rsvp.ticket_token,
        "claim_until": rsvp.claim_expires_at.isoformat() if rsvp.claim_expires_at else None,
        **invites.for_notice(rsvp, kind, had_seat=had_seat),
    }
    subject = SUBJECTS[kind](event.title)
    return mail.notice_row(rsvp.user, subject, notice, group_id=event.group_id, now=now)


def write_notice(notice: dict, *, to_name: str, subject: str) -> mail.Written | None:
    """The email of a notice queued by notify(); None if its RSVP no longer exists.

    The event is shown as it is now (an edit in between is reflected) and the waitlist
    position is counted now (people ahead may have left since).
    """
    rsvp = db.session.get(
        Rsvp, notice["rsvp_id"], options=[joinedload(Rsvp.event), joinedload(Rsvp.user)]
    )
    if rsvp is None:
        return None
    event, token, kind = rsvp.event, notice.get("ticket_token"), notice["kind"]
    ticket_link = ticket_url(token) if token else None
    claim_until = notice.get("claim_until")
    claim_until = datetime.fromisoformat(claim_until) if claim_until else None
    context = {
        "event": event,
        "kind": kind,
        "event_link": event_url(event.key),
        "ticket_link": ticket_link,
        "qr_cid": mail.QR_CID if ticket_link else None,
        "claim_until": claim_until,
        "claim_link": (
            absolute_url("rsvp.claim", event_key=event.key, ticket_token=token)
            if claim_until and token
            else None
        ),
        "position": waitlist_position(rsvp) if kind == "waitlisted" else None,
        "leave_link": (
            absolute_url("rsvp.leave", token=leave_token(rsvp))
            if kind == "waitlisted" and rsvp.status == "waitlisted"
            else None
        ),
    }
    body_text, body_html = mail.render_bodies(to_name, f"rsvp_{kind}", subject, context)
    invite = invites.write_for_notice(notice, event, rsvp.user)
    return mail.Written(
        body_text, body_html, invite.get("ics"), invite.get("ics_method"), qr_url=ticket_link
    )
