"""Approval-required events: an answer is a request that an organizer approves or declines.

- A request (`requested`) holds no seat, no ticket and no place in line, and never counts
  against capacity: seats count `going` rows only. The requester sees "Request sent" and may
  withdraw it (Can't go). New requests follow the RSVP rules (deadline, members-only).
- Approving is a seat change, so it runs under the event's lock (locking.lock_event) like
  any other: the approved are placed in request order through answers.place(), going
  while a seat is free, then on the waitlist, with the same emails, ticket and calendar
  invite as a plain RSVP. The waitlist then moves as always (waitlist.fill_seats).
- Declining sends a kind email and nothing else; the person can't ask again by themselves
  (an organizer can still approve them later).
- Turning approval off places every pending request through the normal path, in request
  order, under the lock (admit_all, from editing.update_event). Cancelling the event tells
  each requester their request is closed.
- Once the event has started its list is a record: requests still pending can no longer be
  approved. Their rows stay as they were (the record of who asked), the organizer's page
  says they are closed, and each requester gets a short note from the worker (close_started),
  once, in the daytime where the event is: a note written at 23:00 waits until 09:00.
- With `hide_address`, the address is shown only to people holding a seat and to the
  group's organizers: everyone else (requesters, the waitlist, the public) sees the venue's
  name and "shared once approved", in pages, calendar files, feeds and emails alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ...extensions import db
from ...models import Event, OutboxMessage, Rsvp, utcnow
from ...timeutil import in_zone, local_to_utc
from ...urls import event_url
from ..errors import DomainError
from ..insights.members import Record, records_of
from ..mail import messages as mail
from . import answers, questions, seats
from .locking import lock_event

DECIDABLE = ("requested", "declined")  # an organizer may still approve someone declined
MAX_AT_ONCE = 200  # requests decided by one tap


@dataclass(frozen=True)
class Request:
    """A pending request as the organizer reviews it."""

    rsvp: Rsvp
    record: Record  # their attendance in this group (services/insights/members.py)
    answers: tuple[tuple[str, str], ...] = ()  # to the event's questions: (label, answer)

    @property
    def guests(self) -> list[str]:
        """The names of the guests they would bring: approving seats them too."""
        return [guest.name for guest in self.rsvp.guests]


def address_hidden(event: Event, rsvp: Rsvp | None = None, *, organizer: bool = False) -> bool:
    """Whether the exact address is kept from this viewer: with `hide_address` on, anyone
    but an organizer or someone holding a seat."""
    if not event.hide_address or organizer:
        return False
    return rsvp is None or rsvp.status != "going"


def requests(event: Event, *, now: datetime | None = None) -> list[Request]:
    """The pending requests in request order, each with the person's record, their answers
    to the event's questions and their guests: a few queries, however many ask."""
    pending = db.session.scalars(
        select(Rsvp)
        .where(Rsvp.event_id == event.id, Rsvp.status == "requested")
        .options(joinedload(Rsvp.user), selectinload(Rsvp.guests))
        .order_by(Rsvp.requested_at, Rsvp.id)
    ).all()
    found = records_of(event.group_id, [r.user_id for r in pending], now=now)
    answered = questions.answers_for([r.id for r in pending])
    return [
        Request(rsvp, found.get(rsvp.user_id, Record()), tuple(answered.get(rsvp.id, ())))
        for rsvp in pending
    ]


def declined(event: Event) -> list[Rsvp]:
    """Those declined, in request order (one query): an organizer may change their mind."""
    return list(
        db.session.scalars(
            select(Rsvp)
            .where(Rsvp.event_id == event.id, Rsvp.status == "declined")
            .options(joinedload(Rsvp.user))
            .order_by(Rsvp.requested_at, Rsvp.id)
        )
    )


def _chosen(event: Event, rsvp_ids: Iterable[int], statuses: tuple[str, ...]) -> list[Rsvp]:
    """The chosen RSVPs of `event` still in one of `statuses`, as committed, in request
    order (read under the lock: another organizer may have decided them meanwhile)."""
    ids = sorted(set(rsvp_ids))
    if not ids:
        raise DomainError("no_request_chosen")
    if len(ids) > MAX_AT_ONCE:
        raise DomainError("too_many_requests", limit=MAX_AT_ONCE)
    return list(
        db.session.scalars(
            select(Rsvp)
            .where(Rsvp.event_id == event.id, Rsvp.id.in_(ids), Rsvp.status.in_(statuses))
            .options(joinedload(Rsvp.user))
            .order_by(Rsvp.requested_at, Rsvp.id)
            .execution_options(populate_existing=True)
        )
    )


def _place_in_order(event: Event, chosen: list[Rsvp], now: datetime) -> list[Rsvp]:
    """Each in turn through the normal path: a seat while one is free, else the waitlist.
    The caller holds the event's lock; seats are counted again before each."""
    placed = []
    for rsvp in chosen:
        rsvp.updated_at = now
        placed.append(answers.place(rsvp, event, seats.of(event.id), now))
    return placed


def approve(event: Event, rsvp_ids: Iterable[int], *, now: datetime | None = None) -> list[Rsvp]:
    """Approve these requests: going while seats are free, then waitlisted. Those no longer
    pending (decided by someone else, withdrawn) are skipped. Returns the placed RSVPs."""
    lock_event(event.id)
    now = now or utcnow()
    seats.ensure_changeable(seats.of(event.id), now)
    chosen = _chosen(event, rsvp_ids, DECIDABLE)
    for rsvp in chosen:
        if rsvp.status == "declined":
            rsvp.requested_at = now  # asked again by the organizer: in line from now
    return _place_in_order(event, chosen, now)


def decline(event: Event, rsvp_ids: Iterable[int], *, now: datetime | None = None) -> list[Rsvp]:
    """Decline these requests: a kind email each, and nothing else. Returns them."""
    lock_event(event.id)
    now = now or utcnow()
    seats.ensure_changeable(seats.of(event.id), now)
    chosen = _chosen(event, rsvp_ids, ("requested",))
    for rsvp in chosen:
        rsvp.status = "declined"
        rsvp.updated_at = now
        _tell(rsvp, "rsvp_declined", _l("About your request: %(title)s", title=event.title), now)
    db.session.flush()
    return chosen


def admit_all(event: Event, now: datetime) -> list[Rsvp]:
    """Approval was just turned off (editing.update_event, under the lock): every pending
    request goes through the normal path, in request order."""
    pending = db.session.scalars(
        select(Rsvp)
        .where(Rsvp.event_id == event.id, Rsvp.status == "requested")
        .options(joinedload(Rsvp.user))
        .order_by(Rsvp.requested_at, Rsvp.id)
        .execution_options(populate_existing=True)
    ).all()
    return _place_in_order(event, list(pending), now)


def close_requests(event: Event, now: datetime) -> int:
    """The event was cancelled (editing.cancel_event): each requester is told. Their rows
    stay as they were, the record of who asked."""
    pending = db.session.scalars(
        select(Rsvp)
        .where(Rsvp.event_id == event.id, Rsvp.status == "requested")
        .options(joinedload(Rsvp.user))
        .order_by(Rsvp.id)
    ).all()
    for rsvp in pending:
        _tell(rsvp, "rsvp_request_closed", _l("Cancelled: %(title)s", title=event.title), now)
    return len(pending)


CLOSE_WITHIN = timedelta(days=2)  # events started longer ago are left as they are
DAYTIME = (time(9), time(20))  # when, where the event is, a note that can wait is sent


def _closed_key(rsvp: Rsvp) -> str:
    return f"request-closed:{rsvp.event_id}:{rsvp.user_id}"


def daytime(at: datetime, tz: str) -> datetime:
    """`at`, or if that is night where the event is, the next morning at 09:00 there."""
    local = in_zone(at, tz)
    if DAYTIME[0] <= local.time() < DAYTIME[1]:
        return at
    day = local.date() if local.time() < DAYTIME[0] else local.date() + timedelta(days=1)
    return local_to_utc(day, DAYTIME[0], tz)


def close_started(now: datetime) -> int:
    """Worker job: each request still pending when its event started is closed, and the
    requester is told so kindly, once (the dedupe key). One query when there is nothing
    to do; returns how many notes were queued."""
    pending = db.session.scalars(
        select(Rsvp)
        .join(Event, Event.id == Rsvp.event_id)
        .where(
            Rsvp.status == "requested",
            Event.cancelled_at.is_(None),  # cancel_event told them already
            Event.starts_at <= now,
            Event.starts_at > now - CLOSE_WITHIN,
        )
        .options(joinedload(Rsvp.user), joinedload(Rsvp.event))
        .order_by(Rsvp.id)
    ).all()
    if not pending:
        return 0
    keys = {rsvp.id: _closed_key(rsvp) for rsvp in pending}
    done = set(
        db.session.scalars(
            select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys.values()))
        )
    )
    queued = 0
    for rsvp in pending:
        if keys[rsvp.id] in done:
            continue
        event = rsvp.event
        subject = _l("About your request: %(title)s", title=event.title)
        _tell(
            rsvp,
            "rsvp_request_closed",
            subject,
            daytime(now, event.timezone),
            dedupe_key=keys[rsvp.id],
            started=True,
        )
        queued += 1
    return queued


def _tell(
    rsvp: Rsvp,
    template: str,
    subject,
    now: datetime,
    *,
    dedupe_key: str | None = None,
    started: bool = False,
) -> None:
    event = rsvp.event
    mail.queue(
        rsvp.user,
        template,
        subject,
        context={"event": event, "event_link": event_url(event.key), "started": started},
        dedupe_key=dedupe_key,
        group_id=event.group_id,
        now=now,  # no hidden address in the context; `now` is when it may go
    )
