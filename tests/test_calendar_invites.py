"""Emailed invites: REQUEST on a seat, CANCEL when it's lost, updates and cancellations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event as sa_event
from sqlalchemy import select, update

from meetup import database
from meetup.extensions import db
from meetup.models import Event, OutboxMessage, utcnow
from meetup.services.calendar import invites
from meetup.services.events import answers
from meetup.services.events import waitlist as rsvp_waitlist
from tests.factories import make_event, make_group, make_rsvp, make_user, send_outbox
from tests.ical_check import only_event, parse

START = datetime(2031, 6, 5, 17, 0, tzinfo=UTC)
NOW = datetime(2031, 6, 1, 9, 0, tzinfo=UTC)


def _setup(**kw):
    group = make_group(name="Lisbon Devs")
    event = make_event(group, starts_at=START, timezone="Europe/Lisbon", **kw)
    return group, event


def _written(rsvp, kind: str, **kw) -> dict[str, str]:
    """The invite of an RSVP notice, as the worker writes it (ics, ics_method)."""
    notice = {**invites.for_notice(rsvp, kind), "ticket_token": rsvp.ticket_token}
    return invites.write_for_notice(notice, rsvp.event, rsvp.user, **kw)


def test_confirmation_carries_a_request_for_that_person_only(app):
    _, event = _setup()
    user = make_user("ana@example.org", name="Ana Lima")
    rsvp = make_rsvp(event, user)
    invite = _written(rsvp, "going", now=NOW)
    assert invite["ics_method"] == "REQUEST"
    cal = parse(invite["ics"])
    assert str(cal["METHOD"]) == "REQUEST"
    vevent = only_event(invite["ics"])
    attendees = vevent["ATTENDEE"]
    assert not isinstance(attendees, list), "one ATTENDEE per file"
    assert str(attendees) == "mailto:ana@example.org"
    assert attendees.params["PARTSTAT"] == "ACCEPTED"
    assert attendees.params["RSVP"] == "FALSE"
    assert attendees.params["CN"] == "Ana Lima"
    assert str(vevent["ORGANIZER"]) == "mailto:meetup@localhost"
    assert vevent["ORGANIZER"].params["CN"] == "Lisbon Devs"
    assert vevent["DTSTART"].params["TZID"] == "Europe/Lisbon"
    assert vevent.decoded("DTSTAMP") == NOW
    assert f"/t/{rsvp.ticket_token}" in str(vevent["DESCRIPTION"])
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert vevent.walk("VALARM")


def test_cancel_outranks_the_request_and_a_new_request_outranks_the_cancel(app):
    _, event = _setup()
    user = make_user()
    rsvp = answers.answer(event, user, True, member=True, now=NOW)
    first = only_event(_written(rsvp, "going", now=NOW)["ics"])
    answers.answer(event, user, False, now=NOW + timedelta(hours=1))
    cancel_kw = _written(rsvp, "cancelled", now=NOW + timedelta(hours=1))
    assert cancel_kw["ics_method"] == "CANCEL"
    assert str(parse(cancel_kw["ics"])["METHOD"]) == "CANCEL"
    cancel = only_event(cancel_kw["ics"])
    assert cancel["UID"] == first["UID"]
    assert cancel["SEQUENCE"] > first["SEQUENCE"]
    assert str(cancel["STATUS"]) == "CANCELLED"
    assert str(cancel["ATTENDEE"]) == str(first["ATTENDEE"])
    db.session.commit()
    # One person's seat changed nothing of the event, its sequence included: the feeds
    # that show it to everyone else stay as they were.
    db.session.expire_all()
    assert (event.starts_at, event.sequence) == (START, 0)
    rsvp = answers.answer(event, user, True, member=True, now=NOW + timedelta(hours=2))
    again = only_event(_written(rsvp, "going", now=NOW + timedelta(hours=2))["ics"])
    assert again["UID"] == first["UID"]
    assert again["SEQUENCE"] > cancel["SEQUENCE"]


def test_notices_without_a_calendar_change_carry_nothing(app):
    _, event = _setup()
    rsvp = make_rsvp(event, make_user(), "waitlisted")
    assert invites.for_notice(rsvp, "waitlisted") == {}
    rsvp.status = "not_going"
    assert invites.for_notice(rsvp, "cancelled", had_seat=False) == {}
    assert event.sequence == 0


def test_leaving_the_waitlist_cancels_nothing_in_a_calendar(app):
    """Only someone who held a seat has an invite to cancel. A CANCEL sent to someone who
    was waiting shows the event itself as cancelled in their mail and calendar."""
    from meetup.services.events import answers as rsvp_answers
    from meetup.services.events import attendees as attendee_list
    from meetup.services.events import seats

    event = make_event(make_group(), capacity=1)
    seated, waiting, removed = make_user(), make_user(), make_user()
    for person in (seated, waiting, removed):
        rsvp_answers.answer(event, person, True)
    db.session.commit()
    send_outbox()
    rsvp_answers.answer(event, waiting, False)  # says Can't go from the waitlist
    attendee_list.remove(event, seats.find(event.id, removed.id).id)  # taken off the waitlist
    rsvp_answers.answer(event, seated, False)  # gives the seat up: the only CANCEL
    db.session.commit()
    sent = {(m["To"], m["Subject"].split(":")[0]): m for m in send_outbox()}

    def calendar_parts(user, subject: str) -> list:
        [message] = [m for (to, subj), m in sent.items() if user.email in to and subj == subject]
        return [p for p in message.walk() if p.get_content_type() == "text/calendar"]

    assert calendar_parts(waiting, "RSVP cancelled") == []
    assert calendar_parts(removed, "You're no longer on the list") == []
    [cancel] = calendar_parts(seated, "RSVP cancelled")
    assert str(parse(cancel.get_content())["METHOD"]) == "CANCEL"


def test_promotion_and_lapsed_claim(app):
    _, event = _setup()
    rsvp = make_rsvp(event, make_user())
    assert _written(rsvp, "promoted")["ics_method"] == "REQUEST"
    rsvp.status = "waitlisted"
    assert _written(rsvp, "claim_expired")["ics_method"] == "CANCEL"
    assert _written(rsvp, "removed")["ics_method"] == "CANCEL"


def _outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_move_sends_every_going_attendee_an_update(app):
    _, event = _setup()
    going = [make_rsvp(event, make_user()) for _ in range(3)]
    make_rsvp(event, make_user(), "waitlisted")
    make_rsvp(event, make_user(), "not_going")
    before = only_event(_written(going[0], "going", now=NOW)["ics"])
    db.session.query(OutboxMessage).delete()

    was = {"starts_at": event.starts_at, "ends_at": event.ends_at}
    event.starts_at += timedelta(hours=1)
    event.ends_at += timedelta(hours=1)
    event.sequence += 1  # as services.events.editing.update_event does
    assert invites.send_update(event, was, now=NOW) == 4  # and the waitlisted one is told
    db.session.commit()
    sent = [m for m in _outbox() if m.ics]
    assert sorted(m.to_addr for m in sent) == sorted(r.user.email for r in going)
    for message in sent:
        assert message.ics_method == "REQUEST"
        assert "changed" in message.body_text
        vevent = only_event(message.ics)
        assert vevent["UID"] == before["UID"]
        assert vevent["SEQUENCE"] > before["SEQUENCE"]
        assert vevent.decoded("DTSTART") == START + timedelta(hours=1)
        assert str(vevent["ATTENDEE"]) == f"mailto:{message.to_addr}"


def test_a_description_edit_sends_nothing(app):
    _, event = _setup()
    make_rsvp(event, make_user())
    assert invites.send_update(event, {"description": "", "title": "Old"}, now=NOW) == 0
    assert invites.send_update(event, {}, now=NOW) == 0
    assert _outbox() == []


def test_correcting_the_place_of_an_event_that_is_over_emails_nobody(app):
    _, event = _setup()
    make_rsvp(event, make_user())
    after = event.ends_at + timedelta(days=1)
    was = {"venue_name": event.venue_name}
    event.venue_name, event.sequence = "The Loft (3rd floor)", event.sequence + 1
    assert invites.send_update(event, was, now=after) == 0
    # Moved to a date still to come, it is news again.
    was = {"starts_at": event.starts_at, "ends_at": event.ends_at}
    event.starts_at, event.ends_at = after + timedelta(days=7), after + timedelta(days=7, hours=2)
    assert invites.send_update(event, was, now=after) == 1


def test_cancelling_the_event_sends_cancels_with_the_same_uid(app):
    _, event = _setup()
    rsvp = make_rsvp(event, make_user())
    make_rsvp(event, make_user(), "waitlisted")
    request = only_event(_written(rsvp, "going", now=NOW)["ics"])
    db.session.query(OutboxMessage).delete()
    event.cancelled_at = NOW
    event.sequence += 1  # as services.events.editing.cancel_event does
    assert invites.send_cancellation(event, now=NOW) == 2  # the waitlisted one is told too
    (message,) = [m for m in _outbox() if m.ics]
    assert message.ics_method == "CANCEL" and message.to_addr == rsvp.user.email
    vevent = only_event(message.ics)
    assert vevent["UID"] == request["UID"]
    assert vevent["SEQUENCE"] > request["SEQUENCE"]
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert "cancelled" in message.body_text


def test_updates_are_set_based(app):
    _, event = _setup()

    def queries(n: int) -> int:
        for _ in range(n):
            make_rsvp(event, make_user())
        db.session.expire_all()
        statements = []
        listener = lambda *a: statements.append(a)  # noqa: E731
        sa_event.listen(db.engine, "before_cursor_execute", listener)
        try:
            fresh = db.session.get(type(event), event.id)
            invites.send_update(fresh, {"venue_name": "The Old Loft"}, now=NOW)
            db.session.commit()
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", listener)
        return len([s for s in statements if "SELECT" in str(s[2]).upper()[:20]])

    assert queries(2) == queries(20)


def test_a_lapsed_claims_cancel_counts_from_the_event_as_committed(app):
    """The worker may hold the event from earlier in its pass; a move committed since
    raised its sequence, and the CANCEL must still outrank the move's REQUEST."""
    event = make_event(make_group(make_user()), capacity=1, claim_window_hours=2)
    start = utcnow()
    first, second = make_user(), make_user()
    answers.answer(event, first, True, member=True, now=start)
    held = answers.answer(event, second, True, member=True, now=start)  # waitlisted
    answers.answer(event, first, False, now=start + timedelta(minutes=5))
    db.session.commit()
    assert (held.status, event.sequence) == ("going", 0)
    database.commit_writes(db.session)  # the worker's copy, read before the move
    with db.engine.begin() as other:  # an organizer moved it: sequence 7, REQUESTs sent
        other.execute(update(Event).where(Event.id == event.id).values(sequence=7))
    assert rsvp_waitlist.expire_claims(start + timedelta(hours=3)) == 1
    db.session.commit()
    notices = [m.notice for m in _outbox() if m.notice and m.notice["rsvp_id"] == held.id]
    cancel = next(n for n in notices if n.get("invite") == "CANCEL")
    assert cancel["sequence"] == 7 + held.invite_sequence > 7 + 1, notices
