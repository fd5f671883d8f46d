"""Any IANA zone, any instant (DST gaps and overlaps too): the UTC instant survives our file.

Our file is read back twice: by icalendar, and by vobject, which interprets the VTIMEZONE we
wrote with dateutil rather than looking the TZID up in its own database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meetup.models import Event, Group, Rsvp, User
from meetup.services.calendar import files as calendar
from meetup.timeutil import local_to_utc
from tests.ical_check import only_event, vobject_instants

NAMED = ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
ALL_ZONES = sorted(z for z in available_timezones() if z not in {"Factory", "localtime"})
zones = st.one_of(st.sampled_from(NAMED), st.sampled_from(ALL_ZONES))
years = st.integers(2001, 2031)  # within the years an event may have (2000 to five years ahead)


@lru_cache(maxsize=4096)
def transitions(tz: str, year: int) -> tuple[datetime, ...]:
    """UTC instants in `year` at which the zone's offset changes (to the minute)."""
    zone = ZoneInfo(tz)
    found = []
    step = timedelta(hours=6)
    t = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    while t < end:
        if t.astimezone(zone).utcoffset() != (t + step).astimezone(zone).utcoffset():
            low, high = t, t + step
            while high - low > timedelta(minutes=1):
                mid = low + (high - low) / 2
                if mid.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
                    low = mid
                else:
                    high = mid
            found.append(high.replace(second=0, microsecond=0))
        t += step
    return tuple(found)


@st.composite
def instants(draw) -> tuple[str, datetime]:
    """(zone, UTC instant): near a DST change, a wall-clock reading in a gap, or anywhere."""
    tz, year = draw(zones), draw(years)
    near = transitions(tz, year)
    kind = draw(st.sampled_from(["transition", "wall_clock", "any"] if near else ["any"]))
    if kind == "transition":
        minutes = draw(st.integers(-180, 180))
        return tz, draw(st.sampled_from(near)) + timedelta(minutes=minutes)
    if kind == "wall_clock":  # the organizer types a reading; gaps move forward, overlaps fold
        local = draw(st.sampled_from(near)).astimezone(ZoneInfo(tz)).replace(tzinfo=None)
        local += timedelta(minutes=draw(st.integers(-90, 90)))
        return tz, local_to_utc(local.date(), local.time(), tz)
    day = draw(st.dates(date(year, 1, 1), date(year, 12, 31)))
    at = draw(st.times()).replace(second=0, microsecond=0)
    return tz, local_to_utc(day, at, tz)


def _event(tz: str, start: datetime, minutes: int) -> Event:
    group = Group(id=1, slug="g", name="Group")
    return Event(
        id=1,
        key="evkey",
        group=group,
        group_id=1,
        title="Meetup",
        description="",
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        timezone=tz,
        venue_name="Hall",
        venue_address="",
        sequence=2,
        created_at=start - timedelta(days=30),
        updated_at=start - timedelta(days=1),
    )


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(instants(), st.integers(15, 12 * 60))
def test_utc_instant_survives_the_round_trip(app, zone_and_start, minutes):
    tz, start = zone_and_start
    start = start.replace(second=0, microsecond=0)
    event = _event(tz, start, minutes)
    end = event.ends_at
    for data in (
        calendar.event_file(event),
        calendar.feed("Feed", [event]),
        calendar.request_for(
            Rsvp(event=event, user=User(email="a@example.org", name="A"), ticket_token="t")
        ).ics,
    ):
        vevent = only_event(data)
        # In UTC: PEP 495 makes an ambiguous reading unequal to everything in another zone.
        read = [vevent.decoded(key).astimezone(UTC) for key in ("DTSTART", "DTEND")]
        assert read == [start, end]
        assert vobject_instants(data) == [("evkey@localhost", start, end)]


@pytest.mark.parametrize(
    ("tz", "local", "fold"),
    [
        ("Europe/Paris", datetime(2030, 10, 27, 2, 30), 0),  # 02:30 CEST, first pass
        ("Europe/Paris", datetime(2030, 10, 27, 2, 30), 1),  # 02:30 CET, second pass
        ("America/New_York", datetime(2030, 11, 3, 1, 15), 1),
        ("Australia/Lord_Howe", datetime(2030, 4, 7, 1, 45), 1),  # a half-hour change
    ],
)
def test_repeated_hour_is_written_unambiguously(app, tz, local, fold):
    start = local.replace(tzinfo=ZoneInfo(tz), fold=fold).astimezone(UTC)
    data = calendar.event_file(_event(tz, start, 60))
    vevent = only_event(data)
    assert vevent.decoded("DTSTART").astimezone(UTC) == start
    if fold:  # a TZID reading here would mean the first pass: UTC it is
        assert "TZID" not in vevent["DTSTART"].params
    else:
        assert vevent["DTSTART"].params["TZID"] == tz
    assert vobject_instants(data)[0][1] == start


def test_gap_reading_moves_forward_and_stays_consistent(app):
    start = local_to_utc(date(2030, 3, 31), time(2, 30), "Europe/Paris")  # doesn't exist
    assert start == datetime(2030, 3, 31, 1, 30, tzinfo=UTC)  # 03:30 CEST
    vevent = only_event(calendar.event_file(_event("Europe/Paris", start, 60)))
    assert vevent.decoded("DTSTART") == start
    assert vevent.decoded("DTSTART").replace(tzinfo=None) == datetime(2030, 3, 31, 3, 30)


@pytest.mark.parametrize(
    ("tz", "start"),
    [
        ("America/Boa_Vista", datetime(2000, 10, 10, 16, 0, tzinfo=UTC)),  # a week of -03
        ("Pacific/Fiji", datetime(2021, 1, 5, 7, 0, tzinfo=UTC)),  # four weeks of +13
        ("Africa/Casablanca", datetime(2013, 7, 20, 18, 0, tzinfo=UTC)),  # Ramadan: +00
        ("Asia/Jerusalem", datetime(1980, 8, 20, 16, 0, tzinfo=UTC)),  # six weeks of +03
    ],
)
def test_short_summer_times_are_in_the_vtimezone(app, tz, start):
    """Periods of a few weeks or less, which a 64-day sampling of the zone steps over."""
    local = start.astimezone(ZoneInfo(tz))
    data = calendar.event_file(_event(tz, start, 90))
    vevent = only_event(data)
    assert vevent["DTSTART"].params["TZID"] == tz
    assert vevent.decoded("DTSTART").replace(tzinfo=None) == local.replace(tzinfo=None)
    assert vobject_instants(data) == [("evkey@localhost", start, start + timedelta(minutes=90))]
