"""Named plus-ones in the service: a party is seated whole or waits whole, first come first
served (a larger party first in line isn't passed unless the organizer says so), guests are
added, renamed and removed by their host, and cancelling the host cancels the party."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from meetup.extensions import db
from meetup.models import Rsvp, RsvpGuest, utcnow
from meetup.services.errors import DomainError
from meetup.services.events import answers, attendees, parties, seats
from meetup.services.events.guests import GuestInput
from tests.factories import make_event, make_group, make_user

T0 = utcnow() - timedelta(minutes=30)


def at(minutes: int):
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def event(app):
    return make_event(make_group(make_user()), capacity=3, max_guests=3)


def rsvp(event, name: str, guests: int = 0, minute: int = 0, going: bool = True) -> Rsvp:
    party = [GuestInput(f"{name}'s guest {i + 1}") for i in range(guests)]
    row = answers.answer(
        event, make_user(name=name), going, answers.Answers(guests=party), now=at(minute)
    )
    db.session.commit()
    return row


def state(*rows: Rsvp) -> list[str]:
    for row in rows:
        db.session.refresh(row)
    return [row.status for row in rows]


def check_invariants(event) -> None:
    """Every party's size is 1 + its guest rows; seats never exceed capacity; guests hold a
    ticket exactly while their party is going."""
    db.session.expire_all()
    for row in db.session.scalars(select(Rsvp).where(Rsvp.event_id == event.id)):
        assert row.party_size == 1 + len(row.guests)
        for guest in row.guests:
            assert (guest.ticket_token is not None) == (row.status == "going")
    assert seats.going_count(event.id) <= event.capacity


def code_of(fn, *args, **kw) -> str:
    with pytest.raises(DomainError) as err:
        fn(*args, **kw)
    db.session.rollback()
    return err.value.code


def test_a_party_is_seated_whole_or_waits_whole(event):
    ana = rsvp(event, "Ana", guests=2)
    assert ana.status == "going" and ana.party_size == 3
    assert seats.going_count(event.id) == 3
    tickets = [g.ticket_token for g in ana.guests]
    assert all(tickets) and len(set(tickets)) == 2 and ana.ticket_token not in tickets
    assert all(len(t) >= 22 for t in tickets)  # >= 128 bits of urlsafe base64
    bo = rsvp(event, "Bo", guests=1, minute=1)
    assert bo.status == "waitlisted" and all(g.ticket_token is None for g in bo.guests)
    check_invariants(event)


def test_first_come_first_served_a_larger_party_first_in_line_is_not_passed(event):
    ana = rsvp(event, "Ana")  # 1 seat taken, 2 free
    bo = rsvp(event, "Bo", guests=2, minute=1)  # a party of 3: waits
    cy = rsvp(event, "Cy", minute=2)  # a party of 1 behind it: waits too, though 2 are free
    assert state(ana, bo, cy) == ["going", "waitlisted", "waitlisted"]
    assert seats.waitlist_position(cy) == 2
    answers.answer(event, ana.user, False, now=at(3))  # 3 free: the party of 3 first
    db.session.commit()
    assert state(ana, bo, cy) == ["not_going", "going", "waitlisted"]
    assert all(g.ticket_token for g in bo.guests)
    check_invariants(event)


def test_the_organizer_may_let_smaller_parties_past(event):
    event.parties_may_pass = True
    db.session.commit()
    ana = rsvp(event, "Ana")
    bo = rsvp(event, "Bo", guests=2, minute=1)
    cy = rsvp(event, "Cy", minute=2)  # passes the party of 3 that can't fit
    dee = rsvp(event, "Dee", minute=3)
    assert state(ana, bo, cy, dee) == ["going", "waitlisted", "going", "going"]
    answers.answer(event, cy.user, False, now=at(4))  # 1 free: Bo's party still can't fit
    db.session.commit()
    eve = rsvp(event, "Eve", minute=5)
    assert state(bo, eve) == ["waitlisted", "going"]
    check_invariants(event)


def test_the_organizer_seats_a_party_by_hand_out_of_turn(event):
    rsvp(event, "Ana")
    bo = rsvp(event, "Bo", guests=2, minute=1)
    cy = rsvp(event, "Cy", minute=2)
    attendees.promote(event, cy.id, now=at(3))  # one party past the larger one, by hand
    db.session.commit()
    assert state(bo, cy) == ["waitlisted", "going"]
    # Bo's party needs 3 seats, 1 is free: only with the override (over capacity).
    assert code_of(attendees.promote, event, bo.id, now=at(4)) == "no_free_seat"
    attendees.promote(event, bo.id, override=True, now=at(4))
    db.session.commit()
    assert state(bo) == ["going"] and seats.going_count(event.id) == 5


def test_too_many_guests_is_refused_before_anything_is_written(event):
    user = make_user()
    party = answers.Answers(guests=[GuestInput(f"G{i}") for i in range(4)])
    assert code_of(answers.answer, event, user, True, party) == "too_many_guests"
    blank = answers.Answers(guests=[GuestInput("  ", "guest@example.org")])
    assert code_of(answers.answer, event, user, True, blank) == "guest_name_required"
    bad = answers.Answers(guests=[GuestInput("Bo", "not an email")])
    assert code_of(answers.answer, event, user, True, bad) == "invalid_email"
    assert db.session.scalar(select(func.count(Rsvp.id))) == 0


def test_a_host_adds_renames_and_removes_guests(event):
    ana = rsvp(event, "Ana")
    bo = parties.add_guest(event, ana, GuestInput("Bo", "BO@example.org"), now=at(1))
    db.session.commit()
    assert bo.email == "bo@example.org" and bo.ticket_token and bo.consent_token
    assert ana.party_size == 2
    parties.rename_guest(event, ana, bo.id, GuestInput("Bo Li", "bo@example.org"), now=at(2))
    db.session.commit()
    assert db.session.get(RsvpGuest, bo.id).name == "Bo Li"
    cy = rsvp(event, "Cy", minute=3)  # the last seat
    # Full: the guest is refused and Ana keeps her seat (and Bo his).
    refused = parties.add_guest
    assert code_of(refused, event, ana, GuestInput("Dee"), now=at(4)) == "guest_no_seat"
    eve = rsvp(event, "Eve", minute=5)  # waits
    assert state(ana, cy, eve) == ["going", "going", "waitlisted"]
    # Removing Bo frees his seat, which goes to the head of the line at once.
    promoted = parties.remove_guest(event, ana, bo.id, now=at(6))
    db.session.commit()
    assert [r.id for r in promoted] == [eve.id]
    assert state(ana, eve) == ["going", "going"] and ana.party_size == 1
    assert code_of(parties.remove_guest, event, ana, bo.id, now=at(7)) == "guest_not_found"
    check_invariants(event)


def test_a_waiting_party_grows_and_shrinks_in_line_keeping_its_place(event):
    rsvp(event, "Ana", guests=2)  # full
    bo = rsvp(event, "Bo", minute=1)
    cy = rsvp(event, "Cy", minute=2)
    parties.add_guest(event, bo, GuestInput("Bo's friend"), now=at(3))
    db.session.commit()
    assert bo.party_size == 2 and seats.waitlist_position(bo) == 1
    assert seats.waitlist_position(cy) == 2
    check_invariants(event)


def test_guests_can_not_be_added_after_the_deadline_but_can_be_removed(event):
    event.rsvp_deadline = at(10)
    db.session.commit()
    ana = rsvp(event, "Ana", guests=1)
    guest = ana.guests[0]
    assert code_of(parties.add_guest, event, ana, GuestInput("Bo"), now=at(11)) == "rsvp_closed"
    parties.remove_guest(event, ana, guest.id, now=at(11))
    db.session.commit()
    assert ana.party_size == 1


def test_cancelling_the_host_cancels_the_party_and_frees_all_its_seats(event):
    ana = rsvp(event, "Ana", guests=2)
    bo = rsvp(event, "Bo", minute=1)
    cy = rsvp(event, "Cy", minute=2)
    answers.answer(event, ana.user, False, now=at(3))
    db.session.commit()
    assert state(ana, bo, cy) == ["not_going", "going", "going"]
    assert all(g.ticket_token is None for g in ana.guests)
    assert seats.going_count(event.id) == 2
    # Removed by an organizer: the same for the whole party.
    dee = rsvp(event, "Dee", guests=1, minute=4)
    assert dee.status == "waitlisted"
    attendees.remove(event, bo.id, now=at(5))
    db.session.commit()
    assert state(dee) == ["going"] and seats.going_count(event.id) == 3
    check_invariants(event)


def test_a_lapsed_claim_passes_the_seats_to_the_next_party_that_fits(event):
    event.claim_window_hours = 1
    db.session.commit()
    ana = rsvp(event, "Ana", guests=2)
    bo = rsvp(event, "Bo", guests=1, minute=1)
    answers.answer(event, ana.user, False, now=at(2))
    db.session.commit()
    assert state(bo) == ["going"] and bo.claim_expires_at is not None
    assert all(g.ticket_token for g in bo.guests)
    check_invariants(event)


def test_a_guest_is_introduced_only_after_saying_yes_by_their_own_link(app):
    from meetup.services.events import guests as guests_service
    from meetup.services.intros import proposals as intros

    start = utcnow().replace(microsecond=0) - timedelta(hours=3)
    event = make_event(make_group(make_user()), starts_at=start, hours=2, max_guests=1)
    ana = answers.answer(
        event,
        make_user(name="Ana"),
        True,
        answers.Answers(guests=[GuestInput("Bo", "bo@example.org")]),
        now=start - timedelta(days=1),
    )
    ben = answers.answer(event, make_user(name="Ben"), True, now=start - timedelta(days=1))
    bo = ana.guests[0]
    for checked_in in (ana, ben, bo):
        checked_in.checked_in_at = start + timedelta(minutes=10)
    db.session.commit()
    assert [u.name for _r, u in intros.attendees(event)] == ["Ana", "Ben"]  # no yes: not Bo

    guests_service.find_by_consent(bo.consent_token)  # the link works until the intros
    guests_service.save_consent(
        bo, looking_for="a data-engineering role", can_offer="", wants_intros=True, now=utcnow()
    )
    db.session.commit()
    names = [u.name for _r, u in intros.attendees(event)]
    assert sorted(names) == ["Ana", "Ben", "Bo"]
    pair = intros.add_pair(event, bo.user_id, ben.user_id, "Ben hires data engineers")
    assert {pair.user_a_id, pair.user_b_id} == {bo.user_id, ben.user_id}
    intros.ensure_proposals(event)  # the matcher reads Bo's answers as anyone's
    # Saying no again takes them out.
    guests_service.save_consent(bo, looking_for="", can_offer="", wants_intros=False, now=utcnow())
    assert "Bo" not in [u.name for _r, u in intros.attendees(event)]


def test_seating_a_waiting_party_by_hand_or_at_the_door_seats_it_whole(event):
    from meetup.services.door import checkin

    rsvp(event, "Ana", guests=1)  # 2 of 3 seats
    bo = rsvp(event, "Bo", guests=1, minute=1)  # a party of 2: waits
    assert code_of(attendees.add, event, bo.user.email, "Bo", now=at(2)) == "no_free_seat"
    # Bo arrives at the door with his guest: a walk-in needs the whole party's seats too.
    actor = checkin.Actor("door:1", "Sam")
    door_now = event.starts_at - timedelta(hours=1)
    walkin = checkin.register_walkin
    kw = {"nonce": "nonce-walkin-1", "actor": actor, "name": "Bo", "email": bo.user.email}
    assert code_of(walkin, event, now=door_now, **kw) == "event_full"
    organizer = checkin.Actor("user:1", "Olga", is_organizer=True)
    kw["actor"] = organizer
    assert walkin(event, override=True, now=door_now, **kw)["status"] == "checked_in"
    db.session.commit()
    assert state(bo) == ["going"] and all(g.ticket_token for g in bo.guests)
    check_invariants_over_capacity = seats.going_count(event.id)
    assert check_invariants_over_capacity == 4  # over capacity: the organizer's call


def test_answering_again_with_no_guests_leaves_the_old_ones_behind(event):
    ana = rsvp(event, "Ana", guests=2)
    answers.answer(event, ana.user, False, now=at(1))
    answers.answer(event, ana.user, True, answers.Answers(guests=[]), now=at(2))
    db.session.commit()
    assert state(ana) == ["going"] and ana.party_size == 1 and ana.guests == []
    check_invariants(event)


def test_a_cancelled_event_tells_its_guests_with_an_address(event):
    """As their hosts are told: a guest holding a ticket who gave an email hears it is off."""
    from meetup.models import OutboxMessage
    from meetup.services.events import editing

    party = [GuestInput("Bo Li", "bo@example.org"), GuestInput("Cy")]  # Cy gave no email
    host = answers.answer(event, make_user(name="Ana"), True, answers.Answers(guests=party))
    db.session.commit()
    assert host.status == "going"
    organizer = event.group.memberships[0].user
    assert editing.cancel_event(event, organizer)
    db.session.commit()
    [told] = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.to_addr == "bo@example.org", OutboxMessage.subject.like("Cancelled:%")
        )
    ).all()
    assert "is cancelled: the organizers called it off" in told.body_text
    assert "party no longer holds its seats" not in told.body_text
