"""Leaving the waitlist from the waitlist email's link, without signing in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import OutboxMessage, utcnow
from meetup.services.events import answers, leave_links
from meetup.services.events import seats as rsvp_seats
from tests.factories import csrf_in, make_event, make_group, make_user, send_outbox

LEAVE_LINK = re.compile(r"http://[^\s\"]+/rsvp/leave/([A-Za-z0-9_.-]+)")


@pytest.fixture
def line(app):
    """A 1-seat event: Ana has the seat, Ben then Cleo wait, each emailed."""
    event = make_event(make_group(), title="Rust night", capacity=1)
    ana, ben, cleo = (make_user(name=n) for n in ("Ana", "Ben", "Cleo"))
    seats = [answers.answer(event, person, True) for person in (ana, ben, cleo)]
    db.session.commit()
    return event, seats, send_outbox()


def _link(messages, user) -> str:
    """The leave link in `user`'s waitlist email, the same in its text and HTML parts."""
    [msg] = [
        m
        for m in messages
        if user.email in m["To"] and m["Subject"].startswith("You're on the waitlist")
    ]
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    [token] = set(LEAVE_LINK.findall(text))
    assert f"/rsvp/leave/{token}" in html
    return f"/rsvp/leave/{token}"


def _subjects(user) -> list[str]:
    return list(
        db.session.scalars(
            select(OutboxMessage.subject)
            .where(OutboxMessage.to_addr == user.email)
            .order_by(OutboxMessage.id)
        )
    )


def test_the_waitlist_email_has_a_link_that_leaves_the_line(client, csrf_on, line):
    event, (ana, ben, cleo), messages = line
    link = _link(messages, ben.user)
    page = client.get(link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Rust night" in html and "number 1 on the waitlist" in html
    assert ben.status == "waitlisted"  # showing the page (a mail scanner's visit) changes nothing

    assert client.post(link).status_code == 400  # CSRF, as for every POST
    resp = client.post(link, data={"csrf_token": csrf_in(html)})
    assert resp.status_code == 303 and resp.headers["Location"] == f"/e/{event.key}"
    db.session.expire_all()
    assert ben.status == "not_going" and cleo.status == "waitlisted" and ana.status == "going"
    assert rsvp_seats.waitlist_position(cleo) == 1  # Cleo moved up
    assert _subjects(ben.user)[-1] == "RSVP cancelled: Rust night"
    assert "You left the waitlist for Rust night" in client.get(f"/e/{event.key}").get_data(
        as_text=True
    )
    # used: the link now says so, for a look and for a second tap alike
    again = client.get(link)
    assert again.status_code == 410 and "no longer on this event" in again.get_data(as_text=True)
    assert client.post(link, data={"csrf_token": csrf_in(html)}).status_code == 410


def test_a_seat_that_came_meanwhile_is_kept(client, line):
    """Promoted between opening the page and tapping: the link must not give the seat up."""
    event, (ana, ben, _cleo), messages = line
    link = _link(messages, ben.user)
    client.get(link)
    answers.answer(event, ana.user, False)  # Ana can't come: Ben gets her seat
    db.session.commit()
    resp = client.post(link)
    assert resp.status_code == 410
    db.session.expire_all()
    assert ben.status == "going" and ben.ticket_token


def test_a_link_from_before_joining_again_does_not_work(client, line):
    event, (_ana, ben, _cleo), messages = line
    old = _link(messages, ben.user)
    answers.answer(event, ben.user, False)
    answers.answer(event, ben.user, True)  # back in line, at the end, with a new place
    db.session.commit()
    assert client.get(old).status_code == 404
    assert client.post(old).status_code == 404
    db.session.expire_all()
    assert ben.status == "waitlisted"
    new = _link(send_outbox(), ben.user)
    assert new != old and client.get(new).status_code == 200


@pytest.mark.parametrize(
    "mangle",
    [
        # a signature character changed (not the last: base64 leaves its low bits unused)
        lambda t: t[:-10] + ("A" if t[-10] != "A" else "B") + t[-9:],
        lambda t: "x" + t,
        lambda t: "not-a-token",
        lambda t: "A" * 500,
        lambda t: "W1tdXQ.abc",  # well-formed base64, bad signature
    ],
)
def test_forged_or_mangled_links_are_a_clear_404(client, line, mangle):
    _event, (_ana, ben, _cleo), messages = line
    token = _link(messages, ben.user).rsplit("/", 1)[1]
    for method in (client.get, client.post):
        resp = method(f"/rsvp/leave/{mangle(token)}")
        assert resp.status_code == 404
        assert "Use the one in your latest waitlist email" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert ben.status == "waitlisted"


def test_a_link_signed_for_another_purpose_or_key_is_refused(app, client, line):
    from itsdangerous import URLSafeSerializer

    _event, (_ana, ben, _cleo), _messages = line
    payload = [ben.id, ben.requested_at.isoformat()]
    for serializer in (
        URLSafeSerializer(app.secret_key, salt="something-else"),
        URLSafeSerializer("another-secret-key-of-some-length", salt="rsvp-leave-waitlist"),
    ):
        assert client.get(f"/rsvp/leave/{serializer.dumps(payload)}").status_code == 404


@pytest.mark.parametrize(
    "payload",
    [[2**63, "2031-01-01T00:00:00+00:00"], [0, "x"], [True, "x"], ["1", "x"], [1], {"a": 1}, None],
)
def test_a_well_signed_link_holding_nonsense_is_a_404_not_a_500(client, line, payload):
    """Only the server signs these; if one ever held a nonsense id, it is still no 500."""
    token = leave_links._leave_signer().dumps(payload)
    for method in (client.get, client.post):
        assert method(f"/rsvp/leave/{token}").status_code == 404


def test_once_the_event_is_on_the_link_changes_nothing(client, line):
    event, (_ana, ben, _cleo), messages = line
    link = _link(messages, ben.user)
    event.starts_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    resp = client.get(link)
    assert resp.status_code == 409 and "already started" in resp.get_data(as_text=True)
    assert client.post(link).status_code == 409
    db.session.expire_all()
    assert ben.status == "waitlisted"


def test_only_waitlist_emails_carry_the_link(line):
    _event, (ana, _ben, _cleo), messages = line
    [going] = [m for m in messages if ana.user.email in m["To"]]
    assert "/rsvp/leave/" not in going.as_string()
