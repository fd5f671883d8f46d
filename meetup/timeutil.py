"""Event times: stored in UTC, entered and shown in the event's IANA zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_datetime, get_timezone_location
from babel.numbers import format_decimal
from babel.numbers import format_percent as babel_format_percent
from flask_babel import get_locale, gettext

# The times the app takes from anyone (event forms, RSVP deadlines, scans synced late): from
# 2000 to a few years ahead. Outside, a reading can't always be converted between zones (year
# 1 or 9999 overflow) and calendar files no reader can use would be stored for good.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
YEARS_AHEAD = 5
_ZONE_SLACK = timedelta(days=1)  # no zone is a day away from UTC


def latest(now: datetime) -> datetime:
    """The latest time an event may be set to, `now` being now."""
    return now + timedelta(days=round(365.25 * YEARS_AHEAD))


def reading_in_window(reading: datetime, now: datetime) -> bool:
    """A wall-clock reading (naive, in any zone) that is, once in UTC, between EARLIEST and
    latest(now): checked on the reading itself, before any zone arithmetic can overflow."""
    low = (EARLIEST + _ZONE_SLACK).replace(tzinfo=None)
    high = (latest(now) - _ZONE_SLACK).astimezone(UTC).replace(tzinfo=None)
    return low <= reading.replace(tzinfo=None) <= high


def instant_in_window(instant: datetime, *, earliest: datetime, latest: datetime) -> bool:
    """An aware instant between two others, compared without converting it to a zone (its own
    offset could carry it past year 9999 or before year 1)."""
    if not EARLIEST.year - 1 <= instant.year <= latest.year + 1:
        return False
    return earliest <= instant <= latest


@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def is_valid_timezone(name: str | None) -> bool:
    if not name or name not in timezone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_to_utc(day: date, at: time, tz: str) -> datetime:
    """Wall-clock time in `tz` to UTC. In a DST gap the clock reading is moved forward
    (fold=0 is what zoneinfo gives, and the caller warns when the reading doesn't exist)."""
    local = datetime.combine(day, at).replace(tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC)


def wall_clock_exists(day: date, at: time, tz: str) -> bool:
    """False inside a DST gap (e.g. 02:30 on the spring-forward night in Europe/Paris)."""
    local = datetime.combine(day, at).replace(tzinfo=ZoneInfo(tz))
    round_trip = local.astimezone(UTC).astimezone(ZoneInfo(tz))
    return round_trip.replace(tzinfo=None) == local.replace(tzinfo=None)


def in_zone(dt: datetime, tz: str) -> datetime:
    return dt.astimezone(ZoneInfo(tz))


def format_in_zone(dt: datetime | None, tz: str, fmt: str = "EEE d MMM y, HH:mm") -> str:
    """`dt` on the clock of `tz`, written as the page's language writes it: "Thu 17 Dec 2026,
    19:00"; in French "jeudi 17 décembre 2026, 19 h 00" (a full date spells out the day and
    month). Machine patterns (with "-" or seconds: file exports) are left as given."""
    if dt is None:
        return ""
    locale = _language()
    return _format(dt, tz, _localised(fmt, locale), locale)


@lru_cache(maxsize=2048)
def _format(dt: datetime, tz: str, pattern: str, locale: str) -> str:
    """Babel's writing of a time, kept: a page of events writes the same dates again."""
    return format_datetime(dt, pattern, tzinfo=ZoneInfo(tz), locale=locale)


def _language() -> str:
    locale = get_locale()
    return str(locale) if locale else "en"


_FRENCH_CLOCK = re.compile(r"HH:mm(?!:)")


@lru_cache(maxsize=64)
def _localised(fmt: str, locale: str) -> str:
    if not locale.startswith("fr") or "-" in fmt or ":ss" in fmt:
        return fmt
    if "y" in fmt:  # a full date: "jeudi 17 décembre 2026" rather than "jeu. 17 déc. 2026"
        fmt = re.sub(r"(?<!E)EEE(?!E)", "EEEE", fmt)
        fmt = re.sub(r"(?<!M)MMM(?!M)", "MMMM", fmt)
    return _FRENCH_CLOCK.sub("H 'h' mm", fmt)  # "7 h 05", "19 h 00"


def zone_abbreviation(dt: datetime, tz: str) -> str:
    """ "CEST", "EDT", "IST"; zones without a letter abbreviation get "UTC+10:30", "UTC-03".
    In other languages than English, the zone's city as that language names it ("heure de
    Paris"), what a French reader expects rather than "CET"."""
    name = in_zone(dt, tz).tzname() or tz
    numeric = name[:1] in "+-" and name[1:].isdigit()
    language = _language()
    if not language.startswith("en") and "/" in tz and not tz.startswith("Etc/"):
        return _elide(gettext("%(city)s time", city=_city(tz, language)))
    if numeric:
        hours, minutes = name[1:3], name[3:5]
        return f"UTC{name[0]}{hours}" + (f":{minutes}" if minutes else "")
    return name


def zone_name(dt: datetime, tz: str) -> str:
    """The zone as an email names it beside a time: the IANA name in English ("Europe/Paris",
    plain to a reader anywhere), in other languages what zone_abbreviation() gives ("heure de
    Paris")."""
    if _language().startswith("en") or "/" not in tz or tz.startswith("Etc/"):
        return tz
    return zone_abbreviation(dt, tz)


@lru_cache(maxsize=256)
def _city(tz: str, language: str) -> str:
    return get_timezone_location(ZoneInfo(tz), locale=language, return_city=True)


def _elide(text: str) -> str:
    """French elision before a vowel: "heure de Amsterdam" -> "heure d’Amsterdam"."""
    return re.sub(r"\bde ([AEIOUYÉÈÊÂÎÔaeiouyéèêâîô])", r"d’\1", text)


def format_number(value: float | int | None, fmt: str | None = None) -> str:
    """A number as the page's language writes it: "1,5" and "12 345" in French."""
    if value is None:
        return ""
    return format_decimal(value, format=fmt, locale=_language())


def format_percent(value: float | None, fmt: str | None = None) -> str:
    """0.42 as "42%" ("42 %" in French)."""
    if value is None:
        return ""
    return babel_format_percent(value, format=fmt, locale=_language())
