"""`Cache-Control: no-store` on every personal page, by class and over the whole URL map:
whatever answers someone signed in, a volunteer holding a door link, or a URL carrying a
secret (sign-in links, tickets, RSVP links). Pages for strangers stay cacheable."""

from __future__ import annotations

from meetup.extensions import db
from meetup.services.tokens import new_token
from tests.door_support import door_link
from tests.factories import last_link_token, make_event, make_group, make_rsvp, make_user


def _kept_on_purpose(resp) -> bool:
    """Validated files (ETag) and immutable ones (a ticket's QR) are cacheable for their
    owner by design."""
    return "ETag" in resp.headers or "immutable" in resp.headers.get("Cache-Control", "")


def _paths(app, values):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" in rule.methods and rule.endpoint != "static":
            yield rule, rule.build({a: values.get(a, "1") for a in rule.arguments})[1]


def test_every_personal_answer_is_no_store(app, login):
    organizer = make_user()
    group = make_group(organizer)
    event = make_event(group)
    rsvp = make_rsvp(event, make_user())
    stranger = app.test_client()
    assert stranger.post("/login/link", data={"email": organizer.email}).status_code == 200
    link = last_link_token(organizer.email)
    volunteer = app.test_client()
    assert volunteer.get(f"/door/{door_link(event)}").status_code == 302
    db.session.commit()
    values = {"group_slug": group.slug, "event_key": event.key,
              "ticket_token": rsvp.ticket_token, "feed_token": new_token(), "token": link,
              "answer": "yes"}  # fmt: skip
    clients = {
        "organizer": login(app.test_client(), organizer),
        "volunteer": volunteer,
        "stranger": stranger,
    }
    missing, checked = [], 0
    for rule, path in _paths(app, values):
        secret = any("token" in arg for arg in rule.arguments)
        for who, client in clients.items():
            if who == "stranger" and not secret:
                continue
            resp = client.get(path)
            db.session.rollback()
            if _kept_on_purpose(resp):
                continue
            checked += 1
            if "no-store" not in resp.headers.get("Cache-Control", ""):
                missing.append(f"{who} {rule.rule} {resp.status_code}")
    assert not missing, "\n".join(missing)
    assert checked > 60


def test_the_probes_pages_are_no_store(app, login, client):
    organizer = make_user()
    event = make_event(make_group(organizer))
    client.post("/login/link", data={"email": organizer.email})
    link = f"/login/link/{last_link_token(organizer.email)}"
    assert "no-store" in client.get(link).headers["Cache-Control"]
    login(client, organizer)
    for path in ("/profile", f"/e/{event.key}/attendees", f"/e/{event.key}/door"):
        resp = client.get(path)
        assert resp.status_code == 200
        assert "no-store" in resp.headers["Cache-Control"], path


def test_pages_for_strangers_stay_cacheable(app):
    group = make_group(make_user())
    event = make_event(group)
    stranger = app.test_client()
    for path in ("/", f"/e/{event.key}", f"/g/{group.slug}", "/login"):
        resp = stranger.get(path)
        assert resp.status_code == 200
        assert "no-store" not in resp.headers.get("Cache-Control", ""), path
