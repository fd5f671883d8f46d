"""The members as organizers see them (and a member their own record), against the group of
tests/insights_fixture.py whose right answers are known by hand."""

from __future__ import annotations

import csv
import io

import pytest

from meetup.extensions import db
from meetup.services.insights import members
from meetup.services.insights.channels import Channel
from tests import insights_fixture
from tests.factories import add_member, count_queries, make_rsvp, make_user


@pytest.fixture
def known(app):
    return insights_fixture.build()


def _names(page) -> list[str]:
    return [row.name for row in page.rows]


def test_each_members_record(known):
    page = members.members_page(known.group)
    rows = {r.name: r for r in page.rows}
    assert page.total == 7 and "Person X" not in rows  # x answered without joining
    e1, e2 = known.events["e1"], known.events["e2"]
    want = {  # rsvped, came, no-shows, late, last came
        "Person A": (2, 2, 0, 0, e2.starts_at),  # E4 was cancelled
        "Person B": (2, 0, 2, 0, None),
        "Person C": (1, 1, 0, 0, e1.starts_at),
        "Person D": (2, 1, 0, 1, e2.starts_at),
        "Person E": (2, 0, 0, 0, None),  # gave E1 up 48 h before; E3 hasn't happened
        "Person F": (2, 0, 0, 0, None),
        "Olga Organizer": (0, 0, 0, 0, None),
    }
    got = {
        name: (r.record.rsvped, r.record.came, r.record.no_shows, r.record.late, r.record.last_came)
        for name, r in rows.items()
    }
    assert got == want
    assert rows["Person D"].channel == Channel("invite", "LinkedIn")
    assert rows["Person F"].channel == Channel("import")


def test_sorted_searched_and_paged(known):
    assert _names(members.members_page(known.group, sort="came", descending=True)) == [
        "Person A", "Person C", "Person D", "Olga Organizer", "Person B", "Person E", "Person F"
    ]  # fmt: skip
    assert _names(members.members_page(known.group, sort="last_came"))[:3] == [
        "Person C", "Person A", "Person D"
    ]  # fmt: skip
    assert _names(members.members_page(known.group, sort="no_shows", descending=True))[0] == (
        "Person B"
    )
    assert _names(members.members_page(known.group, search="person b")) == ["Person B"]
    email = known.people["e"].email
    assert _names(members.members_page(known.group, search=email.upper())) == ["Person E"]
    assert members.members_page(known.group, search="100%_").total == 0
    third = members.members_page(known.group, page=3, per_page=3)
    assert (third.pages, _names(third)) == (3, ["Person F"])


def test_a_page_takes_two_queries_whatever_the_size(known):
    def queries() -> int:
        with count_queries() as seen:
            members.members_page(known.group, sort="came", descending=True)
        return len(seen)

    before = queries()
    for _ in range(20):
        person = make_user()
        add_member(known.group, person)
        make_rsvp(known.events["e2"], person, checked_in_at=known.events["e2"].starts_at)
    assert queries() == before <= 3  # the group, the count, the rows


def test_the_organizers_page_and_csv(known, client, login):
    known.people["b"].name = "=cmd|' /C calc'!A0"
    db.session.commit()
    login(client, known.organizer)
    base = f"/g/{known.group.slug}/insights/members"
    response = client.get(f"{base}?sort=came&dir=desc")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert 'aria-sort="descending"' in html and "LinkedIn" in html
    body = client.get(f"{base}.csv?sort=came&dir=desc").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["came"] for r in rows] == ["2", "1", "1", "0", "0", "0", "0"]
    assert "'=cmd" in body and "\n=cmd" not in body
    for bad in ("?sort=email", "?dir=sideways"):
        assert client.get(base + bad).status_code == 400
    assert client.get(f"{base}?page=9").status_code == 404


def test_members_and_outsiders_get_the_unknown_groups_404(known, client, login):
    login(client, known.people["a"])
    base = f"/g/{known.group.slug}/insights/members"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}.csv").status_code == 404


def test_a_member_sees_their_own_record_on_their_profile(known, client, login):
    ((group, record),) = members.own_records(known.people["d"])
    assert (group.id, record.rsvped, record.came, record.no_shows, record.late) == (
        known.group.id, 2, 1, 0, 1
    )  # fmt: skip
    login(client, known.people["d"])
    html = client.get("/profile").get_data(as_text=True)
    assert "My attendance" in html and known.group.name in html
