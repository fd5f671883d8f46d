"""Approval-required events in the service: a request holds no seat; approval seats or
waitlists under the lock; decline emails kindly; withdraw; turning approval off; cancelling;
the digest; a Hypothesis state machine with approvals mixed into every other RSVP action."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import OutboxMessage, utcnow
from meetup.services.errors import DomainError
from meetup.services.events import answers, approval, attendees, editing, seats
from meetup.services.events.locking import lock_event
from meetup.services.insights import digest
from tests.factories import make_event, make_group, make_rsvp, make_user, send_outbox
from tests.test_events_rsvp_state_machine import PEOPLE, RsvpMachine


@pytest.fixture
def organizer(app):
    return make_user("org@example.org", name="Olga")


@pytest.fixture
def event(organizer):
    return make_event(make_group(organizer), capacity=2, requires_approval=True)


def _ask(event, n: int, start=None):
    start = start or utcnow()
    rows = []
    for i in range(n):
        user = make_user(f"p{i}@example.org", name=f"P{i}")
        rows.append(answers.answer(event, user, True, now=start + timedelta(seconds=i)))
        db.session.commit()
    return rows


def _subjects() -> list[tuple[str, str]]:
    send_outbox()
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [(m.to_addr, m.subject) for m in rows]


def test_a_request_holds_no_seat_no_ticket_and_no_email(event):
    (a,) = _ask(event, 1)
    assert (a.status, a.ticket_token) == ("requested", None)
    assert seats.going_count(event.id) == 0 and seats.counts(event.id)["requested"] == 1
    assert _subjects() == []
    # Asking again changes nothing; the answers are updated.
    again = answers.answer(event, a.user, True, answers.Answers(looking_for="a mentor"))
    db.session.commit()
    assert (again.id, again.status, again.looking_for) == (a.id, "requested", "a mentor")


def test_approve_seats_then_waitlists_in_request_order(event):
    rows = _ask(event, 4)
    # Chosen in any order: placed in request order, two seats, then the line.
    placed = approval.approve(event, [r.id for r in reversed(rows)])
    db.session.commit()
    assert [r.user.email for r in placed] == [f"p{i}@example.org" for i in range(4)]
    assert [r.status for r in placed] == ["going", "going", "waitlisted", "waitlisted"]
    assert all(r.ticket_token for r in placed[:2]) and not placed[2].ticket_token
    assert [seats.waitlist_position(r) for r in placed[2:]] == [1, 2]
    sent = _subjects()
    assert ("p0@example.org", "You're going: Monthly meetup") in sent
    assert ("p2@example.org", "You're on the waitlist: Monthly meetup") in sent
    # The approved on the waitlist are promoted as today: a seat freed goes to the head.
    answers.answer(event, placed[0].user, False)
    db.session.commit()
    db.session.refresh(placed[2])
    assert placed[2].status == "going"


def test_approving_a_decided_request_again_changes_nothing(event):
    (a,) = _ask(event, 1)
    approval.approve(event, [a.id])
    db.session.commit()
    assert approval.approve(event, [a.id]) == []
    assert approval.decline(event, [a.id]) == []
    assert a.status == "going"


def test_decline_sends_a_kind_email_and_nothing_else(event):
    a, b = _ask(event, 2)
    declined = approval.decline(event, [a.id])
    db.session.commit()
    assert [r.status for r in declined] == ["declined"]
    assert (a.ticket_token, seats.going_count(event.id)) == (None, 0)
    send_outbox()
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.subject == "About your request: Monthly meetup"
    assert "couldn’t offer you a place" in message.body_text
    assert message.ics is None and message.to_addr == "p0@example.org"
    # They can't ask again by themselves; the organizer may still approve them.
    with pytest.raises(DomainError) as err:
        answers.answer(event, a.user, True)
    assert err.value.code == "rsvp_declined"
    db.session.rollback()
    assert approval.approve(event, [a.id])[0].status == "going"


def test_withdraw_a_request(event):
    (a,) = _ask(event, 1)
    withdrawn = answers.answer(event, a.user, False)
    db.session.commit()
    assert withdrawn.status == "not_going"
    assert approval.approve(event, [a.id]) == []  # no longer pending
    # They may ask again: a new request.
    assert answers.answer(event, a.user, True).status == "requested"


def test_requests_follow_the_deadline_and_approval_stops_at_the_start(event):
    event.rsvp_deadline = utcnow() + timedelta(hours=1)
    db.session.commit()
    (a,) = _ask(event, 1)
    late = utcnow() + timedelta(hours=2)
    with pytest.raises(DomainError) as err:
        answers.answer(event, make_user(), True, now=late)
    assert err.value.code == "rsvp_closed"
    db.session.rollback()
    # The organizer still decides after the deadline, not once the event has started.
    with pytest.raises(DomainError) as err:
        approval.approve(event, [a.id], now=event.starts_at + timedelta(minutes=1))
    assert err.value.code == "event_started"
    db.session.rollback()
    assert approval.approve(event, [a.id], now=late)[0].status == "going"


def test_no_request_chosen_is_refused(event):
    with pytest.raises(DomainError) as err:
        approval.approve(event, [])
    assert err.value.code == "no_request_chosen"


def test_turning_approval_off_places_pending_requests_in_order(event, organizer):
    rows = _ask(event, 3)
    data = editing.EventInput(
        title=event.title,
        timezone=event.timezone,
        starts_local=event.starts_at.replace(tzinfo=None) + timedelta(hours=1),
        ends_local=event.ends_at.replace(tzinfo=None) + timedelta(hours=1),
        venue_name=event.venue_name,
        venue_address=event.venue_address,
        capacity=2,
        requires_approval=False,
    )
    changed = editing.update_event(event, organizer, data)
    db.session.commit()
    assert "requires_approval" in changed
    for r in rows:
        db.session.refresh(r)
    assert [r.status for r in rows] == ["going", "going", "waitlisted"]


def test_cancelling_tells_requesters(event, organizer):
    _ask(event, 1)
    editing.cancel_event(event, organizer)
    db.session.commit()
    assert ("p0@example.org", "Cancelled: Monthly meetup") in _subjects()


def _starting_at(event, hour: int, minute: int = 0):
    """Move `event` to start at hour:minute in its zone, five days from now."""
    from datetime import time

    from meetup.timeutil import local_to_utc

    day = (utcnow() + timedelta(days=5)).date()
    event.starts_at = local_to_utc(day, time(hour, minute), event.timezone)
    event.ends_at = event.starts_at + timedelta(hours=2)
    db.session.commit()
    return event.starts_at


def _closed_notes() -> list[OutboxMessage]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.like("request-closed:%"))
        )
    )


def test_requests_still_pending_at_the_start_are_closed_with_a_kind_note_once(event):
    """No request stays pending forever: when the event starts, each requester left waiting
    is told once, by the worker, that their request is closed; those decided hear nothing."""
    from meetup.worker import jobs

    start = _starting_at(event, 19)
    waiting, declined, approved = _ask(event, 3)
    approval.decline(event, [declined.id])
    approval.approve(event, [approved.id])
    db.session.commit()
    assert jobs.run_jobs(now=start - timedelta(minutes=1))["close_started"] == 0
    assert jobs.run_jobs(now=start + timedelta(minutes=1))["close_started"] == 1
    assert jobs.run_jobs(now=start + timedelta(minutes=2))["close_started"] == 0
    [note] = _closed_notes()
    assert note.to_addr == waiting.user.email
    assert note.subject == "About your request: Monthly meetup"
    assert "Monthly meetup has started, and your request to join could not be answered in time" in (
        note.body_text
    )
    assert note.next_attempt_at == start + timedelta(minutes=1)  # 19:01 there: sent at once
    with pytest.raises(DomainError) as err:  # and it can no longer be approved
        approval.approve(event, [waiting.id], now=start + timedelta(minutes=3))
    assert err.value.code == "event_started"


def test_a_note_that_would_come_at_night_waits_for_the_morning(event, organizer):
    from datetime import time

    from meetup.timeutil import in_zone, local_to_utc
    from meetup.worker import jobs

    start = _starting_at(event, 22, 30)
    _ask(event, 1)
    assert jobs.run_jobs(now=start)["close_started"] == 1
    [note] = _closed_notes()
    next_day = (in_zone(start, event.timezone) + timedelta(days=1)).date()
    assert note.next_attempt_at == local_to_utc(next_day, time(9), event.timezone)
    # A cancelled event told its requesters already; one long over is left as it is.
    now = utcnow()
    cancelled = make_event(event.group, requires_approval=True, starts_at=now + timedelta(hours=1))
    answers.answer(cancelled, make_user("q@example.org"), True)
    db.session.commit()
    editing.cancel_event(cancelled, organizer)
    old = make_event(event.group, requires_approval=True, starts_at=now - timedelta(days=3))
    make_rsvp(old, make_user("r@example.org"), "requested")
    db.session.commit()
    assert jobs.run_jobs(now=now + timedelta(hours=2))["close_started"] == 0


def test_hide_address_only_with_approval(event):
    data = editing.EventInput(
        title="T",
        timezone="Europe/Paris",
        starts_local=event.starts_at.replace(tzinfo=None),
        ends_local=event.ends_at.replace(tzinfo=None),
        hide_address=True,
    )
    assert editing.validated(data, now=utcnow(), previous=event)["hide_address"] is False
    data.requires_approval = True
    assert editing.validated(data, now=utcnow(), previous=event)["hide_address"] is True


def test_who_sees_a_hidden_address(event):
    event.hide_address = True
    a, b = _ask(event, 2)
    assert approval.address_hidden(event, None) and approval.address_hidden(event, a)
    assert not approval.address_hidden(event, None, organizer=True)
    approval.approve(event, [a.id])
    assert not approval.address_hidden(event, a)
    event.hide_address = False
    assert not approval.address_hidden(event, b)


def test_requests_show_each_persons_record_in_the_group(event):
    a, b = _ask(event, 2)
    past = make_event(event.group, starts_at=utcnow() - timedelta(days=10))
    make_rsvp(past, a.user, checked_in_at=past.starts_at)
    make_rsvp(make_event(event.group, starts_at=utcnow() - timedelta(days=3)), a.user)
    found = {r.rsvp.id: r.record for r in approval.requests(event)}
    # The request itself is not an RSVP held: two events, came to one, one no-show.
    assert (found[a.id].rsvped, found[a.id].came, found[a.id].no_shows) == (2, 1, 1)
    assert (found[b.id].rsvped, found[b.id].came) == (0, 0)


def test_the_digest_counts_pending_requests(event):
    start = utcnow() - timedelta(days=1)
    _ask(event, 2, start=start)
    changes = digest.changes(event.group_id, start - timedelta(minutes=1), utcnow())
    assert [(c.new, c.new_requests, c.requests, c.going) for c in changes] == [(0, 2, 2, 0)]


# ------------------------------------------------------------------ the state machine

person = st.integers(0, PEOPLE - 1)


class ApprovalMachine(RsvpMachine):
    """Every rule of the RSVP machine on an event that approves each RSVP, with approving
    and declining (one or many at once), and the switch turned off midway. Its invariants
    hold, and: a request never holds a seat or a ticket, nor a place in line."""

    def __init__(self):
        super().__init__()
        self.event.requires_approval = True
        db.session.commit()

    @rule(chosen=st.lists(person, min_size=1, max_size=PEOPLE, unique=True))
    def approve(self, chosen):
        ids = [r.id for r in (self.row_of(i) for i in chosen) if r is not None]
        if ids:
            self.step(lambda: approval.approve(self.event, ids, now=self.tick()))

    @rule(chosen=st.lists(person, min_size=1, max_size=3, unique=True))
    def decline(self, chosen):
        ids = [r.id for r in (self.row_of(i) for i in chosen) if r is not None]
        if ids:
            self.step(lambda: approval.decline(self.event, ids, now=self.tick()))

    @rule()
    def approval_off(self):
        def act():
            lock_event(self.event.id)
            self.event.requires_approval = False
            approval.admit_all(self.event, self.tick())

        self.step(act)

    @invariant()
    def requests_hold_nothing(self):
        for r in self.rows():
            if r.status in ("requested", "declined"):
                assert r.ticket_token is None and seats.waitlist_position(r) is None
        if not self.event.requires_approval:
            assert all(r.status != "requested" for r in self.rows())


def test_approval_state_machine(app):
    run_state_machine_as_test(
        ApprovalMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


def test_organizer_added_by_hand_skips_approval(event):
    """add() is the organizer's own choice: a seat at once, even from a pending request."""
    (a,) = _ask(event, 1)
    rsvp = attendees.add(event, a.user.email, a.user.name)
    assert (rsvp.id, rsvp.status) == (a.id, "going")


def test_a_request_shows_its_answers_and_guests_and_approval_seats_the_party_whole(
    event, organizer, client, login
):
    """Approval, questions and plus-ones together: the organizer reads what each asked with
    (answers, guests) and an approved party takes its seats whole or waits whole."""
    from meetup.services.events import questions
    from meetup.services.events.guests import GuestInput

    event.max_guests = 2
    diet = questions.add(event, "one_choice", "Dietary needs", options=["None", "Vegan"])
    db.session.commit()
    [single] = _ask(event, 1)  # asked first
    ana = make_user("ana@example.org", name="Ana")
    given = answers.Answers(
        questions={diet.id: "Vegan"}, guests=[GuestInput("Bo"), GuestInput("Cy")]
    )
    party = answers.answer(event, ana, True, given)
    db.session.commit()
    assert seats.of(event.id).going == 0  # requests hold no seats, parties included

    login(client, organizer)
    page = client.get(f"/e/{event.key}/requests").get_data(as_text=True)
    assert "<dt>Dietary needs</dt><dd>Vegan</dd>" in page
    assert "With 2 guests: Bo, Cy" in page

    # Two seats: the single request (first) is seated, the party of three waits whole.
    placed = {r.id: r.status for r in approval.approve(event, [single.id, party.id])}
    assert placed == {single.id: "going", party.id: "waitlisted"}
    assert seats.of(event.id).going == 1


def test_a_request_is_not_a_ticket_at_the_door(event):
    from meetup.services.door import checkin

    (a,) = _ask(event, 1)
    [guest] = [g for g in checkin.guest_list(event) if g["id"] == a.id]
    assert (guest["status"], guest["reason"], guest["hash"]) == ("requested", "pending", None)
    answer = checkin.check_in(
        event,
        nonce="nonce-approval-1",
        actor=checkin.Actor("door:1", "Sam"),
        rsvp_id=a.id,
        method="manual",
        now=event.starts_at,
    )
    assert (answer["status"], answer["reason"]) == ("not_attending", "pending")


def test_a_new_place_reaches_seats_with_the_address_and_the_waitlist_without(event, organizer):
    event.hide_address = True
    a, b, c = _ask(event, 3)
    approval.approve(event, [a.id, b.id, c.id])  # two seats, one waiting
    db.session.commit()
    send_outbox()
    data = editing.EventInput(
        title=event.title,
        timezone=event.timezone,
        starts_local=event.starts_at.astimezone(ZoneInfo(event.timezone)).replace(tzinfo=None),
        ends_local=event.ends_at.astimezone(ZoneInfo(event.timezone)).replace(tzinfo=None),
        venue_name="Le Comptoir",
        venue_address="7 Hidden Mews",
        capacity=2,
        requires_approval=True,
        hide_address=True,
    )
    editing.update_event(event, organizer, data)
    db.session.commit()
    send_outbox()
    moved = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.subject.like("New place%"))
    ).all()
    bodies = {m.to_addr: m.body_text + (m.body_html or "") for m in moved}
    assert (
        "7 Hidden Mews" in bodies["p0@example.org"] and "7 Hidden Mews" in bodies["p1@example.org"]
    )
    assert (
        "Hidden Mews" not in bodies["p2@example.org"] and "Le Comptoir" in bodies["p2@example.org"]
    )
