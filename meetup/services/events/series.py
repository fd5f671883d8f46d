"""Recurring series: events on a rhythm, each occurrence its own event.

The rule: every week, every two weeks, or monthly on the same weekday of the month as the
first date ("the first Thursday", "the last Friday"), ending on a date or after a count.
Occurrences keep the first one's wall-clock time in the event's zone, across daylight saving.

Occurrences are created as they come within HORIZON (the first at once), by `extend`, which
the worker runs on every pass (`extend_all`); each new one is announced to the series'
followers, once per person. An occurrence's index in the rule is unique per series, so a
date is created once, however many workers pass, and cancelling one leaves it cancelled
rather than making room for it again.

Editing the series applies to its future occurrences that nobody edited one by one; editing
one occurrence (`update_event`) detaches it from the series' edits.
"""

from __future__ import annotations

import copy
from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import MONTHLY, WEEKLY, rrule, weekday
from flask_babel import gettext as _
from sqlalchemy import func, select

from ...extensions import db
from ...models import SERIES_FREQUENCIES, Event, Group, Series, SeriesFollower, User, utcnow
from ...timeutil import format_in_zone, local_to_utc, wall_clock_exists
from ...urls import event_url, series_url
from .. import permissions
from ..errors import DomainError
from ..mail import messages as mail
from ..tokens import new_event_key
from . import editing, questions
from .editing import EventInput

HORIZON = timedelta(days=62)  # occurrences exist this far ahead
MAX_OCCURRENCES = 104  # two years of weeks
MAX_SPAN = timedelta(days=2 * 366)

# The event fields a series copies to each occurrence (dates are the rule's).
_TEMPLATE_FIELDS = (
    "title", "description", "venue_name", "venue_address", "capacity", "visibility",
    "claim_window_hours", "reminder_hours", "intros_delay_hours", "timezone",
    "requires_approval", "hide_address",
    "max_guests", "parties_may_pass",
)  # fmt: skip


def create_series(
    group: Group,
    user: User,
    data: EventInput,
    *,
    frequency: str,
    until: date | None = None,
    count: int | None = None,
    now: datetime | None = None,
) -> Series:
    """A series whose first occurrence is `data`; the occurrences within the horizon are
    created at once."""
    permissions.require_organizer(group, user)
    now = now or utcnow()
    first = editing.create_event(group, user, data, now=now)  # validates the event fields
    return _attach(first, user, data, frequency=frequency, until=until, count=count, now=now)


def repeat_event(
    event: Event,
    user: User,
    *,
    frequency: str,
    until: date | None = None,
    count: int | None = None,
    now: datetime | None = None,
) -> Series:
    """Turn an existing event into the first occurrence of a new series."""
    permissions.require_organizer(event.group_id, user)
    if event.series_id is not None:
        raise DomainError("already_in_series")
    if event.cancelled_at is not None:
        raise DomainError("cancelled_event_is_final")
    now = now or utcnow()
    return _attach(event, user, input_of(event), frequency=frequency, until=until, count=count,
                   now=now)  # fmt: skip


def _attach(first: Event, user: User, data: EventInput, *, frequency, until, count, now) -> Series:
    _check_rule(frequency, data.starts_local, until, count)
    series = Series(
        key=new_event_key(),
        group_id=first.group_id,
        frequency=frequency,
        first_start_local=data.starts_local,
        until=until,
        count=count,
        template=_template(data),
        created_by_id=user.id,
        created_at=now,
    )
    db.session.add(series)
    db.session.flush()
    first.series_id, first.series_index = series.id, 0
    db.session.flush()
    extend(series, now=now)
    return series


def update_series(
    series: Series, user: User, data: EventInput, *, now: datetime | None = None
) -> int:
    """Apply an edit of the time, length and details to the series and to each future
    occurrence nobody edited on its own (attendees get the usual updates). `data`'s dates
    give the time of day and the length; the rule's dates stay. Returns how many changed."""
    permissions.require_organizer(series.group_id, user)
    now = now or utcnow()
    if data.ends_local <= data.starts_local:
        raise DomainError("event_end_before_start", field="end_time")
    series.template = _template(data)
    db.session.flush()
    changed = 0
    for event in _future(series, now):
        if event.series_detached or event.cancelled_at is not None:
            continue
        day = _local_start(event).date()
        if editing.update_event(event, user, _occurrence_input(series, day), now=now,
                                from_series=True):  # fmt: skip
            changed += 1
    return changed


def stop_series(series: Series, user: User, *, now: datetime | None = None) -> None:
    """No new occurrences; those already created stay (cancel them one by one)."""
    permissions.require_organizer(series.group_id, user)
    if series.stopped_at is None:
        series.stopped_at = now or utcnow()
        db.session.flush()


def extend(series: Series, *, now: datetime | None = None) -> list[Event]:
    """Create the occurrences that have come within the horizon; returns the new ones."""
    now = now or utcnow()
    if series.stopped_at is not None:
        return []
    existing = set(
        db.session.scalars(select(Event.series_index).where(Event.series_id == series.id))
    )
    new = []
    asked = questions.for_new_date(series.id)  # a new date asks what the latest one asks
    for index, day in enumerate(occurrence_dates(series)):
        starts_at = _start_utc(series, day)
        if starts_at is None or index in existing:
            continue
        if starts_at > now + HORIZON:
            break
        if starts_at <= now:
            continue
        event = editing.new_event(
            series.group_id, series.created_by_id, _occurrence_input(series, day), now=now,
            series_id=series.id, series_index=index,
        )  # fmt: skip
        event.questions = copy.deepcopy(asked)
        new.append(event)
    db.session.flush()
    return new


def extend_all(now: datetime) -> int:
    """Worker job: new occurrences of every running series, each told to its followers."""
    made = 0
    for series in db.session.scalars(select(Series).where(Series.stopped_at.is_(None))):
        for event in extend(series, now=now):
            _tell_followers(series, event, now)
            made += 1
    return made


def _tell_followers(series: Series, event: Event, now: datetime) -> None:
    followers = db.session.scalars(
        select(User).join(SeriesFollower, SeriesFollower.user_id == User.id)
        .where(SeriesFollower.series_id == series.id)
    )  # fmt: skip
    when = format_in_zone(event.starts_at, event.timezone)
    for user in followers:
        if event.visibility == "members" and not permissions.is_member(event.group_id, user):
            continue
        mail.queue(
            user,
            "series_new_date",
            _("New date: %(title)s, %(when)s", title=event.title, when=when),
            context={"event": event, "when": when, "event_url": event_url(event.key),
                     "series_url": series_url(series.key)},
            dedupe_key=f"series_new:{event.id}:{user.id}",
            group_id=event.group_id,
            now=now,
        )  # fmt: skip


# ------------------------------------------------------------------ following


def follow(series: Series, user: User, *, now: datetime | None = None) -> bool:
    """Returns False when they already follow it."""
    if is_following(series, user):
        return False
    db.session.add(SeriesFollower(series_id=series.id, user_id=user.id, created_at=now or utcnow()))
    db.session.flush()
    return True


def unfollow(series: Series, user: User) -> None:
    db.session.execute(
        SeriesFollower.__table__.delete().where(
            SeriesFollower.series_id == series.id, SeriesFollower.user_id == user.id
        )
    )


def is_following(series: Series, user: User) -> bool:
    return bool(
        db.session.scalar(
            select(func.count()).where(
                SeriesFollower.series_id == series.id, SeriesFollower.user_id == user.id
            )
        )
    )


def follower_count(series: Series) -> int:
    return db.session.scalar(select(func.count()).where(SeriesFollower.series_id == series.id))


# ------------------------------------------------------------------ reading


def can_view(series: Series, user: User | None) -> bool:
    """As for its events: public series for anyone, members-only ones for members."""
    return series.template.get("visibility") == "public" or permissions.is_member(
        series.group_id, user
    )


def get_by_key(key: str) -> Series | None:
    if not key or len(key) > 32:
        return None
    return db.session.scalar(select(Series).where(Series.key == key))


def upcoming(series: Series, now: datetime | None = None, limit: int = 20) -> list[Event]:
    return list(_future(series, now or utcnow(), limit=limit))


def _future(series: Series, now: datetime, limit: int | None = None):
    query = (
        select(Event)
        .where(Event.series_id == series.id, Event.ends_at > now)
        .order_by(Event.starts_at)
    )
    if limit:
        query = query.limit(limit)
    return db.session.scalars(query).all()


def occurrence_dates(series: Series):
    """The local dates of the rule, in order (index 0 = the first)."""
    return _dates(series.frequency, series.first_start_local, series.until, series.count)


def nth_weekday(day: date) -> int:
    """Which weekday of its month a date is: 1..4, or -1 for the last (a fifth one is last)."""
    nth = (day.day - 1) // 7 + 1
    return -1 if nth >= 5 else nth


def input_of(event: Event) -> EventInput:
    start, end = _local_start(event), _local(event, event.ends_at)
    deadline = _local(event, event.rsvp_deadline) if event.rsvp_deadline else None
    return EventInput(
        **{f: getattr(event, f) for f in _TEMPLATE_FIELDS},
        starts_local=start,
        ends_local=end,
        rsvp_deadline_local=deadline,
    )


# ------------------------------------------------------------------ rules


def _check_rule(frequency: str, first: datetime, until: date | None, count: int | None) -> None:
    if frequency not in SERIES_FREQUENCIES:
        raise DomainError("invalid", field="repeat")
    if (until is None) == (count is None):
        raise DomainError("series_needs_an_end", field="repeat_count")
    if count is not None and not 2 <= count <= MAX_OCCURRENCES:
        raise DomainError("out_of_range", field="repeat_count", low=2, high=MAX_OCCURRENCES)
    if until is not None:
        if until <= first.date():
            raise DomainError("series_until_before_start", field="repeat_until")
        if until - first.date() > MAX_SPAN:
            raise DomainError("series_too_long", field="repeat_until")


def _dates(frequency: str, first: datetime, until: date | None, count: int | None):
    if frequency == "monthly":
        nth = nth_weekday(first.date())
        rule = rrule(MONTHLY, dtstart=first, byweekday=weekday(first.weekday(), nth),
                     until=_end_of(until), count=count)  # fmt: skip
    else:
        interval = 2 if frequency == "biweekly" else 1
        rule = rrule(WEEKLY, interval=interval, dtstart=first, until=_end_of(until), count=count)
    return (d.date() for d in islice(rule, MAX_OCCURRENCES))


def _end_of(day: date | None) -> datetime | None:
    return datetime.combine(day, time.max) if day else None


def _template(data: EventInput) -> dict:
    values = asdict(data)
    start, end = data.starts_local, data.ends_local
    template = {f: values[f] for f in _TEMPLATE_FIELDS}
    template["start_time"] = start.time().isoformat(timespec="minutes")
    template["minutes"] = int((end - start).total_seconds() // 60)
    template["deadline_minutes"] = (
        int((start - data.rsvp_deadline_local).total_seconds() // 60)
        if data.rsvp_deadline_local
        else None
    )
    return template


def _occurrence_input(series: Series, day: date) -> EventInput:
    t = series.template
    start = datetime.combine(day, time.fromisoformat(t["start_time"]))
    deadline = t.get("deadline_minutes")
    return EventInput(
        **{
            f: t[f] for f in _TEMPLATE_FIELDS if f in t
        },  # a template older than a field: its default
        starts_local=start,
        ends_local=start + timedelta(minutes=t["minutes"]),
        rsvp_deadline_local=start - timedelta(minutes=deadline) if deadline is not None else None,
    )


def _start_utc(series: Series, day: date) -> datetime | None:
    """None for a date whose start time doesn't exist there (a daylight-saving gap)."""
    t = series.template
    at = time.fromisoformat(t["start_time"])
    if not wall_clock_exists(day, at, t["timezone"]):
        return None
    return local_to_utc(day, at, t["timezone"])


def _local(event: Event, moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(event.timezone)).replace(tzinfo=None)


def _local_start(event: Event) -> datetime:
    return _local(event, event.starts_at)
