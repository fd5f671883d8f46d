"""Group and personal feeds: who sees what, the window, tokens, 304s, query counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import recurring_ical_events
from sqlalchemy import event as sa_event

from meetup.extensions import db
from meetup.models import utcnow
from tests.factories import add_member, make_event, make_group, make_rsvp, make_user
from tests.ical_check import parse


def _summaries(data: bytes) -> set[str]:
    return {str(e["SUMMARY"]) for e in parse(data).walk("VEVENT")}


def test_group_feed_shows_public_events_and_members_only_ones_to_members(app, client):
    group = make_group(slug="pyparis", name="Py Paris")
    make_event(group, title="Open night")
    make_event(group, title="Members dinner", visibility="members")
    make_event(make_group(), title="Other group")
    resp = client.get("/g/pyparis/calendar.ics")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "public" in resp.headers["Cache-Control"]
    assert _summaries(resp.data) == {"Open night"}
    cal = parse(resp.data)
    assert str(cal["X-WR-CALNAME"]) == "Py Paris"

    member, outsider = make_user(), make_user()
    add_member(group, member)
    mine = client.get(f"/g/pyparis/calendar.ics?token={member.feed_token}")
    assert _summaries(mine.data) == {"Open night", "Members dinner"}
    assert "private" in mine.headers["Cache-Control"]
    assert mine.headers["ETag"] != resp.headers["ETag"]
    theirs = client.get(f"/g/pyparis/calendar.ics?token={outsider.feed_token}")
    assert _summaries(theirs.data) == {"Open night"}


def test_group_feed_unknown_group_or_token_is_404(app, client):
    make_group(slug="pyparis")
    assert client.get("/g/nope/calendar.ics").status_code == 404
    assert client.get("/g/pyparis/calendar.ics?token=forged").status_code == 404
    assert client.get("/g/pyparis/calendar.ics?token=").status_code == 404


def test_feeds_hold_six_months_of_past_events_and_all_future_ones(app, client):
    group = make_group(slug="window")
    now = utcnow()
    make_event(group, title="Seven months ago", starts_at=now - timedelta(days=213))
    make_event(group, title="Five months ago", starts_at=now - timedelta(days=152))
    make_event(group, title="In three years", starts_at=now + timedelta(days=3 * 365))
    make_event(group, title="Cancelled", cancelled_at=now)
    data = client.get("/g/window/calendar.ics").data
    assert _summaries(data) == {"Five months ago", "In three years", "Cancelled"}
    statuses = {str(e["SUMMARY"]): str(e["STATUS"]) for e in parse(data).walk("VEVENT")}
    assert statuses["Cancelled"] == "CANCELLED"
    # A third parser's view: recurring-ical-events finds the future event in its year.
    future = now + timedelta(days=3 * 365)
    found = recurring_ical_events.of(parse(data)).between(
        future - timedelta(days=1), future + timedelta(days=1)
    )
    assert [str(e["SUMMARY"]) for e in found] == ["In three years"]


def test_personal_feed_lists_my_going_and_waitlisted_events(app, client):
    me = make_user()
    group = make_group()
    make_rsvp(make_event(group, title="Going"), me, "going")
    make_rsvp(make_event(group, title="Waiting", visibility="members"), me, "waitlisted")
    make_rsvp(make_event(group, title="Declined"), me, "not_going")
    make_rsvp(make_event(group, title="Someone else's"), make_user(), "going")
    resp = client.get(f"/cal/{me.feed_token}.ics")
    assert resp.status_code == 200
    assert "private" in resp.headers["Cache-Control"]
    statuses = {str(e["SUMMARY"]): str(e["STATUS"]) for e in parse(resp.data).walk("VEVENT")}
    assert statuses == {"Going": "CONFIRMED", "Waiting": "TENTATIVE"}


def test_unknown_or_reset_token_is_404(app, client, login):
    me = make_user()
    old = me.feed_token
    assert client.get("/cal/forged.ics").status_code == 404
    assert client.get(f"/cal/{old}.ics").status_code == 200
    login(client, me)
    resp = client.post("/profile/calendar-link")
    assert resp.status_code == 302
    db.session.refresh(me)
    assert me.feed_token and me.feed_token != old
    assert client.get(f"/cal/{old}.ics").status_code == 404
    assert client.get(f"/g/any/calendar.ics?token={old}").status_code == 404
    assert client.get(f"/cal/{me.feed_token}.ics").status_code == 200


def test_reset_needs_sign_in(app, client):
    assert client.post("/profile/calendar-link").status_code in (302, 401)


def test_reset_needs_csrf(app, client, csrf_on, login):
    me = make_user()
    old = me.feed_token
    login(client, me)
    assert client.post("/profile/calendar-link").status_code == 400
    db.session.refresh(me)
    assert me.feed_token == old


def test_a_user_without_a_link_can_create_one(app, client, login):
    me = make_user()
    me.feed_token = None
    db.session.commit()
    login(client, me)
    assert client.post("/profile/calendar-link").status_code == 302
    db.session.refresh(me)
    assert me.feed_token and client.get(f"/cal/{me.feed_token}.ics").status_code == 200


def test_unchanged_feed_answers_304_and_a_change_gives_a_new_etag(app, client):
    group = make_group(slug="etags")
    event = make_event(group)
    first = client.get("/g/etags/calendar.ics")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert client.get("/g/etags/calendar.ics", headers={"If-None-Match": etag}).status_code == 304
    by_date = client.get("/g/etags/calendar.ics", headers={"If-Modified-Since": modified})
    assert by_date.status_code == 304
    event.title = "Renamed"
    event.updated_at = utcnow() + timedelta(seconds=2)
    db.session.commit()
    changed = client.get("/g/etags/calendar.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    make_event(group, title="New one", updated_at=event.updated_at)
    assert (
        client.get(
            "/g/etags/calendar.ics", headers={"If-None-Match": changed.headers["ETag"]}
        ).status_code
        == 200
    )


def test_personal_feed_etag_follows_my_rsvps(app, client):
    me = make_user()
    rsvp = make_rsvp(make_event(make_group()), me, "going")
    url = f"/cal/{me.feed_token}.ics"
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    rsvp.status = "waitlisted"
    db.session.commit()
    resp = client.get(url, headers={"If-None-Match": etag})
    assert resp.status_code == 200
    assert str(parse(resp.data).walk("VEVENT")[0]["STATUS"]) == "TENTATIVE"


def _count_queries(client, url: str) -> int:
    statements = []

    def _record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", _record)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa_event.remove(engine, "before_cursor_execute", _record)
    return len(statements)


def test_feeds_use_a_constant_number_of_queries(app, client):
    me = make_user()
    group = make_group(slug="many")
    add_member(group, me)
    start = datetime(2031, 1, 1, 18, tzinfo=UTC)
    for i in range(3):
        make_rsvp(make_event(group, starts_at=start + timedelta(days=i)), me)
    urls = (f"/cal/{me.feed_token}.ics", "/g/many/calendar.ics")
    few = [_count_queries(client, u) for u in urls]
    for i in range(3, 30):
        make_rsvp(make_event(group, starts_at=start + timedelta(days=i)), me)
    many = [_count_queries(client, u) for u in urls]
    assert few == many
    assert len(parse(client.get("/g/many/calendar.ics").data).walk("VEVENT")) == 30


def test_seats_taken_and_given_up_leave_the_feeds_as_they_were(app, client, login):
    """A burst of RSVPs must not make every subscriber's calendar download the feed again:
    only a change everyone sees (the time, the place) changes the feed and its ETag."""
    group = make_group(slug="pyparis")
    event = make_event(group, title="Open night", capacity=1)
    ana, bob = make_user(name="Ana"), make_user(name="Bob")
    for user in (ana, bob):
        add_member(group, user)
    reader = app.test_client()
    feeds = ("/g/pyparis/calendar.ics", f"/e/{event.key}/event.ics")
    before = {url: reader.get(url) for url in feeds}

    answers = ((ana, "going"), (bob, "going"), (ana, "not_going"))  # Bob gets the seat
    for user, answer in answers:
        login(client, user)
        assert client.post(f"/e/{event.key}/rsvp", data={"answer": answer}).status_code == 303
    db.session.expire_all()
    assert sorted(r.status for r in event.rsvps) == ["going", "not_going"]
    for url, first in before.items():
        again = reader.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, url

    event.venue_name = "Bigger room"
    event.sequence += 1  # as services/events/editing.py does for a change of place
    db.session.commit()
    for url, first in before.items():
        moved = reader.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert moved.status_code == 200 and b"Bigger room" in moved.data, url


def test_the_group_page_offers_its_calendar_to_subscribe(app, client):
    """The feed existed but nothing linked to it: webcal:// for calendar apps, Google's
    add-by-URL, and the https link to copy; each opens the same feed."""
    group = make_group(make_user(), slug="data-paris")
    page = client.get("/g/data-paris").get_data(as_text=True)
    assert (
        "Subscribe to this group&#39;s calendar" in page
        or "Subscribe to this group's calendar" in page
    )
    assert 'href="webcal://localhost/g/data-paris/calendar.ics"' in page
    google = "https://calendar.google.com/calendar/render?cid=webcal%3A%2F%2Flocalhost%2Fg%2Fdata-paris%2Fcalendar.ics"
    assert f'href="{google}"' in page
    assert 'value="http://localhost/g/data-paris/calendar.ics"' in page
    assert client.get("/g/data-paris/calendar.ics").status_code == 200
    assert group
