"""Figures kept between two views of a page are the same figures: any commit, an event that
ends, or time makes them computed again (on SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from meetup.extensions import db
from meetup.models import Rsvp, utcnow
from meetup.services.insights import cache
from tests import insights_fixture
from tests.factories import count_queries, make_event, make_group, make_user


@pytest.fixture
def known(app):
    cache.clear()
    return insights_fixture.build()


def test_kept_until_something_is_committed(app):
    group = make_group(make_user())
    now = utcnow()
    computed = []

    def compute():
        computed.append(1)
        return len(computed)

    assert cache.cached(("t", group.id), group.id, now, compute) == 1
    assert cache.cached(("t", group.id), group.id, now, compute) == 1  # kept
    assert cache.cached(("other", group.id), group.id, now, compute) == 2  # its own key
    group.name = "Renamed"  # any commit, whatever it touches
    db.session.commit()
    assert cache.cached(("t", group.id), group.id, now, compute) == 3
    assert cache.cached(("t", group.id), group.id, now, compute) == 3


def test_computed_again_once_an_event_has_ended_or_it_is_old(app, monkeypatch):
    group = make_group(make_user())
    now = utcnow().replace(microsecond=0)
    event = make_event(group, starts_at=now + timedelta(hours=1), hours=2)  # ends in 3 h
    computed = []

    def compute():
        computed.append(1)
        return len(computed)

    key = ("t", group.id)
    assert cache.cached(key, group.id, now, compute) == 1
    assert cache.cached(key, group.id, event.ends_at - timedelta(seconds=1), compute) == 1
    assert cache.cached(key, group.id, event.ends_at, compute) == 2  # it ended: no-shows count
    assert cache.cached(key, group.id, event.ends_at, compute) == 2
    monkeypatch.setattr(cache, "TTL", 0.0)
    assert cache.cached(key, group.id, event.ends_at, compute) == 3


def _member_names(html: str) -> list[str]:
    return re.findall(r"(Person [A-Z]|Olga Organizer)", html)


def test_the_pages_show_a_change_on_the_next_view(known, client, login):
    """The organizer looks, someone is admitted at the door, the organizer looks again."""
    login(client, known.organizer)
    members = f"/g/{known.group.slug}/insights/members?sort=came&dir=desc"
    page = f"/g/{known.group.slug}/insights?period=all"
    with count_queries() as cold:
        html = client.get(members).get_data(as_text=True)
    assert _member_names(html)[:5] == [
        "Person A", "Person C", "Person D", "Olga Organizer", "Person B"
    ]  # fmt: skip
    with count_queries() as warm:
        assert client.get(members).get_data(as_text=True) == html
    assert len(warm) < len(cold)  # kept
    before = client.get(page).get_data(as_text=True)
    assert ">3</td>" in before  # Autumn meetup: 3 going ...

    b_at_e2 = db.session.query(Rsvp).filter_by(
        event_id=known.events["e2"].id, user_id=known.people["b"].id
    )
    b_at_e2.update({"checked_in_at": known.events["e2"].starts_at})
    db.session.commit()

    html = client.get(members).get_data(as_text=True)
    assert _member_names(html)[:4] == ["Person A", "Person B", "Person C", "Person D"]
    after = client.get(page).get_data(as_text=True)
    assert after != before
    assert "0%" in after  # Autumn meetup: no one missed it now
