"""Many people at once: no overbooking, arrival order kept, no duplicates, no 500s.

Each thread has its own app context, so its own session and connection, and runs the service
under a real transaction, as a request would. The negative control runs the same test with
the lock switched off and must overbook, which proves the test can see the race.
"""

from __future__ import annotations

import contextlib
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from meetup.extensions import db
from meetup.models import Event, OutboxMessage, Rsvp, User, utcnow
from meetup.services import rsvp as svc
from tests.factories import make_event, make_group, make_user

SEATS = 20
PEOPLE = 200
# More connections than seats: with exactly SEATS connections the first wave would fill the
# seats one each and the race could hide behind the pool.
POOL = {"pool_size": 2 * SEATS, "max_overflow": 0, "pool_timeout": 300}


def _app(make_app, **extra):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS=POOL, **extra)
    return app


def _setup(app, people: int, seats: int = SEATS) -> tuple[int, list[int]]:
    with app.app_context():
        event = make_event(make_group(make_user()), capacity=seats)
        users = [
            User(email=f"p{i}@example.org", name=f"P{i}", session_token=f"s{i}")
            for i in range(people)
        ]
        db.session.add_all(users)
        db.session.commit()
        ids = (event.id, [u.id for u in users])
        db.session.remove()
    return ids


def _run_all(app, jobs: list[Callable[[], None]]) -> list[str]:
    """Start every job at the same moment, each in its own thread and app context."""
    barrier = threading.Barrier(len(jobs))
    errors: list[str] = []

    def run(job):
        with app.app_context():
            try:
                barrier.wait()
                job()
                db.session.commit()
            except Exception as exc:  # the test asserts there are none
                db.session.rollback()
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    return errors


def _rsvp_job(event_id: int, user_id: int, going: bool = True):
    def job():
        event = db.session.get(Event, event_id)
        svc.answer(event, db.session.get(User, user_id), going)

    return job


def _rows(app, event_id: int) -> list[Rsvp]:
    with app.app_context():
        rows = db.session.scalars(
            select(Rsvp).where(Rsvp.event_id == event_id).order_by(Rsvp.requested_at, Rsvp.id)
        ).all()
        positions = {r.id: svc.waitlist_position(r) for r in rows}
        for r in rows:
            r.position = positions[r.id]
        db.session.expunge_all()
        db.session.remove()
    return rows


@pytest.mark.slow
def test_simultaneous_rsvps_fill_exactly_the_seats_in_arrival_order(make_app):
    app = _app(make_app)
    event_id, user_ids = _setup(app, PEOPLE)
    errors = _run_all(app, [_rsvp_job(event_id, uid) for uid in user_ids])
    assert errors == []
    rows = _rows(app, event_id)
    assert len(rows) == PEOPLE
    # Arrival = requested_at, read after the lock: the first SEATS arrivals have the seats
    # and everyone else waits in exactly that order.
    assert [r.status for r in rows] == ["going"] * SEATS + ["waitlisted"] * (PEOPLE - SEATS)
    assert [r.position for r in rows[SEATS:]] == list(range(1, PEOPLE - SEATS + 1))
    assert len({r.ticket_token for r in rows[:SEATS]}) == SEATS
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == PEOPLE


@pytest.mark.slow
def test_without_the_lock_the_same_test_overbooks(make_app):
    """Negative control: TESTING_SKIP_LOCKS removes the lock and widens the window."""
    app = _app(make_app, TESTING_SKIP_LOCKS=True)
    event_id, user_ids = _setup(app, PEOPLE)
    _run_all(app, [_rsvp_job(event_id, uid) for uid in user_ids])
    going = [r for r in _rows(app, event_id) if r.status == "going"]
    assert len(going) > SEATS


@pytest.mark.slow
def test_simultaneous_cancellations_promote_one_for_one(make_app):
    app = _app(make_app)
    event_id, user_ids = _setup(app, 60)
    with app.app_context():
        event = db.session.get(Event, event_id)
        start = utcnow() - timedelta(hours=1)
        for i, uid in enumerate(user_ids):
            svc.answer(event, db.session.get(User, uid), True, now=start + timedelta(seconds=i))
        db.session.commit()
        db.session.remove()
    before = _rows(app, event_id)
    leaving = [r.user_id for r in before if r.status == "going"][:15]
    line = [r.id for r in before if r.status == "waitlisted"]
    # 15 cancel while 10 waiting people ask again (a no-op each) at the same moment.
    jobs = [_rsvp_job(event_id, uid, going=False) for uid in leaving]
    jobs += [_rsvp_job(event_id, r.user_id) for r in before if r.status == "waitlisted"][-10:]
    errors = _run_all(app, jobs)
    assert errors == []
    after = {r.id: r for r in _rows(app, event_id)}
    assert sum(r.status == "going" for r in after.values()) == SEATS
    promoted = [rid for rid in line if after[rid].status == "going"]
    assert promoted == line[:15]  # promotions equal freed seats, head of the line first
    still = sorted(
        (r for r in after.values() if r.status == "waitlisted"), key=lambda r: r.position
    )
    assert [r.id for r in still] == line[15:]
    with app.app_context():
        subjects = db.session.scalars(select(OutboxMessage.subject)).all()
        assert sum("seat opened up" in s for s in subjects) == 15
        assert sum("RSVP cancelled" in s for s in subjects) == 15


# ------------------------------------------------------------------ over HTTP


@contextlib.contextmanager
def _serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _session_cookie(app, user_id: int) -> str:
    with app.app_context():
        user = db.session.get(User, user_id)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return client.get_cookie("session").value


def _post_many(base: str, path: str, cookie: str, n: int) -> list[int]:
    return _post_all(base, path, [cookie] * n)


def _post_all(base: str, path: str, cookies: list[str]) -> list[int]:
    """ "Going" from each session at the same moment, over HTTP: the statuses."""
    opener = urllib.request.build_opener(_NoRedirect)
    statuses: list[int] = []
    barrier = threading.Barrier(len(cookies))

    def post(cookie: str):
        req = urllib.request.Request(
            base + path, data=b"answer=going", headers={"Cookie": f"session={cookie}"}
        )
        barrier.wait()
        try:
            with opener.open(req, timeout=120) as resp:
                statuses.append(resp.status)
        except urllib.error.HTTPError as err:
            statuses.append(err.code)

    threads = [threading.Thread(target=post, args=(cookie,)) for cookie in cookies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


@pytest.mark.slow
@pytest.mark.parametrize("skip_locks", [False, True], ids=["locked", "unlocked"])
def test_simultaneous_answers_over_http_fill_exactly_the_seats(make_app, skip_locks):
    """The answer's own path, as a burst takes it: on PostgreSQL the view's first read takes
    the event's lock. Without the lock (the negative control) the same burst overbooks."""
    app = _app(make_app, TESTING_SKIP_LOCKS=skip_locks)
    event_id, user_ids = _setup(app, PEOPLE)
    with app.app_context():
        key = db.session.get(Event, event_id).key
    cookies = [_session_cookie(app, uid) for uid in user_ids]
    with _serve(app) as base:
        statuses = _post_all(base, f"/e/{key}/rsvp", cookies)
    rows = _rows(app, event_id)
    going = [r for r in rows if r.status == "going"]
    if skip_locks:
        assert len(going) > SEATS
        return
    assert statuses == [303] * PEOPLE
    assert [r.status for r in rows] == ["going"] * SEATS + ["waitlisted"] * (PEOPLE - SEATS)
    assert [r.position for r in rows[SEATS:]] == list(range(1, PEOPLE - SEATS + 1))


@pytest.mark.slow
@pytest.mark.parametrize("skip_locks", [False, True], ids=["locked", "unlocked"])
def test_fifty_identical_posts_make_one_rsvp(make_app, skip_locks):
    """Also without the lock: the unique constraint catches the race and the request is
    retried cleanly (one row, no 500)."""
    app = _app(make_app, TESTING_SKIP_LOCKS=skip_locks)
    event_id, (user_id,) = _setup(app, 1)
    with app.app_context():
        key = db.session.get(Event, event_id).key
    cookie = _session_cookie(app, user_id)
    with _serve(app) as base:
        statuses = _post_many(base, f"/e/{key}/rsvp", cookie, 50)
    assert statuses == [303] * 50
    rows = _rows(app, event_id)
    assert len(rows) == 1 and rows[0].status == "going"
