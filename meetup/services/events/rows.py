"""Writing RSVP rows: a new row prefilled from the profile, taking and leaving a seat.

A new row is written with one Core INSERT and joins the session as it is (save), or, on
PostgreSQL when its id was drawn under the lock, with its email notice in one statement
(save_with_notice): under a burst, every other answer of the event waits on that lock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, inspect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ...extensions import db
from ...models import Event, Rsvp, User
from ..mail import messages as mail
from ..tokens import new_token
from . import guests


def new_row(
    event: Event, user: User, status: str, now: datetime, new_id: int | None = None
) -> Rsvp:
    """A row prefilled from the profile, not in the session yet: save() or answers.place() writes
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
        intents=None,
        question_answers=None,
        ticket_token=None,
        claim_expires_at=None,
        checked_in_at=None,
        checked_in_by=None,
        checkin_flagged=False,
        invite_sequence=0,
        channel=None,
        promoted_at=None,
        cancelled_at=None,
        listed=False,
        party_size=1,
    )  # every column set: once written, nothing is left to load
    # Nor its event and person, which the notice reads under the lock: set as loaded, not
    # assigned, so no cascade puts the row in the session before save() writes it.
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


def drawn_not_written(rsvp: Rsvp) -> bool:
    """A new row whose id was drawn under the lock (PostgreSQL): notices.notify() writes it."""
    return inspect(rsvp).transient and rsvp.id is not None


def save(rsvp: Rsvp) -> Rsvp:
    """Write `rsvp`; a new one (from new_row) becomes a persistent object of the session."""
    if inspect(rsvp).transient:
        db.session.flush()  # what the row refers to is written first, as autoflush would
        rsvp.id = db.session.connection().execute(_INSERT, _row_values(rsvp)).scalar_one()
        return _joined(rsvp)
    db.session.flush()
    return rsvp


def seat(rsvp: Rsvp, event: Event, now: datetime, *, claim: bool) -> None:
    if rsvp.status == "waitlisted":
        rsvp.promoted_at = now
    rsvp.cancelled_at = None
    rsvp.status = "going"
    # Their REQUEST outranks any CANCEL they hold.
    rsvp.invite_sequence = (rsvp.invite_sequence or 0) + 1
    rsvp.ticket_token = new_token()
    rsvp.claim_expires_at = None
    if claim and event.claim_window_hours:
        held_until = now + timedelta(hours=event.claim_window_hours)
        rsvp.claim_expires_at = min(held_until, event.starts_at)
    rsvp.updated_at = now
    if (rsvp.party_size or 1) > 1:  # a row made elsewhere has none until written
        guests.seated(rsvp, now)  # the whole party: a ticket for each guest


def unseat(rsvp: Rsvp, status: str, now: datetime) -> None:
    """Leave the seat or the waitlist. The ticket stops working: a later RSVP gets a new one."""
    if rsvp.status == "going":
        # Their CANCEL outranks the REQUEST they hold.
        rsvp.invite_sequence = (rsvp.invite_sequence or 0) + 1
    rsvp.status = status
    rsvp.ticket_token = None
    rsvp.claim_expires_at = None
    rsvp.updated_at = now
    if (rsvp.party_size or 1) > 1:
        guests.unseated(rsvp, now)  # the whole party: the guests' tickets stop working too


def save_with_notice(rsvp: Rsvp, notice: dict) -> bool:
    """Write a new row whose id was drawn under the lock together with its outbox `notice`, in
    one statement; False (nothing written) for any other row: the caller queues the notice."""
    if not drawn_not_written(rsvp):
        return False
    new = {_ROW_PREFIX + key: value for key, value in _row_values(rsvp).items()}
    db.session.flush()
    db.session.connection().execute(_INSERT_WITH_NOTICE, {**new, **notice})
    _joined(rsvp)
    return True
