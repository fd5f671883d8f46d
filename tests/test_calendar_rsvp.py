"""RSVP notices carry the person's invite: REQUEST with a seat, CANCEL when it's gone."""

from __future__ import annotations

from sqlalchemy import select

from meetup.extensions import db
from meetup.models import OutboxMessage
from meetup.services.events import answers, attendees
from tests.factories import make_event, make_group, make_user, send_outbox
from tests.ical_check import only_event, parse


def _last_to(user) -> OutboxMessage:
    send_outbox()  # RSVP notices are written by the worker
    return db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.to_addr == user.email)
        .order_by(OutboxMessage.id.desc())
    ).first()


def _invite(message: OutboxMessage):
    assert message.ics and message.ics_method
    assert str(parse(message.ics)["METHOD"]) == message.ics_method
    return message.ics_method, only_event(message.ics)


def test_going_leaving_and_coming_back(app):
    event = make_event(make_group())
    user = make_user()
    answers.answer(event, user, True)
    db.session.commit()
    method, request = _invite(_last_to(user))
    assert method == "REQUEST"
    assert str(request["ATTENDEE"]) == f"mailto:{user.email}"
    assert request["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"

    answers.answer(event, user, False)
    db.session.commit()
    method, cancel = _invite(_last_to(user))
    assert method == "CANCEL"
    assert cancel["UID"] == request["UID"] and cancel["SEQUENCE"] > request["SEQUENCE"]

    answers.answer(event, user, True)
    db.session.commit()
    method, again = _invite(_last_to(user))
    assert method == "REQUEST"
    assert again["UID"] == request["UID"] and again["SEQUENCE"] > cancel["SEQUENCE"]


def test_waitlist_gets_no_invite_until_promoted(app):
    event = make_event(make_group(), capacity=1)
    first, second = make_user(), make_user()
    answers.answer(event, first, True)
    answers.answer(event, second, True)
    db.session.commit()
    waiting = _last_to(second)
    assert waiting.ics is None and waiting.ics_method is None
    answers.answer(event, first, False)
    db.session.commit()
    method, promoted = _invite(_last_to(second))
    assert method == "REQUEST"
    assert str(promoted["ATTENDEE"]) == f"mailto:{second.email}"
    assert _invite(_last_to(first))[0] == "CANCEL"


def test_removal_sends_a_cancel(app):
    organizer = make_user()
    event = make_event(make_group(organizer))
    user = make_user()
    row = answers.answer(event, user, True)
    db.session.commit()
    _, request = _invite(_last_to(user))
    attendees.remove(event, row.id)
    db.session.commit()
    method, cancel = _invite(_last_to(user))
    assert method == "CANCEL"
    assert cancel["UID"] == request["UID"] and cancel["SEQUENCE"] > request["SEQUENCE"]
