"""Calendar files as strict clients read them: a duration that is one, a VTIMEZONE in the
form Outlook and Google write (the current rule as RRULEs, RDATEs only where the zone's
history differs within the events' years), checked hour by hour against zoneinfo through
both parsers; a download named after the event, its description in plain text, and an
attendee's copy linking to their ticket."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from werkzeug.http import parse_options_header

from meetup.extensions import db
from meetup.services.calendar import files as calendar
from tests.factories import make_event, make_group, make_rsvp, make_user
from tests.ical_check import only_event, parse, vobject_instants


def _zone_file(app, tz: str, start: datetime) -> str:
    event = make_event(make_group(), starts_at=start, timezone=tz)
    return calendar.event_file(event).decode()


def _observances(text: str) -> list[icalendar.cal.Component]:
    [vtimezone] = icalendar.Calendar.from_ical(text).walk("VTIMEZONE")
    return list(vtimezone.subcomponents)


def _read_zones(text: str):
    """The zone as each parser builds it from our VTIMEZONE alone."""
    [vtimezone] = icalendar.Calendar.from_ical(text).walk("VTIMEZONE")
    vobject.icalendar.__dict__["__tzidMap"].clear()  # no zone remembered from another file
    return [vtimezone.to_tz(), vobject.readOne(text).vtimezone.gettzinfo()]


def _disagreements(text: str, tz: str, first: datetime, last: datetime) -> list[str]:
    """Hours (each instant's local reading, and local noons) where a parser's offset is not
    zoneinfo's."""
    zone, bad = ZoneInfo(tz), []
    for read in _read_zones(text):
        t = first
        while t < last:
            # As a client reads a time of ours: a local reading (the second pass through a
            # repeated hour is written in UTC, calendar.ical_time).
            local = t.astimezone(zone)
            reading = local.replace(tzinfo=read)
            if not local.fold and reading.utcoffset() != local.utcoffset():
                bad.append(f"{type(read).__name__} at {t}")
            noon = t.astimezone(zone).replace(hour=12, minute=0, tzinfo=None)
            if noon.replace(tzinfo=read).utcoffset() != noon.replace(tzinfo=zone).utcoffset():
                bad.append(f"{type(read).__name__} at local {noon}")
            t += timedelta(hours=1)
    return bad[:5]


@pytest.mark.parametrize(
    ("tz", "summer"),
    [
        ("Europe/Paris", True),
        ("America/Los_Angeles", True),
        ("Australia/Sydney", True),
        ("Asia/Jerusalem", True),  # the Friday before the last Sunday: BYMONTHDAY
        ("Asia/Tokyo", False),
        ("Asia/Kolkata", False),
    ],
)
def test_the_zone_is_its_current_rule_and_matches_zoneinfo_all_year(app, tz, summer):
    text = _zone_file(app, tz, datetime(2027, 6, 10, 16, 0, tzinfo=UTC))
    parse(text)
    observances = _observances(text)
    assert "RDATE" not in text
    if summer:
        assert sorted(o.name for o in observances) == ["DAYLIGHT", "STANDARD"]
        assert all("FREQ=YEARLY" in o["RRULE"].to_ical().decode() for o in observances)
        assert all(o.decoded("DTSTART").year < 2026 for o in observances)
    else:
        [standard] = observances
        assert standard.name == "STANDARD" and "RRULE" not in standard
        assert standard.decoded("DTSTART").year == 1970  # as Google writes a fixed zone
    first = datetime(2026, 1, 1, tzinfo=UTC)
    assert _disagreements(text, tz, first, datetime(2029, 1, 1, tzinfo=UTC)) == []


def test_the_paris_rule_reads_as_outlook_and_google_write_it(app):
    text = _zone_file(app, "Europe/Paris", datetime(2027, 3, 11, 18, 0, tzinfo=UTC))
    zone = text[text.index("BEGIN:VTIMEZONE") : text.index("END:VTIMEZONE")]
    assert zone.split("\r\n")[2:] == [
        "BEGIN:DAYLIGHT",
        "DTSTART:19960331T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "TZNAME:CEST",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        "DTSTART:19961027T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "TZNAME:CET",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "END:STANDARD",
        "",
    ]


@pytest.mark.parametrize(
    ("tz", "start"),
    [
        ("America/Los_Angeles", datetime(2007, 4, 2, 2, 0, tzinfo=UTC)),  # new US rule in 2007
        ("Europe/Moscow", datetime(2014, 12, 1, 15, 0, tzinfo=UTC)),  # summer time ended 2011-14
        ("Africa/Casablanca", datetime(2027, 2, 10, 18, 0, tzinfo=UTC)),  # Ramadan, listed
    ],
)
def test_history_that_differs_within_the_range_is_written_out(app, tz, start):
    text = _zone_file(app, tz, start)
    history = [o for o in _observances(text) if "RRULE" not in o]
    assert history  # the changes the current rule doesn't say, as DTSTART and RDATEs
    assert all(o.decoded("DTSTART").year >= start.year - 4 for o in history)
    first = datetime(start.year - 1, 1, 1, tzinfo=UTC)
    assert _disagreements(text, tz, first, datetime(start.year + 2, 1, 1, tzinfo=UTC)) == []
    assert vobject_instants(text)[0][1] == start


def test_no_zone_is_written_for_years_no_event_has():
    from meetup.services.calendar.zones import vtimezone

    for first, last in ((9995, 9995), (1, 2027), (2027, 2026)):
        with pytest.raises(ValueError):
            vtimezone("Europe/Paris", first, last)


def test_feeds_ask_to_be_polled_hourly_in_durations(app, client):
    group = make_group()
    make_event(group)
    body = client.get(f"/g/{group.slug}/calendar.ics").data.decode()
    assert "X-PUBLISHED-TTL:PT1H\r\n" in body
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    cal = parse(body)
    ttl = icalendar.prop.vDuration.from_ical(str(cal["X-PUBLISHED-TTL"]))
    assert ttl == timedelta(hours=1)


def _filename(disposition: str) -> tuple[str, str]:
    """(filename, filename*), the second decoded (RFC 5987) as an HTTP client does."""
    plain = re.search(r'filename="([^"]+)"', disposition).group(1)
    assert "filename*=UTF-8''" in disposition
    return plain, parse_options_header(disposition)[1]["filename"]


def test_the_download_is_named_after_the_event_and_reads_as_plain_text(app, client):
    event = make_event(
        make_group(),
        title="Soirée dbt & analytics: Lyon/Villeurbanne",
        description="Learn **dbt** with _us_.\n\n- [slides](https://example.org/s)\n- pizza",
    )
    resp = client.get(f"/e/{event.key}/event.ics")
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert disposition.isascii()
    assert _filename(disposition) == (
        "soiree-dbt-analytics-lyon-villeurbanne.ics",
        "Soirée-dbt-analytics-Lyon-Villeurbanne.ics",
    )
    description = str(only_event(resp.data)["DESCRIPTION"])
    assert description.startswith("Learn dbt with us.\n\n- slides (https://example.org/s)\n- pizza")
    assert "*" not in description and "_us_" not in description
    assert calendar.download_names("***") == ("event.ics", "event.ics")
    assert calendar.download_names("東京 Meetup")[0] == "meetup.ics"


def test_an_attendee_downloads_a_copy_linking_to_their_ticket(app, client, login):
    event = make_event(make_group(), title="Rust & Coffee")
    ana = make_user()
    rsvp = make_rsvp(event, ana)
    ticket = f"http://localhost/t/{rsvp.ticket_token}"

    login(client, ana)
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    own = f"/t/{rsvp.ticket_token}/event.ics"
    assert f'href="{own}"' in page
    ticket_page = client.get(f"/t/{rsvp.ticket_token}").get_data(as_text=True)
    assert f'href="{own}"' in ticket_page
    resp = client.get(own)
    assert resp.status_code == 200 and resp.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert "private" in resp.headers["Cache-Control"]
    assert _filename(resp.headers["Content-Disposition"])[0] == "rust-coffee.ics"
    assert f"Your ticket: {ticket}" in str(only_event(resp.data)["DESCRIPTION"])
    assert ticket not in client.get(f"/e/{event.key}/event.ics").get_data(as_text=True)
    assert client.get(own, headers={"If-None-Match": resp.headers["ETag"]}).status_code == 304

    token = rsvp.ticket_token
    rsvp.status, rsvp.ticket_token = "not_going", None  # gave up the seat: no ticket in it
    db.session.commit()
    assert client.get(f"/t/{token}/event.ics").status_code == 404
    assert client.get("/t/not-a-ticket/event.ics").status_code == 404


def test_every_calendar_file_carries_the_zone_as_its_rule(app, client):
    """The event's file, an attendee's copy, both feeds, and every emailed file (REQUEST,
    CANCEL, a guest's PUBLISH, the guest's file after a move) write the same VTIMEZONE: the
    current rule as RRULEs, no list of RDATEs."""
    from sqlalchemy import select

    from meetup.models import OutboxMessage
    from meetup.services.events import answers, editing
    from meetup.services.events.guests import GuestInput
    from tests.test_calendar_delivery import _edit

    organizer = make_user()
    group = make_group(organizer, slug="pyparis")
    start = datetime(2027, 6, 10, 16, 0, tzinfo=UTC)
    event = make_event(group, starts_at=start, timezone="Europe/Paris", max_guests=1)
    ana = make_user()
    party = answers.Answers(guests=[GuestInput("Bo Li", "bo@example.org")])
    rsvp = answers.answer(event, ana, True, party)
    db.session.commit()
    files = {
        "event": client.get(f"/e/{event.key}/event.ics").data.decode(),
        "copy": client.get(f"/t/{rsvp.ticket_token}/event.ics").data.decode(),
        "group feed": client.get("/g/pyparis/calendar.ics").data.decode(),
        "own feed": client.get(f"/cal/{ana.feed_token}.ics").data.decode(),
    }
    moved = _edit(event)
    moved.starts_local += timedelta(hours=1)
    moved.ends_local += timedelta(hours=1)
    editing.update_event(event, organizer, moved)
    editing.cancel_event(event, organizer)  # her CANCEL
    db.session.commit()
    emailed = db.session.execute(
        select(OutboxMessage.subject, OutboxMessage.ics_method, OutboxMessage.ics).where(
            OutboxMessage.ics.is_not(None)
        )
    ).all()
    assert {method for _s, method, _i in emailed} == {"REQUEST", "PUBLISH", "CANCEL"}
    files |= {f"{subject} ({method})": ics for subject, method, ics in emailed}
    for name, text in files.items():
        parse(text)
        assert "RDATE" not in text, name
        rules = [o["RRULE"] for o in _observances(text)]
        assert len(rules) == 2, name  # summer and winter, each a yearly rule
        assert _disagreements(text, "Europe/Paris", start - timedelta(days=200), start) == []
