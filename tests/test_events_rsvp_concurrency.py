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
from sqlalchemy import func, select, text
from werkzeug.serving import make_server

from meetup.extensions import db
from meetup.models import Event, OutboxMessage, Rsvp, User, utcnow
from meetup.services.events import answers as rsvp_answers
from meetup.services.events import seats as rsvp_seats
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
        rsvp_answers.answer(event, db.session.get(User, user_id), going)

    return job


def _rows(app, event_id: int) -> list[Rsvp]:
    with app.app_context():
        rows = db.session.scalars(
            select(Rsvp).where(Rsvp.event_id == event_id).order_by(Rsvp.requested_at, Rsvp.id)
        ).all()
        positions = {r.id: rsvp_seats.waitlist_position(r) for r in rows}
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
            rsvp_answers.answer(
                event, db.session.get(User, uid), True, now=start + timedelta(seconds=i)
            )
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


# ------------------------------------------------------------------ PostgreSQL's shared lock


@pytest.fixture
def postgresql_only(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the shared lock is PostgreSQL's (SQLite has one writer at a time)")


def _lock_call(conn, event_id: int, user_id: int, share_if_full: bool = True, wait: str = "1s"):
    """rsvp_seats_locked on its own connection, in a transaction left open: (shared, going)."""
    conn.exec_driver_sql(f"SET lock_timeout = '{wait}'")
    row = conn.exec_driver_sql(
        "SELECT shared, going FROM rsvp_seats_locked(%(e)s, %(u)s, true, %(s)s)",
        {"e": event_id, "u": user_id, "s": share_if_full},
    ).one()
    return tuple(row)


def test_joining_the_waitlist_of_a_full_event_shares_the_lock(postgresql_only, make_app):
    """Two new people answering a full event hold the lock at once; anything that may
    change a seat (the exclusive lock) waits for them, and a newcomer arriving after it
    waits its turn rather than pass it. Before the event is full, answers take turns."""
    from sqlalchemy.exc import OperationalError

    app = _app(make_app)
    event_id, users = _setup(app, 5, seats=1)
    with app.app_context():
        engine = db.engine
        with engine.connect() as first, engine.connect() as second:
            assert _lock_call(first, event_id, users[0]) == (False, 0)  # a seat is free
            with pytest.raises(OperationalError, match="lock timeout"):
                _lock_call(second, event_id, users[1])
        seated = rsvp_answers.answer(
            db.session.get(Event, event_id), db.session.get(User, users[0]), True
        )
        db.session.commit()
        assert seated.status == "going"
        first, second, waiting, late = (engine.connect() for _ in range(4))
        granted: list[tuple] = []
        exclusive = threading.Thread(
            target=lambda: granted.append(
                _lock_call(waiting, event_id, users[3], share_if_full=False, wait="20s")
            )
        )
        try:
            assert _lock_call(first, event_id, users[1]) == (True, 1)
            assert _lock_call(second, event_id, users[2]) == (True, 1)  # did not wait
            exclusive.start()
            _wait_for_lock_waits(1)
            assert not granted
            with pytest.raises(OperationalError, match="lock timeout"):
                _lock_call(late, event_id, users[4])  # in turn, behind the exclusive request
        finally:
            first.rollback()
            second.rollback()
            if exclusive.is_alive():
                exclusive.join(timeout=30)
            for conn in (first, second, waiting, late):
                conn.close()
        assert granted == [(False, 1)]
        db.session.remove()


def test_a_seat_freed_while_waiting_on_the_shared_lock_is_taken_once(postgresql_only, make_app):
    """The event looked full when Bo and Cy answered, so both answers asked for the shared
    lock, while Ana was cancelling under the exclusive one. Once she commits, both hold the
    shared lock and see her seat free: neither may take it under that lock (both would), so
    each starts over with the exclusive one: one gets the seat, the other the waitlist."""
    app = _app(make_app)
    event_id, (ana, *others) = _setup(app, 3, seats=1)
    with app.app_context():
        event = db.session.get(Event, event_id)
        key = event.key
        rsvp_answers.answer(event, db.session.get(User, ana), True)
        db.session.commit()
        db.session.remove()
    cookies = [_session_cookie(app, uid) for uid in others]
    cancelling, commit = threading.Event(), threading.Event()

    def cancel():
        with app.app_context():
            rsvp_answers.answer(db.session.get(Event, event_id), db.session.get(User, ana), False)
            cancelling.set()
            commit.wait(timeout=60)
            db.session.commit()
            db.session.remove()

    canceller = threading.Thread(target=cancel)
    canceller.start()
    assert cancelling.wait(timeout=60)
    statuses: list[int] = []
    with _serve(app) as base:
        answering = threading.Thread(
            target=lambda: statuses.extend(_post_all(base, f"/e/{key}/rsvp", cookies))
        )
        answering.start()
        with app.app_context():
            _wait_for_lock_waits(len(others))
            db.session.remove()
        commit.set()
        canceller.join(timeout=60)
        answering.join(timeout=60)
    assert statuses == [303, 303]
    rows = {r.user_id: r for r in _rows(app, event_id)}
    assert rows[ana].status == "not_going"
    assert sorted(rows[uid].status for uid in others) == ["going", "waitlisted"]


def _wait_for_lock_waits(n: int, timeout: float = 30) -> None:
    """Until `n` other connections of this database wait on a lock."""
    import time

    deadline = time.monotonic() + timeout
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    while time.monotonic() < deadline:
        if db.session.scalar(query) >= n:
            return
        db.session.rollback()
        time.sleep(0.02)
    raise AssertionError("the answers did not wait on the event's lock")
