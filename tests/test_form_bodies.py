"""Form routes sent JSON that isn't form-shaped: a 400 with a message, never a 500.

Flask-WTF reads a JSON body as form data. A body that was a string, a number or a list, or
an object holding objects, made the form itself fail (500) before any validation.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from meetup.extensions import db
from meetup.models import OutboxMessage, User
from tests.factories import add_member, make_event, make_group, make_invite, make_rsvp, make_user

NOT_AN_OBJECT = {"text": "x", "number": 5, "list": [["email", "a"], "b"]}
NESTED = {
    field: {"a": 1}
    for field in ("email", "name", "password", "answer", "title", "capacity", "label", "q")
}
# Last: routes that end the session or delete what the others need.
_ENDING = ("logout", "delete", "leave", "sign_out_elsewhere", "cancel")


def _world(client, login):
    organizer = make_user("olga@example.org", password="correct horse battery")
    group = make_group(organizer)
    event = make_event(group, capacity=10)
    guest = make_user("gus@example.org")
    add_member(group, guest)
    rsvp = make_rsvp(event, guest)
    invite = make_invite(group)
    db.session.commit()
    login(client, organizer)
    values = {
        "group_slug": group.slug,
        "event_key": event.key,
        "ticket_token": rsvp.ticket_token,
        "rsvp_id": rsvp.id,
        "user_id": guest.id,
        "invite_id": invite.id,
        "invite_code": invite.code,
    }
    return values


def _paths(app, values) -> list[tuple[str, str]]:
    rules = [r for r in app.url_map.iter_rules() if "POST" in r.methods]
    rules.sort(key=lambda r: r.endpoint.endswith(_ENDING))
    paths = []
    for rule in rules:
        args = {name: values.get(name, "1") for name in rule.arguments}
        paths.append((rule.endpoint, rule.build(args, append_unknown=False)[1]))
    return paths


@pytest.mark.parametrize("body", [*NOT_AN_OBJECT.values(), NESTED], ids=[*NOT_AN_OBJECT, "nested"])
def test_no_post_route_fails_on_a_json_body_that_is_not_a_form(app, client, login, body):
    values = _world(client, login)
    answered = {}
    for endpoint, path in _paths(app, values):
        resp = client.post(path, json=body)  # TESTING: a failure raises here
        assert resp.status_code < 500, f"{endpoint} {path} answered {resp.status_code}"
        answered[endpoint] = resp.status_code
    # The routes that build their form from the body were reached, not stopped before it.
    for endpoint in ("auth.request_link", "auth.signup", "groups.new", "events.new"):
        assert answered[endpoint] == 400, (endpoint, answered[endpoint])


@pytest.mark.parametrize("body", NOT_AN_OBJECT.values(), ids=NOT_AN_OBJECT)
def test_a_json_body_that_is_not_an_object_is_told_so(client, body):
    resp = client.post("/login/link", json=body)
    assert resp.status_code == 400
    assert resp.get_json() == {"error": "bad_json", "message": "Send a JSON object."}


def test_a_json_object_still_fills_a_form(client):
    resp = client.post("/login/link", json={"email": "ana@example.org", "ignored": {"a": 1}})
    assert resp.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    # An object where text belongs counts as missing: the form says which field.
    resp = client.post("/login/link", json={"email": {"a": 1}})
    assert resp.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_text_fields_left_out_of_a_form_read_as_empty(client, login):
    """Another client than our pages may send only what it fills in: the rest is empty text
    (NOT NULL columns refused None with a 500)."""
    user = make_user("ana@example.org", name="Ana", headline="Data engineer")
    db.session.commit()
    login(client, user)
    assert client.post("/profile", data={"name": "Ana Lima"}).status_code == 302
    saved = db.session.get(User, user.id)
    assert (saved.name, saved.headline, saved.company, saved.contact_details) == (
        "Ana Lima",
        "",
        "",
        "",
    )
    # The same, as JSON.
    assert client.post("/profile", json={"name": "Ana L."}).status_code == 302
    assert db.session.get(User, user.id).name == "Ana L."


@pytest.mark.parametrize("body", [{}, NESTED, {"email": "x", "capacity": "-1", "title": ""}])
def test_a_json_client_is_refused_in_json_by_every_post_route(app, client, login, body):
    """Form pages drawn again with their errors answered a JSON client in HTML."""
    values = _world(client, login)
    for endpoint, path in _paths(app, values):
        resp = client.post(path, json=body)
        if resp.status_code >= 400:
            assert resp.is_json, f"{endpoint} answered {resp.status_code} {resp.mimetype}"
            assert resp.get_json()["message"], endpoint
            assert "Content-Security-Policy" in resp.headers
    resp = client.post("/login/link", json={"email": "not an address"})
    assert resp.status_code == 400
    answer = resp.get_json()
    assert answer["error"] == "invalid" and list(answer["fields"]) == ["email"]
    assert all(isinstance(m, str) for m in answer["fields"]["email"])


def test_a_browser_still_gets_the_form_page_with_its_errors(client):
    resp = client.post("/login/link", data={"email": "not an address"})
    assert resp.status_code == 400 and resp.mimetype == "text/html"
