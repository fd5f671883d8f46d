"""The door for named guests (services/events/guests.py): each guest's own ticket is checked in
on its own, answered with the guest's name and their host's ("Guest of Ana").

A guest's ticket gets in while their host's RSVP is going (the party holds its seats); its
token is as strong as a host's (192 bits from `secrets`), found through its unique index and
compared in constant time. Between reading `checked_in_at` and writing it the guest's row is
locked (FOR UPDATE on PostgreSQL; SQLite writers hold BEGIN IMMEDIATE), as a host's is. The
log line names the host's RSVP and the guest; the same nonce rules apply (checkin.py).

Guests are rarer than hosts at a door, so this path reads ORM rows: a host's scan costs
nothing more than before, the guest lookup runs only when no host holds the token.
"""

from __future__ import annotations

import time
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import CheckinLog, Event, Rsvp, RsvpGuest, User
from ...timeutil import in_zone
from ..errors import DomainError
from ..tokens import hash_token, same
from . import checkin


def _find(event: checkin.EventLike, *, token: str | None, guest_id: int | None) -> RsvpGuest | None:
    query = select(RsvpGuest).options(joinedload(RsvpGuest.rsvp).joinedload(Rsvp.user))
    if token is not None:
        query = query.where(RsvpGuest.ticket_token == token)
    else:
        query = query.where(RsvpGuest.id == guest_id, RsvpGuest.event_id == event.id)
    skip_locks = current_app.config["TESTING_SKIP_LOCKS"]
    if not skip_locks:
        query = query.with_for_update(of=RsvpGuest)
    db.session.flush()
    guest = db.session.scalar(query.execution_options(populate_existing=True))
    if skip_locks:
        time.sleep(0.2)  # negative control: the window the lock closes
    if guest is not None and token is not None and not same(guest.ticket_token, token):
        return None
    return guest


def _answer(status: str, guest: RsvpGuest, event: checkin.EventLike) -> dict:
    return {
        "status": status,
        "name": guest.name,
        "guest_of": guest.rsvp.user.display_name,
        "guest_id": guest.id,
        "rsvp_id": None,
        "checked_in_at": checkin.iso(guest.checked_in_at),
        "checked_in_time": _clock(guest.checked_in_at, event.timezone),
        "checked_in_by": guest.checked_in_by,
        "flagged": guest.checkin_flagged,
    }


def _refusal(guest: RsvpGuest, event: checkin.EventLike, at: datetime, override: bool):
    """Why this guest's ticket doesn't get in now, or None."""
    who = {"name": guest.name, "guest_of": guest.rsvp.user.display_name, "guest_id": guest.id}
    if guest.event_id != event.id:
        other = db.session.scalar(select(Event.title).where(Event.id == guest.event_id))
        return {"status": checkin.NOT_FOUND, "reason": "other_event", "other_event": other, **who}
    if event.cancelled_at is not None:
        return {"status": checkin.NOT_ATTENDING, "reason": "event_cancelled", **who}
    host = guest.rsvp.status
    if host != "going" or guest.ticket_token is None:
        reason = checkin.REASONS.get(host, "cancelled")
        return {"status": checkin.NOT_ATTENDING, "reason": reason, **who}
    if override:
        return None
    refusal = checkin._outside_window(event, _AsTicket(guest), at)
    return None if refusal is None else {**refusal, **who, "rsvp_id": None}


class _AsTicket:
    """What checkin._outside_window reads of a ticket."""

    def __init__(self, guest: RsvpGuest) -> None:
        self.name, self.id = guest.name, None


def check_in(
    event: checkin.EventLike,
    *,
    nonce: str,
    actor: checkin.Actor,
    token: str | None = None,
    guest_id: int | None = None,
    method: str = "scan",
    device: str = "",
    scanned_at: datetime,
    override: bool = False,
    now: datetime,
) -> dict | None:
    """Admit the guest holding `token`, or the guest `guest_id` of this event (the door's
    name list). None when no guest holds `token`: the caller answers `not_found` as before."""
    guest = _find(event, token=token, guest_id=guest_id)
    if guest is None:
        if token is not None:
            return None
        refusal = {"status": checkin.NOT_FOUND, "reason": "unknown"}
        return _log(event, None, nonce, "checkin", method, refusal, actor, device, scanned_at)
    refusal = _refusal(guest, event, scanned_at, override)
    if refusal is not None:
        return _log(event, guest, nonce, "checkin", method, refusal, actor, device, scanned_at)
    if guest.checked_in_at is None:
        guest.checked_in_at = scanned_at if method == "offline" else now
        guest.checked_in_by = actor.name[:120]
        status = checkin.CHECKED_IN
    else:
        status = checkin.ALREADY
        if method == "offline":
            guest.checkin_flagged = True
    response = _answer(status, guest, event)
    return _log(event, guest, nonce, "checkin", method, response, actor, device, scanned_at)


def undo(
    event: checkin.EventLike,
    *,
    nonce: str,
    actor: checkin.Actor,
    guest_id: int,
    method: str = "manual",
    device: str = "",
    scanned_at: datetime,
) -> dict:
    """Take back a guest's check-in (a wrong tap); logged like everything else."""
    guest = _find(event, token=None, guest_id=guest_id)
    if guest is None:
        raise DomainError("not_found")
    status = "undone" if guest.checked_in_at is not None else "not_checked_in"
    guest.checked_in_at = guest.checked_in_by = None
    response = _answer(status, guest, event)
    return _log(event, guest, nonce, "undo", method, response, actor, device, scanned_at)


def _log(
    event: checkin.EventLike,
    guest: RsvpGuest | None,
    nonce: str,
    action: str,
    method: str,
    response: dict,
    actor: checkin.Actor,
    device: str,
    scanned_at: datetime,
) -> dict:
    """The log line (a retried nonce fails its unique constraint: the view replays the first
    answer) and the answer with the door's counter after the change."""
    response = {"nonce": nonce, "method": method, **response}
    db.session.add(
        CheckinLog(
            event_id=event.id,
            rsvp_id=guest.rsvp_id if guest else None,
            guest_id=guest.id if guest else None,
            nonce=nonce,
            action=action,
            method=method,
            status=response["status"],
            actor=actor.audit,
            device=device[:120],
            scanned_at=scanned_at,
            response=response,
        )
    )
    db.session.flush()
    return {**response, "counts": checkin.counts(event.id)}


def full_list(event: checkin.EventLike) -> list[dict]:
    """The door's name list: everyone who answered and their guests, by name."""
    people = checkin.guest_list(event) + door_list(event)
    return sorted(people, key=lambda person: person["name"].casefold())


def door_list(event: checkin.EventLike) -> list[dict]:
    """The guests of everyone on the list, for the door's name search and offline copy:
    keyed "g<id>" beside the RSVP ids, with their host's name and status (one query).
    Tickets appear only as SHA-256 hashes, as hosts' do."""
    rows = db.session.execute(
        select(RsvpGuest, Rsvp.status, User.name, User.email)
        .join(Rsvp, Rsvp.id == RsvpGuest.rsvp_id)
        .join(User, User.id == Rsvp.user_id)
        .where(RsvpGuest.event_id == event.id, Rsvp.status != "removed")
    ).all()
    return [
        {
            "id": f"g{guest.id}",
            "guest_id": guest.id,
            "name": guest.name,
            "guest_of": host_name or host_email.split("@", 1)[0],
            "status": status,
            "reason": checkin.REASONS.get(status),
            "hash": hash_token(guest.ticket_token) if guest.ticket_token else None,
            "checked_in_at": checkin.iso(guest.checked_in_at),
            "checked_in_time": _clock(guest.checked_in_at, event.timezone),
            "checked_in_by": guest.checked_in_by,
        }
        for guest, status, host_name, host_email in rows
    ]


def _clock(dt: datetime | None, tz: str) -> str | None:
    return in_zone(dt, tz).strftime("%H:%M") if dt else None
