"""The worker: its commands, the reminder job, and surviving SIGKILL and SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import OutboxMessage, utcnow
from meetup.services.mail import outbox
from meetup.services.mail.reminders import send_reminders
from meetup.worker import jobs

from .conftest import free_port
from .factories import make_event, make_group, make_rsvp, make_user, queue_messages
from .smtp_sinks import HoldingSink, Sink, running

ROOT = Path(__file__).resolve().parent.parent


def statuses() -> Counter:
    db.session.rollback()
    return Counter(db.session.scalars(select(OutboxMessage.status)))


# ------------------------------------------------------------------ commands


def test_worker_once_delivers_everything_due_and_exits(make_app, smtp_server):
    port, inbox = smtp_server
    app = make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with app.app_context():
        queue_messages(7)
        queue_messages(1, subject="Later", now=utcnow() + timedelta(hours=1))
        result = app.test_cli_runner().invoke(args=["worker", "--once"])
        assert result.exit_code == 0, result.output
        assert statuses() == {"sent": 7, "queued": 1}
    assert sorted(m["Subject"] for m in inbox.messages) == [f"Message {i}" for i in range(7)]


def test_worker_once_runs_the_scheduled_jobs(app):
    calls = []
    jobs.JOBS.append(lambda now: calls.append(now) or 0)
    try:
        assert app.test_cli_runner().invoke(args=["worker", "--once"]).exit_code == 0
    finally:
        jobs.JOBS.pop()
    assert len(calls) == 1


def test_a_mail_backlog_does_not_hold_up_the_jobs(make_app, smtp_server):
    """A pass delivers for WORKER_PASS_SECONDS at most, then the jobs run again: 50,000
    welcome emails must not keep an announcement unqueued (or a claim unexpired) for minutes."""
    port, inbox = smtp_server
    app = make_app(
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_BATCH_SIZE=2,
        WORKER_PASS_SECONDS=0.0,
    )
    seen = []  # messages already delivered each time the jobs ran
    jobs.JOBS.append(lambda now: seen.append(len(inbox.messages)) or 0)
    try:
        with app.app_context():
            queue_messages(5)
            assert app.test_cli_runner().invoke(args=["worker", "--once"]).exit_code == 0
            assert statuses() == {"sent": 5}  # --once still delivers everything due
    finally:
        jobs.JOBS.pop()
    # The jobs ran between the batches, not only before the whole backlog.
    assert seen[:4] == [0, 2, 4, 5], seen


def test_a_failing_job_does_not_stop_the_others_or_the_mail(app):
    def broken(now):
        raise RuntimeError("boom")

    done = jobs.run_jobs(jobs=[broken, lambda now: 3])
    assert list(done.values()) == [3]


# ------------------------------------------------------------------ reminders


@pytest.fixture
def soon_event(app):
    organizer = make_user()
    group = make_group(organizer)
    return make_event(group, starts_at=utcnow() + timedelta(hours=20), reminder_hours=24)


def _reminders() -> list[OutboxMessage]:
    db.session.rollback()
    return list(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("reminder:%")))
    )


def test_reminder_job_twice_one_per_going_attendee(app, soon_event):
    going = [make_user(name=f"Going {i}") for i in range(3)]
    for user in going:
        make_rsvp(soon_event, user, "going")
    make_rsvp(soon_event, make_user(email="wait@example.org"), "waitlisted")
    make_rsvp(soon_event, make_user(email="cancelled@example.org"), "not_going")
    make_rsvp(soon_event, make_user(email="removed@example.org"), "removed")

    assert jobs.run_jobs()["send_reminders"] == 3
    assert jobs.run_jobs()["send_reminders"] == 0
    sent = _reminders()
    assert sorted(m.to_addr for m in sent) == sorted(u.email for u in going)
    assert all(m.group_id == soon_event.group_id for m in sent)
    text, html = sent[0].body_text, sent[0].body_html
    rsvp_tokens = {r.ticket_token for r in soon_event.rsvps if r.status == "going"}
    assert any(f"http://localhost/t/{t}" in text for t in rsvp_tokens)
    assert f"http://localhost/e/{soon_event.key}/event.ics" in text
    assert "openstreetmap.org/search?query=1%20Rue%20de%20Rivoli" in text
    assert "Monthly meetup" in sent[0].subject and "Show my ticket" in html


def test_reminders_respect_timing_cancellation_and_opt_out(app):
    group = make_group(make_user())
    now = utcnow()
    not_yet = make_event(group, starts_at=now + timedelta(hours=30), reminder_hours=24)
    cancelled = make_event(group, starts_at=now + timedelta(hours=3), cancelled_at=now)
    no_reminder = make_event(group, starts_at=now + timedelta(hours=3))
    no_reminder.reminder_hours = None  # (None given to the constructor means "the default")
    started = make_event(group, starts_at=now - timedelta(minutes=5))
    two_days = make_event(group, starts_at=now + timedelta(hours=40), reminder_hours=48)
    for ev in (not_yet, cancelled, no_reminder, started, two_days):
        make_rsvp(ev, make_user(), "going")

    assert send_reminders(now) == 1  # only the 48-hour one is due
    assert send_reminders(now + timedelta(hours=7)) == 1  # now the 24-hour one
    db.session.commit()
    assert {m.dedupe_key.split(":")[1] for m in _reminders()} == {
        str(two_days.id),
        str(not_yet.id),
    }


def test_a_moved_event_gets_a_reminder_for_its_new_time(app, soon_event):
    make_rsvp(soon_event, make_user(), "going")
    assert jobs.run_jobs()["send_reminders"] == 1
    soon_event.starts_at += timedelta(hours=2)
    db.session.commit()
    assert jobs.run_jobs()["send_reminders"] == 1
    assert jobs.run_jobs()["send_reminders"] == 0


def _party(event, host_name: str, *guests, going: bool = True, now=None):
    from meetup.services.events import answers
    from meetup.services.events.guests import GuestInput

    party = answers.Answers(guests=[GuestInput(*g) for g in guests])
    rsvp = answers.answer(event, make_user(name=host_name), going, party, now=now)
    db.session.commit()
    return rsvp


def test_named_guests_with_an_address_get_a_reminder_of_their_own_once(app):
    """As their host: one reminder, worded for a guest, with their own ticket; none for a
    guest without an address, nor for one whose party lost its seats or waits."""
    from meetup.services.events import answers

    now = utcnow()
    group = make_group(make_user())
    event = make_event(
        group, starts_at=now + timedelta(hours=20), reminder_hours=24, capacity=5, max_guests=2
    )
    before = now - timedelta(hours=6)  # the tickets went out before the reminder was due
    ana = _party(event, "Ana", ("Bo Li", "bo@example.org"), ("Cy",), now=before)
    dan = _party(event, "Dan", ("Eve", "eve@example.org"), now=before)
    answers.answer(event, dan.user, False, now=before)  # Dan's party is off
    _party(event, "Fay", ("Gil", "gil@example.org"), ("Hal", "hal@example.org"), now=before)
    db.session.commit()  # Fay's party of three waits: two seats left

    assert jobs.run_jobs()["send_reminders"] == 2
    assert jobs.run_jobs()["send_reminders"] == 0
    sent = {m.to_addr: m for m in _reminders()}
    assert set(sent) == {ana.user.email, "bo@example.org"}
    bo = sent["bo@example.org"]
    [guest] = [g for g in ana.guests if g.email]
    assert bo.body_text.startswith("Hi Bo Li,")
    assert "A reminder: Ana is bringing you to Monthly meetup" in bo.body_text
    assert f"http://localhost/t/{guest.ticket_token}" in bo.body_text
    assert f"/t/{ana.ticket_token}" not in bo.body_text  # the guest's ticket, not the host's
    assert "Tell Ana, so they can give your seat" in bo.body_text
    assert "Tell Ana" in bo.body_html and bo.qr_url.endswith(guest.ticket_token)
    assert "is bringing you" not in sent[ana.user.email].body_text
    assert bo.subject.startswith("Reminder: Monthly meetup")


def test_a_guest_seated_once_the_reminder_is_due_gets_one_email(app, soon_event):
    soon_event.max_guests = 1
    db.session.commit()
    _party(soon_event, "Ana", ("Bo Li", "bo@example.org"))  # the reminder is due already
    assert jobs.run_jobs()["send_reminders"] == 0  # each ticket stands for the reminder
    db.session.rollback()
    sent = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_addr == "bo@example.org")
    ).all()
    assert [m.subject for m in sent] == ["Your ticket: Monthly meetup"]


def _count_selects(fn) -> int:
    selects = []

    def before(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", before)
    return len(selects)


def test_the_reminder_job_queries_do_not_grow_with_attendees(app, soon_event):
    for _ in range(3):
        make_rsvp(soon_event, make_user(), "going")
    db.session.commit()
    assert _count_selects(jobs.run_jobs) > 0
    few = _count_selects(jobs.run_jobs)  # nothing to queue: only the set-based reads
    for _ in range(20):
        make_rsvp(soon_event, make_user(), "going")
    jobs.run_jobs()
    assert _count_selects(jobs.run_jobs) == few


# ------------------------------------------------------------------ real worker processes


def _worker_env(database_url: str, port: int, **extra: object) -> dict:
    env = {
        **os.environ,
        "MEETUP_SQLALCHEMY_DATABASE_URI": database_url,
        "MEETUP_SECRET_KEY": "test-secret-key-not-for-production",
        "MEETUP_BASE_URL": "http://localhost",
        "MEETUP_MAIL_SERVER": "127.0.0.1",
        "MEETUP_MAIL_PORT": str(port),
        "MEETUP_WORKER_POLL_SECONDS": "0.1",
        "PYTHONUNBUFFERED": "1",
    }
    env.update({f"MEETUP_{k}": str(v) for k, v in extra.items()})
    return env


def _start_worker(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _wait(condition, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.slow
def test_worker_killed_mid_batch_loses_nothing(app, database_url, tmp_path):
    n, kills = 150, 2
    ids = queue_messages(n)
    expected = {
        subject: message_id
        for subject, message_id in db.session.execute(
            select(OutboxMessage.subject, OutboxMessage.message_id)
        )
    }
    db.session.rollback()
    sink = HoldingSink()
    log = tmp_path / "worker.log"
    with running(sink) as port:
        env = _worker_env(database_url, port, MAIL_LEASE_SECONDS=1, MAIL_BATCH_SIZE=20)
        for k in range(kills):
            # Each worker is killed while the sink holds a message it is sending: mid-batch
            # for certain, whatever the machine's speed.
            sink.hold_at = (k + 1) * n // (kills + 2)
            sink.holding.clear()
            proc = _start_worker(env, log)
            try:
                assert sink.holding.wait(120), log.read_text()
            finally:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)
        db.session.rollback()
        stuck = db.session.scalar(select(db.func.count()).where(OutboxMessage.status == "sending"))
        assert stuck > 0, "the kill should have left claimed rows behind"
        sink.hold_at = None
        sink.release.set()
        proc = _start_worker(env, log)
        try:
            _wait(lambda: statuses() == {"sent": n}, what="all sent")
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0, log.read_text()

    received = defaultdict(list)
    for message in sink.messages:
        received[message["Subject"]].append(message["Message-ID"])
    assert set(received) == set(expected), "0 messages lost"
    for subject, message_ids in received.items():
        assert set(message_ids) == {expected[subject]}  # a duplicate has the same Message-ID
    duplicates = len(sink.messages) - len(received)
    assert duplicates <= kills
    assert len(ids) == n


@pytest.mark.slow
def test_sigterm_finishes_the_message_in_hand_and_exits_cleanly(app, database_url, tmp_path):
    ids = queue_messages(3)
    db.session.rollback()
    sink = Sink(delay=1.5)
    log = tmp_path / "worker.log"
    with running(sink) as port:
        proc = _start_worker(_worker_env(database_url, port), log)
        try:
            assert sink.started.wait(60), log.read_text()
            proc.send_signal(signal.SIGTERM)  # the first message is being answered, slowly
            assert proc.wait(timeout=30) == 0, log.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
        assert len(sink.messages) == 1
        db.session.rollback()
        rows = {m.id: m for m in db.session.scalars(select(OutboxMessage))}
        first = sink.messages[0]["Message-ID"]
        [done] = [r for r in rows.values() if r.message_id == first]
        assert done.status == "sent"
        others = [r for r in rows.values() if r is not done]
        # Given back at once, not left "sending" until the lease runs out.
        assert {(r.status, r.attempts, r.claimed_by) for r in others} == {("queued", 0, None)}

        sink.delay = 0
        app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        assert outbox.deliver_due().sent == 2
    counts = Counter(m["Message-ID"] for m in sink.messages)
    assert len(counts) == len(ids) and set(counts.values()) == {1}
    assert "stopping after the message in hand" in log.read_text()


@pytest.mark.slow
def test_serve_runs_the_site_and_prints_mail(app, database_url, tmp_path):
    import urllib.request

    queue_messages(1, subject="Sign in to Meetup", body_text="Your link: http://localhost/l/x")
    db.session.rollback()
    port = free_port()
    env = _worker_env(database_url, 0, MAIL_FILE_DIR=tmp_path / "mail")
    del env["MEETUP_MAIL_SERVER"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait(lambda: statuses() == {"sent": 1}, what="the mail")

        def up() -> bool:
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz").status == 200
            except OSError:
                return False

        _wait(up, what="the web server")
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert "Sign in to Meetup" in out and "Your link: http://localhost/l/x" in out
    assert list((tmp_path / "mail").glob("*.eml"))
