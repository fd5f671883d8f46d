"""Named plus-ones over HTTP: the RSVP form's guests, the host's guest page, the ticket page,
a guest's ticket email (real SMTP) and introductions link, and the attendee CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Event, Rsvp, RsvpGuest, utcnow
from meetup.services.events import answers, seats
from meetup.services.events.guests import GuestInput
from meetup.urls import ticket_url
from tests.factories import make_event, make_group, make_user
from tests.test_door_ticket_emails import decode, deliver, ticket_qr


@pytest.fixture
def org(app):
    return make_user(name="Olga")


@pytest.fixture
def event(org):
    return make_event(make_group(org), capacity=3, max_guests=2, title="Rust night")


def _party(event, user) -> Rsvp:
    return db.session.scalar(select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.user_id == user.id))


def test_the_rsvp_form_brings_named_guests_and_the_ticket_shows_their_codes(client, login, event):
    ana = make_user(name="Ana")
    login(client, ana)
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert page.count('name="guest_name"') == 2  # max_guests rows
    form = {"answer": "going", "guest_name": ["Bo Li", ""], "guest_email": ["", ""]}
    assert client.post(f"/e/{event.key}/rsvp", data=form).status_code == 303
    rsvp = _party(event, ana)
    assert (rsvp.status, rsvp.party_size, [g.name for g in rsvp.guests]) == ("going", 2, ["Bo Li"])
    ticket = client.get(f"/t/{rsvp.ticket_token}").get_data(as_text=True)
    bo = rsvp.guests[0]
    assert "Bo Li" in ticket and f"/t/{bo.ticket_token}/qr.svg" in ticket
    own = client.get(f"/t/{bo.ticket_token}")
    assert own.status_code == 200 and "Guest of Ana" in own.get_data(as_text=True)
    qr = client.get(f"/t/{bo.ticket_token}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    # Too many guests: refused with a message, nothing written.
    cy = make_user(name="Cy")
    login(client, cy)
    form = {"answer": "going", "guest_name": ["A", "B", "C"], "guest_email": ["", "", ""]}
    resp = client.post(f"/e/{event.key}/rsvp", data=form)
    assert resp.status_code == 400 and "more guests" in resp.get_data(as_text=True)
    assert _party(event, cy) is None


def test_the_guest_page_adds_and_removes_and_refuses_a_guest_with_no_seat(client, login, event):
    ana, bo = make_user(name="Ana"), make_user(name="Bo")
    answers.answer(event, ana, True)
    answers.answer(event, bo, True)
    db.session.commit()
    login(client, ana)
    resp = client.post(
        f"/e/{event.key}/guests/add", data={"add-name": "Cy", "add-email": "cy@example.org"}
    )
    assert resp.status_code == 303
    assert seats.going_count(event.id) == 3
    # Full now: Dee is refused with a clear message, Ana keeps her seat and Cy his.
    resp = client.post(f"/e/{event.key}/guests/add", data={"add-name": "Dee", "add-email": ""})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "You keep your seat" in body
    db.session.expire_all()
    assert _party(event, ana).status == "going" and _party(event, ana).party_size == 2
    cy = db.session.scalar(select(RsvpGuest).where(RsvpGuest.name == "Cy"))
    # Someone else can't touch Ana's guests.
    login(client, bo)
    assert client.post(f"/e/{event.key}/guests/{cy.id}/remove").status_code == 404
    login(client, ana)
    assert client.post(f"/e/{event.key}/guests/{cy.id}/remove").status_code == 303
    assert seats.going_count(event.id) == 2
    # Signed out: sent to sign in; no RSVP: the unknown key's 404.
    login(client, make_user())
    assert client.get(f"/e/{event.key}/guests").status_code == 404


def test_a_guest_with_an_email_gets_their_ticket_and_intros_link(smtp_app, tmp_path, login):
    app, inbox = smtp_app
    event = make_event(make_group(make_user()), max_guests=1, title="Rust night")
    ana = make_user(name="Ana")
    rsvp = answers.answer(
        event, ana, True, answers.Answers(guests=[GuestInput("Bo Li", "bo@example.org")])
    )
    db.session.commit()
    guest = rsvp.guests[0]
    ticket = guest.ticket_token
    deliver(app)
    [mail] = [m for m in inbox.messages if m["To"].addresses[0].addr_spec == "bo@example.org"]
    assert mail["Subject"] == "Your ticket: Rust night"
    text = mail.get_body(("plain",)).get_content()
    assert "Hi Bo Li," in text and "Ana is bringing you to Rust night" in text
    assert decode(ticket_qr(mail), tmp_path) == ticket_url(guest.ticket_token)
    assert any(p.get_content_type() == "text/calendar" for p in mail.walk())
    link = re.search(r"http://localhost(/guest/[A-Za-z0-9_-]+/intros)", text).group(1)

    client = app.test_client()
    page = client.get(link)
    assert page.status_code == 200 and "Bo Li" in page.get_data(as_text=True)
    data = {"looking_for": "a co-founder", "can_offer": "Rust", "wants_intros": "y"}
    assert client.post(link, data=data).status_code == 303
    db.session.expire_all()
    saved = db.session.get(RsvpGuest, guest.id)
    assert saved.intro_consent_at is not None and saved.looking_for == "a co-founder"
    assert client.post(link, data={"looking_for": ""}).status_code == 303  # no: consent off
    db.session.expire_all()
    assert db.session.get(RsvpGuest, guest.id).intro_consent_at is None

    # Ana can't come after all: Bo's ticket stops working, and he is told so.
    assert client.get(f"/t/{ticket}").status_code == 200
    answers.answer(event, ana, False)
    db.session.commit()
    deliver(app)
    [cancelled] = [
        m
        for m in inbox.messages
        if m["To"].addresses[0].addr_spec == "bo@example.org" and "cancelled" in m["Subject"]
    ]
    assert "Ana's party no longer holds its seats" in cancelled.get_body(("plain",)).get_content()
    assert client.get(f"/t/{ticket}").status_code == 404

    assert client.get("/guest/not-a-real-token-at-all-xx/intros").status_code == 404
    assert client.get("/guest/%3Cscript%3E/intros").status_code == 404
    event.starts_at = utcnow() - timedelta(days=3)
    event.ends_at = utcnow() - timedelta(days=3) + timedelta(hours=2)
    db.session.commit()
    assert client.get(link).status_code == 410  # the introductions are under way


def test_the_attendee_list_and_csv_show_guests_under_their_host(client, login, org, event):
    ana = make_user(name="Ana")
    answers.answer(event, ana, True, answers.Answers(guests=[GuestInput("=Bo", "bo@example.org")]))
    db.session.commit()
    login(client, org)
    page = client.get(f"/e/{event.key}/attendees").get_data(as_text=True)
    assert "+1 guest" in page and "guest of Ana" in page
    resp = client.get(f"/e/{event.key}/attendees.csv")
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [(r["name"], r["guest_of"], r["status"]) for r in rows] == [
        ("Ana", "", "going"),
        ("'=Bo", "Ana", "going"),  # formulas neutralised, as for everyone
    ]


def test_the_event_form_sets_guests_per_person_and_letting_smaller_parties_past(client, login, org):
    from tests.test_events import form_data

    group = make_group(org, slug="rust-paris")
    login(client, org)
    data = form_data(max_guests="2", parties_may_pass="y")
    assert client.post(f"/g/{group.slug}/events/new", data=data).status_code == 302
    event = db.session.scalar(select(Event).where(Event.group_id == group.id))
    assert (event.max_guests, event.parties_may_pass) == (2, True)
    edit = client.get(f"/e/{event.key}/edit").get_data(as_text=True)
    assert 'name="max_guests"' in edit and 'value="2"' in edit
    data = form_data(max_guests="11")
    resp = client.post(f"/e/{event.key}/edit", data=data)
    assert resp.status_code == 400 and "between 0 and 10" in resp.get_data(as_text=True)


def test_a_signed_out_answer_brings_its_guests_through_the_emailed_link(client, event):
    from meetup.models import OutboxMessage

    form = {
        "answer": "going",
        "name": "Ana",
        "email": "ana@example.org",
        "guest_name": ["Bo Li", "Cy"],
        "guest_email": ["bo@example.org", ""],
    }
    assert client.post(f"/e/{event.key}/rsvp", data=form).status_code == 303
    body = db.session.scalar(select(OutboxMessage.body_text).order_by(OutboxMessage.id.desc()))
    token = re.search(r"/rsvp/confirm/([\w-]+)", body).group(1)
    assert client.post(f"/rsvp/confirm/{token}").status_code == 303
    rsvp = db.session.scalar(select(Rsvp).where(Rsvp.event_id == event.id))
    assert (rsvp.status, rsvp.party_size) == ("going", 3)
    assert [(g.name, g.email) for g in rsvp.guests] == [("Bo Li", "bo@example.org"), ("Cy", None)]
