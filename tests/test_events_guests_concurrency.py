"""Parties of mixed sizes at once: never overbooked, every party whole (seated or waiting
with all its guests), first come first served, and the negative control (the lock removed)
makes the same burst overbook. Same harness as tests/test_events_rsvp_concurrency.py."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Event, Rsvp, User
from meetup.services.events import answers
from meetup.services.events.guests import GuestInput
from tests.factories import make_event, make_group, make_user
from tests.test_events_rsvp_concurrency import POOL, _run_all

SEATS = 20
PARTIES = 60


def _setup(app) -> tuple[int, list[int]]:
    with app.app_context():
        event = make_event(make_group(make_user()), capacity=SEATS, max_guests=3)
        users = [
            User(email=f"host{i}@example.org", name=f"Host {i}", session_token=f"s{i}")
            for i in range(PARTIES)
        ]
        db.session.add_all(users)
        db.session.commit()
        ids = (event.id, [u.id for u in users])
        db.session.remove()
    return ids


def _size(i: int) -> int:
    return 1 + i % 4  # parties of 1, 2, 3 and 4 in turn


def _party_job(event_id: int, user_id: int, size: int):
    def job():
        event = db.session.get(Event, event_id)
        guests = [GuestInput(f"Guest {user_id}.{n}") for n in range(size - 1)]
        answers.answer(event, db.session.get(User, user_id), True, answers.Answers(guests=guests))

    return job


def _parties(app, event_id: int) -> list[tuple[str, int, list[bool]]]:
    """(status, party_size, whether each guest holds a ticket), in arrival order."""
    with app.app_context():
        rows = db.session.scalars(
            select(Rsvp).where(Rsvp.event_id == event_id).order_by(Rsvp.requested_at, Rsvp.id)
        ).all()
        out = [
            (r.status, r.party_size, [g.ticket_token is not None for g in r.guests]) for r in rows
        ]
        for _status, size, guests in out:
            assert len(guests) == size - 1
        db.session.remove()
    return out


def _burst(make_app, skip_locks: bool):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS=POOL, TESTING_SKIP_LOCKS=skip_locks)
    event_id, user_ids = _setup(app)
    jobs = [_party_job(event_id, uid, _size(i)) for i, uid in enumerate(user_ids)]
    errors = _run_all(app, jobs)
    return errors, _parties(app, event_id)


@pytest.mark.slow
def test_a_burst_of_parties_never_overbooks_and_keeps_every_party_whole(make_app):
    errors, parties = _burst(make_app, skip_locks=False)
    assert errors == []
    assert len(parties) == PARTIES
    seated = sum(size for status, size, _ in parties if status == "going")
    assert seated <= SEATS
    for status, _, tickets in parties:
        assert status in ("going", "waitlisted")
        assert all(tickets) if status == "going" else not any(tickets)  # whole
    # First come, first served: once a party waits, nobody who came later is seated, and
    # the first to wait didn't fit in the seats left.
    statuses = [status for status, _, _ in parties]
    first_waiting = statuses.index("waitlisted")
    assert statuses == ["going"] * first_waiting + ["waitlisted"] * (PARTIES - first_waiting)
    assert parties[first_waiting][1] > SEATS - seated


@pytest.mark.slow
def test_without_the_lock_the_same_burst_of_parties_overbooks(make_app):
    """Negative control: TESTING_SKIP_LOCKS removes the lock and widens the window."""
    _errors, parties = _burst(make_app, skip_locks=True)
    seated = sum(size for status, size, _ in parties if status == "going")
    assert seated > SEATS
