"""The insights page's figures: the funnel over a period, per channel and overall, and each
event's attendance and introductions. One query for the funnel and two for the events,
whatever the size of the group; nothing is counted in Python.

What each figure means (the page says the same):
- reached: members at the end of the period, and anyone an announcement of one of its events
  was emailed to (someone who has left the group since); joined: memberships started during it;
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
from ...models import (
    CheckinLog,
    Event,
    Group,
    IntroPair,
    Invite,
    Membership,
    OutboxMessage,
    Rsvp,
    utcnow,
)
from ..intros.proposals import LIVE, Counts, counts_by_event
from .channels import Channel
from .followups import FeedbackSummary, feedback_summary

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
    feedback: FeedbackSummary | None = None  # one_event() only

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


def _flag(condition: ColumnElement) -> ColumnElement:
    """1 when `condition` holds, else 0."""
    return case((condition, 1), else_=0)


def _with_labels(grouped) -> list:
    """Rows grouped by (source, invite_id), the invite's label joined once they are counted."""
    return db.session.execute(
        select(grouped.c[0], func.coalesce(Invite.label, ""), *list(grouped.c)[2:])
        .select_from(grouped)
        .outerjoin(Invite, Invite.id == grouped.c[1])
    ).all()


FLAGS = ("going", "came", "introduced", "accepted", "met")
ANNOUNCEMENTS = "announcements"  # the list kind of announcement emails in the outbox


def _emailed(group: Group, period: Period):
    """The people an announcement of one of the period's events was emailed to, from the
    outbox (one row per email sent)."""
    notice = OutboxMessage.notice
    return (
        select(
            notice["user_id"].as_integer().label("user_id"),
            *(literal(0).label(n) for n in FLAGS),
            literal(1).label("emailed"),
        )
        .join(Event, Event.id == notice["event_id"].as_integer())
        .where(
            OutboxMessage.group_id == group.id,
            OutboxMessage.list_kind == ANNOUNCEMENTS,
            OutboxMessage.status == "sent",
            _in_period(group, period),
        )
    )


def _people(group: Group, period: Period):
    """One row per person who answered one of the period's events, was introduced at one or
    was emailed its announcement: their 0/1 flags (FLAGS, emailed), from one pass over their
    RSVPs, introductions and announcement emails."""
    held = or_(Rsvp.status == "going", Rsvp.cancelled_at.is_not(None))
    came = and_(Rsvp.status == "going", Rsvp.checked_in_at.is_not(None))
    answers = (
        select(
            Rsvp.user_id.label("user_id"),
            _flag(held).label("going"),
            _flag(came).label("came"),
            *(literal(0).label(n) for n in FLAGS[2:]),
            literal(0).label("emailed"),
        )
        .join(Event, Event.id == Rsvp.event_id)
        .where(_in_period(group, period))
    )
    sides = _intro_sides()
    intros = (
        select(
            sides.c.user_id,
            *(literal(0).label(n) for n in FLAGS[:2]),
            _flag(sides.c.sent_at.is_not(None)).label("introduced"),
            _flag(sides.c.answer == "yes").label("accepted"),
            _flag(sides.c.met == "yes").label("met"),
            literal(0).label("emailed"),
        )
        .join(Event, Event.id == sides.c.event_id)
        .where(_in_period(group, period))
    )
    rows = union_all(answers, intros, _emailed(group, period)).subquery("rows")
    return (
        select(rows.c.user_id, *(func.max(rows.c[n]).label(n) for n in (*FLAGS, "emailed")))
        .group_by(rows.c.user_id)
        .subquery("people")
    )


def funnel(group: Group, period: Period) -> tuple[Funnel, list[Funnel]]:
    """(overall, per channel), channels in a stable order: one query. Each person has one
    channel (their membership's, "none" for someone who isn't a member), so the overall
    figures are the channels' sums. Members are counted per channel from the memberships
    alone; the people who answered, were introduced or were emailed an announcement are
    gathered in one pass, then matched with their membership (fewer of them than members):
    those emailed who weren't members at the end of the period are reached too."""
    members = select(
        Membership.source.label("source"),
        Membership.invite_id.label("invite_id"),
        func.count().filter(Membership.joined_at < period.end).label("reached"),
        func.count().filter(period.contains(Membership.joined_at)).label("joined"),
        *(literal(0).label(name) for name in FLAGS),
    ).where(Membership.group_id == group.id)
    people = _people(group, period)
    membership = and_(Membership.group_id == group.id, Membership.user_id == people.c.user_id)
    counted_as_member = and_(Membership.id.is_not(None), Membership.joined_at < period.end)
    answered = (
        select(
            func.coalesce(Membership.source, "none"),
            Membership.invite_id,
            _flag(and_(people.c.emailed == 1, ~counted_as_member)),
            literal(0).label("joined"),
            *(people.c[name] for name in FLAGS),
        )
        .select_from(people)
        .outerjoin(Membership, membership)
    )
    both = union_all(members.group_by(Membership.source, Membership.invite_id), answered)
    both = both.subquery("both")
    names = ("reached", "joined", *FLAGS)
    rows = _with_labels(
        select(both.c[0], both.c[1], *(func.sum(both.c[i + 2]) for i in range(len(names))))
        .group_by(both.c[0], both.c[1])
        .subquery("by_channel")
    )

    by_channel: dict[Channel, Funnel] = {}
    for source, label, *values in rows:
        channel = Channel(source, label if source == "invite" else "")
        f = by_channel.setdefault(channel, Funnel(channel))
        for name, value in zip(STAGES, values, strict=True):
            setattr(f, name, getattr(f, name) + int(value or 0))
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
    """The figures of one event and its feedback (its organizer's page after it)."""
    (figures,) = event_figures(event.group, Period(None, event.ends_at), event_id=event.id, now=now)
    figures.feedback = feedback_summary(event.id)
    return figures


@dataclass(frozen=True)
class LinkChannel:
    """RSVPs by the link they came through (`?via=`): "" when no channel was tracked."""

    channel: str
    going: int
    came: int
    no_shows: int

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.going if self.going else None


def link_channels(group: Group, period: Period, now: datetime | None = None) -> list[LinkChannel]:
    """Going, came and no-shows per RSVP channel over the period's events: one query."""
    now = now or utcnow()
    channel = func.coalesce(Rsvp.channel, "")
    going = Rsvp.status == "going"
    rows = db.session.execute(
        select(
            channel,
            func.count().filter(going),
            func.count().filter(going, Rsvp.checked_in_at.is_not(None)),
            func.count().filter(going, Rsvp.checked_in_at.is_(None), Event.ends_at <= now),
        )
        .select_from(Rsvp)
        .join(Event, Event.id == Rsvp.event_id)
        .where(_in_period(group, period))
        .group_by(channel)
        .order_by(func.count().filter(going).desc(), channel)
    )
    return [LinkChannel(*row) for row in rows]
