"""Channel-tracked links: `?via=<channel>` is remembered per link, recorded with the RSVP and
the membership it leads to (across signing in by email), and counted on the organizer's page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Membership, OutboxMessage, Rsvp, User, utcnow
from meetup.services.channels import counts, labels
from meetup.urls import event_url
from tests.factories import (
    last_link_token,
    make_event,
    make_group,
    make_invite,
    make_rsvp,
    make_user,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("slack-general", "slack-general"),
        ("email", "email"),
        ("Slack", None),
        ("slack--general", None),
        ("-x", None),
        ("a" * 41, None),
        ("<script>", None),
        ("", None),
        (None, None),
        (["x"], None),
    ],
)
def test_labels_are_short_lowercase_slugs(raw, clean):
    assert labels.clean(raw) == clean


def test_labels_from_text_and_tagged_links(app):
    assert labels.from_text("Slack #général") == "slack-general"
    assert labels.from_text("!!!") is None
    assert (
        labels.tagged("https://x.org/e/k?via=old&a=1", "share") == "https://x.org/e/k?a=1&via=share"
    )
    assert labels.tagged("https://x.org/e/k", "Bad Label") == "https://x.org/e/k"
    assert event_url("abc", via="linkedin") == "http://localhost/e/abc?via=linkedin"
    assert event_url("abc") == "http://localhost/e/abc"


@pytest.fixture
def org(app):
    return make_user(name="Olga")


@pytest.fixture
def event(org):
    return make_event(make_group(org), capacity=10, title="Rust & Coffee")


def _rsvp(event, user):
    db.session.expire_all()
    return db.session.scalar(select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.user_id == user.id))


def test_the_first_channel_is_recorded_with_the_rsvp(client, login, event):
    ana = make_user(name="Ana")
    login(client, ana)
    assert client.get(f"/e/{event.key}?via=slack-general").status_code == 200
    assert client.get(f"/e/{event.key}?via=email").status_code == 200  # not the first
    assert client.post(f"/e/{event.key}/rsvp", data={"answer": "going"}).status_code == 303
    assert _rsvp(event, ana).channel == "slack-general"
    # Another answer later keeps it.
    client.post(f"/e/{event.key}/rsvp", data={"answer": "not_going"})
    client.post(f"/e/{event.key}/rsvp", data={"answer": "going"})
    assert _rsvp(event, ana).channel == "slack-general"


@pytest.mark.parametrize("via", ["<b>x</b>", "UPPER", "a" * 200, "x%00y", ""])
def test_a_bad_channel_is_ignored_never_an_error(client, login, event, via):
    ana = make_user()
    login(client, ana)
    assert client.get(f"/e/{event.key}", query_string={"via": via}).status_code in (200, 400)
    client.post(f"/e/{event.key}/rsvp", data={"answer": "going"})
    assert _rsvp(event, ana).channel is None


def test_no_channel_no_label(client, login, event):
    ana = make_user()
    login(client, ana)
    client.post(f"/e/{event.key}/rsvp", data={"answer": "going"})
    assert _rsvp(event, ana).channel is None


def test_signed_out_the_channel_travels_with_the_emailed_link(client, event):
    client.get(f"/e/{event.key}?via=linkedin")
    resp = client.post(
        f"/e/{event.key}/rsvp",
        data={"answer": "going", "name": "Bea", "email": "bea@example.org"},
    )
    assert resp.status_code == 303
    bea = db.session.scalar(select(User).where(User.email == "bea@example.org"))
    assert _rsvp(event, bea).channel == "linkedin"  # the pending row
    body = db.session.scalar(
        select(OutboxMessage.body_text).where(OutboxMessage.to_addr == "bea@example.org")
    )
    token = re.search(r"/rsvp/confirm/([A-Za-z0-9_-]+)", body).group(1)
    db.session.execute(Rsvp.__table__.update().values(channel=None))  # only the link now
    db.session.commit()
    other = client.application.test_client()  # the link opened in the phone's mail app
    assert other.post(f"/rsvp/confirm/{token}").status_code == 303
    rsvp = _rsvp(event, bea)
    assert rsvp.status == "going" and rsvp.channel == "linkedin"


def test_the_channel_survives_signing_in_by_email(client, event):
    bea = make_user("bea@example.org")
    client.get(f"/e/{event.key}?via=discord-events")
    client.post("/login/link", data={"email": "bea@example.org", "next": f"/e/{event.key}"})
    token = last_link_token("bea@example.org")
    assert client.post(f"/login/link/{token}").status_code == 302
    client.post(f"/e/{event.key}/rsvp", data={"answer": "going"})
    assert _rsvp(event, bea).channel == "discord-events"


def test_joining_through_an_invite_records_its_channel(client, login, org):
    group = make_group(org)
    invite = make_invite(group, "Slack #general")
    ana, bob = make_user(), make_user()
    login(client, ana)
    client.get(f"/join/{invite.code}?via=slack-random")
    assert client.post(f"/join/{invite.code}").status_code == 302
    other = login(client.application.test_client(), bob)
    other.post(f"/join/{invite.code}")  # no via: the link's label stands for it
    joined = dict(
        db.session.execute(
            select(Membership.user_id, Membership.channel).where(Membership.group_id == group.id)
        ).all()
    )
    assert joined[ana.id] == "slack-random" and joined[bob.id] == "slack-general"


def test_organizers_see_rsvps_and_checkins_per_channel(client, login, org, event):
    now = utcnow()
    for channel, status, came in [
        ("slack-general", "going", True),
        ("slack-general", "going", False),
        ("email", "going", True),
        ("email", "waitlisted", False),
        (None, "going", False),
        ("linkedin", "not_going", False),
    ]:
        make_rsvp(event, make_user(), status, channel=channel, checked_in_at=now if came else None)
    figures = counts.per_channel(event)
    assert [(c.channel, c.going, c.waitlisted, c.checked_in) for c in figures] == [
        ("slack-general", 2, 0, 1),
        ("email", 1, 1, 1),
        (None, 1, 0, 0),
    ]
    login(client, org)
    page = client.get(f"/e/{event.key}?link_for=Slack%20%23events").get_data(as_text=True)
    assert "Where people came from" in page
    assert "<code>slack-general</code></td><td>2</td><td>0</td><td>1</td>" in page
    assert f"http://localhost/e/{event.key}?via=slack-events" in page
    login(client, make_user())
    assert "Where people came from" not in client.get(f"/e/{event.key}").get_data(as_text=True)
