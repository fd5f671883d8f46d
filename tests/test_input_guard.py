"""Input no text column can hold, and JSON no parser can read: a 400 before any view.

A NUL character made PostgreSQL refuse the first write or look-up (a 500), and SQLite
stored it. JSON nested thousands deep made the parser raise RecursionError (a 500).
"""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from meetup.extensions import db
from meetup.models import CheckinLog, Group, OutboxMessage, Rsvp, User, utcnow
from tests.door_support import door_link
from tests.factories import make_event, make_group, make_rsvp, make_user

NUL_TEXT = "Ana\x00Lima"
MESSAGE = "Some of what you sent holds a NUL character, which text can't contain."


@pytest.fixture
def world(app):
    organizer = make_user("olga@example.org", name="Olga")
    group = make_group(organizer)
    # Tonight: its door is open (scans are refused from 4 hours before the start only).
    event = make_event(
        group, capacity=10, visibility="public", starts_at=utcnow() + timedelta(hours=2)
    )
    ana = make_rsvp(event, make_user("ana@example.org", name="Ana"))
    db.session.commit()
    return {"organizer": organizer, "group": group, "event": event, "ana": ana}


def _rows() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Group, Rsvp, OutboxMessage, CheckinLog)
    )


def _refused(resp, *, as_json: bool = False) -> None:
    assert resp.status_code == 400, resp.status_code
    if as_json:
        assert resp.get_json() == {"error": "nul_character", "message": MESSAGE}
    else:
        assert MESSAGE in html.unescape(resp.get_data(as_text=True))


def test_nul_in_a_form_field_is_refused_and_nothing_is_written(client, login, world):
    event, before = world["event"], _rows()
    # A guest's RSVP (name and email by form, no account yet).
    _refused(
        client.post(
            f"/e/{event.key}/rsvp",
            data={"answer": "going", "name": NUL_TEXT, "email": "new@example.org"},
        )
    )
    # A field's name counts too.
    _refused(client.post("/login/link", data={"email": "ana@example.org", "x\x00": "1"}))
    login(client, world["organizer"])
    _refused(client.post("/groups/new", data={"name": NUL_TEXT}))
    _refused(client.post("/profile", data={"name": NUL_TEXT, "email": "olga@example.org"}))
    assert _rows() == before
    assert db.session.get(User, world["organizer"].id).name == "Olga"


def test_nul_in_the_query_is_refused_and_in_the_path_is_404(client, login, world):
    group = world["group"]
    login(client, world["organizer"])
    _refused(client.get(f"/g/{group.slug}/members", query_string={"q": NUL_TEXT}))
    _refused(client.get(f"/g/{group.slug}/calendar.ics", query_string={"token": "a\x00"}))
    # A path holding one names nothing: every kind of key, slug and token in a URL.
    for path in (
        "/g/a%00b",
        "/g/a%00b/members",
        "/e/a%00b",
        "/join/a%00b",
        "/cal/a%00b.ics",
        "/i/a%00b/yes",
        f"/g/{group.slug}%00/members",
    ):
        assert client.get(path).status_code == 404, path


def test_nul_in_a_json_body_is_refused_at_the_door(app, world):
    event, before = world["event"], _rows()
    client = app.test_client()
    assert client.get(f"/door/{door_link(event)}").status_code == 302
    scan = {"token": world["ana"].ticket_token, "nonce": "nonce-0001", "device": NUL_TEXT}
    _refused(client.post(f"/e/{event.key}/checkin", json=scan), as_json=True)
    walkin = {"name": "Wes", "email": "wes@example.org", "nonce": "nonce-0002", "x": [{"k\x00": 1}]}
    _refused(client.post(f"/e/{event.key}/door/walkin", json=walkin), as_json=True)
    assert _rows() == before
    # The same scan without it goes through.
    scan["device"] = "Sam's phone"
    assert client.post(f"/e/{event.key}/checkin", json=scan).get_json()["status"] == "checked_in"


@pytest.mark.parametrize("depth", [100_000])
def test_json_nested_too_deep_is_a_400(app, world, depth):
    event = world["event"]
    client = app.test_client()
    assert client.get(f"/door/{door_link(event)}").status_code == 302
    for body in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        for path in (f"/e/{event.key}/checkin", "/login/link"):
            resp = client.post(path, data=body, content_type="application/json")
            assert resp.status_code == 400, (path, resp.status_code)
            assert resp.get_json()["error"] == "bad_json"


def test_other_unusual_text_is_kept(client, login, world):
    login(client, world["organizer"])
    name = "Olga \\u0000 Ø 😀 \x01"  # a backslash sequence and rare characters, no NUL
    resp = client.post("/profile", data={"name": name, "email": "olga@example.org"})
    assert resp.status_code == 302
    assert db.session.get(User, world["organizer"].id).name == name
