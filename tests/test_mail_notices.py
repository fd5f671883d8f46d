"""RSVP notices: queued by the change with no body, written by the worker when first sent."""

from __future__ import annotations

from datetime import timedelta

from flask import template_rendered
from sqlalchemy import select

from meetup import worker
from meetup.extensions import db
from meetup.models import OutboxMessage, utcnow
from meetup.services.events import answers
from meetup.services.mail.outbox import DeliveryError
from tests.factories import make_event, make_group, make_user, queue_messages, send_outbox
from tests.ical_check import only_event


def _to(user) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_addr == user.email)
            .order_by(OutboxMessage.id)
        )
    )


class _FailOnce:
    """Fails every message temporarily the first time, keeps it the second."""

    def __init__(self) -> None:
        self.tried: list = []
        self.kept: list = []

    def send(self, data, row) -> None:
        if row.id not in {r.id for _, r in self.tried}:
            self.tried.append((data, row))
            raise DeliveryError("451 try again later")
        self.kept.append(data)

    def close(self) -> None:
        pass


def test_an_rsvp_queues_a_notice_and_renders_nothing(app):
    event = make_event(make_group(), capacity=1)
    ana, ben = make_user(), make_user()
    rendered = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    with template_rendered.connected_to(record, app):
        seat = answers.answer(event, ana, True)
        waiting = answers.answer(event, ben, True)
        db.session.commit()
    assert rendered == []  # no template, no calendar file inside the event's lock

    [going] = _to(ana)
    assert going.body_text is None and going.body_html is None and going.ics is None
    assert going.notice["kind"] == "going" and going.notice["rsvp_id"] == seat.id
    assert going.notice["ticket_token"] == seat.ticket_token
    assert going.notice["invite"] == "REQUEST" and going.notice["sequence"] >= 1
    [waitlisted] = _to(ben)
    assert waitlisted.notice["kind"] == "waitlisted" and "invite" not in waitlisted.notice

    messages = send_outbox()
    assert len(messages) == 2
    [going] = _to(ana)
    assert going.status == "sent" and seat.ticket_token in going.body_text
    assert going.ics_method == "REQUEST" and "BEGIN:VCALENDAR" in going.ics
    [waitlisted] = _to(ben)
    assert "number 1 in line" in waitlisted.body_text and waiting.status == "waitlisted"


def test_a_retry_sends_the_notice_as_first_written(app):
    event = make_event(make_group(), capacity=5, venue_name="Le Loft")
    ana = make_user()
    answers.answer(event, ana, True)
    db.session.commit()
    backend = _FailOnce()
    worker.deliver_due(backend=backend)
    db.session.expire_all()
    [row] = _to(ana)
    assert row.status == "queued" and "Le Loft" in row.body_text  # stored with the failure

    event.venue_name = "La Cave"  # edited after the first attempt
    db.session.commit()
    worker.deliver_due(backend=backend, now=utcnow() + timedelta(hours=1))
    [(first, _)] = backend.tried
    [second] = backend.kept
    assert second == first  # the same message, byte for byte


def test_a_notice_shows_the_event_as_it_is_when_written(app):
    event = make_event(make_group(), capacity=5, venue_name="Le Loft")
    ana = make_user()
    answers.answer(event, ana, True)
    event.venue_name = "La Cave"  # moved before the worker got to it
    db.session.commit()
    send_outbox()
    [row] = _to(ana)
    assert "La Cave" in row.body_text and "Le Loft" not in row.body_text


def test_waitlist_position_is_counted_when_written(app):
    event = make_event(make_group(), capacity=1)
    now = utcnow()
    ana, ben, cleo, dan = (make_user() for _ in range(4))
    for i, user in enumerate((ana, ben, cleo, dan)):
        answers.answer(event, user, True, now=now + timedelta(seconds=i))
    answers.answer(event, ben, False, now=now + timedelta(seconds=5))  # left the waitlist
    answers.answer(event, ana, False, now=now + timedelta(seconds=6))  # Cleo gets the seat
    db.session.commit()
    send_outbox()
    [cleo_waiting, _promoted] = _to(cleo)
    assert "number" not in cleo_waiting.body_text  # promoted since: no stale position
    assert "put on the waitlist" in cleo_waiting.body_text
    [dan_waiting] = _to(dan)
    assert "number 1 in line" in dan_waiting.body_text  # was 3rd, 1st when written


def test_a_late_written_invite_keeps_the_sequence_of_its_moment(app):
    event = make_event(make_group())
    ana = make_user()
    answers.answer(event, ana, True)
    answers.answer(event, ana, False)  # both changes before the worker writes either
    db.session.commit()
    send_outbox()
    request, cancel = _to(ana)
    assert (request.ics_method, cancel.ics_method) == ("REQUEST", "CANCEL")
    assert only_event(cancel.ics)["SEQUENCE"] > only_event(request.ics)["SEQUENCE"]


def test_a_notice_whose_rsvp_is_gone_is_not_sent(app):
    group = make_group()
    gone, kept = make_event(group), make_event(group)
    ana, ben = make_user(), make_user()
    answers.answer(gone, ana, True)
    answers.answer(kept, ben, True)
    db.session.commit()
    db.session.delete(gone)  # its RSVPs go with it; the queued notice stays
    db.session.commit()
    messages = send_outbox()
    assert [m["To"].addresses[0].addr_spec for m in messages] == [ben.email]
    [row] = _to(ana)
    assert row.status == "failed" and "no longer exists" in row.last_error


def test_a_broken_notice_fails_alone(app):
    event = make_event(make_group())
    ana = make_user()
    answers.answer(event, ana, True)
    db.session.commit()
    [row] = _to(ana)
    row.notice = {**row.notice, "kind": "exploded"}  # no such template
    db.session.commit()
    queue_messages(1, subject="Fine")
    messages = send_outbox()
    assert [m["Subject"] for m in messages] == ["Fine"]
    [row] = _to(ana)
    assert row.status == "failed" and "can't write the notice" in row.last_error
