"""The insights page's figures: the funnel over a period, per channel and overall, and each
event's attendance and introductions. Three queries for the funnel and two for the events,
whatever the size of the group; nothing is counted in Python.

What each figure means (the page says the same):
- reached: members at the end of the period; joined: memberships started during it;
- going: people who held a seat at an event of the period (still, or given up since);
- came: admitted at the door; a no-show held a seat at an event that has ended and didn't come;
- late cancellation: a seat given up less than 24 hours before the start;
- walk-in: registered at the door; promotions that came: seated from the waitlist, then came;
- got an introduction: one was sent to them; accepted one: they said yes; met: they said so.
Events that were cancelled are left out; a person is counted once per figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, func, literal, or_, select, union_all
from sqlalchemy.sql import ColumnElement

from ...extensions import db
from ...models import CheckinLog, Event, Group, IntroPair, Invite, Membership, Rsvp, utcnow
from ..intros.proposals import LIVE, Counts, counts_by_event
from .channels import Channel, channel_columns

STAGES = ("reached", "joined", "going", "came", "introduced", "accepted", "met")
LATE_HOURS = 24


@dataclass(frozen=True)
class Period:
    start: datetime | None  # None: since the beginning
    end: datetime  # exclusive

    def contains(self, column: ColumnElement) -> ColumnElement:
        after = column >= self.start if self.start is not None else literal(True)
        return and_(after, column < self.end)


@dataclass
class Funnel:
    channel: Channel | None  # None: everyone
    reached: int = 0
    joined: int = 0
    going: int = 0
    came: int = 0
    introduced: int = 0
    accepted: int = 0
    met: int = 0

    def stages(self) -> list[tuple[str, int]]:
        return [(name, getattr(self, name)) for name in STAGES]

    def add(self, other: Funnel) -> None:
        for name in STAGES:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class EventFigures:
    id: int
    key: str
    title: str
    starts_at: datetime
    timezone: str
    ended: bool
    going: int
    waitlisted: int
    came: int
    late_cancellations: int
    walk_ins: int
    promoted_came: int
    intros: Counts = field(default_factory=Counts)

    @property
    def no_shows(self) -> int | None:
        return self.going - self.came if self.ended else None

    @property
    def no_show_rate(self) -> float | None:
        """No-shows over seats held at the end; None before the event or without seats."""
        if not self.ended or not self.going:
            return None
        return (self.going - self.came) / self.going


def hours_before(later: ColumnElement, earlier: ColumnElement) -> ColumnElement:
    """later - earlier in hours, on either database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 3600.0
    return (func.julianday(later) - func.julianday(earlier)) * 24.0


def _member_join(query, group_id_column: ColumnElement, user_id_column: ColumnElement):
    return query.outerjoin(
        Membership,
        and_(Membership.group_id == group_id_column, Membership.user_id == user_id_column),
    ).outerjoin(Invite, Invite.id == Membership.invite_id)


def _distinct(condition: ColumnElement, column: ColumnElement) -> ColumnElement:
    """How many different `column` values among the rows where `condition` holds."""
    return func.count(func.distinct(case((condition, column))))


def funnel(group: Group, period: Period) -> tuple[Funnel, list[Funnel]]:
    """(overall, per channel), channels in a stable order. Each person has one channel (their
    membership's), so the overall figures are the channels' sums."""
    source, label = channel_columns()
    by_channel: dict[Channel, Funnel] = {}

    def row(src: str, lab: str) -> Funnel:
        channel = Channel(src, lab if src == "invite" else "")
        return by_channel.setdefault(channel, Funnel(channel))

    members = db.session.execute(
        select(
            source,
            label,
            func.count().filter(Membership.joined_at < period.end),
            func.count().filter(period.contains(Membership.joined_at)),
        )
        .select_from(Membership)
        .outerjoin(Invite, Invite.id == Membership.invite_id)
        .where(Membership.group_id == group.id)
        .group_by(source, label)
    )
    for src, lab, reached, joined in members:
        f = row(src, lab)
        f.reached += reached
        f.joined += joined

    held = or_(Rsvp.status == "going", Rsvp.cancelled_at.is_not(None))
    came = and_(Rsvp.status == "going", Rsvp.checked_in_at.is_not(None))
    answers = db.session.execute(
        _member_join(
            select(source, label, _distinct(held, Rsvp.user_id), _distinct(came, Rsvp.user_id))
            .select_from(Rsvp)
            .join(Event, Event.id == Rsvp.event_id),
            Event.group_id,
            Rsvp.user_id,
        )
        .where(_in_period(group, period))
        .group_by(source, label)
    )
    for src, lab, going, came_ in answers:
        f = row(src, lab)
        f.going += going
        f.came += came_

    sides = _intro_sides()
    intros = db.session.execute(
        _member_join(
            select(
                source,
                label,
                _distinct(sides.c.sent_at.is_not(None), sides.c.user_id),
                _distinct(sides.c.answer == "yes", sides.c.user_id),
                _distinct(sides.c.met == "yes", sides.c.user_id),
            )
            .select_from(sides)
            .join(Event, Event.id == sides.c.event_id),
            Event.group_id,
            sides.c.user_id,
        )
        .where(_in_period(group, period))
        .group_by(source, label)
    )
    for src, lab, introduced, accepted, met in intros:
        f = row(src, lab)
        f.introduced += introduced
        f.accepted += accepted
        f.met += met

    channels = sorted(by_channel.values(), key=lambda f: (-f.reached, f.channel))
    overall = Funnel(None)
    for f in channels:
        overall.add(f)
    return overall, channels


def _in_period(group: Group, period: Period) -> ColumnElement:
    return and_(
        Event.group_id == group.id, Event.cancelled_at.is_(None), period.contains(Event.starts_at)
    )


def _intro_sides():
    """Both people of every live introduction, one row each: (event, person, their answer,
    their "did you meet?", when it was sent)."""
    live = IntroPair.status.in_(LIVE)
    side_a = select(
        IntroPair.event_id,
        IntroPair.user_a_id.label("user_id"),
        IntroPair.answer_a.label("answer"),
        IntroPair.met_a.label("met"),
        IntroPair.sent_at,
    ).where(live)
    side_b = select(
        IntroPair.event_id,
        IntroPair.user_b_id,
        IntroPair.answer_b,
        IntroPair.met_b,
        IntroPair.sent_at,
    ).where(live)
    return union_all(side_a, side_b).subquery("sides")


def event_figures(
    group: Group, period: Period, *, event_id: int | None = None, now: datetime | None = None
) -> list[EventFigures]:
    """Each event of the period (or the one `event_id`), oldest first, with its intro counts:
    two queries."""
    now = now or utcnow()
    where = [_in_period(group, period)] if event_id is None else [Event.id == event_id]
    walk_ins = (
        select(CheckinLog.rsvp_id)
        .join(Event, Event.id == CheckinLog.event_id)
        .where(*where, CheckinLog.method == "walkin", CheckinLog.action == "checkin")
        .distinct()
        .subquery("walk_ins")
    )
    going = Rsvp.status == "going"
    came = and_(going, Rsvp.checked_in_at.is_not(None))
    late = and_(
        Rsvp.status == "not_going",
        Rsvp.cancelled_at.is_not(None),
        hours_before(Event.starts_at, Rsvp.cancelled_at) < LATE_HOURS,
    )
    rows = db.session.execute(
        select(
            Event.id,
            Event.key,
            Event.title,
            Event.starts_at,
            Event.timezone,
            Event.ends_at,
            func.count(Rsvp.id).filter(going),
            func.count(Rsvp.id).filter(Rsvp.status == "waitlisted"),
            func.count(Rsvp.id).filter(came),
            func.count(Rsvp.id).filter(late),
            func.count(Rsvp.id).filter(came, walk_ins.c.rsvp_id.is_not(None)),
            func.count(Rsvp.id).filter(came, Rsvp.promoted_at.is_not(None)),
        )
        .select_from(Event)
        .outerjoin(Rsvp, Rsvp.event_id == Event.id)
        .outerjoin(walk_ins, walk_ins.c.rsvp_id == Rsvp.id)
        .where(*where)
        .group_by(Event.id)
        .order_by(Event.starts_at, Event.id)
    ).all()
    intros = counts_by_event(r[0] for r in rows)
    return [
        EventFigures(
            id=r[0],
            key=r[1],
            title=r[2],
            starts_at=r[3],
            timezone=r[4],
            ended=r[5] <= now,
            going=r[6],
            waitlisted=r[7],
            came=r[8],
            late_cancellations=r[9],
            walk_ins=r[10],
            promoted_came=r[11],
            intros=intros.get(r[0], Counts()),
        )
        for r in rows
    ]


def one_event(event: Event, now: datetime | None = None) -> EventFigures:
    """The figures of one event (its organizer's page after it): two queries."""
    (figures,) = event_figures(event.group, Period(None, event.ends_at), event_id=event.id, now=now)
    return figures
