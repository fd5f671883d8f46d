"""The members of a group as its organizers see them: events answered, came, no-shows, late
cancellations, the last event they came to and the channel they joined through; and one
person's own record, on their profile. Sorted, searched and paged in SQL: a page is two
queries (the count and the rows), whatever the size of the group.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.sql import ColumnElement

from ...extensions import db
from ...models import Event, Group, Invite, Membership, Rsvp, User, utcnow
from ..community.members import MemberPage  # rows, total, page, per_page, pages
from .channels import Channel, channel_columns
from .figures import LATE_HOURS, hours_before

PER_PAGE = 50
SEARCH_MAX = 100
SORTS = ("name", "rsvped", "came", "no_shows", "late", "last_came", "joined")
FIGURES = ("rsvped", "came", "no_shows", "late", "last_came")


@dataclass(frozen=True)
class Record:
    """One person's figures in one group."""

    rsvped: int = 0  # events they held a seat or a waitlist place at (or gave it up)
    came: int = 0
    no_shows: int = 0
    late: int = 0  # seats given up less than 24 hours before
    last_came: datetime | None = None  # when the last event they came to began


@dataclass(frozen=True)
class MemberRow:
    user_id: int
    name: str
    email: str
    role: str
    channel: Channel
    joined_at: datetime
    record: Record


def _figures(now: datetime) -> list[ColumnElement]:
    """The record's columns, over RSVPs joined with their events."""
    going = Rsvp.status == "going"
    came = and_(going, Rsvp.checked_in_at.is_not(None))
    held = or_(Rsvp.status.in_(("going", "waitlisted")), Rsvp.cancelled_at.is_not(None))
    late = and_(
        Rsvp.status == "not_going",
        Rsvp.cancelled_at.is_not(None),
        hours_before(Event.starts_at, Rsvp.cancelled_at) < LATE_HOURS,
    )
    return [
        func.count().filter(held).label("rsvped"),
        func.count().filter(came).label("came"),
        func.count()
        .filter(going, Rsvp.checked_in_at.is_(None), Event.ends_at <= now)
        .label("no_shows"),
        func.count().filter(late).label("late"),
        func.max(case((came, Event.starts_at))).label("last_came"),
    ]


def _stats(group_id: int, now: datetime):
    """Per person, over the group's events that weren't cancelled: one GROUP BY."""
    return (
        select(Rsvp.user_id.label("user_id"), *_figures(now))
        .select_from(Rsvp)
        .join(Event, Event.id == Rsvp.event_id)
        .where(Event.group_id == group_id, Event.cancelled_at.is_(None))
        .group_by(Rsvp.user_id)
        .subquery("stats")
    )


def _needle(search: str) -> str:
    return search.strip()[:SEARCH_MAX].lower()


def _where(group: Group, needle: str) -> list[ColumnElement]:
    where = [Membership.group_id == group.id]
    if needle:
        where.append(
            or_(
                func.lower(User.name).contains(needle, autoescape=True),
                User.email.contains(needle, autoescape=True),
            )
        )
    return where


def _order(sort: str, descending: bool, figures: dict, user_id) -> list[ColumnElement]:
    """ORDER BY for a sort key; people without a name, or who never came, stay last."""

    def way(column):
        return column.desc() if descending else column

    if sort == "name":
        return [User.name == "", way(func.lower(User.name)), way(User.email), user_id]
    if sort == "last_came":
        last_came = figures["last_came"]
        return [last_came.is_(None), way(last_came), user_id]
    return [way(Membership.joined_at if sort == "joined" else figures[sort]), user_id]


def _rows(group: Group, search: str, sort: str, descending: bool, now: datetime, page=None):
    """The members in the page's order, `page` = (limit, offset) of them or all. The order is
    found over narrow rows (the membership, its figures, the name only when sorted by it);
    names, emails and channels are read for the page's rows only."""
    needle = _needle(search)
    stats = _stats(group.id, now)
    figures = {name: func.coalesce(stats.c[name], 0) for name in FIGURES if name != "last_came"}
    figures["last_came"] = stats.c.last_came
    keys = (
        select(Membership.id.label("membership_id"), *(v.label(k) for k, v in figures.items()))
        .select_from(Membership)
        .outerjoin(stats, stats.c.user_id == Membership.user_id)
        .where(*_where(group, needle))
    )
    if needle or sort == "name":
        keys = keys.join(User, User.id == Membership.user_id)
    if page is not None:
        limit, offset = page
        keys = keys.order_by(*_order(sort, descending, figures, Membership.user_id))
        keys = keys.limit(limit).offset(offset)
    keys = keys.subquery("keys")
    chosen = {name: keys.c[name] for name in FIGURES}
    source, label = channel_columns()
    return (
        select(
            User.id,
            User.name,
            User.email,
            Membership.role,
            source,
            label,
            Membership.joined_at,
            *chosen.values(),
        )
        .select_from(keys)
        .join(Membership, Membership.id == keys.c.membership_id)
        .join(User, User.id == Membership.user_id)
        .outerjoin(Invite, Invite.id == Membership.invite_id)
        .order_by(*_order(sort, descending, chosen, User.id))
    )


def _row(r) -> MemberRow:
    channel = Channel(r[4], r[5] if r[4] == "invite" else "")
    return MemberRow(r[0], r[1], r[2], r[3], channel, r[6], Record(*r[7:]))


def members_page(
    group: Group,
    *,
    page: int = 1,
    search: str = "",
    sort: str = "name",
    descending: bool = False,
    per_page: int = PER_PAGE,
    now: datetime | None = None,
) -> MemberPage:
    """One page of members with their records: the count and the rows, two queries."""
    now = now or utcnow()
    needle = _needle(search)
    count = select(func.count()).select_from(Membership).where(*_where(group, needle))
    if needle:
        count = count.join(User, User.id == Membership.user_id)
    total = db.session.scalar(count)
    page = max(1, page)
    rows = db.session.execute(
        _rows(group, search, sort, descending, now, page=(per_page, (page - 1) * per_page))
    )
    return MemberPage([_row(r) for r in rows], total or 0, page, per_page)


def all_members(
    group: Group, *, search: str = "", sort: str = "name", descending: bool = False, now=None
) -> Iterator[MemberRow]:
    """Every member matching the search, in the page's order (the CSV export)."""
    rows = db.session.execute(
        _rows(group, search, sort, descending, now or utcnow()).execution_options(yield_per=1000)
    )
    return (_row(r) for r in rows)


def own_records(user: User, now: datetime | None = None) -> list[tuple[Group, Record]]:
    """A person's record in each group they belong to, for their profile: one query."""
    stats = (
        select(Event.group_id.label("group_id"), *_figures(now or utcnow()))
        .select_from(Rsvp)
        .join(Event, Event.id == Rsvp.event_id)
        .where(Rsvp.user_id == user.id, Event.cancelled_at.is_(None))
        .group_by(Event.group_id)
        .subquery("stats")
    )
    rows = db.session.execute(
        select(Group, *(stats.c[name] for name in FIGURES))
        .select_from(Membership)
        .join(Group, Group.id == Membership.group_id)
        .outerjoin(stats, stats.c.group_id == Membership.group_id)
        .where(Membership.user_id == user.id)
        .order_by(func.lower(Group.name))
    )
    return [
        (group, Record(*(value or 0 for value in figures[:4]), figures[4]))
        for group, *figures in rows
    ]


def records_of(
    group_id: int, user_ids: list[int], *, now: datetime | None = None
) -> dict[int, Record]:
    """The records of these people in one group, by user id (one query): an organizer
    reviewing RSVP requests sees each person's history (services/events/approval.py)."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(Rsvp.user_id, *_figures(now or utcnow()))
        .select_from(Rsvp)
        .join(Event, Event.id == Rsvp.event_id)
        .where(
            Event.group_id == group_id,
            Event.cancelled_at.is_(None),
            Rsvp.user_id.in_(set(user_ids)),
        )
        .group_by(Rsvp.user_id)
    )
    return {user_id: Record(*figures) for user_id, *figures in rows}
