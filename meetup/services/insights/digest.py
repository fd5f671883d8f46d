"""The daily RSVP digest: for groups whose organizers turned it on, one email a day to each
organizer with, per upcoming event, the new RSVPs and cancellations of the day before (UTC)
and where the event stands (going, waitlist, requests waiting for approval). Nothing is
sent on a day when nothing changed.
A scheduled job (worker/jobs.py); the dedupe key names the group, the organizer and the day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from ...extensions import db
from ...models import Event, Group, Membership, Rsvp, User
from ...timeutil import format_in_zone
from ...urls import absolute_url, event_url
from ..mail import messages as mail
from ..permissions import ORGANIZER_ROLES, require_organizer


@dataclass(frozen=True)
class EventChanges:
    title: str
    url: str
    when: str
    new: int
    cancelled: int
    going: int
    waitlisted: int
    new_requests: int = 0  # asked that day, waiting for approval (services/events/approval.py)
    requests: int = 0  # every request waiting for approval


def set_digest(group: Group, user: User, on: bool) -> None:
    require_organizer(group, user)
    group.rsvp_digest = bool(on)
    db.session.flush()


def _day_before(now: datetime) -> tuple[datetime, datetime]:
    end = datetime(now.year, now.month, now.day, tzinfo=UTC)
    return end - timedelta(days=1), end


def changes(group_id: int, start: datetime, end: datetime) -> list[EventChanges]:
    """Per event not over by `start`: what changed in [start, end), and where it stands."""
    in_window = and_(Rsvp.requested_at >= start, Rsvp.requested_at < end)
    rows = db.session.execute(
        select(
            Event.title,
            Event.key,
            Event.starts_at,
            Event.timezone,
            func.count(Rsvp.id).filter(in_window, Rsvp.status.in_(("going", "waitlisted"))),
            func.count(Rsvp.id).filter(
                Rsvp.status == "not_going", Rsvp.cancelled_at >= start, Rsvp.cancelled_at < end
            ),
            func.count(Rsvp.id).filter(Rsvp.status == "going"),
            func.count(Rsvp.id).filter(Rsvp.status == "waitlisted"),
            # Requests still count as waiting until the event starts (then they are closed).
            func.count(Rsvp.id).filter(
                in_window, Rsvp.status == "requested", Event.starts_at > end
            ),
            func.count(Rsvp.id).filter(Rsvp.status == "requested", Event.starts_at > end),
        )
        .select_from(Event)
        .outerjoin(Rsvp, Rsvp.event_id == Event.id)
        .where(Event.group_id == group_id, Event.cancelled_at.is_(None), Event.ends_at > start)
        .group_by(Event.id)
        .order_by(Event.starts_at, Event.id)
    ).all()
    return [
        EventChanges(title, event_url(key), format_in_zone(at, tz), *counts)
        for title, key, at, tz, *counts in rows
        if counts[0] or counts[1] or counts[4]
    ]


def send_rsvp_digests(now: datetime) -> int:
    """Queue yesterday's digest for each organizer of each group that wants one."""
    start, end = _day_before(now)
    queued = 0
    for group in db.session.scalars(select(Group).where(Group.rsvp_digest.is_(True))):
        changed = changes(group.id, start, end)
        if not changed:
            continue
        organizers = db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.group_id == group.id, Membership.role.in_(ORGANIZER_ROLES))
        )
        context = {
            "group": group,
            "events": changed,
            "day": start.date().isoformat(),
            "insights_url": absolute_url("insights.show", group_slug=group.slug),
        }
        subject = _l("New RSVPs for %(group)s", group=group.name)  # in each organizer's language
        for organizer in organizers:
            key = f"digest:{group.id}:{organizer.id}:{start.date().isoformat()}"
            if mail.queue(
                organizer,
                "rsvp_digest",
                subject,
                context=context,
                dedupe_key=key,
                group_id=group.id,
                now=now,
            ):
                queued += 1
    return queued
