"""The insights page and its CSV files: organizers only (anyone else: the 404 of a group that
doesn't exist), the period, and the same figures in the page and in the CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from meetup.extensions import db
from tests import insights_fixture
from tests.factories import add_member, count_queries, make_event, make_rsvp, make_user


@pytest.fixture
def known(app):
    return insights_fixture.build()


def _url(known, tail=""):
    return f"/g/{known.group.slug}/insights{tail}"


def test_only_organizers_see_the_page_others_get_the_unknown_groups_404(known, client, login):
    login(client, known.people["a"])  # a member
    for tail in ("", "/funnel.csv", "/events.csv", "/links.csv"):
        assert client.get(_url(known, tail)).status_code == 404
    unknown = client.get("/g/no-such-group/insights")
    assert unknown.status_code == 404
    assert client.get(_url(known)).get_data() == unknown.get_data()
    login(client, make_user())  # not a member at all
    assert client.get(_url(known)).status_code == 404


def test_the_organizer_reads_the_figures(known, client, login):
    login(client, known.organizer)
    response = client.get(_url(known, "?period=all"))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "Slack #general" in html and "Spring meetup" in html
    assert "Cancelled meetup" not in html
    assert 'role="img"' in html and "<figcaption" in html and "<svg" in html
    assert "25%" in html  # Spring meetup's no-show rate


def test_the_csv_holds_the_same_figures(known, client, login):
    login(client, known.organizer)
    body = client.get(_url(known, "/funnel.csv?period=all")).get_data(as_text=True)
    funnel = list(csv.DictReader(io.StringIO(body)))
    total = funnel[-1]
    assert total["channel"] == "all"
    stages = ("reached", "joined", "going", "came", "introduced", "accepted", "met")
    assert [total[k] for k in stages] == ["7", "7", "7", "4", "3", "2", "1"]
    assert {row["channel"] for row in funnel} == {
        "Slack #general", "LinkedIn", "import", "created", "none", "all"
    }  # fmt: skip
    response = client.get(_url(known, "/events.csv?period=all"))
    assert response.mimetype == "text/csv"
    rows = {r["event"]: r for r in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}
    spring = rows["Spring meetup"]
    assert (spring["going"], spring["came"], spring["no_shows"], spring["no_show_rate"]) == (
        "4", "3", "1", "0.250"
    )  # fmt: skip
    door = ("late_cancellations", "walk_ins", "waitlist_promotions_came")
    assert [spring[k] for k in door] == ["1", "1", "1"]
    assert rows["Winter meetup"]["no_shows"] == ""
    body = client.get(_url(known, "/links.csv?period=all")).get_data(as_text=True)
    links = {r["channel"]: r for r in csv.DictReader(io.StringIO(body))}
    assert (links["slack-general"]["going"], links["slack-general"]["no_shows"]) == ("2", "1")


def test_a_formula_in_a_title_stays_text_in_the_csv(known, client, login):
    known.events["e2"].title = '=HYPERLINK("http://evil")'
    db.session.commit()
    login(client, known.organizer)
    body = client.get(_url(known, "/events.csv?period=all")).get_data(as_text=True)
    assert "'=HYPERLINK" in body


def test_the_period_is_chosen_by_dates_and_bad_ones_are_refused(known, client, login):
    login(client, known.organizer)
    start = known.events["e2"].starts_at.date().isoformat()
    html = client.get(_url(known, f"?from={start}")).get_data(as_text=True)
    assert "Autumn meetup" in html and "Spring meetup" not in html
    bad_ones = ("?from=2026-13-01", "?from=2026-05-01&to=2026-04-01", "?period=7", "?to=1700-01-01")
    for bad in bad_ones:
        response = client.get(_url(known, bad))
        assert response.status_code == 400, bad
        assert "Choose the period" in response.get_data(as_text=True)


def test_the_page_takes_the_same_queries_with_ten_times_the_data(known, client, login):
    login(client, known.organizer)

    def queries() -> int:
        with count_queries() as seen:
            assert client.get(_url(known, "?period=all")).status_code == 200
        return len(seen)

    before = queries()
    for n in range(10):
        starts_at = known.events["e2"].starts_at - timedelta(days=n + 1)
        event = make_event(known.group, starts_at=starts_at)
        for _ in range(4):
            person = make_user()
            add_member(known.group, person)
            make_rsvp(event, person, checked_in_at=event.starts_at)
    assert queries() == before


def test_the_organizers_event_page_after_the_event_shows_its_figures(known, client, login):
    spring, winter = known.events["e1"], known.events["e3"]
    login(client, known.people["a"])
    assert "How it went" not in client.get(f"/e/{spring.key}").get_data(as_text=True)
    login(client, known.organizer)
    assert "How it went" not in client.get(f"/e/{winter.key}").get_data(as_text=True)
    html = client.get(f"/e/{spring.key}").get_data(as_text=True)
    section = html[html.index("How it went") :]
    cells = re.findall(r"<dd>([^<]*)</dd>", section)
    # going, came, no-shows (rate), waitlisted, late, walk-ins, off the waitlist; then intros
    assert cells[:7] == ["4", "3", "1 (25%)", "1", "1", "1", "1"]
    assert cells[7:11] == ["3", "1", "1", "1"]
