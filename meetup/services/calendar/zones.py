"""VTIMEZONE components as Outlook and Google write them: the zone's current rule as RRULEs.

Outlook builds its zone from an observance's RRULE (and, without one, from a DTSTART in the
1970s); Google and Apple read the same form. The current rule is the one the zone database
states for the years after its last listed change (the POSIX TZ string closing each zone
file: `CET-1CEST,M3.5.0,M10.5.0/3`). It is written from the first year since which it has
held, and only the changes that differ from it *within the range of the events* (the years
they fall in, and the year either side) are added as observances with RDATEs. A zone with no
summer time is one STANDARD observance. A rule the RRULE can't say (a day-of-year rule) leaves
the changes of the range as RDATEs.

Onsets are local readings of the clock before the change (RFC 5545 3.6.5), one RDATE a line.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

EPOCH_YEAR = 1970
YEARS = (1900, 2200)  # the years a VTIMEZONE is written for
STEP = 4 * 86400  # seconds
DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")  # POSIX weekday numbers: 0 is Sunday

_OFFSET = r"[+-]?\d{1,3}(?::\d{2}(?::\d{2})?)?"
_NAME = r"<[^>]+>|[A-Za-z]{3,}"
_RULE = rf"(M\d{{1,2}}\.\d\.\d|J?\d{{1,3}})(?:/({_OFFSET}))?"
_POSIX = re.compile(
    rf"^(?P<std>{_NAME})(?P<std_off>{_OFFSET})"
    rf"(?:(?P<dst>{_NAME})(?P<dst_off>{_OFFSET})?,(?P<start>{_RULE}),(?P<end>{_RULE}))?$"
)


@dataclass(frozen=True)
class Change:
    """A change of offset: its UTC instant, the offsets either side, the name after it."""

    at: datetime
    before: timedelta
    after: timedelta
    name: str
    dst: bool

    @property
    def onset(self) -> datetime:
        """The local reading of the clock before the change, as DTSTART and RDATE say it."""
        return (self.at + self.before).replace(tzinfo=None)


@dataclass(frozen=True)
class YearlyRule:
    """One change a year: in `month`, on `weekday` of week `week` (5: the last), at `time`
    (local, before the change; may pass midnight either way)."""

    month: int
    week: int
    weekday: int
    time: timedelta
    before: timedelta
    after: timedelta
    name: str
    dst: bool

    def onset(self, year: int) -> datetime:
        first = date(year, self.month, 1)
        day = first + timedelta(days=(self.weekday - first.isoweekday() % 7) % 7)
        day += timedelta(weeks=self.week - 1)
        while day.month != self.month:  # week 5: the last such day of the month
            day -= timedelta(weeks=1)
        return datetime(day.year, day.month, day.day) + self.time

    def change(self, year: int) -> Change:
        at = (self.onset(year) - self.before).replace(tzinfo=UTC)
        return Change(at, self.before, self.after, self.name, self.dst)

    def rrule(self) -> str | None:
        """The RRULE saying this rule, or None when it can't (a time past midnight on the
        last such weekday: the day before the last Sunday isn't always the last Saturday)."""
        shift = self.time.days  # whole days the time moves the change (timedelta floors)
        weekday = DAYS[(self.weekday + shift) % 7]
        if shift == 0:
            week = "-1" if self.week == 5 else str(self.week)
            return f"FREQ=YEARLY;BYMONTH={self.month};BYDAY={week}{weekday}"
        if self.week == 5:
            return None
        low = 1 + (self.week - 1) * 7 + shift
        days = range(low, low + 7)
        if days.start < 1 or days[-1] > (28 if self.month == 2 else 30):
            return None
        monthdays = ",".join(str(d) for d in days)
        return f"FREQ=YEARLY;BYMONTH={self.month};BYDAY={weekday};BYMONTHDAY={monthdays}"


# ------------------------------------------------------------------ the zone's current rule


def _zone_file(tzid: str) -> bytes | None:
    """The zone's TZif file, found where ZoneInfo looks: TZPATH first, then tzdata."""
    for root in zoneinfo.TZPATH:
        path = Path(root, tzid)
        if path.is_file():
            return path.read_bytes()
    try:
        return resources.files("tzdata.zoneinfo").joinpath(*tzid.split("/")).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return None


def posix_rule(tzid: str) -> str | None:
    """The POSIX TZ string closing the zone's file (TZif version 2 and later)."""
    data = _zone_file(tzid)
    if not data or not data.startswith(b"TZif") or data[4:5] == b"\x00":
        return None
    footer = data.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    return footer.decode("ascii", "replace").strip() or None


def _offset(text: str) -> timedelta:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")] + [0, 0]
    return sign * timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2])


def _name(text: str) -> str:
    return text.strip("<>")


def current_rules(tzid: str) -> tuple[timedelta, str, list[YearlyRule]] | None:
    """(standard offset, its name, the yearly changes: none, or summer time's start and
    end), from the zone's POSIX string; None when it can't be read or says a day of the year.
    """
    text = posix_rule(tzid)
    match = _POSIX.match(text or "")
    if match is None:
        return None
    std = -_offset(match["std_off"])  # POSIX counts west of Greenwich as positive
    if not match["dst"]:
        return std, _name(match["std"]), []
    dst = -_offset(match["dst_off"]) if match["dst_off"] else std + timedelta(hours=1)
    rules = []
    for part, before, after, name, is_dst in (
        (match["start"], std, dst, match["dst"], True),
        (match["end"], dst, std, match["std"], False),
    ):
        day, _, time = part.partition("/")
        if not day.startswith("M"):
            return None
        month, week, weekday = (int(n) for n in day[1:].split("."))
        at = _offset(time) if time else timedelta(hours=2)
        rules.append(YearlyRule(month, week, weekday, at, before, after, _name(name), is_dst))
    return std, _name(match["std"]), rules


# ------------------------------------------------------------------ what the zone does


def _changes(tzid: str, start: datetime, end: datetime) -> list[Change]:
    """Every change of offset in [start, end), narrowed to the second. Steps of 4 days find
    every change 1 day steps find, in every zone from 1970 to 2040 (the shortest period,
    Boa Vista's week of summer time in 2000, lasts 7)."""
    zone = ZoneInfo(tzid)

    def offset(second: int) -> timedelta:
        return datetime.fromtimestamp(second, zone).utcoffset()

    found = []
    t, stop = int(start.timestamp()), int(end.timestamp())
    current = offset(t)
    while t < stop:
        nxt = min(t + STEP, stop)
        if offset(nxt) != current:
            low, high = t, nxt  # low has the old offset, high the new one
            while high - low > 1:
                mid = (low + high) // 2
                low, high = (mid, high) if offset(mid) == current else (low, mid)
            local = datetime.fromtimestamp(high, zone)
            after = local.utcoffset()
            at = datetime.fromtimestamp(high, UTC)
            found.append(Change(at, current, after, local.tzname() or "", bool(local.dst())))
            current = after
        t = nxt
    return found


def _year(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


def _rule_changes(rules: list[YearlyRule], year: int) -> set[tuple]:
    low, high = _year(year)
    changes = (r.change(y) for r in rules for y in (year - 1, year, year + 1))
    return {(c.at, c.before, c.after) for c in changes if low <= c.at < high}


def _holds(tzid: str, std: timedelta, rules: list[YearlyRule], year: int) -> bool:
    """The zone does in `year` exactly what the rule says."""
    low, high = _year(year)
    actual = {(c.at, c.before, c.after) for c in _changes(tzid, low, high)}
    if actual != _rule_changes(rules, year):
        return False
    return bool(rules) or low.astimezone(ZoneInfo(tzid)).utcoffset() == std


# ------------------------------------------------------------------ the component


def _line(name: str, value: str) -> bytes:
    return f"{name}:{value}\r\n".encode()


def _stamp(dt: datetime) -> str:
    return dt.strftime("%Y%m%dT%H%M%S")


def _utc_offset(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")


def _observance(
    dst: bool, before: timedelta, after: timedelta, name: str, onsets: list[datetime], rrule=None
) -> bytes:
    kind = "DAYLIGHT" if dst else "STANDARD"
    out = [_line("BEGIN", kind), _line("DTSTART", _stamp(onsets[0]))]
    if rrule:
        out.append(_line("RRULE", rrule))
    out += [_line("RDATE", _stamp(onset)) for onset in onsets[1:]]
    out += [_line("TZNAME", name)] if name else []
    out += [
        _line("TZOFFSETFROM", _utc_offset(before)),
        _line("TZOFFSETTO", _utc_offset(after)),
        _line("END", kind),
    ]
    return b"".join(out)


def _history(changes: list[Change]) -> list[bytes]:
    """Changes as observances with RDATEs, one per kind, offsets and name."""
    groups: dict[tuple, list[datetime]] = {}
    for c in changes:
        groups.setdefault((c.dst, c.before, c.after, c.name), []).append(c.onset)
    return [_observance(*key, onsets) for key, onsets in groups.items()]


@lru_cache(maxsize=512)
def vtimezone(tzid: str, first_year: int, last_year: int) -> bytes:
    """The VTIMEZONE for events between these (UTC) years. ValueError outside YEARS: no
    event is dated there (a row that is cannot be written, and fails alone)."""
    if not (YEARS[0] <= first_year <= last_year <= YEARS[1]):
        raise ValueError(f"no zone written for the years {first_year} to {last_year}")
    low, high = first_year - 1, last_year + 1  # readings near New Year need the year before
    range_start, range_end = _year(low)[0], _year(high)[1]
    current = current_rules(tzid)
    rrules = [r.rrule() for r in current[2]] if current else []
    since = high + 1  # the first year of the current rule; past the range: it never held there
    if current is not None and None not in rrules:
        std, _std_name, rules = current
        while since > EPOCH_YEAR and _holds(tzid, std, rules, since - 1):
            since -= 1
    # What differs within the range: from the change in force at its start to the rule's.
    rule_from = _year(since)[0]
    earlier = _changes(tzid, range_start - timedelta(days=3 * 366), range_start)[-1:]
    history = earlier + _changes(tzid, range_start, min(range_end, rule_from))
    history = [c for c in history if c.at < rule_from]
    body = _history(history)
    onsets = [c.onset for c in history]
    if current is not None and None not in rrules:
        std, std_name, rules = current
        if not rules and not history:
            body.append(_observance(False, std, std, std_name, [datetime(since, 1, 1)]))
            onsets.append(datetime(since, 1, 1))
        for rule, rrule in zip(rules, rrules, strict=True):
            onset = rule.onset(since)
            body.append(_observance(rule.dst, rule.before, rule.after, rule.name, [onset], rrule))
            onsets.append(onset)
    first_reading = (range_start + range_start.astimezone(ZoneInfo(tzid)).utcoffset()).replace(
        tzinfo=None
    )
    if not onsets or min(onsets) > first_reading:
        # Nothing says the offset at the start of the range: say it as it stands there.
        local = range_start.astimezone(ZoneInfo(tzid))
        offset = local.utcoffset()
        start = datetime(low, 1, 1)
        body.insert(
            0, _observance(bool(local.dst()), offset, offset, local.tzname() or "", [start])
        )
    head = _line("BEGIN", "VTIMEZONE") + _line("TZID", tzid)
    return head + b"".join(body) + _line("END", "VTIMEZONE")
