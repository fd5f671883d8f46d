"""What the emails say, read as received over real SMTP (aiosmtpd) after the worker's pass:
where a seat given up went, a waitlist link that says it is one, what an update changed, one
message for a seat taken once the reminder is due, and the waitlist told of a cancellation
or a move."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from html import unescape

from meetup.extensions import db
from meetup.models import utcnow
from meetup.services.events import answers, waitlist
from meetup.services.events import editing as events
from tests.factories import make_event, make_group, make_rsvp, make_user
from tests.test_calendar_delivery import _edit


def deliver(app) -> None:
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output


def to(inbox, user) -> list[EmailMessage]:
    return [m for m in inbox.messages if m["To"].addresses[0].addr_spec == user.email]


def text(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def test_a_seat_given_up_is_said_to_go_on_only_when_it_does(smtp_app):
    app, inbox = smtp_app
    event = make_event(make_group(), capacity=1, reminder_hours=None)
    ana, ben, cleo = make_user(), make_user(), make_user()
    answers.answer(event, ana, True)
    answers.answer(event, ana, False)  # nobody waiting: the seat is simply free
    answers.answer(event, ben, True)
    answers.answer(event, cleo, True)  # waitlisted
    answers.answer(event, ben, False)  # Cleo gets it
    deliver(app)

    [_going, ana_cancelled] = to(inbox, ana)
    for body in (text(ana_cancelled), html(ana_cancelled)):
        assert "next person" not in body and "free again" in body
    [_going, ben_cancelled] = to(inbox, ben)
    for body in (text(ben_cancelled), html(ben_cancelled)):
        assert "gone to the next person on the waitlist" in body
    [_waiting, promoted] = to(inbox, cleo)
    assert promoted["Subject"].startswith("A seat opened up")

    answers.answer(event, cleo, False)
    dan = make_user()
    answers.answer(event, dan, True)  # seated: nobody was waiting
    answers.answer(event, make_user(), True)  # waitlisted behind Dan
    waiting = make_user()
    answers.answer(event, waiting, True)
    answers.answer(event, waiting, False)  # leaves the waitlist: never had a seat
    deliver(app)
    [_w, _m] = to(inbox, waiting)
    assert "off the waitlist" in text(_m) and "next person" not in text(_m)


def test_a_lapsed_claim_says_where_the_seat_went(smtp_app):
    app, inbox = smtp_app
    now = utcnow()
    event = make_event(make_group(), capacity=1, claim_window_hours=2, reminder_hours=None)
    ana, ben = make_user(), make_user()
    make_rsvp(event, ana, claim_expires_at=now - timedelta(minutes=1))
    waitlist.expire_claims(now)  # nobody waiting
    make_rsvp(event, ben, claim_expires_at=now - timedelta(minutes=1))
    cleo = make_user()
    make_rsvp(event, cleo, "waitlisted")
    waitlist.expire_claims(now)  # Cleo is next
    deliver(app)
    [ana_lapsed] = to(inbox, ana)
    assert "released" in text(ana_lapsed) and "next person" not in text(ana_lapsed)
    [ben_lapsed] = to(inbox, ben)
    assert "went to the next person in line" in text(ben_lapsed)


def test_a_link_to_join_a_full_event_says_it_is_the_waitlist(smtp_app):
    app, inbox = smtp_app
    event = make_event(make_group(), capacity=1, reminder_hours=None)
    answers.answer(event, make_user(), True)
    _rsvp, token = answers.request_by_email(event, "zoe@example.org", "Zoé")
    _rsvp, seat_token = answers.request_by_email(
        make_event(make_group(), reminder_hours=None), "yann@example.org", "Yann"
    )
    client = app.test_client()
    page = unescape(client.get(f"/rsvp/confirm/{token}").get_data(as_text=True))
    seat_page = unescape(client.get(f"/rsvp/confirm/{seat_token}").get_data(as_text=True))
    deliver(app)

    [waits] = [m for m in inbox.messages if m["To"].addresses[0].addr_spec == "zoe@example.org"]
    assert waits["Subject"] == f"Confirm you're joining the waitlist: {event.title}"
    assert "puts you on the waitlist" in text(waits) and "Join the waitlist" in html(waits)
    assert "Confirm: join the waitlist" in page and "I'm going" not in page
    [seat] = [m for m in inbox.messages if m["To"].addresses[0].addr_spec == "yann@example.org"]
    assert seat["Subject"].startswith("Confirm your RSVP") and "waitlist" not in text(seat)
    assert "Confirm: I'm going" in seat_page and "waitlist" not in seat_page


def test_an_update_says_what_it_was_and_what_it_is(smtp_app):
    app, inbox = smtp_app
    organizer = make_user()
    start = (utcnow() + timedelta(days=20)).replace(hour=17, minute=0, second=0, microsecond=0)
    event = make_event(
        make_group(organizer),
        starts_at=start,
        venue_name="Le Sucre",
        venue_address="50 Quai Rambaud, 69002 Lyon",
        reminder_hours=None,
    )
    ana = make_user()
    make_rsvp(event, ana)
    old_when = text_when(event)
    moved = _edit(event, venue_name="La Cordée")
    moved.starts_local += timedelta(days=1)
    moved.ends_local += timedelta(days=1)
    events.update_event(event, organizer, moved)
    db.session.commit()
    events.update_event(event, organizer, _edit(event, venue_address="12 Rue Ney, 69006 Lyon"))
    deliver(app)

    both, place = to(inbox, ana)
    assert both["Subject"] == f"New time and place: {event.title}"
    body = text(both)
    assert f"Before: {old_when}" in body and f"Now: {text_when(event)}" in body
    assert "Before: Le Sucre, 50 Quai Rambaud, 69002 Lyon" in body
    assert "Now: La Cordée, 50 Quai Rambaud, 69002 Lyon" in body
    assert "<s>Le Sucre, 50 Quai Rambaud, 69002 Lyon</s>" in html(both)
    assert place["Subject"] == f"New place: {event.title}"
    assert "Now: La Cordée, 12 Rue Ney, 69006 Lyon" in text(place)
    assert "Before:" in text(place) and old_when not in text(place)  # the time didn't move


def text_when(event) -> str:
    from meetup.services.calendar.invites import what_changed

    [(_label, _before, now)] = what_changed(event, {"starts_at": event.starts_at})
    return now


def test_a_seat_taken_once_the_reminder_is_due_gets_one_email(smtp_app):
    app, inbox = smtp_app
    soon = (utcnow() + timedelta(hours=3)).replace(microsecond=0)
    event = make_event(make_group(), starts_at=soon, reminder_hours=24)
    early, late = make_user(), make_user()
    make_rsvp(event, early)  # going before the reminder time: gets the reminder
    deliver(app)
    answers.answer(event, late, True)  # going inside the window
    deliver(app)
    deliver(app)  # and again: nothing more

    [reminder] = to(inbox, early)
    assert reminder["Subject"].startswith("Reminder:")
    [one] = to(inbox, late)
    assert one["Subject"].startswith("You're going")
    # Gone and back: the reminder was already their confirmation, the new one comes alone.
    answers.answer(event, late, False)
    answers.answer(event, late, True)
    deliver(app)
    assert [m["Subject"].split(":")[0] for m in to(inbox, late)] == [
        "You're going",
        "RSVP cancelled",
        "You're going",
    ]


def test_the_waitlist_is_told_of_a_move_and_of_a_cancellation(smtp_app):
    app, inbox = smtp_app
    organizer = make_user()
    event = make_event(make_group(organizer), capacity=1, reminder_hours=None)
    seated, waiting = make_user(), make_user()
    make_rsvp(event, seated)
    make_rsvp(event, waiting, "waitlisted")
    moved = _edit(event)
    moved.starts_local += timedelta(hours=1)
    moved.ends_local += timedelta(hours=1)
    events.update_event(event, organizer, moved)
    db.session.commit()
    events.cancel_event(event, organizer)
    deliver(app)

    update, cancel = to(inbox, waiting)
    assert update["Subject"] == f"New time: {event.title}"
    assert "still on its waitlist" in text(update) and "Before:" in text(update)
    assert cancel["Subject"] == f"Cancelled: {event.title}"
    assert "You were on its waitlist" in text(cancel)
    for message in (update, cancel):  # no invite: their calendar holds none
        assert not [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    seated_update, seated_cancel = to(inbox, seated)
    assert [p.get_param("method") for p in seated_cancel.walk() if p.get_param("method")] == [
        "CANCEL"
    ]
    assert "calendar entry is updated" in text(seated_update)


def test_an_update_is_worded_in_each_attendees_language(app):
    """The organizer edits in English: a French attendee's "what changed" lines (labels,
    dates, "Before:") are in French, an English one's in English."""
    from flask_babel import force_locale
    from sqlalchemy import select

    from meetup.models import OutboxMessage

    organizer = make_user()
    start = (utcnow() + timedelta(days=20)).replace(hour=17, minute=0, second=0, microsecond=0)
    event = make_event(make_group(organizer), starts_at=start, venue_name="Le Sucre")
    ana, bob = make_user(name="Ana"), make_user(name="Bob")
    ana.locale, bob.locale = "fr", "en"
    make_rsvp(event, ana)
    make_rsvp(event, bob)
    moved = _edit(event, venue_name="La Cordée")
    moved.starts_local += timedelta(days=1)
    moved.ends_local += timedelta(days=1)
    with force_locale("en"):
        events.update_event(event, organizer, moved)
    db.session.commit()
    body = dict(db.session.execute(select(OutboxMessage.to_addr, OutboxMessage.body_text)).all())
    french = body[ana.email].replace("\u00a0", " ")  # French puts a thin space before ":"
    assert "Quand\n  Avant :" in french and "Où\n  Avant : Le Sucre" in french
    assert "Before:" not in body[ana.email]
    assert "When\n  Before:" in body[bob.email] and "Where\n  Before: Le Sucre" in body[bob.email]


def test_named_guests_are_told_of_a_move_with_their_calendar_file(smtp_app):
    """A guest with an email holds a ticket and the event's file (services/events/guests.py):
    a move reaches them as it reaches their host, with the file updated; a guest of a party
    that waits holds neither and hears nothing."""
    import icalendar

    from meetup.services.events.guests import GuestInput

    app, inbox = smtp_app
    organizer = make_user()
    event = make_event(make_group(organizer), capacity=2, max_guests=1, reminder_hours=None)
    seated = answers.Answers(guests=[GuestInput("Bo Li", "bo@example.org")])
    waiting = answers.Answers(guests=[GuestInput("Cy Ng", "cy@example.org")])
    answers.answer(event, make_user(name="Ana"), True, seated)
    answers.answer(event, make_user(name="Dan"), True, waiting)  # no room for two: waits
    deliver(app)
    moved = _edit(event, venue_name="La Cordée")
    moved.starts_local += timedelta(hours=1)
    moved.ends_local += timedelta(hours=1)
    events.update_event(event, organizer, moved)
    deliver(app)

    [ticket, update] = [
        m for m in inbox.messages if m["To"].addresses[0].addr_spec == "bo@example.org"
    ]
    assert update["Subject"] == f"New time and place: {event.title}"
    body = text(update)
    assert body.startswith("Hi Bo Li,") and "Before:" in body and "Now: La Cordée" in body
    assert "/t/" in body  # their own ticket, unchanged

    def sequence(message: EmailMessage) -> int:
        [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        [vevent] = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
        return int(vevent["SEQUENCE"])

    assert sequence(update) > sequence(ticket)  # the calendar keeps the newer one
    assert not [m for m in inbox.messages if m["To"].addresses[0].addr_spec == "cy@example.org"]
