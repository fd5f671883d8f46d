"""The organizer's mail page lists what was sent, not only what failed: each message with its
status, newest first, a bounded page at a time. Delivered over real SMTP (aiosmtpd)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from meetup.extensions import db
from meetup.models import OutboxMessage, utcnow
from meetup.services.mail import sent
from tests.factories import count_queries, make_group, make_user, queue_messages
from tests.smtp_sinks import Sink, running


def _statuses(page: str) -> list[tuple[str, str]]:
    """(status, subject) of each row of the list of all email."""
    log = page.split('id="sent"')[1]
    found = re.findall(
        r'<span class="outbox-log-subject">([^<]+)</span>\s*<small>\s*'
        r'<span class="pill[^"]*">([^<]+)<',
        log,
    )
    return [(status, subject) for subject, status in found]


def test_the_page_lists_what_was_sent_with_its_status(make_app, login):
    sink = Sink(fail=1, reply="550 5.1.1 No such user")
    with running(sink) as port:
        app = make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        client = app.test_client()
        with app.app_context():
            organizer = make_user()
            group = make_group(organizer, slug="lyon-data")
            now = utcnow()
            queue_messages(1, group_id=group.id, subject="Bounced", now=now)
            queue_messages(1, group_id=group.id, subject="Delivered", now=now)
            queue_messages(1, group_id=make_group().id, subject="Another group's", now=now)
            from meetup.services.mail import outbox

            outbox.deliver_due(now=now)
            queue_messages(1, group_id=group.id, subject="Waiting", now=now + timedelta(days=1))
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.subject == "Bounced")
                .values(status="failed")
            )
            db.session.commit()

            login(client, organizer)
            resp = client.get("/g/lyon-data/mail")
            page = resp.get_data(as_text=True)
    assert resp.headers["Cache-Control"] == "no-store"
    assert _statuses(page) == [
        ("On its way", "Waiting"),
        ("Sent", "Delivered"),
        ("Failed", "Bounced"),
    ]
    assert "Another group" not in page
    assert "550 5.1.1 No such user" in page.split('id="sent"')[0]  # still up top, to retry


def test_pages_are_bounded_and_go_back_in_time(app, client, login):
    organizer = make_user()
    group = make_group(organizer, slug="paged")
    ids = queue_messages(sent.PAGE_SIZE * 2 + 5, group_id=group.id)
    login(client, organizer)

    first = client.get("/g/paged/mail").get_data(as_text=True)
    rows = _statuses(first)
    assert len(rows) == sent.PAGE_SIZE and rows[0][1] == f"Message {len(ids) - 1}"
    older = re.search(r'href="(/g/paged/mail\?before=\d+)" rel="next"', first).group(1)
    second = client.get(older).get_data(as_text=True)
    assert _statuses(second)[0][1] == f"Message {len(ids) - 1 - sent.PAGE_SIZE}"
    assert 'id="undelivered"' not in second and 'href="/g/paged/mail"' in second
    third = client.get(
        re.search(r'href="([^"]+)" rel="next"', second).group(1).replace("&amp;", "&")
    )
    assert len(_statuses(third.get_data(as_text=True))) == 5
    assert 'rel="next"' not in third.get_data(as_text=True)

    for bad in ("abc", "0", "-3", str(2**31), "1e3"):
        assert client.get(f"/g/paged/mail?before={bad}").status_code == 404

    with count_queries() as few:
        client.get("/g/paged/mail")
    queue_messages(200, group_id=group.id)
    with count_queries() as many:
        client.get("/g/paged/mail")
    assert len(many) == len(few)  # the same statements however much was sent
