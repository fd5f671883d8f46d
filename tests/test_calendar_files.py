"""The event's .ics file: content, permissions, caching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from meetup.extensions import db
from meetup.services.calendar import files as calendar
from tests.factories import add_member, make_event, make_group, make_rsvp, make_user
from tests.ical_check import only_event, parse, vobject_instants

START = datetime(2031, 3, 14, 17, 30, tzinfo=UTC)  # 18:30 in Paris


def test_event_file_holds_what_calendars_need(app, client):
    group = make_group(name="Paris Pythonistas")
    event = make_event(
        group,
        starts_at=START,
        title="Spring meetup",
        description="Talks and *drinks*.",
        venue_name="The Loft",
        venue_address="1 Rue de Rivoli, Paris",
    )
    resp = client.get(f"/e/{event.key}/event.ics")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in resp.headers["Content-Disposition"]
    cal = parse(resp.data)
    assert str(cal["METHOD"]) == "PUBLISH"
    vevent = only_event(resp.data)
    assert str(vevent["UID"]) == f"{event.key}@localhost"
    assert vevent["SEQUENCE"] == 0
    assert vevent["DTSTART"].params["TZID"] == "Europe/Paris"
    assert vevent.decoded("DTSTART").replace(tzinfo=None) == datetime(2031, 3, 14, 18, 30)
    assert vevent.decoded("DTSTART") == START
    assert vevent.decoded("DTEND") == START + timedelta(hours=2)
    assert str(vevent["LOCATION"]) == "The Loft, 1 Rue de Rivoli, Paris"
    assert str(vevent["URL"]) == f"http://localhost/e/{event.key}"
    assert f"http://localhost/e/{event.key}" in str(vevent["DESCRIPTION"])
    assert "Talks and drinks." in str(vevent["DESCRIPTION"])  # plain text: no Markdown
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert "ORGANIZER" not in vevent and "ATTENDEE" not in vevent
    (alarm,) = vevent.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -timedelta(hours=1)
    assert vobject_instants(resp.data) == [
        (f"{event.key}@localhost", START, START + timedelta(hours=2))
    ]


def test_cancelled_event_file_says_cancelled(app, client):
    event = make_event(make_group(), cancelled_at=datetime.now(UTC), sequence=3)
    vevent = only_event(client.get(f"/e/{event.key}/event.ics").data)
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert vevent["SEQUENCE"] == 3
    assert not vevent.walk("VALARM")


def test_members_only_event_file_needs_a_member(app, client, login):
    group = make_group()
    event = make_event(group, visibility="members")
    url = f"/e/{event.key}/event.ics"
    assert client.get(url).status_code == 404
    assert login(client, make_user()).get(url).status_code == 404
    member = make_user()
    add_member(group, member)
    resp = login(client, member).get(url)
    assert resp.status_code == 200
    assert "private" in resp.headers["Cache-Control"]


def test_unknown_event_is_404(app, client):
    assert client.get("/e/nope/event.ics").status_code == 404
    assert client.get("/e/" + "x" * 40 + "/event.ics").status_code == 404


def test_event_file_answers_304_until_the_event_changes(app, client):
    event = make_event(make_group())
    url = f"/e/{event.key}/event.ics"
    first = client.get(url)
    assert "public" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    event.starts_at += timedelta(hours=1)
    event.ends_at += timedelta(hours=1)
    event.sequence += 1
    db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert only_event(changed.data)["SEQUENCE"] == 1


def test_utc_and_zone_edge_cases_never_float(app):
    group = make_group()
    for tz in ("UTC", "Asia/Kolkata", "Australia/Lord_Howe", "America/St_Johns"):
        event = make_event(group, timezone=tz, starts_at=START)
        vevent = only_event(calendar.event_file(event))
        assert vevent.decoded("DTSTART") == START
        assert vobject_instants(calendar.event_file(event))[0][1] == START


def test_attendee_copy_carries_the_ticket_link(app):
    event = make_event(make_group(name="Group A"), starts_at=START)
    user = make_user(name="Ana Lima")
    rsvp = make_rsvp(event, user)
    invite = calendar.request_for(rsvp, now=START - timedelta(days=3))
    assert invite.method == "REQUEST"
    vevent = only_event(invite.ics)
    assert f"http://localhost/t/{rsvp.ticket_token}" in str(vevent["DESCRIPTION"])
