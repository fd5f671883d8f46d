"""Who's going: the count for everyone, and to other members the people going who chose to be
listed (a choice on the RSVP, off by default), by name and headline only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Rsvp
from tests.factories import add_member, make_event, make_group, make_rsvp, make_user


@pytest.fixture
def group(app):
    return make_group(make_user(name="Olga"))


@pytest.fixture
def event(group):
    return make_event(group, capacity=20)


def _listed(event, user) -> bool:
    db.session.expire_all()
    return db.session.scalar(
        select(Rsvp.listed).where(Rsvp.event_id == event.id, Rsvp.user_id == user.id)
    )


def test_listing_is_a_choice_on_the_rsvp_off_by_default(client, login, group, event):
    ana = make_user(name="Ana")
    add_member(group, ana)
    login(client, ana)
    client.post(f"/e/{event.key}/rsvp", data={"answer": "going", "looking_for": ""})
    assert _listed(event, ana) is False
    client.post(f"/e/{event.key}/rsvp", data={"answer": "going", "looking_for": "", "listed": "y"})
    assert _listed(event, ana) is True
    client.post(f"/e/{event.key}/rsvp", data={"answer": "going"})  # a bare tap keeps it
    assert _listed(event, ana) is True
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert '<input checked form="rsvp-main" id="listed" name="listed"' in page


def test_members_see_who_chose_to_be_listed(client, login, group, event):
    shown = make_user(name="Bea Listed", headline="Data engineer at Acme", company="Acme SA")
    hidden = make_user(name="Carl Hidden", headline="Secret role")
    make_rsvp(event, shown, listed=True)
    make_rsvp(event, hidden)
    make_rsvp(event, make_user(name="Dan Waiting"), "waitlisted", listed=True)
    viewer = make_user()
    add_member(group, viewer)
    login(client, viewer)
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    section = page[page.index('id="whos-going-title"') :]
    assert "2 people going" in section
    assert "Bea Listed" in section and "Data engineer at Acme" in section
    assert "Carl Hidden" not in page and "Secret role" not in page and "Dan Waiting" not in page
    assert "Acme SA" not in section and shown.email not in page
    assert "1 more who chose not to be listed" in section


def test_outsiders_see_the_count_only(client, login, event):
    make_rsvp(event, make_user(name="Bea Listed"), listed=True)
    for viewer in (None, make_user()):
        if viewer is not None:
            login(client, viewer)
        page = client.get(f"/e/{event.key}").get_data(as_text=True)
        assert "1 person going" in page and "Bea Listed" not in page
