"""Reading our calendar files back with two independent parsers (icalendar and vobject)."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import vobject


def _fresh_vobject(text: str):
    """vobject keeps the zones it has read in a global registry, by TZID: start afresh so the
    VTIMEZONE of this very file is the one that interprets its times (as a new client would)."""
    vobject.icalendar.__dict__["__tzidMap"].clear()
    return vobject.readOne(text)


def parse(data: bytes | str) -> icalendar.Calendar:
    """Parse with icalendar and vobject, check what every file we write must hold."""
    text = data.decode() if isinstance(data, bytes) else data
    cal = icalendar.Calendar.from_ical(text)
    second = _fresh_vobject(text)
    assert second.name == "VCALENDAR"
    assert str(cal["VERSION"]) == "2.0" and cal.get("PRODID")
    method = str(cal["METHOD"])
    assert second.method.value == method
    zones = {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}
    events = cal.walk("VEVENT")
    assert len(events) == len(getattr(second, "vevent_list", []))
    for vevent in events:
        for key in ("UID", "DTSTAMP", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY"):
            assert key in vevent, key
        for key in ("DTSTART", "DTEND", "DTSTAMP"):
            value = vevent.decoded(key)
            assert isinstance(value, datetime) and value.tzinfo is not None, f"{key} floating"
            tzid = vevent[key].params.get("TZID")
            assert tzid is None or tzid in zones, f"no VTIMEZONE for {tzid}"
    return cal


def vobject_instants(data: bytes | str) -> list[tuple[str, datetime, datetime]]:
    """(UID, start, end) in UTC as vobject (dateutil, reading our VTIMEZONE) understands them."""
    text = data.decode() if isinstance(data, bytes) else data
    out = []
    for vevent in _fresh_vobject(text).vevent_list:
        start, end = vevent.dtstart.value, vevent.dtend.value
        out.append((vevent.uid.value, start.astimezone(UTC), end.astimezone(UTC)))
    return out


def only_event(data: bytes | str) -> icalendar.Event:
    events = parse(data).walk("VEVENT")
    assert len(events) == 1
    return events[0]
