"""Follow-up introductions after an event: proposals, review, emails, answers, follow-ups.

The life of a pair (IntroPair.status):
  proposed  built once per event after it ends (the first time someone needs them: the
            organizer's review page or the send job), or added by the organizer by hand;
  removed   taken out by the organizer before sending (still counts as "already proposed",
            so the matcher never suggests the pair again);
  sent      each side got one email with their suggestions and yes/no links;
  accepted  both said yes: both got one introduction email with the other's contact details;
  declined  one side said no. The other side is never told.

Scheduled jobs (worker/jobs.py): send_suggestions at end + intros_delay_hours (or at once
when the organizer approved), remind_unanswered after 72 hours, ask_if_met a week after an
introduction. Each email's dedupe_key names (event or pair, person, kind), so running a job
again queues nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import Event, IntroBlock, IntroPair, Rsvp, User, utcnow
from ...urls import absolute_url, event_url
from ..errors import DomainError
from ..events import guests as event_guests
from ..mail import consent
from ..mail import messages as mail
from ..tokens import new_token, same
from . import matching

REMIND_AFTER = timedelta(hours=72)
ASK_MET_AFTER = timedelta(days=7)
FOLLOW_UP_WINDOW = timedelta(days=30)  # jobs look no further back than this
SEND_WINDOW = timedelta(days=14)  # events that ended longer ago never send suggestions
ANSWERS = ("yes", "no")
LIVE = ("proposed", "sent", "accepted", "declined")  # every status but removed


# ---------------------------------------------------------------- eligibility and proposals


def send_time(event: Event) -> datetime:
    return event.ends_at + timedelta(hours=event.intros_delay_hours)


def send_state(event: Event, pairs: Iterable[IntroPair], now: datetime) -> str:
    """Where an ended event's suggestions stand: "sent"; "too_late" (the event ended more
    than SEND_WINDOW ago: nothing is sent any more); "next_pass" (approved, or their time
    has come: the worker's next pass sends them); "scheduled" (they go out at send_time(),
    unless the organizer approves them sooner)."""
    if any(p.sent_at for p in pairs):
        return "sent"
    if too_late(event, now):
        return "too_late"
    return "next_pass" if review_until(event, now) is None else "scheduled"


def review_until(event: Event, now: datetime) -> datetime | None:
    """When the suggestions go out by themselves, while the organizer can still review them
    (None once approved, or once that time has come)."""
    if event.intros_approved_at is not None:
        return None
    at = send_time(event)
    return at if at > now else None


def too_late(event: Event, now: datetime) -> bool:
    """Ended more than SEND_WINDOW ago: its suggestions are never sent (see _due_events)."""
    return event.ends_at < now - SEND_WINDOW


def took_place(event: Event, now: datetime) -> bool:
    """Over, and not cancelled: there is someone to introduce."""
    return event.cancelled_at is None and event.has_ended(now)


def attendees(event: Event) -> list[tuple[Rsvp, User]]:
    """Everyone who checked in, in id order (eligible or not: the organizer may add by hand),
    and the named guests who came and said yes by their own link (services/events/guests.py)."""
    rows = db.session.execute(
        select(Rsvp, User)
        .join(User, User.id == Rsvp.user_id)
        .where(Rsvp.event_id == event.id, Rsvp.checked_in_at.is_not(None))
        .order_by(User.id)
    )
    people = [(rsvp, user) for rsvp, user in rows]
    present = {user.id for _rsvp, user in people}
    guests = [
        (g, user) for g, user in event_guests.intro_attendees(event) if user.id not in present
    ]
    return sorted(people + guests, key=lambda row: row[1].id)


def person(rsvp: Rsvp, user: User) -> matching.Person:
    """What the matcher sees: this event's answers, falling back to the profile (the chips
    as answered for this event, else the profile's tags and what it declined)."""
    if rsvp.intents is not None:
        looking, offer = rsvp.intents.get("looking", ()), rsvp.intents.get("offer", ())
        declined = rsvp.intents.get("declined", ())
    else:
        looking, offer = user.looking_intents or (), user.offer_intents or ()
        declined = user.declined_intents or ()
    return matching.Person(
        id=user.id,
        name=user.display_name,
        company=user.company or "",
        looking_for=rsvp.looking_for or user.looking_for or "",
        can_offer=rsvp.can_offer or user.can_offer or "",
        looking_intents=tuple(looking),
        offer_intents=tuple(offer),
        declined_intents=tuple(declined),
        interests=tuple(user.interests or ()),
        max_intros=user.max_intros if user.max_intros is not None else 3,
        intro_colleagues=bool(user.intro_colleagues),
        checked_in=rsvp.checked_in_at is not None,
        wants_intros=bool(rsvp.wants_intros) and bool(user.wants_intros),
        lang=user.locale or rsvp.event.group.locale,  # the language their email is in
    )


def _past_pairs(user_ids: list[int]) -> list[tuple[int, int]]:
    """Every pair among these people already proposed at any event (removed ones aside)."""
    if not user_ids:
        return []
    rows = db.session.execute(
        select(IntroPair.user_a_id, IntroPair.user_b_id).where(
            IntroPair.status.in_(LIVE), IntroPair.user_a_id.in_(user_ids)
        )
    )
    ids = set(user_ids)
    return [(a, b) for a, b in rows if b in ids]


def _blocks(user_ids: list[int]) -> list[tuple[int, int]]:
    if not user_ids:
        return []
    rows = db.session.execute(
        select(IntroBlock.user_id, IntroBlock.blocked_user_id).where(
            IntroBlock.user_id.in_(user_ids)
        )
    )
    return [(a, b) for a, b in rows]


def pairs_exist(event: Event) -> bool:
    """Built already (removed pairs count: an organizer who removed them all meant it)."""
    query = select(IntroPair.id).where(IntroPair.event_id == event.id).limit(1)
    return db.session.scalar(query) is not None


def ensure_proposals(event: Event, *, now: datetime | None = None) -> int:
    """Build the event's proposals once, after it ended; returns how many were added."""
    now = now or utcnow()
    if not took_place(event, now) or pairs_exist(event):
        return 0
    people = [person(r, u) for r, u in attendees(event)]
    # Someone who turned this group's introductions off (their email preferences) gets none.
    off = consent.intros_off(event.group_id, [p.id for p in people])
    people = [replace(p, wants_intros=False) if p.id in off else p for p in people]
    ids = [p.id for p in people if p.eligible]
    result = matching.match(people, _past_pairs(ids), _blocks(ids))
    for p in result.pairs:
        db.session.add(
            IntroPair(
                event_id=event.id,
                user_a_id=p.a,
                user_b_id=p.b,
                score=p.score,
                reason_for_a=p.reason_for_a,
                reason_for_b=p.reason_for_b,
                status="proposed",
                source="auto",
                created_at=now,
            )
        )
    db.session.flush()
    return len(result.pairs)


def pairs(event: Event) -> list[IntroPair]:
    """The event's pairs with both people loaded (one query)."""
    return list(
        db.session.scalars(
            select(IntroPair)
            .where(IntroPair.event_id == event.id)
            .options(joinedload(IntroPair.user_a), joinedload(IntroPair.user_b))
            .order_by(IntroPair.status != "proposed", IntroPair.score.desc(), IntroPair.id)
        )
    )


def _sent(event: Event) -> bool:
    return (
        db.session.scalar(
            select(IntroPair.id)
            .where(IntroPair.event_id == event.id, IntroPair.sent_at.is_not(None))
            .limit(1)
        )
        is not None
    )


def _editable_pair(event: Event, pair_id: int) -> IntroPair:
    pair = db.session.get(IntroPair, pair_id)
    if pair is None or pair.event_id != event.id:
        raise DomainError("intro_pair_not_found")
    if pair.status != "proposed":
        raise DomainError("intros_already_sent")
    return pair


def remove_pair(event: Event, pair_id: int) -> IntroPair:
    pair = _editable_pair(event, pair_id)
    pair.status = "removed"
    db.session.flush()
    return pair


def add_pair(
    event: Event, user_id: int, other_id: int, reason: str, *, now: datetime | None = None
) -> IntroPair:
    """The organizer's own suggestion between two attendees who checked in."""
    now = now or utcnow()
    if not took_place(event, now):
        raise DomainError("intros_event_not_ended")
    if _sent(event):
        raise DomainError("intros_already_sent")
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError("intro_reason_required")
    if len(reason) > 500:
        raise DomainError("too_long")
    if user_id == other_id:
        raise DomainError("intro_same_person")
    present = {u.id for _r, u in attendees(event)}
    if user_id not in present or other_id not in present:
        raise DomainError("intro_not_attendee")
    a, b = sorted((user_id, other_id))
    existing = db.session.scalar(
        select(IntroPair).where(
            IntroPair.event_id == event.id, IntroPair.user_a_id == a, IntroPair.user_b_id == b
        )
    )
    if existing is not None and existing.status != "removed":
        raise DomainError("intro_pair_exists")
    if existing is None:
        existing = IntroPair(event_id=event.id, user_a_id=a, user_b_id=b, created_at=now)
        db.session.add(existing)
    existing.status, existing.source, existing.score = "proposed", "organizer", 0.0
    existing.reason_for_a = existing.reason_for_b = reason
    db.session.flush()
    return existing


def approve(event: Event, *, now: datetime | None = None) -> None:
    """The organizer reviewed the proposals: send them on the worker's next pass."""
    now = now or utcnow()
    if not took_place(event, now):
        raise DomainError("intros_event_not_ended")
    if too_late(event, now):
        raise DomainError("intros_too_late")
    if event.intros_approved_at is None:
        event.intros_approved_at = now
    db.session.flush()


@dataclass(frozen=True)
class Counts:
    proposed: int = 0  # everything but removed pairs
    sent: int = 0
    accepted: int = 0
    declined: int = 0
    met: int = 0


def counts_by_event(event_ids: Iterable[int]) -> dict[int, Counts]:
    """Per event: proposed, sent, accepted by both, declined, met (one query)."""
    event_ids = list(event_ids)
    if not event_ids:
        return {}
    met = or_(IntroPair.met_a == "yes", IntroPair.met_b == "yes")
    rows = db.session.execute(
        select(
            IntroPair.event_id,
            func.count(),
            func.count(IntroPair.sent_at),
            func.count().filter(IntroPair.status == "accepted"),
            func.count().filter(IntroPair.status == "declined"),
            func.count().filter(met),
        )
        .where(IntroPair.event_id.in_(event_ids), IntroPair.status.in_(LIVE))
        .group_by(IntroPair.event_id)
    )
    return {row[0]: Counts(*row[1:]) for row in rows}


# ---------------------------------------------------------------- sending


def _due_events(now: datetime) -> list[Event]:
    """Ended recently, not cancelled, and either approved or past their send time."""
    candidates = db.session.scalars(
        select(Event).where(
            Event.cancelled_at.is_(None),
            Event.ends_at <= now,
            Event.ends_at >= now - SEND_WINDOW,
        )
    )
    return [e for e in candidates if e.intros_approved_at is not None or send_time(e) <= now]


def _answer_url(token: str, answer: str) -> str:
    return absolute_url("intros.answer", token=token, answer=answer)


def _met_url(token: str, answer: str) -> str:
    return absolute_url("intros.met", token=token, answer=answer)


def _suggestion(pair: IntroPair, me: User) -> dict:
    side = Side.of(pair, me)
    return {
        "name": side.other.display_name,
        "headline": side.other.headline,
        "reason": side.reason,
        "yes_url": _answer_url(side.token, "yes"),
        "no_url": _answer_url(side.token, "no"),
    }


def _queue_suggestions(
    event: Event, by_person: dict[int, list[IntroPair]], users: dict[int, User], kind: str, now
) -> int:
    queued = 0
    for user_id in sorted(by_person):
        me = users[user_id]
        context = {
            "event": event,
            "event_url": event_url(event.key),
            "suggestions": [_suggestion(p, me) for p in by_person[user_id]],
            "reminder": kind == "intro-remind",
        }
        subject = (
            _l("Reminder: introductions from %(title)s", title=event.title)
            if kind == "intro-remind"
            else _l("People to meet again from %(title)s", title=event.title)
        )
        if mail.queue(
            me,
            "intro_suggestions",
            subject,
            context=context,
            dedupe_key=f"{kind}:{event.id}:{user_id}",
            group_id=event.group_id,
            now=now,
        ):
            queued += 1
    return queued


def send_suggestions(now: datetime) -> int:
    """Job: for each due event, build proposals if none exist, then send every proposed pair:
    ONE email per person listing all their suggestions."""
    queued = 0
    for event in _due_events(now):
        ensure_proposals(event, now=now)
        if event.intros_approved_at is None:
            event.intros_approved_at = now  # done with this event: nothing to send twice
        todo = [p for p in pairs(event) if p.status == "proposed"]
        by_person: dict[int, list[IntroPair]] = defaultdict(list)
        users: dict[int, User] = {}
        for pair in todo:
            pair.token_a, pair.token_b = new_token(), new_token()
            pair.status, pair.sent_at = "sent", now
            for user in (pair.user_a, pair.user_b):
                by_person[user.id].append(pair)
                users[user.id] = user
        db.session.flush()
        queued += _queue_suggestions(event, by_person, users, "intro-suggest", now)
    return queued


def remind_unanswered(now: datetime) -> int:
    """Job: one reminder per person and event, 72 hours after sending, for the suggestions
    they haven't answered (only while the other side hasn't said no either)."""
    rows = db.session.scalars(
        select(IntroPair)
        .where(
            IntroPair.status == "sent",
            IntroPair.sent_at <= now - REMIND_AFTER,
            IntroPair.sent_at >= now - FOLLOW_UP_WINDOW,
            or_(IntroPair.answer_a.is_(None), IntroPair.answer_b.is_(None)),
        )
        .order_by(IntroPair.event_id, IntroPair.id)
    ).all()
    events = {e.id: e for e in _events({p.event_id for p in rows})}
    grouped: dict[int, dict[int, list[IntroPair]]] = defaultdict(lambda: defaultdict(list))
    users: dict[int, User] = {}
    for pair in rows:
        for user, answer in ((pair.user_a, pair.answer_a), (pair.user_b, pair.answer_b)):
            if answer is None:
                grouped[pair.event_id][user.id].append(pair)
                users[user.id] = user
    return sum(
        _queue_suggestions(events[eid], grouped[eid], users, "intro-remind", now)
        for eid in sorted(grouped)
    )


def ask_if_met(now: datetime) -> int:
    """Job: a week after an introduction, ask each side "Did you meet?"."""
    rows = db.session.scalars(
        select(IntroPair)
        .where(
            IntroPair.status == "accepted",
            IntroPair.introduced_at <= now - ASK_MET_AFTER,
            IntroPair.introduced_at >= now - ASK_MET_AFTER - FOLLOW_UP_WINDOW,
        )
        .order_by(IntroPair.id)
    ).all()
    events = {e.id: e for e in _events({p.event_id for p in rows})}
    queued = 0
    for pair in rows:
        event = events[pair.event_id]
        for me, other, token, met in (
            (pair.user_a, pair.user_b, pair.token_a, pair.met_a),
            (pair.user_b, pair.user_a, pair.token_b, pair.met_b),
        ):
            if met is not None:
                continue
            if mail.queue(
                me,
                "intro_met",
                _l("Did you meet %(name)s?", name=other.display_name),
                context={
                    "event": event,
                    "other": other,
                    "yes_url": _met_url(token, "yes"),
                    "no_url": _met_url(token, "no"),
                },
                dedupe_key=f"intro-met:{pair.id}:{me.id}",
                group_id=event.group_id,
                now=now,
            ):
                queued += 1
    return queued


def _events(ids: set[int]) -> list[Event]:
    return list(db.session.scalars(select(Event).where(Event.id.in_(ids)))) if ids else []


# ---------------------------------------------------------------- answers (no sign-in)


@dataclass(frozen=True)
class Side:
    """One person's view of a pair, reached through their own token."""

    pair: IntroPair
    me: User
    other: User
    is_a: bool

    @classmethod
    def of(cls, pair: IntroPair, me: User) -> Side:
        """`me`'s side of `pair` (one of its two people)."""
        if pair.user_a_id == me.id:
            return cls(pair, pair.user_a, pair.user_b, True)
        return cls(pair, pair.user_b, pair.user_a, False)

    @property
    def answer(self) -> str | None:
        return self.pair.answer_a if self.is_a else self.pair.answer_b

    @property
    def reason(self) -> str:
        return self.pair.reason_for_a if self.is_a else self.pair.reason_for_b

    @property
    def met(self) -> str | None:
        return self.pair.met_a if self.is_a else self.pair.met_b

    @property
    def token(self) -> str:
        return self.pair.token_a if self.is_a else self.pair.token_b


def coming_for(
    event: Event, rsvp: Rsvp | None, me: User, now: datetime
) -> tuple[str, datetime | None] | None:
    """What an attendee who came is told before any suggestion reaches them: ("scheduled",
    when they go out), ("soon", None) once that time has come, ("off", None) if they said
    no to introductions; None when there is nothing to say (they didn't come, the
    suggestions were sent, or it is too late for any)."""
    if rsvp is None or rsvp.checked_in_at is None or not took_place(event, now):
        return None
    if too_late(event, now):
        return None
    sent = IntroPair.sent_at.is_not(None)
    if db.session.scalar(select(IntroPair.id).where(IntroPair.event_id == event.id, sent).limit(1)):
        return None
    if not (rsvp.wants_intros and me.wants_intros):
        return "off", None
    at = review_until(event, now)
    return ("scheduled", at) if at is not None else ("soon", None)


def my_sides(event: Event, me: User) -> list[Side]:
    """The suggestions emailed to `me` for this event, each as my side sees it (one query):
    the event page shows them to a signed-in attendee, answerable there as by the links.
    A pair the other side declined reads as open, as the links do."""
    rows = db.session.scalars(
        select(IntroPair)
        .where(
            IntroPair.event_id == event.id,
            IntroPair.status.in_(("sent", "accepted", "declined")),
            or_(IntroPair.user_a_id == me.id, IntroPair.user_b_id == me.id),
        )
        .options(joinedload(IntroPair.user_a), joinedload(IntroPair.user_b))
        .order_by(IntroPair.id)
    )
    return [Side.of(pair, me) for pair in rows]


def side_for(token: str) -> Side:
    """The pair and side a yes/no token belongs to; the same error for any bad token."""
    if not token or len(token) > 64:
        raise DomainError("intro_link_invalid")
    pair = db.session.scalar(
        select(IntroPair).where(or_(IntroPair.token_a == token, IntroPair.token_b == token))
    )
    if pair is None or pair.status not in ("sent", "accepted", "declined"):
        raise DomainError("intro_link_invalid")
    if same(pair.token_a, token):
        return Side.of(pair, pair.user_a)
    if same(pair.token_b, token):
        return Side.of(pair, pair.user_b)
    raise DomainError("intro_link_invalid")


def record_answer(token: str, answer: str, *, now: datetime | None = None) -> Side:
    """Record yes or no. Both yes: the introduction email goes to both, once. A no is
    private: the other side's page and emails never mention it. An answer may change until
    the introduction is made."""
    now = now or utcnow()
    if answer not in ANSWERS:
        raise DomainError("intro_link_invalid")
    side = side_for(token)
    pair = side.pair
    if pair.status == "accepted":
        return side  # already introduced: nothing left to decide
    if side.is_a:
        pair.answer_a = answer
    else:
        pair.answer_b = answer
    if pair.answer_a == "yes" and pair.answer_b == "yes":
        pair.status, pair.introduced_at = "accepted", now
        _queue_introduction(pair, now)
    else:
        pair.status = "declined" if "no" in (pair.answer_a, pair.answer_b) else "sent"
    db.session.flush()
    return side


def record_met(token: str, answer: str) -> Side:
    if answer not in ANSWERS:
        raise DomainError("intro_link_invalid")
    side = side_for(token)
    if side.pair.status != "accepted":
        raise DomainError("intro_link_invalid")
    if side.is_a:
        side.pair.met_a = answer
    else:
        side.pair.met_b = answer
    db.session.flush()
    return side


def _queue_introduction(pair: IntroPair, now: datetime) -> None:
    event = db.session.get(Event, pair.event_id)
    # Each reads their own reason: it covers both directions, and speaks to them ("you").
    for me, other, my_reason in (
        (pair.user_a, pair.user_b, pair.reason_for_a),
        (pair.user_b, pair.user_a, pair.reason_for_b),
    ):
        mail.queue(
            me,
            "intro_made",
            _l(
                "Introduction: %(name)s, from %(title)s", name=other.display_name, title=event.title
            ),
            context={
                "event": event,
                "event_url": event_url(event.key),
                "other": other,
                "reasons": [my_reason] if my_reason else [],
            },
            dedupe_key=f"intro-made:{pair.id}:{me.id}",
            group_id=event.group_id,
            now=now,
        )
