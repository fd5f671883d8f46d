"""The door and named guests: a guest's own ticket is checked in on its own (by scan or from
the name list), answered "Guest of Ana", counted, and refused once the party loses its seats."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import CheckinLog, RsvpGuest, utcnow
from meetup.services.door import guests as door_guests
from meetup.services.door.checkin import Actor
from meetup.services.events import answers
from meetup.services.events.guests import GuestInput
from meetup.services.tokens import hash_token
from meetup.urls import ticket_url
from tests.factories import make_event, make_group, make_user

SAM = Actor("door:1", "Sam")


@pytest.fixture
def party(app):
    """Ana is going with her guest Bo (no email); the door is open."""
    organizer = make_user(name="Olga")
    event = make_event(
        make_group(organizer),
        title="Rust night",
        starts_at=utcnow().replace(second=0, microsecond=0) + timedelta(hours=1),
        capacity=10,
        max_guests=2,
    )
    ana = answers.answer(
        event, make_user(name="Ana"), True, answers.Answers(guests=[GuestInput("Bo")])
    )
    db.session.commit()
    [bo] = ana.guests
    return {"organizer": organizer, "event": event, "ana": ana, "bo": bo}


def test_a_guests_ticket_is_checked_in_on_its_own_and_answers_whose_guest(app, login, party):
    client = login(app.test_client(), party["organizer"])
    event, ana, bo = party["event"], party["ana"], party["bo"]
    assert len(bo.ticket_token) >= 22 and bo.ticket_token != ana.ticket_token

    resp = client.post(
        f"/e/{event.key}/checkin",
        json={"token": ticket_url(bo.ticket_token), "nonce": "nonce-0001"},
    )
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "checked_in"
    assert (body["name"], body["guest_of"], body["guest_id"]) == ("Bo", "Ana", bo.id)
    assert body["counts"] == {"checked_in": 1, "going": 2}  # Ana not yet: on her own
    db.session.expire_all()
    assert db.session.get(RsvpGuest, bo.id).checked_in_by == "Olga"
    assert db.session.get(type(ana), ana.id).checked_in_at is None
    log = db.session.scalar(select(CheckinLog).where(CheckinLog.nonce == "nonce-0001"))
    assert (log.guest_id, log.rsvp_id) == (bo.id, ana.id)

    again = client.post(
        f"/e/{event.key}/checkin", json={"token": bo.ticket_token, "nonce": "nonce-0002"}
    )
    assert again.get_json()["status"] == "already_checked_in"
    # The same nonce again: the first answer, nothing added.
    replay = client.post(
        f"/e/{event.key}/checkin", json={"token": bo.ticket_token, "nonce": "nonce-0001"}
    )
    assert replay.get_json()["status"] == "checked_in"
    # Ana's own ticket still works on its own.
    hers = client.post(
        f"/e/{event.key}/checkin", json={"token": ana.ticket_token, "nonce": "nonce-0003"}
    )
    assert hers.get_json()["counts"] == {"checked_in": 2, "going": 2}


def test_the_name_list_and_undo_know_guests(app, login, party):
    client = login(app.test_client(), party["organizer"])
    event, bo = party["event"], party["bo"]
    listed = client.get(f"/e/{event.key}/door/guests.json").get_json()["guests"]
    entry = next(g for g in listed if g["name"] == "Bo")
    assert entry["id"] == f"g{bo.id}" and entry["guest_of"] == "Ana"
    assert entry["hash"] == hash_token(bo.ticket_token) and entry["status"] == "going"
    assert [g["name"] for g in listed] == ["Ana", "Bo"]

    body = {"guest_id": bo.id, "method": "manual", "nonce": "nonce-0010"}
    assert client.post(f"/e/{event.key}/checkin", json=body).get_json()["status"] == "checked_in"
    undo = client.post(
        f"/e/{event.key}/checkin/undo", json={"guest_id": bo.id, "nonce": "nonce-0011"}
    )
    assert undo.status_code == 200 and undo.get_json()["status"] == "undone"
    db.session.expire_all()
    assert db.session.get(RsvpGuest, bo.id).checked_in_at is None
    # Another event's guest id is unknown here.
    other = make_event(make_group(party["organizer"]))
    stray = client.post(f"/e/{other.key}/checkin", json={**body, "nonce": "nonce-0012"})
    assert stray.get_json()["status"] == "not_found"


def test_a_guest_is_refused_once_their_host_cancels(app, login, party):
    event, ana, bo = party["event"], party["ana"], party["bo"]
    token = bo.ticket_token
    answers.answer(event, ana.user, False)
    db.session.commit()
    answer = door_guests.check_in(
        event, nonce="nonce-0020", actor=SAM, token=token, scanned_at=utcnow(), now=utcnow()
    )
    assert answer is None  # the token was cleared with the party's seats: not a ticket now
    client = login(app.test_client(), party["organizer"])
    body = {"guest_id": bo.id, "method": "manual", "nonce": "nonce-0021"}
    refused = client.post(f"/e/{event.key}/checkin", json=body).get_json()
    assert (refused["status"], refused["reason"], refused["name"]) == (
        "not_attending",
        "cancelled",
        "Bo",
    )


def test_a_guest_ticket_outside_the_door_window_is_refused_unless_overridden(app, party):
    event, bo = party["event"], party["bo"]
    early = event.starts_at - timedelta(days=2)
    answer = door_guests.check_in(
        event, nonce="nonce-0030", actor=SAM, token=bo.ticket_token, scanned_at=early, now=early
    )
    assert (answer["status"], answer["reason"], answer["guest_of"]) == (
        "outside_window",
        "too_early",
        "Ana",
    )
    organizer = Actor("user:1", "Olga", is_organizer=True)
    answer = door_guests.check_in(
        event,
        nonce="nonce-0031",
        actor=organizer,
        token=bo.ticket_token,
        scanned_at=early,
        now=early,
        override=True,
    )
    assert answer["status"] == "checked_in"


def test_the_counter_counts_only_this_events_guests(app, login, party):
    """Another event's guest checked in doesn't show on this door's counter (on PostgreSQL
    the counter is read with the event, in the same statement as the ticket)."""
    event, ana = party["event"], party["ana"]
    other = make_event(make_group(make_user()), starts_at=event.starts_at, capacity=5, max_guests=1)
    host = answers.answer(
        other, make_user(name="Kim"), True, answers.Answers(guests=[GuestInput("Lu")])
    )
    db.session.commit()
    door_guests.check_in(
        other,
        nonce="nonce-0040",
        actor=SAM,
        token=host.guests[0].ticket_token,
        scanned_at=utcnow(),
        now=utcnow(),
    )
    db.session.commit()
    assert db.session.get(RsvpGuest, host.guests[0].id).checked_in_at is not None
    client = login(app.test_client(), party["organizer"])
    body = {"token": ana.ticket_token, "nonce": "nonce-0041"}
    answer = client.post(f"/e/{event.key}/checkin", json=body).get_json()
    assert answer["counts"] == {"checked_in": 1, "going": 2}
