"""Names and titles people read are refused when nothing in them is visible, or when they
hold a character that reverses the text around it: every form with one, and the services
behind the event and group forms, and member imports."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import DoorLink, Event, Group, Invite, OutboxMessage, RsvpGuest, User
from meetup.services.community import groups, invite_links
from meetup.services.community.member_import import plain_text
from meetup.services.errors import DomainError
from meetup.services.events import guests
from meetup.services.text import refusal
from tests.factories import make_event, make_group, make_invite, make_rsvp, make_user
from tests.test_events import form_data
from tests.test_mail_attendee_email import _form as message_form

BAD = {
    "zero_width": ("\u200b\u200c\u200d\u2060\ufeff", "visible letters"),
    "hangul_filler": ("\u3164 \u3164", "visible letters"),
    "override": ("Ana\u202egnp.exe", "reverses the direction"),
    "isolate": ("\u2067Olga\u2069", "reverses the direction"),
}


def _stored(value: str) -> list[str]:
    """Where `value` was stored, if anywhere."""
    columns = (Event.title, Event.venue_name, Event.venue_address, Group.name, User.name,
               User.headline, User.company, RsvpGuest.name, Invite.label, DoorLink.label,
               OutboxMessage.subject)  # fmt: skip
    return [str(c) for c in columns if db.session.scalar(select(c).where(c.contains(value)))]


@pytest.fixture
def world(app, login):
    organizer = make_user(name="Olga")
    group = make_group(organizer)
    event = make_event(group, capacity=10, max_guests=2)
    make_rsvp(event, make_user())
    client = login(app.test_client(), organizer)
    return client, group, event


FORMS = {
    "event title": lambda c, g, e, v: c.post(f"/g/{g.slug}/events/new", data=form_data(title=v)),
    "event venue": lambda c, g, e, v: c.post(f"/e/{e.key}/edit", data=form_data(venue_name=v)),
    "venue address": lambda c, g, e, v: c.post(f"/e/{e.key}/edit",
                                               data=form_data(venue_address=v)),
    "group name": lambda c, g, e, v: c.post("/groups/new", data={"name": v, "platform": "slack"}),
    "group rename": lambda c, g, e, v: c.post(f"/g/{g.slug}/edit", data={"name": v,
                                                                        "platform": "slack"}),
    "profile name": lambda c, g, e, v: c.post("/profile", data={"name": v}),
    "profile company": lambda c, g, e, v: c.post("/profile", data={"name": "Olga", "company": v}),
    "profile headline": lambda c, g, e, v: c.post("/profile", data={"name": "Olga",
                                                                    "headline": v}),
    "joining by invite": lambda c, g, e, v: c.post(
        f"/join/{make_invite(make_group(make_user())).code}", data={"name": v}
    ),
    "guest brought along": lambda c, g, e, v: c.post(
        f"/e/{e.key}/rsvp", data={"answer": "going", "guest_name": [v], "guest_email": [""]}
    ),
    "invite label": lambda c, g, e, v: c.post(f"/g/{g.slug}/invites", data={"label": v}),
    "door link label": lambda c, g, e, v: c.post(f"/e/{e.key}/door/links", data={"label": v}),
    "attendee added": lambda c, g, e, v: c.post(
        f"/e/{e.key}/attendees/add", data={"add-name": v, "add-email": "new@example.org"}
    ),
    "walk-in": lambda c, g, e, v: c.post(
        f"/e/{e.key}/door/walkin", json={"nonce": "nonce-1234", "name": v, "email": "w@example.org"}
    ),
    "message subject": lambda c, g, e, v: c.post(
        f"/e/{e.key}/message", data=message_form(c, e, subject=v)
    ),
    "guest answering": lambda c, g, e, v: c.application.test_client().post(
        f"/e/{e.key}/rsvp", data={"answer": "going", "name": v, "email": "guest@example.org"}
    ),
    "sign-up": lambda c, g, e, v: c.application.test_client().post(
        "/signup", data={"name": v, "email": "new@example.org", "password": "correct horse 12"}
    ),
}  # fmt: skip


@pytest.mark.parametrize("bad", BAD, ids=BAD)
@pytest.mark.parametrize("form", FORMS, ids=FORMS)
def test_every_name_field_refuses_invisible_and_reversing_text(world, form, bad):
    value, message = BAD[bad]
    resp = FORMS[form](*world, value)
    assert resp.status_code == 400, resp.status_code
    assert message in resp.get_data(as_text=True)
    db.session.rollback()
    assert _stored(value) == []


def test_right_to_left_names_and_emoji_are_kept(world):
    client, _group, _event = world
    for name in ("\u200fשרה כהן", "Zoë 👩\u200d💻", "محمد"):
        assert client.post("/profile", data={"name": name}).status_code == 302
        assert db.session.scalar(select(User.name).where(User.name == name)) == name


@pytest.mark.parametrize("bad", BAD, ids=BAD)
def test_the_services_refuse_them_too(app, bad):
    value, _message = BAD[bad]
    group = make_group(make_user())
    refusals = (
        lambda: groups.create_group(make_user(), name=value),
        lambda: guests.clean_one(guests.GuestInput(value)),  # the RSVP form's guest rows
        lambda: invite_links.join(make_invite(group).code, make_user(name="Ana"), name=value),
    )
    for refused in refusals:
        with pytest.raises(DomainError) as err:
            refused()
        assert err.value.code == refusal(value)


def test_an_imported_name_keeps_its_letters_and_loses_the_rest():
    assert plain_text("Ana\u202e Lima", 120) == "Ana Lima"
    assert plain_text("\u200b\u200b", 120) == ""


FREE_TEXT = {
    "event description": lambda c, g, e, v: c.post(
        f"/e/{e.key}/edit", data=form_data(description=v)
    ),
    "group description": lambda c, g, e, v: c.post(
        f"/g/{g.slug}/edit", data={"name": "Alumni", "platform": "slack", "description": v}
    ),
    "what I look for": lambda c, g, e, v: c.post("/profile", data={"name": "Olga",
                                                                   "looking_for": v}),
    "message body": lambda c, g, e, v: c.post(
        f"/e/{e.key}/message", data=message_form(c, e, body=v)
    ),
}  # fmt: skip


@pytest.mark.parametrize("form", FREE_TEXT, ids=FREE_TEXT)
def test_free_text_refuses_a_direction_override_and_keeps_the_rest(world, form):
    """Every text area of every form: an override is refused as in a name; a blank or a
    right-to-left mark is text like any other."""
    value, message = BAD["override"]
    resp = FREE_TEXT[form](*world, f"Line one\n{value}")
    assert resp.status_code == 400, resp.status_code
    assert message in resp.get_data(as_text=True)
    db.session.rollback()
    columns = (Event.description, Group.description, User.looking_for, OutboxMessage.body_text)
    assert not any(db.session.scalar(select(c).where(c.contains(value))) for c in columns)
    kept = FREE_TEXT[form](*world, "\u200fשלום \u200b and hello")
    assert kept.status_code in (200, 302, 303), kept.status_code


def test_guest_rows_sent_by_someone_already_going_are_checked_too(app, world, login):
    """Only a new answer places guests, but bad rows are refused whenever they are sent."""
    _client, _group, event = world
    ana = make_user(name="Ana")
    make_rsvp(event, ana)
    client = login(app.test_client(), ana)
    value, message = BAD["override"]
    resp = client.post(
        f"/e/{event.key}/rsvp", data={"answer": "going", "guest_name": [value], "guest_email": [""]}
    )
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    db.session.rollback()
    assert _stored(value) == []
