"""Invites end to end: services queue them, the worker delivers over real SMTP (aiosmtpd)."""

from __future__ import annotations

import email.message
from datetime import timedelta

from meetup.extensions import db
from meetup.models import utcnow
from meetup.services.events import answers
from meetup.services.events import editing as events
from meetup.timeutil import in_zone
from tests.factories import add_member, make_event, make_group, make_user
from tests.ical_check import only_event, parse


def _edit(event, **changes) -> events.EventInput:
    local = lambda dt: in_zone(dt, event.timezone).replace(tzinfo=None)  # noqa: E731
    data = events.EventInput(
        title=event.title,
        timezone=event.timezone,
        starts_local=local(event.starts_at),
        ends_local=local(event.ends_at),
        description=event.description,
        venue_name=event.venue_name,
        venue_address=event.venue_address,
        capacity=event.capacity,
        visibility=event.visibility,
        reminder_hours=None,
    )
    for name, value in changes.items():
        setattr(data, name, value)
    return data


def _invite_part(message: email.message.EmailMessage):
    """The text/calendar alternative beside text and HTML; checks the MIME shape on the way."""
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    types = [p.get_content_type() for p in alternative.iter_parts()]
    # A confirmation's HTML comes with its ticket's QR code (tests/test_door_ticket_emails.py).
    assert types in (
        ["text/plain", "text/html", "text/calendar"],
        ["text/plain", "multipart/related", "text/calendar"],
    )
    assert attachment.get_filename() == "invite.ics"
    return list(alternative.iter_parts())[2]


def test_invites_updates_and_cancellations_arrive_by_smtp(make_app, smtp_server):
    port, inbox = smtp_server
    app = make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with app.app_context(), app.test_request_context():
        organizer = make_user("org@example.org")
        group = make_group(organizer, name="Berlin Rust")
        start = (utcnow() + timedelta(days=30)).replace(minute=0, second=0, microsecond=0)
        event = make_event(group, starts_at=start, timezone="Europe/Berlin", reminder_hours=None)
        people = [make_user(f"p{i}@example.org", name=f"Person {i}") for i in range(2)]
        for person in people:
            add_member(group, person)
            answers.answer(event, person, True)  # the confirmation carries the invite
        db.session.commit()

        events.update_event(event, organizer, _edit(event, description="Now with pizza"))
        db.session.commit()  # the description alone: nothing sent
        later = _edit(event, venue_name="Bigger room")
        later.starts_local += timedelta(hours=1)
        later.ends_local += timedelta(hours=1)
        assert {"starts_at", "venue_name"} <= events.update_event(event, organizer, later)
        db.session.commit()
        assert events.cancel_event(event, organizer)
        db.session.commit()

        result = app.test_cli_runner().invoke(args=["worker", "--once"])
        assert result.exit_code == 0, result.output

    received = inbox.messages
    assert len(received) == 6  # per person: the invite, the update, the cancellation
    by_person: dict[str, list] = {}
    for message in received:
        part = _invite_part(message)
        ics = part.get_content()
        cal = parse(ics)
        assert part.get_param("method") == str(cal["METHOD"])
        vevent = only_event(ics)
        attendee = vevent["ATTENDEE"]
        assert not isinstance(attendee, list)  # one ATTENDEE per file: the recipient
        assert str(attendee) == f"mailto:{message['To'].addresses[0].addr_spec}"
        by_person.setdefault(str(attendee), []).append((str(cal["METHOD"]), vevent))
    assert len(by_person) == 2
    for sequence in by_person.values():
        sequence.sort(key=lambda item: item[1]["SEQUENCE"])
        assert [method for method, _ in sequence] == ["REQUEST", "REQUEST", "CANCEL"]
        assert len({str(v["UID"]) for _, v in sequence}) == 1
        numbers = [v["SEQUENCE"] for _, v in sequence]
        assert numbers == sorted(set(numbers))  # strictly rising
        assert sequence[1][1].decoded("DTSTART") == start + timedelta(hours=1)
        assert "Bigger room" in str(sequence[1][1]["LOCATION"])
        assert str(sequence[2][1]["STATUS"]) == "CANCELLED"
