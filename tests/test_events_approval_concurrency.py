"""Organizers approving many requests at once, from several phones at the same moment: never
more going than seats, the rest on the waitlist, nobody placed twice. The negative control
runs the same burst without the event's lock and must overbook."""

from __future__ import annotations

import pytest

from meetup.extensions import db
from meetup.models import Event, Rsvp
from meetup.services.events import approval
from tests.factories import make_event, make_group, make_user
from tests.test_events_rsvp_concurrency import _app, _rows, _run_all

SEATS = 6
REQUESTS = 48
BATCH = 4  # requests per approval: twelve approvals at once


def _setup(app) -> tuple[int, list[int]]:
    with app.app_context():
        event = make_event(make_group(make_user()), capacity=SEATS, requires_approval=True)
        users = [make_user(f"r{i}@example.org") for i in range(REQUESTS)]
        rows = [Rsvp(event_id=event.id, user_id=u.id, status="requested") for u in users]
        db.session.add_all(rows)
        db.session.commit()
        ids = (event.id, [r.id for r in rows])
        db.session.remove()
    return ids


def _approve_job(event_id: int, rsvp_ids: list[int]):
    def job():
        approval.approve(db.session.get(Event, event_id), rsvp_ids)

    return job


def _burst(app) -> list[Rsvp]:
    event_id, ids = _setup(app)
    batches = [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]
    errors = _run_all(app, [_approve_job(event_id, batch) for batch in batches])
    assert errors == []
    return _rows(app, event_id)


@pytest.mark.slow
def test_simultaneous_approvals_never_overbook(make_app):
    rows = _burst(_app(make_app))
    statuses = [r.status for r in rows]
    assert statuses.count("going") == SEATS
    assert statuses.count("waitlisted") == REQUESTS - SEATS
    line = sorted((r for r in rows if r.status == "waitlisted"), key=lambda r: r.position)
    assert [r.position for r in line] == list(range(1, REQUESTS - SEATS + 1))
    assert len({r.ticket_token for r in rows if r.status == "going"}) == SEATS


@pytest.mark.slow
def test_without_the_lock_simultaneous_approvals_overbook(make_app):
    """Negative control: TESTING_SKIP_LOCKS removes the lock and widens the window."""
    rows = _burst(_app(make_app, TESTING_SKIP_LOCKS=True))
    assert sum(r.status == "going" for r in rows) > SEATS
