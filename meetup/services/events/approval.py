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
- With `hide_address`, the address is shown only to people holding a seat and to the
  group's organizers: everyone else (requesters, the waitlist, the public) sees the venue's
  name and "shared once approved", in pages, calendar files, feeds and emails alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ...extensions import db
from ...models import Event, Rsvp, utcnow
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


def _tell(rsvp: Rsvp, template: str, subject, now: datetime) -> None:
    event = rsvp.event
    mail.queue(
        rsvp.user,
        template,
        subject,
        context={"event": event, "event_link": event_url(event.key)},  # no hidden address
        group_id=event.group_id,
        now=now,
    )
