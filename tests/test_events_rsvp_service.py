"""RSVP rules in the service: seats, waitlist, claims, tickets, organizer actions, emails."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from meetup.extensions import db
from meetup.models import LoginToken, OutboxMessage, Rsvp, User, utcnow
from meetup.services.errors import DomainError
from meetup.services.events import answers as rsvp_answers
from meetup.services.events import attendees
from meetup.services.events import notices as rsvp_notices
from meetup.services.events import seats as rsvp_seats
from meetup.services.events import waitlist as rsvp_waitlist
from tests.factories import (
    add_member,
    make_event,
    make_group,
    make_rsvp,
    make_user,
    send_outbox,
)


def _code(fn, *args, **kw) -> str:
    with pytest.raises(DomainError) as err:
        fn(*args, **kw)
    db.session.rollback()
    return err.value.code


def _mails(kind: str | None = None) -> list[OutboxMessage]:
    send_outbox()  # RSVP notices are written by the worker
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [m for m in rows if kind is None or kind in m.subject]


@pytest.fixture
def event(app):
    return make_event(make_group(make_user()), capacity=2)


def _going(event, n: int, start=None):
    start = start or utcnow()
    people = [make_user() for _ in range(n)]
    rows = []
    for i, user in enumerate(people):
        rows.append(rsvp_answers.answer(event, user, True, now=start + timedelta(seconds=i)))
        db.session.commit()
    return rows


def test_unique_event_person_constraint(event):
    user = make_user()
    make_rsvp(event, user)
    db.session.add(Rsvp(event_id=event.id, user_id=user.id, status="waitlisted"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_going_until_full_then_waitlist_in_order(event):
    a, b, c, d = _going(event, 4)
    assert [r.status for r in (a, b, c, d)] == ["going", "going", "waitlisted", "waitlisted"]
    assert rsvp_seats.waitlist_position(c) == 1 and rsvp_seats.waitlist_position(d) == 2
    assert a.ticket_token and len(a.ticket_token) >= 32 and c.ticket_token is None
    going_mail = _mails("You're going")[0]
    assert a.ticket_token in going_mail.body_text and "/t/" in going_mail.body_html
    # giving the seat up needs no sign-in: the ticket has it
    assert "Open your ticket and tap “Can't make it?”" in going_mail.body_text
    waitlist_mail = _mails("waitlist")[0]
    assert "number 1 in line" in waitlist_mail.body_text


def test_answers_prefilled_from_profile_and_saved_back(event):
    user = make_user(looking_for="A job in climate", can_offer="Rust mentoring", wants_intros=False)
    rsvp = rsvp_answers.answer(event, user, True)
    assert (rsvp.looking_for, rsvp.can_offer, rsvp.wants_intros) == (
        "A job in climate",
        "Rust mentoring",
        False,
    )
    rsvp_answers.answer(event, user, True, rsvp_answers.Answers("Co-founder", "Design", True))
    assert rsvp.looking_for == "Co-founder" and user.looking_for == "A job in climate"
    rsvp_answers.answer(
        event, user, True, rsvp_answers.Answers("Co-founder", "Design", True, save_to_profile=True)
    )
    assert user.looking_for == "Co-founder" and user.wants_intros is True
    long = rsvp_answers.answer(event, user, True, rsvp_answers.Answers("x" * 5000))
    assert len(long.looking_for) == rsvp_answers.MAX_ANSWER


def test_repeating_going_changes_nothing(event):
    (a,) = _going(event, 1)
    token = a.ticket_token
    again = rsvp_answers.answer(event, a.user, True)
    db.session.commit()
    assert again.id == a.id and again.status == "going" and again.ticket_token == token
    assert len(_mails("You're going")) == 1


def test_cancel_promotes_next_and_replaces_ticket(event):
    a, b, c = _going(event, 3)
    old_ticket = a.ticket_token
    rsvp_answers.answer(event, a.user, False)
    db.session.commit()
    assert a.status == "not_going" and a.ticket_token is None
    assert c.status == "going" and c.ticket_token
    promoted = _mails("seat opened up")
    assert len(promoted) == 1 and promoted[0].to_addr == c.user.email
    assert c.ticket_token in promoted[0].body_text
    assert len(_mails("RSVP cancelled")) == 1
    # Coming back: a new ticket, at the back of the line; the old ticket finds nothing.
    back = rsvp_answers.answer(event, a.user, True)
    db.session.commit()
    assert back.status == "waitlisted" and back.ticket_token is None
    assert db.session.scalar(select(Rsvp).where(Rsvp.ticket_token == old_ticket)) is None
    rsvp_answers.answer(event, b.user, False)
    db.session.commit()
    assert back.status == "going" and back.ticket_token not in (None, old_ticket)


def test_leaving_the_waitlist(event):
    _a, _b, c, d = _going(event, 4)
    rsvp_answers.answer(event, c.user, False)
    db.session.commit()
    assert c.status == "not_going" and rsvp_seats.waitlist_position(d) == 1


def test_cant_go_first_is_recorded_without_email(event):
    rsvp = rsvp_answers.answer(event, make_user(), False)
    db.session.commit()
    assert rsvp.status == "not_going" and _mails() == []


def test_capacity_increase_promotes_and_decrease_keeps_seats(event):
    a, b, c, d, e = _going(event, 5)
    promoted = attendees.set_capacity(event, 3)
    db.session.commit()
    assert [r.id for r in promoted] == [c.id]
    attendees.set_capacity(event, 1)
    db.session.commit()
    assert rsvp_seats.going_count(event.id) == 3  # nobody loses a seat
    rsvp_answers.answer(event, a.user, False)
    rsvp_answers.answer(event, b.user, False)
    db.session.commit()
    assert d.status == "waitlisted"  # 1 still going, capacity 1: no seat freed
    attendees.set_capacity(event, None)
    db.session.commit()
    assert d.status == "going" and e.status == "going"
    assert _code(attendees.set_capacity, event, -1) == "invalid_capacity"


def test_remove_promotes_and_blocks_coming_back(event):
    a, _b, c = _going(event, 3)
    attendees.remove(event, a.id)
    db.session.commit()
    assert a.status == "removed" and a.ticket_token is None and c.status == "going"
    assert len(_mails("no longer on the list")) == 1
    assert _code(rsvp_answers.answer, event, a.user, True) == "rsvp_removed"
    other = make_event(make_group(make_user()))
    assert _code(attendees.remove, other, c.id) == "rsvp_not_found"
    # Only a seat or a place in line is taken away: "can't go" has neither.
    rsvp_answers.answer(event, c.user, False)
    db.session.commit()
    assert _code(attendees.remove, event, c.id) == "not_removable"


def test_a_removal_is_undone_at_the_place_in_line_they_had(event):
    """Ana (first to ask) is removed: Cy gets her seat. Put back, she is first on the
    waitlist, ahead of Dee who asked after her, and the next free seat is hers."""
    ana, _ben, cy, dee = _going(event, 4)
    attendees.remove(event, ana.id)
    db.session.commit()
    assert cy.status == "going" and dee.status == "waitlisted"
    assert _code(attendees.reinstate, event, dee.id) == "not_removed"

    back = attendees.reinstate(event, ana.id)
    db.session.commit()
    assert back.status == "waitlisted" and back.ticket_token is None
    line = db.session.scalars(
        select(Rsvp.id)
        .where(Rsvp.event_id == event.id, Rsvp.status == "waitlisted")
        .order_by(Rsvp.requested_at, Rsvp.id)
    ).all()
    assert line == [ana.id, dee.id]
    waitlisted = _mails("You're on the waitlist")  # Cy's and Dee's when they asked, then Ana's
    assert [m.to_addr for m in waitlisted][-1] == ana.user.email and len(waitlisted) == 3

    attendees.set_capacity(event, 3)
    db.session.commit()
    assert ana.status == "going" and ana.ticket_token and dee.status == "waitlisted"
    rsvp_answers.answer(event, ana.user, False)  # answering is hers again
    db.session.commit()
    assert ana.status == "not_going" and dee.status == "going"


def test_a_removal_undone_with_a_seat_free_gives_the_seat(event):
    ana, _ben = _going(event, 2)
    attendees.remove(event, ana.id)
    db.session.commit()  # nobody waits: the seat stays free
    back = attendees.reinstate(event, ana.id)
    db.session.commit()
    assert back.status == "going" and back.ticket_token
    assert len(_mails("A seat opened up")) == 1


def test_promote_by_hand_needs_override_when_full(event):
    a, b, c, d = _going(event, 4)
    assert _code(attendees.promote, event, d.id) == "no_free_seat"
    assert _code(attendees.promote, event, a.id) == "not_waitlisted"
    attendees.promote(event, d.id, override=True)
    db.session.commit()
    assert d.status == "going" and rsvp_seats.going_count(event.id) == 3
    # The excess is absorbed by the next cancellation: c keeps waiting.
    rsvp_answers.answer(event, a.user, False)
    db.session.commit()
    assert c.status == "waitlisted"
    rsvp_answers.answer(event, b.user, False)
    db.session.commit()
    assert c.status == "going"


def test_deadline_start_and_cancellation(app):
    group = make_group(make_user())
    now = utcnow()
    closed = make_event(group, rsvp_deadline=now - timedelta(minutes=1), capacity=5)
    keeper = make_rsvp(closed, make_user())
    assert _code(rsvp_answers.answer, closed, make_user(), True) == "rsvp_closed"
    # After the deadline people can still say they can't go.
    assert rsvp_answers.answer(closed, keeper.user, False).status == "not_going"
    started = make_event(group, starts_at=now - timedelta(minutes=5))
    assert _code(rsvp_answers.answer, started, make_user(), True) == "event_started"
    cancelled = make_event(group, cancelled_at=now)
    assert _code(rsvp_answers.answer, cancelled, make_user(), True) == "event_cancelled"
    assert _code(attendees.set_capacity, started, 10) == "event_started"


def test_members_only(app):
    group = make_group(make_user())
    event = make_event(group, visibility="members")
    outsider, member = make_user(), make_user()
    add_member(group, member)
    assert _code(rsvp_answers.answer, event, outsider, True) == "members_only"
    assert rsvp_answers.answer(event, member, True).status == "going"
    assert (
        _code(rsvp_answers.request_by_email, event, "x@example.org", "X") == "members_only_sign_in"
    )


def test_signed_out_request_holds_place_in_line(event):
    start = utcnow()
    rsvp, token = rsvp_answers.request_by_email(
        event, "Ana@Example.org", "Ana", rsvp_answers.Answers("A job", "Python"), now=start
    )
    db.session.commit()
    assert rsvp.status == "pending" and rsvp.requested_at == start
    assert rsvp.user.email == "ana@example.org" and rsvp.looking_for == "A job"
    link = db.session.scalar(select(LoginToken))
    assert link.purpose == "rsvp" and link.payload["rsvp_id"] == rsvp.id
    mail = _mails("Confirm your RSVP")[0]
    assert f"/rsvp/confirm/{token}" in mail.body_text and mail.to_addr == "ana@example.org"
    # Two others fill the event, and a third waits, all after Ana asked.
    _going(event, 3, start=start + timedelta(seconds=10))
    assert rsvp_answers.peek_link(token).id == rsvp.id
    placed = rsvp_answers.confirm_by_link(token, now=start + timedelta(minutes=1))
    db.session.commit()
    assert placed.status == "waitlisted" and rsvp_seats.waitlist_position(placed) == 1
    assert placed.user.email_confirmed_at is not None
    assert _code(rsvp_answers.confirm_by_link, token) == "link_used"


def test_signed_out_request_confirmed_gets_seat(event):
    rsvp, token = rsvp_answers.request_by_email(event, "bo@example.org", "Bo")
    db.session.commit()
    assert rsvp_answers.confirm_by_link(token).status == "going" and rsvp.ticket_token


def test_signed_out_request_for_existing_going_person_changes_nothing(event):
    (a,) = _going(event, 1)
    rsvp, token = rsvp_answers.request_by_email(event, a.user.email, "Someone")
    db.session.commit()
    assert rsvp.id == a.id and rsvp.status == "going"
    assert rsvp_answers.confirm_by_link(token).status == "going"


def test_stale_pending_request_loses_its_place(event):
    old = utcnow() - timedelta(hours=2)
    rsvp, _ = rsvp_answers.request_by_email(event, "cy@example.org", "Cy", now=old)
    db.session.commit()
    rsvp_answers.request_by_email(event, "cy@example.org", "Cy")
    assert rsvp.requested_at > old + timedelta(hours=1)


def test_claim_window_passes_unclaimed_seats_on(app):
    event = make_event(make_group(make_user()), capacity=1, claim_window_hours=2)
    start = utcnow()
    a, b, c = _going(event, 3, start=start)
    rsvp_answers.answer(event, a.user, False, now=start + timedelta(minutes=5))
    db.session.commit()
    assert b.status == "going" and b.claim_expires_at == start + timedelta(minutes=5, hours=2)
    mail = _mails("seat opened up")[-1]
    assert f"/e/{event.key}/claim/{b.ticket_token}" in mail.body_text
    assert rsvp_waitlist.expire_claims(start + timedelta(hours=1)) == 0
    assert rsvp_waitlist.expire_claims(start + timedelta(hours=3)) == 1
    db.session.commit()
    assert b.status == "not_going" and b.ticket_token is None
    assert c.status == "going" and c.claim_expires_at is not None
    assert len(_mails("held seat was released")) == 1
    rsvp_waitlist.claim(c, now=start + timedelta(hours=3, minutes=1))
    db.session.commit()
    assert c.claim_expires_at is None
    assert rsvp_waitlist.expire_claims(start + timedelta(hours=9)) == 0


def test_claim_expiry_is_capped_at_the_start(app):
    starts = utcnow() + timedelta(hours=1)
    event = make_event(make_group(make_user()), capacity=1, claim_window_hours=24, starts_at=starts)
    a, b = _going(event, 2)
    rsvp_answers.answer(event, a.user, False)
    assert b.claim_expires_at == starts


def test_going_again_claims_the_held_seat(app):
    event = make_event(make_group(make_user()), capacity=1, claim_window_hours=2)
    a, b = _going(event, 2)
    rsvp_answers.answer(event, a.user, False)
    assert b.claim_expires_at is not None
    rsvp_answers.answer(event, b.user, True)
    assert b.claim_expires_at is None and b.status == "going"


def test_every_state_change_email_goes_through_notify(event, monkeypatch):
    kinds = []
    real = rsvp_notices.notify
    monkeypatch.setattr(
        rsvp_notices,
        "notify",
        lambda r, k, now=None, **kw: kinds.append(k) or real(r, k, now, **kw),
    )
    a, b, c = _going(event, 3)
    rsvp_answers.answer(event, a.user, False)
    attendees.remove(event, c.id)
    rsvp_answers.answer(event, b.user, False)
    assert kinds == [
        "going",
        "going",
        "waitlisted",
        "promoted",  # the seat is handed on first: the cancellation says where it went
        "cancelled",
        "removed",
        "cancelled",
    ]
    assert len(_mails()) == len(kinds)


def test_the_worker_expires_claims(app):
    from meetup.worker.jobs import JOBS, run_jobs

    assert rsvp_waitlist.expire_claims in JOBS
    event = make_event(make_group(make_user()), capacity=1, claim_window_hours=1)
    start = utcnow()
    a, b, c = _going(event, 3, start=start)
    rsvp_answers.answer(event, a.user, False, now=start)
    db.session.commit()
    assert run_jobs(start + timedelta(hours=2))["expire_claims"] == 1
    db.session.expire_all()
    assert b.status == "not_going" and c.status == "going"
    assert run_jobs(start + timedelta(hours=2))["expire_claims"] == 0


def test_raising_capacity_in_the_event_form_promotes(app):
    from zoneinfo import ZoneInfo

    from meetup.services.events import editing as events

    org = make_user()
    event = make_event(make_group(org), capacity=1, timezone="Europe/Paris")
    _a, b = _going(event, 2)
    local = event.starts_at.astimezone(ZoneInfo("Europe/Paris")).replace(tzinfo=None)
    data = events.EventInput(
        title=event.title,
        timezone=event.timezone,
        starts_local=local,
        ends_local=local + timedelta(hours=2),
        venue_name=event.venue_name,
        venue_address=event.venue_address,
        capacity=2,
    )
    assert "capacity" in events.update_event(event, org, data)
    assert b.status == "going" and b.ticket_token


def test_an_organizer_adds_someone_by_hand(event):
    """A speaker who never RSVP'd: a seat, a ticket by email with the calendar invite. The
    deadline and members-only bind answers, not organizers."""
    event.visibility = "members"
    event.rsvp_deadline = utcnow() - timedelta(hours=1)
    db.session.commit()
    rsvp = attendees.add(event, " Lena@Example.org ", "Lena Vogel")
    db.session.commit()
    assert rsvp.status == "going" and rsvp.ticket_token and rsvp.claim_expires_at is None
    assert rsvp.user.email == "lena@example.org" and rsvp.user.name == "Lena Vogel"
    (mail,) = _mails("You're on the list")
    assert mail.to_addr == "lena@example.org"
    assert "put you on the list" in mail.body_text and rsvp.ticket_token in mail.body_text
    assert mail.ics_method == "REQUEST"


def test_adding_by_hand_needs_a_free_seat_or_the_override(event):
    a, b, c = _going(event, 3)  # capacity 2: c waits
    assert _code(attendees.add, event, "dan@example.org", "Dan") == "no_free_seat"
    assert db.session.scalar(select(User).where(User.email == "dan@example.org")) is None
    dan = attendees.add(event, "dan@example.org", "Dan", override=True)
    db.session.commit()
    assert dan.status == "going" and rsvp_seats.going_count(event.id) == 3
    # someone waiting is seated and keeps their first request time
    asked = c.requested_at
    assert attendees.add(event, c.user.email, "", override=True).id == c.id
    assert c.status == "going" and c.requested_at == asked


def test_adding_by_hand_refuses_the_going_the_removed_and_a_closed_list(event):
    (a,) = _going(event, 1)
    assert _code(attendees.add, event, a.user.email, "A") == "already_going"
    attendees.remove(event, a.id)
    db.session.commit()
    assert _code(attendees.add, event, a.user.email, "A") == "add_removed"
    event.cancelled_at = utcnow()
    db.session.commit()
    assert _code(attendees.add, event, "new@example.org", "New") == "event_cancelled"
    assert db.session.scalar(select(User).where(User.email == "new@example.org")) is None
