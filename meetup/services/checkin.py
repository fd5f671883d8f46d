"""The door: scans, manual check-ins, walk-ins, undo and offline sync, with an audit log.

Every request carries a nonce chosen by the device. (event, nonce) is unique in checkin_log:
a retried request fails to insert its log row, the caller rolls the whole transaction back
and answers with `replay()`, the stored answer of the first time, so a retry changes
nothing. (Checking the constraint rather than looking the nonce up first saves a query on
every scan, and it is the same path whether the retry comes later or races the original.)

Between reading `checked_in_at` and writing it the RSVP row is locked (FOR UPDATE on
PostgreSQL; SQLite writers already hold BEGIN IMMEDIATE): without the lock two scanners of
the same ticket would both read "not yet" and both admit, which the negative control in
tests/test_checkin.py shows by switching the lock off (TESTING_SKIP_LOCKS).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import CheckinLog, Event, Rsvp, User, utcnow
from ..timeutil import in_zone
from . import accounts, tickets
from .errors import DomainError
from .locking import lock_event
from .tokens import hash_token, new_token

METHODS = ("scan", "manual", "walkin", "offline")

# Statuses of the public contract (DESIGN.md).
CHECKED_IN = "checked_in"
ALREADY = "already_checked_in"
NOT_FOUND = "not_found"
NOT_ATTENDING = "not_attending"

# Why a ticket doesn't get in, for the door's red screen.
REASONS = {"waitlisted": "waitlisted", "pending": "pending", "not_going": "cancelled"}


@dataclass(frozen=True)
class Actor:
    """Who is at the door: an organizer ("user:3") or a volunteer's door link ("door:7")."""

    key: str
    name: str  # shown as "by Sam"
    is_organizer: bool = False

    @property
    def audit(self) -> str:
        return f"{self.key} ({self.name})"[:160]


def replay(event_id: int, nonce: str) -> dict | None:
    """The stored answer to a request already handled with this nonce."""
    return db.session.scalar(
        select(CheckinLog.response).where(
            CheckinLog.event_id == event_id, CheckinLog.nonce == nonce
        )
    )


def check_in(
    event: Event,
    *,
    nonce: str,
    actor: Actor,
    token: str | None = None,
    rsvp_id: int | None = None,
    method: str = "scan",
    device: str = "",
    scanned_at: datetime | None = None,
    now: datetime | None = None,
) -> dict:
    """Admit the holder of `token` (a token or a ticket URL) or the RSVP `rsvp_id`.

    An offline scan synced late keeps its scan time; if the ticket was already admitted
    elsewhere, the device let the person in a second time: the RSVP is flagged for the
    organizer rather than the scan being dropped.
    """
    now = now or utcnow()
    _check_method(method)
    scanned_at = min(scanned_at or now, now)

    rsvp, refusal = _resolve(event, token, rsvp_id)
    if refusal is not None:
        return _log(event, None, nonce, "checkin", method, refusal, actor, device, scanned_at)

    if rsvp.checked_in_at is None:
        rsvp.checked_in_at = scanned_at if method == "offline" else now
        rsvp.checked_in_by = actor.name[:120]
        status = CHECKED_IN
    else:
        status = ALREADY
        if method == "offline":
            rsvp.checkin_flagged = True
    response = _answer(status, rsvp, event)
    return _log(event, rsvp, nonce, "checkin", method, response, actor, device, scanned_at)


def undo(
    event: Event,
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
    rsvp = _locked(select(Rsvp).where(Rsvp.id == rsvp_id, Rsvp.event_id == event.id))
    if rsvp is None:
        raise DomainError("not_found")
    status = "undone" if rsvp.checked_in_at is not None else "not_checked_in"
    rsvp.checked_in_at = None
    rsvp.checked_in_by = None
    response = _answer(status, rsvp, event)
    return _log(event, rsvp, nonce, "undo", method, response, actor, device, scanned_at)


def register_walkin(
    event: Event,
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

    Seats are counted under the event lock; only an organizer may go over capacity.
    """
    now = now or utcnow()
    if override and not actor.is_organizer:
        raise DomainError("forbidden")
    user = accounts.get_or_create(email, name, now=now)
    lock_event(event.id)
    rsvp = db.session.scalar(select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.user_id == user.id))
    if rsvp is None or rsvp.status != "going":
        if not override and event.capacity is not None and going_count(event.id) >= event.capacity:
            raise DomainError("event_full", capacity=event.capacity)
        if rsvp is None:
            rsvp = Rsvp(event_id=event.id, user_id=user.id, requested_at=now)
            db.session.add(rsvp)
        rsvp.status = "going"
        rsvp.claim_expires_at = None
        rsvp.ticket_token = rsvp.ticket_token or new_token()
        db.session.flush()
    return check_in(
        event, nonce=nonce, actor=actor, rsvp_id=rsvp.id, method="walkin", device=device, now=now
    )


def going_count(event_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(Rsvp.event_id == event_id, Rsvp.status == "going")
    )


def counts(event_id: int) -> dict[str, int]:
    """The door's live counter: checked in / going."""
    going = Rsvp.status == "going"
    row = db.session.execute(
        select(
            func.count(case((and_(going, Rsvp.checked_in_at.is_not(None)), 1))),
            func.count(case((going, 1))),
        ).where(Rsvp.event_id == event_id)
    ).one()
    return {"checked_in": row[0], "going": row[1]}


def guest_list(event: Event) -> list[dict]:
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
            "checked_in_at": _iso(r.checked_in_at),
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


def resolve_flag(event: Event, rsvp_id: int) -> None:
    rsvp = db.session.get(Rsvp, rsvp_id)
    if rsvp is None or rsvp.event_id != event.id:
        raise DomainError("not_found")
    rsvp.checkin_flagged = False
    db.session.flush()


def recent_log(event_id: int, limit: int = 30) -> list[CheckinLog]:
    return db.session.scalars(
        select(CheckinLog)
        .where(CheckinLog.event_id == event_id)
        .order_by(CheckinLog.created_at.desc(), CheckinLog.id.desc())
        .limit(limit)
    ).all()


# ---------------------------------------------------------------- internals


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise DomainError("invalid")


def _resolve(
    event: Event, token: str | None, rsvp_id: int | None
) -> tuple[Rsvp | None, dict | None]:
    """The RSVP to admit, locked, or the refusal to answer with."""
    if rsvp_id is not None:
        rsvp = _locked(
            select(Rsvp)
            .where(Rsvp.id == rsvp_id, Rsvp.event_id == event.id)
            .options(joinedload(Rsvp.user))
        )
        if rsvp is None:
            return None, {"status": NOT_FOUND, "reason": "unknown"}
    else:
        raw = tickets.token_from_scan(token)
        if raw is None:
            return None, {"status": NOT_FOUND, "reason": "not_a_ticket"}
        rsvp = tickets.checked(_locked(tickets.select_by_token(raw)), raw)
        if rsvp is None:
            return None, {"status": NOT_FOUND, "reason": "unknown"}
        if rsvp.event_id != event.id:
            return None, {
                "status": NOT_FOUND,
                "reason": "other_event",
                "name": rsvp.user.display_name,
                "other_event": rsvp.event.title,
            }
    if not tickets.is_valid(rsvp):
        return None, {
            "status": NOT_ATTENDING,
            "reason": REASONS.get(rsvp.status, "cancelled"),
            "name": rsvp.user.display_name,
            "rsvp_id": rsvp.id,
        }
    return rsvp, None


def _locked(query: Select) -> Rsvp | None:
    """The RSVP row of `query`, read fresh and locked until the transaction ends."""
    query = query.execution_options(populate_existing=True)
    if current_app.config["TESTING_SKIP_LOCKS"]:
        # Negative control: no lock, and a window wide enough for the race to show.
        rsvp = db.session.scalar(query)
        time.sleep(0.05)
        return rsvp
    return db.session.scalar(query.with_for_update(of=Rsvp))


def _answer(status: str, rsvp: Rsvp, event: Event) -> dict:
    return {
        "status": status,
        "name": rsvp.user.display_name,
        "rsvp_id": rsvp.id,
        "checked_in_at": _iso(rsvp.checked_in_at),
        "checked_in_time": _clock(rsvp.checked_in_at, event.timezone),
        "checked_in_by": rsvp.checked_in_by,
        "flagged": rsvp.checkin_flagged,
    }


def _log(
    event: Event,
    rsvp: Rsvp | None,
    nonce: str,
    action: str,
    method: str,
    response: dict,
    actor: Actor,
    device: str,
    scanned_at: datetime,
) -> dict:
    response = {"nonce": nonce, "method": method, **response}
    db.session.add(
        CheckinLog(
            event_id=event.id,
            rsvp_id=rsvp.id if rsvp else None,
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
    return response


def _clock(dt: datetime | None, tz: str) -> str | None:
    """ "19:02" in the event's zone: what the door shows, wherever the phone's clock is set."""
    return in_zone(dt, tz).strftime("%H:%M") if dt else None


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat().replace("+00:00", "Z") if dt else None
