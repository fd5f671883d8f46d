"""Dates and numbers from outside are bounded at the edge, and a stored row out of range
breaks nothing for anyone else.

- Event times, RSVP deadlines and a scan's `scanned_at`: from 2000 to a few years ahead,
  else a 400 with a message (year 1 and year 9999 overflowed in the zone arithmetic: 500).
- Integers in a query string (`?page=`), however long: a 4xx, never a 500.
- A row written before the bounds (or by hand) with a time no calendar file can hold is
  left out of the feeds and logged; the event's own file says so; the outbox still delivers
  everyone else's mail.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from meetup.extensions import db
from meetup.models import Event, OutboxMessage, utcnow
from meetup.services.events import answers
from meetup.urls import row_id
from tests.factories import (
    add_member,
    make_event,
    make_group,
    make_rsvp,
    make_user,
    queue_messages,
    send_outbox,
)
from tests.ical_check import only_event
from tests.test_events import form_data

FAR = datetime(9995, 6, 1, 18, tzinfo=UTC)


@pytest.fixture
def organizer_client(app, login):
    organizer = make_user()
    group = make_group(organizer)
    return login(app.test_client(), organizer), group


@pytest.mark.parametrize(
    "fields",
    [
        {"start_date": "9999-12-31", "start_time": "23:00", "end_time": "23:30",
         "timezone": "America/Los_Angeles"},
        {"start_date": "0001-01-01", "start_time": "00:30", "end_time": "01:30",
         "timezone": "Asia/Tokyo"},
        {"start_date": "9995-06-01"},
        {"start_date": "1999-12-31"},
        {"end_date": "9999-12-31"},
        {"rsvp_deadline_date": "0001-01-01", "rsvp_deadline_time": "00:30",
         "timezone": "Asia/Tokyo"},
        {"rsvp_deadline_date": "9999-12-31", "rsvp_deadline_time": "23:00",
         "timezone": "America/Los_Angeles"},
    ],
)  # fmt: skip
def test_event_dates_out_of_range_are_a_clear_400(organizer_client, fields):
    client, group = organizer_client
    for path in (f"/g/{group.slug}/events/new", None):
        if path is None:  # the same on an edit
            event = make_event(group)
            path = f"/e/{event.key}/edit"
        resp = client.post(path, data=form_data(**fields))
        assert resp.status_code == 400, resp.status_code
        assert "Choose a date from the year 2000" in resp.get_data(as_text=True)
    assert (
        db.session.scalar(select(Event).where(Event.starts_at > utcnow() + timedelta(days=9000)))
        is None
    )


def test_an_event_five_years_ahead_is_accepted(organizer_client):
    client, group = organizer_client
    day = (utcnow() + timedelta(days=365 * 5 - 3)).date().isoformat()
    resp = client.post(f"/g/{group.slug}/events/new", data=form_data(start_date=day))
    assert resp.status_code == 302


@pytest.mark.parametrize(
    "scanned_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1999-12-31T23:00Z"]
)
@pytest.mark.parametrize("path", ["checkin", "checkin/undo"])
def test_scan_times_out_of_range_are_a_400(app, login, scanned_at, path):
    organizer = make_user()
    event = make_event(make_group(organizer))
    rsvp = make_rsvp(event, make_user())
    client = login(app.test_client(), organizer)
    body = {"rsvp_id": rsvp.id, "nonce": "nonce-1234", "scanned_at": scanned_at}
    resp = client.post(f"/e/{event.key}/{path}", json=body)
    assert resp.status_code == 400
    assert resp.get_json()["fields"]["scanned_at"] == [
        "The time must be between the year 2000 and now."
    ]


@pytest.mark.parametrize("page", ["9999999999999999999", "99999999999999999999999999", "-5", "0"])
def test_a_page_number_of_any_size_is_never_a_500(app, login, page):
    organizer = make_user()
    group = make_group(organizer)
    client = login(app.test_client(), organizer)
    resp = client.get(f"/g/{group.slug}/members?page={page}")
    assert resp.status_code in (200, 400, 404)


def test_every_get_route_survives_numbers_and_dates_of_any_size_in_its_query(app, login):
    """The class: every page, asked by its organizer with the query parameters the app
    reads set to numbers and dates past what the database and the calendar hold."""
    organizer = make_user()
    group = make_group(organizer)
    event = make_event(group)
    rsvp = make_rsvp(event, make_user())
    client = login(app.test_client(), organizer)
    values = {"group_slug": group.slug, "event_key": event.key, "ticket_token": rsvp.ticket_token}
    # "\u00b2" is a digit to str.isdigit, not to int()
    probes = ["9999999999999999999", "-99999999999999999999", "9999-12-31T23:59:59-14:00", "\u00b2"]
    names = ("page", "offset", "limit", "year", "month", "day", "from", "to", "since", "id",
             "like", "per_page", "days", "weeks", "before", "after")  # fmt: skip
    asked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        path = rule.build({a: values.get(a, "1") for a in rule.arguments})[1]
        for probe in probes:
            query = "&".join(f"{name}={probe}" for name in names)
            resp = client.get(f"{path}{'&' if '?' in path else '?'}{query}")
            db.session.rollback()
            assert resp.status_code < 500, (path, probe)
            asked += 1
    assert asked > 100


@pytest.mark.parametrize("number", ["\u00b2", "9" * 5000, "99999999999", "0"])
def test_ids_sent_in_forms_and_queries_are_bounded(app, login, number):
    """Row ids read from a query or a form as text: a superscript digit passed isdigit() and
    failed int(), and so did a 5,000-digit number (500s)."""
    organizer = make_user()
    group = make_group(organizer)
    event = make_event(group, requires_approval=True)
    client = login(app.test_client(), organizer)
    replies = [
        client.get(f"/g/{group.slug}/mail?before={number}"),
        client.post(f"/e/{event.key}/post", data={"webhook": number}),  # ignored
        client.post(f"/e/{event.key}/requests", data={"one": f"approve:{number}"}),
        client.post(f"/e/{event.key}/requests", data={"action": "decline", "ids": [number]}),
    ]
    assert [r.status_code for r in replies] == [404, 302, 400, 400]


def test_a_row_id_is_ascii_digits_within_the_column():
    sent = ("1", "2147483647", "2147483648", " 1", "-1", "1.0", "\u0661")
    assert [row_id(n) for n in sent] == [1, 2147483647, None, None, None, None, None]


# ------------------------------------------------------------------ a bad row stored


def _bad_row(event: Event) -> None:
    """What an event set to 9995 before the bound looks like: written straight to the table."""
    db.session.execute(
        update(Event)
        .where(Event.id == event.id)
        .values(starts_at=FAR, ends_at=FAR + timedelta(hours=2))
    )
    db.session.commit()
    db.session.expire_all()


def test_a_row_no_calendar_can_hold_is_left_out_of_feeds_and_logged(app, client, caplog):
    group = make_group(make_user())
    good = make_event(group, title="Fine evening")
    bad = make_event(group, title="Far future")
    ana = make_user()
    add_member(group, ana)
    make_rsvp(good, ana)
    make_rsvp(bad, ana)
    _bad_row(bad)
    with caplog.at_level(logging.WARNING):
        group_feed = client.get(f"/g/{group.slug}/calendar.ics")
        personal = client.get(f"/cal/{ana.feed_token}.ics")
    for resp in (group_feed, personal):
        assert resp.status_code == 200
        assert str(only_event(resp.data)["SUMMARY"]) == "Fine evening"
    assert f"event {bad.id} left out" in caplog.text
    resp = client.get(f"/e/{bad.key}/event.ics")
    assert resp.status_code == 409
    assert client.get(f"/e/{good.key}/event.ics").status_code == 200


def test_a_row_no_calendar_can_hold_never_stops_the_outbox(app):
    group = make_group(make_user())
    bad = make_event(group)
    _bad_row(bad)
    ana = make_user()
    answers.answer(db.session.get(Event, bad.id), ana, True)
    db.session.commit()
    queue_messages(1, subject="Fine")
    sent = send_outbox()  # the pass runs to its end: nothing raised
    assert "Fine" in [m["Subject"] for m in sent]
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_addr == ana.email))
    assert row.status in ("sent", "failed")  # written as it can be, or failed alone
