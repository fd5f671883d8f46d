"""Follow-ups by attendance, and the feedback they ask for.

Once an event has ended (FOLLOWUP_DELAY after its end, for FOLLOWUP_WINDOW), and if its
organizer turned them on, those who came get "thanks for coming" with a signed link to rate
the event (1 to 5) and leave a comment; those who held a seat and didn't come get "sorry we
missed you" with the group's next event, if there is one. A scheduled job (worker/jobs.py);
each message's dedupe key names the event and the person, so each is sent once per person.
Organizers see the feedback only in aggregate, without names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import Event, EventFeedback, Rsvp, User, utcnow
from ...timeutil import format_in_zone
from ...urls import MAX_ID, absolute_url, event_url
from ..errors import DomainError
from ..mail import messages as mail

FOLLOWUP_DELAY = timedelta(hours=2)
FOLLOWUP_WINDOW = timedelta(days=7)  # an event turned on later than this sends nothing
FEEDBACK_MAX_AGE = timedelta(days=60)
COMMENT_MAX = 2000
_SALT = "event-feedback"


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.secret_key, salt=_SALT, signer_kwargs={"digest_method": hashlib.sha256}
    )


def feedback_token(rsvp: Rsvp) -> str:
    return _signer().dumps(rsvp.id)


def rsvp_by_feedback_token(token: str, now: datetime | None = None) -> Rsvp:
    """The RSVP of someone who came, from their feedback link: `feedback_link_invalid` for
    anything forged, mangled, too old, or for someone who didn't come."""
    try:
        rsvp_id = _signer().loads(token, max_age=int(FEEDBACK_MAX_AGE.total_seconds()))
    except (BadData, TypeError, ValueError):
        raise DomainError("feedback_link_invalid") from None
    rsvp = None
    if type(rsvp_id) is int and 1 <= rsvp_id <= MAX_ID:
        rsvp = db.session.get(Rsvp, rsvp_id, options=[joinedload(Rsvp.event)])
    if rsvp is None or rsvp.status != "going" or rsvp.checked_in_at is None:
        raise DomainError("feedback_link_invalid")
    return rsvp


def save_feedback(rsvp: Rsvp, rating: int, comment: str, now: datetime | None = None):
    """Their one answer for the event: a second one replaces the first."""
    if type(rating) is not int or not 1 <= rating <= 5:
        raise DomainError("invalid", field="rating")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise DomainError("too_long", field="comment", limit=COMMENT_MAX)
    row = db.session.scalar(
        select(EventFeedback).where(
            EventFeedback.event_id == rsvp.event_id, EventFeedback.user_id == rsvp.user_id
        )
    )
    if row is None:
        row = EventFeedback(event_id=rsvp.event_id, user_id=rsvp.user_id)
        db.session.add(row)
    row.rating, row.comment, row.created_at = rating, comment, now or utcnow()
    db.session.flush()
    return row


@dataclass
class FeedbackSummary:
    count: int = 0
    average: float | None = None
    by_rating: dict[int, int] = field(default_factory=dict)  # 5 -> how many, ... 1
    comments: list[str] = field(default_factory=list)  # without names, newest first


def feedback_summary(event_id: int, comments: int = 50) -> FeedbackSummary:
    """The event's feedback in aggregate: two queries, no names."""
    counts = db.session.execute(
        select(EventFeedback.rating, func.count())
        .where(EventFeedback.event_id == event_id)
        .group_by(EventFeedback.rating)
    ).all()
    by_rating = {rating: 0 for rating in range(5, 0, -1)}
    by_rating.update(dict(counts))
    total = sum(by_rating.values())
    if not total:
        return FeedbackSummary(by_rating=by_rating)
    texts = db.session.scalars(
        select(EventFeedback.comment)
        .where(EventFeedback.event_id == event_id, EventFeedback.comment != "")
        .order_by(EventFeedback.created_at.desc(), EventFeedback.id.desc())
        .limit(comments)
    ).all()
    average = sum(r * n for r, n in by_rating.items()) / total
    return FeedbackSummary(total, average, by_rating, list(texts))


def _next_events(group_ids: set[int], now: datetime) -> dict[int, Event]:
    """Each group's next event that hasn't started and isn't cancelled (one query)."""
    if not group_ids:
        return {}
    first = (
        select(Event.group_id, func.min(Event.starts_at).label("starts_at"))
        .where(Event.group_id.in_(group_ids), Event.starts_at > now, Event.cancelled_at.is_(None))
        .group_by(Event.group_id)
        .subquery()
    )
    rows = db.session.scalars(
        select(Event)
        .join(first, (first.c.group_id == Event.group_id) & (first.c.starts_at == Event.starts_at))
        .where(Event.cancelled_at.is_(None))
        .order_by(Event.id)
    )
    found: dict[int, Event] = {}
    for event in rows:
        found.setdefault(event.group_id, event)
    return found


def send_followups(now: datetime) -> int:
    """Queue the follow-ups that are due; returns how many were queued."""
    events = {
        e.id: e
        for e in db.session.scalars(
            select(Event).where(
                Event.cancelled_at.is_(None),
                or_(Event.followup_thanks.is_(True), Event.followup_missed.is_(True)),
                Event.ends_at <= now - FOLLOWUP_DELAY,
                Event.ends_at > now - FOLLOWUP_WINDOW,
            )
        )
    }
    if not events:
        return 0
    came = Rsvp.checked_in_at.is_not(None)
    thanks = [e.id for e in events.values() if e.followup_thanks]
    missed = [e.id for e in events.values() if e.followup_missed]
    wanted = or_(Rsvp.event_id.in_(thanks) & came, Rsvp.event_id.in_(missed) & ~came)
    rows = db.session.execute(
        select(Rsvp, User, case((came, True), else_=False))
        .join(User, User.id == Rsvp.user_id)
        .where(Rsvp.event_id.in_(events), Rsvp.status == "going", wanted)
        .order_by(Rsvp.event_id, Rsvp.id)
    ).all()
    next_events = _next_events({e.group_id for e in events.values()}, now)
    queued = 0
    for rsvp, user, they_came in rows:
        event = events[rsvp.event_id]
        kind = "followup_thanks" if they_came else "followup_missed"
        context = {"event": event, "event_url": event_url(event.key)}
        if they_came:
            context["feedback_url"] = absolute_url("feedback.form", token=feedback_token(rsvp))
            subject = _l("Thanks for coming to %(title)s", title=event.title)
        else:
            upcoming = next_events.get(event.group_id)
            if upcoming is not None:
                context["next_event"] = upcoming
                # Lazy, as the subject: worded in the recipient's language by mail.queue.
                context["next_when"] = LazyString(
                    format_in_zone, upcoming.starts_at, upcoming.timezone
                )
                context["next_url"] = event_url(upcoming.key)
            subject = _l("Sorry we missed you at %(title)s", title=event.title)
        if mail.queue(
            user,
            kind,
            subject,
            context=context,
            dedupe_key=f"followup:{event.id}:{user.id}",
            group_id=event.group_id,
            now=now,
        ):
            queued += 1
    return queued
