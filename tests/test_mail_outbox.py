"""Email delivery: MIME shape, a real SMTP server, retries, leases, parallel workers."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from meetup.extensions import db
from meetup.models import OutboxMessage, utcnow
from meetup.services.mail import messages as mail
from meetup.services.mail import mime, outbox

from .conftest import free_port
from .factories import add_member, make_group, make_user, queue_messages
from .smtp_sinks import Sink, running

ICS = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        "UID:e1@x",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
)


def smtp_config(port: int, **extra) -> dict:
    return {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, **extra}


def statuses() -> Counter:
    db.session.rollback()
    return Counter(db.session.scalars(select(OutboxMessage.status)))


def row(message_id: int) -> OutboxMessage:
    db.session.rollback()
    return db.session.get(OutboxMessage, message_id)


# ------------------------------------------------------------------ the message


def test_message_has_text_html_and_stable_headers(app):
    [mid] = queue_messages(1, to_name="Ana Lima", subject="Your ticket")
    msg = mime.build_message(row(mid), "Meetup <meetup@example.org>")
    again = mime.build_message(row(mid), "Meetup <meetup@example.org>")
    assert msg.as_bytes() == again.as_bytes()  # a re-send is the same message
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["Message-ID"] == row(mid).message_id
    assert str(msg["To"]) == "Ana Lima <person0@example.org>"
    assert msg["From"] == "Meetup <meetup@example.org>"
    assert msg["Subject"] == "Your ticket" and msg["Date"]
    assert msg.get_body(("plain",)).get_content().strip() == "Hello 0"
    assert msg.get_body(("html",)).get_content().strip() == "<p>Hello 0</p>"


def test_calendar_invite_sits_beside_text_and_html_and_is_attached(app):
    [mid] = queue_messages(1, ics=ICS, ics_method="request")
    msg = mime.build_message(row(mid), "meetup@example.org")
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = list(msg.iter_parts())
    assert alternative.get_content_type() == "multipart/alternative"
    parts = list(alternative.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html", "text/calendar"]
    assert parts[2].get_param("method") == "REQUEST"
    assert parts[2].get_content_charset() == "utf-8"
    assert parts[2].get_content() == ICS.replace("\r\n", "\n")  # CRLF again on the wire
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content().decode() == ICS


def test_header_injection_is_impossible_through_a_real_smtp_server(make_app, smtp_server):
    port, inbox = smtp_server
    app = make_app(**smtp_config(port))
    with app.app_context():
        ana = make_user("ana@example.org", name="Ana\r\nBcc: evil@example.net")
        mail.queue(ana, "reminder", "Hi\r\nBcc: evil@example.net", context=_reminder_context())
        # A row written by some other path, with raw CR/LF: built safely all the same.
        queue_messages(
            1,
            to_name="Bob\nCc: evil@example.net",
            subject="Hello\r\n\r\n<b>body</b>",
            to_addr="bob@example.org",
        )
        assert outbox.deliver_due().sent == 2
    got = sorted(inbox.envelopes, key=lambda e: e.rcpt_tos)
    assert [e.rcpt_tos for e in got] == [["ana@example.org"], ["bob@example.org"]]
    for message in inbox.messages:
        assert message["Bcc"] is None and message["Cc"] is None
        assert "\n" not in message["Subject"] and "\n" not in str(message["To"])
        assert message.get_body(("plain",)) is not None


def _reminder_context() -> dict:
    from types import SimpleNamespace

    event = SimpleNamespace(title="Meetup", venue_name="Loft", venue_address="1 Main St")
    return {
        "event": event,
        "when": "Mon",
        "zone": "CET",
        "map_url": None,
        "ticket_url": None,
        "event_url": "http://x/e/1",
        "ics_url": "http://x/e/1/event.ics",
    }


def test_file_backend_prints_and_keeps_an_eml(app, capsys, tmp_root):
    [mid] = queue_messages(1, subject="Sign in to Meetup", body_text="Your link: http://x/l/1")
    before = utcnow()
    report = outbox.deliver_due()
    sent = row(mid)
    assert report.sent == 1 and sent.status == "sent"
    assert before <= sent.sent_at <= utcnow() and sent.claimed_at is None
    out = capsys.readouterr().out
    assert "Sign in to Meetup" in out and "Your link: http://x/l/1" in out
    [eml] = (tmp_root / "mail").glob("*.eml")
    assert row(mid).message_id.encode() in eml.read_bytes()


# ------------------------------------------------------------------ outages and retries


def test_smtp_down_then_up_delivers_every_message_once(make_app):
    port = free_port()  # nothing listens yet: connection refused
    app = make_app(**smtp_config(port))
    with app.app_context():
        ids = queue_messages(20)
        now = utcnow()
        report = outbox.deliver_due(now=now)
        assert report.sent == 0 and report.connection_error
        assert statuses() == {"queued": 20}
        first = row(ids[-1])
        assert first.attempts == 1 and "Refused" in first.last_error
        assert first.next_attempt_at >= now + timedelta(seconds=15)
        assert outbox.deliver_due(now=now).sent == 0  # not due yet: nothing is tried
        sink = Sink()
        with running(sink, port):
            report = outbox.deliver_due(now=now + timedelta(minutes=5))
        assert report.sent == 20
        assert statuses() == {"sent": 20}
    counts = Counter(m["Message-ID"] for m in sink.messages)
    assert len(counts) == 20 and set(counts.values()) == {1}


def test_4xx_is_temporary_and_retried_with_backoff(make_app):
    sink = Sink(fail=3, reply="451 4.3.0 Try again later")
    with running(sink) as port:
        app = make_app(**smtp_config(port))
        with app.app_context():
            ids = queue_messages(5)
            now = utcnow()
            report = outbox.deliver_due(now=now)
            assert (report.sent, report.retried) == (2, 3)
            retrying = [row(i) for i in ids if row(i).status == "queued"]
            assert all("451" in r.last_error and r.attempts == 1 for r in retrying)
            assert outbox.deliver_due(now=now + timedelta(hours=1)).sent == 3
            assert statuses() == {"sent": 5}
    assert len({m["Message-ID"] for m in sink.messages}) == 5 == len(sink.messages)


def test_backoff_doubles_with_jitter_and_is_capped(app):
    app.config.update(MAIL_RETRY_BASE_SECONDS=30, MAIL_RETRY_MAX_SECONDS=3600)
    for attempts, low, high in [(1, 15, 30), (2, 30, 60), (3, 60, 120), (12, 1800, 3600)]:
        delays = {outbox.backoff(attempts).total_seconds() for _ in range(50)}
        assert all(low <= d <= high for d in delays) and len(delays) > 1


def test_temporary_failures_give_up_after_the_give_up_time(make_app):
    app = make_app(**smtp_config(free_port()), MAIL_GIVE_UP_HOURS=1)
    with app.app_context():
        [mid] = queue_messages(1, now=utcnow() - timedelta(hours=2))
        outbox.deliver_due()
        assert row(mid).status == "failed" and "Refused" in row(mid).last_error


def test_one_connection_per_pass(make_app):
    sink = Sink()
    with running(sink) as port:
        app = make_app(**smtp_config(port), MAIL_BATCH_SIZE=10)
        with app.app_context():
            queue_messages(35)
            assert outbox.deliver_due().sent == 35
    assert len(sink.peers) == 1 and len(sink.messages) == 35


def test_a_message_stuck_sending_is_claimed_again_after_the_lease(make_app, smtp_server):
    port, inbox = smtp_server
    app = make_app(**smtp_config(port), MAIL_LEASE_SECONDS=300)
    with app.app_context():
        [mid] = queue_messages(1)
        now = utcnow()
        [claimed] = outbox.claim(10, worker="crashed:1", now=now)  # ... and then it died
        assert row(mid).status == "sending" and row(mid).claimed_by == "crashed:1"
        assert outbox.deliver_due(now=now + timedelta(seconds=299)).sent == 0
        assert outbox.deliver_due(now=now + timedelta(seconds=301), worker="w:2").sent == 1
        assert row(mid).status == "sent" and row(mid).attempts == 2
    assert [m["Message-ID"] for m in inbox.messages] == [claimed.message_id]


# ------------------------------------------------------------------ permanent failures, organizers


@pytest.fixture
def rejecting_sink():
    sink = Sink(fail=10**6, reply="550 5.1.1 No such user")
    with running(sink) as port:
        yield sink, port


def test_permanent_failure_stops_after_max_attempts_then_organizer_retries(
    make_app, rejecting_sink, login
):
    sink, port = rejecting_sink
    app = make_app(**smtp_config(port), MAIL_MAX_ATTEMPTS=3)
    client = app.test_client()
    with app.app_context():
        organizer = make_user()
        group = make_group(organizer, slug="pydata")
        [mid] = queue_messages(1, group_id=group.id, to_addr="gone@example.org")
        queue_messages(1, subject="Other group's", group_id=None)
        now = utcnow()
        for attempt in range(1, 4):
            outbox.deliver_due(now=now + timedelta(days=attempt))
            assert row(mid).attempts == attempt
        assert row(mid).status == "failed" and row(mid).last_error.startswith("SMTP 550")
        outbox.deliver_due(now=now + timedelta(days=30))
        assert row(mid).attempts == 3  # stopped: no fourth attempt
        assert sink.refused == 6

        login(client, organizer)
        page = client.get("/g/pydata/mail")
        assert page.status_code == 200
        assert b"gone@example.org" in page.data and b"550 5.1.1 No such user" in page.data
        assert b"Other group" not in page.data

        sink.fail = 0  # the address was fixed on the server's side
        resp = client.post(f"/g/pydata/mail/{mid}/retry", follow_redirects=True)
        assert resp.status_code == 200 and b"will be sent again" in resp.data
        assert row(mid).status == "queued" and row(mid).attempts == 0
        assert b"gone@example.org" not in _undelivered(client.get("/g/pydata/mail").data)
        assert outbox.deliver_due().sent == 1
        assert row(mid).status == "sent"
        page = client.get("/g/pydata/mail").data
        assert b"gone@example.org" not in _undelivered(page)
        assert b"gone@example.org" in page  # listed with what was sent
    assert [e.rcpt_tos for e in sink.envelopes] == [["gone@example.org"]]


def _undelivered(page: bytes) -> bytes:
    """The page's list of undelivered email, without the list of all email below it."""
    return page.split(b'id="sent"')[0]


def test_retry_is_for_organizers_of_that_group_only(app, client, login):
    organizer, member = make_user(), make_user()
    group = make_group(organizer, slug="mine")
    other = make_group(make_user(), slug="theirs")
    add_member(group, member)
    [failed] = queue_messages(1, group_id=group.id)
    [theirs] = queue_messages(1, group_id=other.id)
    db.session.execute(
        OutboxMessage.__table__.update().values(status="failed", last_error="SMTP 550 x")
    )
    db.session.commit()

    login(client, member)
    assert client.get("/g/mine/mail").status_code == 403
    assert client.post(f"/g/mine/mail/{failed}/retry").status_code == 403
    login(client, organizer)
    assert client.get("/g/theirs/mail").status_code == 403
    assert client.get("/g/nope/mail").status_code == 404
    assert client.post(f"/g/mine/mail/{theirs}/retry").status_code == 404
    assert row(theirs).status == "failed"
    db.session.execute(
        OutboxMessage.__table__.update().where(OutboxMessage.id == failed).values(status="sent")
    )
    db.session.commit()
    assert client.post(f"/g/mine/mail/{failed}/retry").status_code == 409


def test_retry_needs_a_csrf_token(csrf_on, client, login):
    organizer = make_user()
    group = make_group(organizer, slug="csrf")
    [mid] = queue_messages(1, group_id=group.id)
    login(client, organizer)
    assert client.post(f"/g/csrf/mail/{mid}/retry").status_code == 400
    assert row(mid).attempts == 0


def test_anonymous_visitors_cannot_see_the_page(app, client):
    if "auth.login" not in app.view_functions:
        pytest.skip("the sign-in page is not in this build yet")
    make_group(make_user(), slug="anon")
    assert client.get("/g/anon/mail").status_code in (302, 401)


# ------------------------------------------------------------------ several workers


def _parallel_workers(make_app, port: int, n_messages: int, **config) -> tuple[Counter, Counter]:
    app = make_app(**smtp_config(port), **config)
    with app.app_context():
        queue_messages(n_messages)
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            with app.app_context():
                start.wait()
                outbox.deliver_due(worker=f"test:{i}")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    with app.app_context():
        by_status = statuses()
        claimers = Counter(db.session.scalars(select(OutboxMessage.claimed_by)))
    return by_status, claimers


@pytest.fixture
def postgresql_only(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers need PostgreSQL (one worker per SQLite database)")


def test_three_workers_deliver_300_messages_exactly_once(postgresql_only, make_app, smtp_server):
    port, inbox = smtp_server
    by_status, claimers = _parallel_workers(make_app, port, 300)
    assert by_status == {"sent": 300}
    counts = Counter(m["Message-ID"] for m in inbox.messages)
    assert len(counts) == 300 and max(counts.values()) == 1
    assert len(claimers) == 3  # the work really was shared


def test_negative_control_claiming_without_skip_locked_duplicates(
    postgresql_only, make_app, smtp_server
):
    """CONTROL: the same test without FOR UPDATE SKIP LOCKED must send duplicates,
    which proves the test above can see the race it guards against."""
    port, inbox = smtp_server
    by_status, _ = _parallel_workers(make_app, port, 300, TESTING_OUTBOX_NO_CLAIM_LOCK=True)
    assert by_status == {"sent": 300}
    counts = Counter(m["Message-ID"] for m in inbox.messages)
    assert len(counts) == 300
    assert sum(counts.values()) > 300, "the control should have produced duplicates"


def test_sqlite_claims_are_serialised(make_app, smtp_server, database_url):
    """On SQLite BEGIN IMMEDIATE serialises claims: even two workers (unsupported but
    harmless) never claim the same row."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's own serialisation")
    port, inbox = smtp_server
    by_status, _ = _parallel_workers(make_app, port, 120)
    assert by_status == {"sent": 120}
    assert len(inbox.messages) == 120


def test_the_claim_counts_outstanding_rows_only(app):
    queue_messages(3)
    now = utcnow()
    assert len(outbox.claim(10, worker="a", now=now)) == 3
    assert outbox.claim(10, worker="b", now=now) == []
    assert db.session.scalar(select(func.count()).where(OutboxMessage.status == "sending")) == 3


def test_the_group_page_links_organizers_to_undelivered_email(app, client, login):
    if "groups.show" not in app.view_functions:
        pytest.skip("the group page is not in this build")
    organizer, member = make_user(), make_user()
    group = make_group(organizer, slug="linked")
    add_member(group, member)
    login(client, organizer)
    assert b"/g/linked/mail" in client.get("/g/linked").data
    login(client, member)
    assert b"/g/linked/mail" not in client.get("/g/linked").data


def test_group_email_bytes_read_back_and_list_unsubscribe_stays_a_plain_link(app, smtp_server):
    """The bytes written directly (no calendar, no QR) read back as the row says, through a
    real SMTP server; a long List-Unsubscribe stays one unencoded line (RFC 8058 readers
    don't decode RFC 2047 words), names and subjects other than ASCII are encoded."""
    port, inbox = smtp_server
    app.config.update(**smtp_config(port))
    unsubscribe = "<https://meetup.example.org/m/unsubscribe/" + "WzEsMl0." + "a1_-" * 30 + ">"
    [mid] = queue_messages(
        2,
        to_name="Zoë Lima, PhD",
        subject="Rust Paris : soirée",
        body_text="Bonjour Zoë,\n\n.a line with a dot\n" + "x" * 120 + "\n",
        body_html="<p>Soirée = ce jeudi</p>",
    )[:1]
    message = db.session.get(OutboxMessage, mid)
    message.headers = {
        "List-Id": '"Rust Paris" <rust-paris.meetup.example.org>',
        "List-Unsubscribe": unsubscribe,
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    db.session.commit()
    raw = mime.message_bytes(row(mid), "Meetup <meetup@example.org>")
    assert raw == mime.message_bytes(row(mid), "Meetup <meetup@example.org>")
    assert f"\r\nList-Unsubscribe: {unsubscribe}\r\n".encode() in raw
    assert raw.isascii() and all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert outbox.deliver_due().sent == 2
    [got] = [m for m in inbox.messages if m["Message-ID"] == row(mid).message_id]
    assert got["List-Unsubscribe"] == unsubscribe and got["Precedence"] == "list"
    assert got["Subject"] == "Rust Paris : soirée"
    assert got["To"].addresses[0].display_name == "Zoë Lima, PhD"
    text, html = (got.get_body((kind,)).get_content() for kind in ("plain", "html"))
    assert text.replace("\r\n", "\n") == row(mid).body_text  # CRLF as on the wire
    assert html.replace("\r\n", "\n") == "<p>Soirée = ce jeudi</p>\n"
