"""An organizer emails the people of an event: who gets it, what it says, and sending twice."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from meetup.extensions import db
from meetup.models import OutboxMessage, utcnow
from meetup.services.errors import DomainError
from meetup.services.mail import attendee_email as announcements
from tests.factories import add_member, csrf_in, make_event, make_group, make_rsvp, make_user


@pytest.fixture
def world():
    olga = make_user("olga@example.org", name="Olga Organizer")
    group = make_group(olga, name="Rust Paris")
    event = make_event(group, title="Rust night", capacity=2)
    people = {
        status: make_user(f"{status}@example.org", name=status.title())
        for status in ("going", "came", "waitlisted", "not_going", "removed", "pending")
    }
    for status, person in people.items():
        add_member(group, person)
        rsvp = make_rsvp(event, person, status="going" if status == "came" else status)
        if status == "came":
            rsvp.checked_in_at = utcnow()
    db.session.commit()
    return olga, event, people


def _outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.to_addr)))


def _form_key(page: str) -> str:
    return re.search(r'name="form_key" type="hidden" value="([^"]+)"', page).group(1)


def _form(client, event, **fields) -> dict:
    """The message form as the page gives it, filled in."""
    page = client.get(f"/e/{event.key}/message").get_data(as_text=True)
    return {
        "audience": "going",
        "subject": "Doors open at 18:45",
        "body": "Bring your ID.\n\nThe room is on the 3rd floor.",
        "form_key": _form_key(page),
        **fields,
    }


def _post(client, event, **fields):
    return client.post(f"/e/{event.key}/message", data=_form(client, event, **fields))


@pytest.mark.parametrize(
    "audience, reached",
    [
        ("going", ["came", "going"]),
        ("everyone", ["came", "going", "waitlisted"]),
        ("came", ["came"]),
    ],
)
def test_each_audience_reaches_its_people_and_no_one_else(client, login, world, audience, reached):
    olga, event, _people = world
    login(client, olga)
    resp = _post(client, event, audience=audience)
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/e/{event.key}/attendees")
    assert [m.to_addr for m in _outbox()] == [f"{s}@example.org" for s in reached]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    people = "person" if len(reached) == 1 else "people"
    assert f"Your message is on its way to {len(reached)} {people}." in page


def test_the_email_says_who_wrote_what_and_for_which_event(client, login, world):
    olga, event, people = world
    login(client, olga)
    body = "Bring your ID.\n<script>alert(1)</script>\n\nThird floor."
    resp = _post(client, event, subject="Doors\r\nBcc: x@evil.example", body=body)
    assert resp.status_code == 303
    message = next(m for m in _outbox() if m.to_addr == "going@example.org")
    assert message.subject == "Rust night: Doors Bcc: x@evil.example"  # one line, no header
    assert message.group_id == event.group_id  # a failure shows on the group's mail page
    text = message.body_text
    assert text.startswith("Hi Going,")
    assert "Olga Organizer, organizer of Rust Paris, writes about this event:" in text
    assert "Bring your ID.\n<script>alert(1)</script>\n\nThird floor." in text
    assert f"/e/{event.key}" in text
    html = message.body_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "Bring your ID.<br>&lt;script&gt;" in html


def test_the_same_form_sent_twice_writes_to_everyone_once(client, login, world):
    olga, event, _people = world
    login(client, olga)
    data = _form(client, event)
    assert client.post(f"/e/{event.key}/message", data=data).status_code == 303
    again = client.post(f"/e/{event.key}/message", data=data, follow_redirects=True)
    assert "This message was already sent, to 2 people: nothing was sent again." in again.get_data(
        as_text=True
    )
    assert len(_outbox()) == 2
    # Wider the second time (the waitlist too): only the new person gets it.
    data["audience"] = "everyone"
    assert client.post(f"/e/{event.key}/message", data=data).status_code == 303
    assert len(_outbox()) == 3
    # A new form is a new message.
    assert _post(client, event).status_code == 303
    assert len(_outbox()) == 5


@pytest.mark.parametrize(
    "fields, error",
    [
        ({"subject": ""}, "This field is required."),
        ({"subject": "   "}, "Write a subject and a message."),
        ({"body": ""}, "This field is required."),
        ({"body": "x" * 5001}, "Field cannot be longer than 5000 characters."),
        ({"subject": "x" * 151}, "Field cannot be longer than 150 characters."),
        ({"audience": "everybody-ever"}, "Not a valid choice."),
        ({"form_key": "short"}, "This form is out of date: reload the page"),
        ({"form_key": ""}, "This form is out of date: reload the page"),
    ],
)
def test_a_bad_form_is_a_400_with_its_message_and_sends_nothing(
    client, login, world, fields, error
):
    olga, event, _people = world
    login(client, olga)
    resp = _post(client, event, **fields)
    assert resp.status_code == 400
    assert error in resp.get_data(as_text=True)
    assert _outbox() == []


def test_nobody_to_write_to_is_said_and_sends_nothing(client, login):
    olga = make_user(name="Olga")
    event = make_event(make_group(olga))
    db.session.commit()
    login(client, olga)
    page = client.get(f"/e/{event.key}/message").get_data(as_text=True)
    assert "People going (0)" in page
    # Nobody waiting, nobody checked in: those lists are not offered.
    assert "People going and on the waitlist" not in page and "People who came" not in page
    resp = _post(client, event)
    assert resp.status_code == 409
    assert "Nobody is in that list yet" in resp.get_data(as_text=True)
    assert _outbox() == []


def test_only_the_events_organizers_can_write(client, login, world):
    _olga, event, people = world
    resp = client.get(f"/e/{event.key}/message")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    login(client, people["going"])
    assert client.get(f"/e/{event.key}/message").status_code == 403
    resp = client.post(
        f"/e/{event.key}/message",
        data={"audience": "going", "subject": "Hi", "body": "Hi", "form_key": "k" * 24},
    )
    assert resp.status_code == 403
    assert client.get("/e/AAAAAAAAAAA/message").status_code == 404
    assert _outbox() == []


def test_posting_needs_the_csrf_token(csrf_on, client, login, world):
    olga, event, _people = world
    login(client, olga)
    page = client.get(f"/e/{event.key}/message").get_data(as_text=True)
    data = {"audience": "going", "subject": "Hi", "body": "Hi", "form_key": _form_key(page)}
    assert client.post(f"/e/{event.key}/message", data=data).status_code == 400
    data["csrf_token"] = csrf_in(page)
    assert client.post(f"/e/{event.key}/message", data=data).status_code == 303
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2


def test_the_attendee_list_links_to_it(client, login, world):
    olga, event, _people = world
    login(client, olga)
    page = client.get(f"/e/{event.key}/message").get_data(as_text=True)
    choices = ("People going (2)", "People going and on the waitlist (3)", "People who came (1)")
    assert all(choice in page for choice in choices)
    page = client.get(f"/e/{event.key}/attendees").get_data(as_text=True)
    assert f'href="/e/{event.key}/message"' in page


def test_the_service_refuses_what_the_form_would(app, world):
    olga, event, _people = world
    base = {"audience": "going", "subject": "Hi", "body": "Hi", "form_key": "k" * 24}
    for change, code in (
        ({"audience": "nobody"}, "bad_audience"),
        ({"body": " \n "}, "announcement_invalid"),
        ({"form_key": "../../etc"}, "announcement_invalid"),
    ):
        with pytest.raises(DomainError) as err:
            announcements.send(event, olga, **{**base, **change})
        assert err.value.code == code
    assert announcements.send(event, olga, **base) == announcements.Sent(queued=2, already=0)


def test_the_same_form_sent_twice_at_once_answers_both_and_writes_once(
    client, login, world, monkeypatch
):
    """The other request's INSERTs won the outbox's unique key between this one's check and
    its own INSERT: a database error, rolled back, and the send runs again to find them."""
    olga, event, _people = world
    login(client, olga)
    data = _form(client, event)
    real, calls = announcements.send, []

    def raced(*args, **kwargs):
        calls.append(kwargs["form_key"])
        if len(calls) == 1:
            real(*args, **kwargs)  # the other request's rows...
            db.session.commit()
            raise IntegrityError("INSERT INTO outbox", {}, Exception("duplicate dedupe_key"))
        return real(*args, **kwargs)

    monkeypatch.setattr(announcements, "send", raced)
    resp = client.post(f"/e/{event.key}/message", data=data, follow_redirects=True)
    assert resp.status_code == 200 and len(calls) == 2
    assert "This message was already sent, to 2 people" in resp.get_data(as_text=True)
    assert len(_outbox()) == 2


def test_named_guests_with_an_address_are_written_to_with_the_people_going(client, login):
    """A guest holding a ticket who gave an email is one of the people going: the form says
    so, they get the message once (named, in their own email), and a guest without an email
    or whose party waits gets nothing."""
    from meetup.services.events import answers
    from meetup.services.events.guests import GuestInput

    olga = make_user("olga@example.org", name="Olga Organizer")
    event = make_event(make_group(olga, name="Rust Paris"), capacity=4, max_guests=2)
    make_rsvp(event, make_user("going@example.org"), "going")

    def party(email: str, *guests: GuestInput) -> None:
        answers.answer(event, make_user(email), True, answers.Answers(guests=list(guests)))
        db.session.commit()

    party("ana@example.org", GuestInput("Bo Li", "bo@example.org"), GuestInput("Cy"))
    party("dan@example.org", GuestInput("Eve", "eve@example.org"))  # no room: waits
    db.session.query(OutboxMessage).delete()  # the tickets
    db.session.commit()

    login(client, olga)
    page = client.get(f"/e/{event.key}/message").get_data(as_text=True)
    assert "People going (2) and their 1 guest" in page
    resp = _post(client, event, audience="going")
    assert resp.status_code == 303
    sent = {m.to_addr: m for m in _outbox()}
    assert set(sent) == {"ana@example.org", "bo@example.org", "going@example.org"}
    assert sent["bo@example.org"].body_text.startswith("Hi Bo Li,")
    assert "Olga Organizer, organizer of Rust Paris, writes" in sent["bo@example.org"].body_text
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Your message is on its way to 3 people." in page
    form_key = sent["bo@example.org"].dedupe_key.split(":")[2]
    again = announcements.send(
        event, olga, audience="everyone", subject="s", body="b", form_key=form_key
    )
    assert again.already == 3 and again.queued == 1  # only Dan, waiting, is new
