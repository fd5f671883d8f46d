"""Emails that carry a ticket show its QR code in the message itself, so the mail app has it
at a door with no signal. Delivered over real SMTP (aiosmtpd), the image decoded with zbar."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select

from meetup.extensions import db
from meetup.models import OutboxMessage, utcnow
from meetup.services.events import answers, seats
from meetup.services.mail import mime, reminders
from meetup.urls import ticket_url
from tests.factories import add_member, make_event, make_group, make_user, send_outbox


def deliver(app) -> None:
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output


def received_by(inbox, user) -> list[EmailMessage]:
    return [m for m in inbox.messages if m["To"].addresses[0].addr_spec == user.email]


def ticket_qr(message: EmailMessage) -> bytes | None:
    """The PNG the HTML shows inline, checking the MIME shape on the way; None if none."""
    html = message.get_body(("html",))
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    if not images:
        assert "cid:" not in html.get_content()
        return None
    [image] = images
    related = next(p for p in message.walk() if p.get_content_type() == "multipart/related")
    assert [p.get_content_type() for p in related.iter_parts()] == ["text/html", "image/png"]
    assert image["Content-ID"] == "<ticket-qr>"
    assert image.get_content_disposition() == "inline"
    assert 'src="cid:ticket-qr"' in html.get_content()
    assert "cid:" not in message.get_body(("plain",)).get_content()
    return image.get_content()


def decode(png: bytes, tmp_path: Path) -> str:
    path = tmp_path / "qr.png"
    path.write_bytes(png)
    return subprocess.run(
        ["zbarimg", "-q", "--raw", str(path)], check=True, capture_output=True, text=True
    ).stdout.strip()


def test_the_seat_emails_carry_the_ticket_qr_and_the_waitlist_email_none(smtp_app, tmp_path):
    app, inbox = smtp_app
    group = make_group(make_user())
    event = make_event(group, capacity=1)
    ana, ben = make_user(name="Ana"), make_user(name="Ben")
    for person in (ana, ben):
        add_member(group, person)
    seat = answers.answer(event, ana, True)
    answers.answer(event, ben, True)  # waitlisted
    db.session.commit()
    deliver(app)

    [going] = received_by(inbox, ana)
    assert decode(ticket_qr(going), tmp_path) == ticket_url(seat.ticket_token)
    [waiting] = received_by(inbox, ben)
    assert ticket_qr(waiting) is None  # no seat, no ticket to show

    answers.answer(event, ana, False)  # Ana can't come: Ben moves up
    db.session.commit()
    deliver(app)
    [cancelled] = received_by(inbox, ana)[1:]
    assert ticket_qr(cancelled) is None
    [promoted] = received_by(inbox, ben)[1:]
    ben_rsvp = seats.find(event.id, ben.id)
    assert decode(ticket_qr(promoted), tmp_path) == ticket_url(ben_rsvp.ticket_token)


def test_the_reminder_carries_the_ticket_qr(smtp_app, tmp_path):
    app, inbox = smtp_app
    group = make_group(make_user())
    # Ana answers before the reminder is due (inside it, her confirmation is the reminder).
    event = make_event(group, starts_at=utcnow() + timedelta(hours=30), reminder_hours=24)
    ana = make_user(name="Ana")
    add_member(group, ana)
    seat = answers.answer(event, ana, True)
    event.reminder_hours = 48  # then the reminder is due
    db.session.commit()
    assert reminders.send_reminders(utcnow()) == 1
    db.session.commit()
    deliver(app)
    reminder = next(m for m in received_by(inbox, ana) if m["Subject"].startswith("Reminder"))
    assert decode(ticket_qr(reminder), tmp_path) == ticket_url(seat.ticket_token)


def test_a_resent_ticket_email_is_the_same_bytes(app):
    event = make_event(make_group(make_user()))
    answers.answer(event, make_user(), True)
    [sent] = send_outbox()
    row = db.session.scalar(select(OutboxMessage))
    assert row.qr_url is not None  # stored with the written bodies: a retry sends it as is
    again = mime.message_bytes(row, str(sent["From"]))
    assert again == sent.as_bytes(policy=sent.policy.clone(linesep="\r\n"))
    assert ticket_qr(mime.build_message(row, str(sent["From"]))) is not None
