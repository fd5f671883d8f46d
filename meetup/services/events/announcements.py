"""Announcing an event by email to every member of its group who hasn't opted out.

The organizer's tap only records the announcement (`announce`): one row per event and kind,
so a second tap announces nothing more. The worker queues its emails (`queue_announcements`,
a scheduled job) in chunks of 1,000, each committed on its own so RSVPs are never held back
and the organizer's page shows the progress; each email is a notice the worker writes when
it first sends it (`write_notice`). An email goes once per event, kind and person: its
dedupe key says so, whatever is tapped twice or whichever worker queues it.

Kinds: "event" (the announcement itself, to every member who accepts announcements), and
the optional follow-ups "few_seats" and "waitlist_open", only to those who haven't answered.

Each email carries one-tap answers ("I'm going", "Can't go"): signed per-person links that need
no sign-in and open a page with one confirm button (mail scanners prefetch links: a GET never
changes anything); the POST answers as the person would signed in, so tapping twice keeps
their place. Links carry `?via=email`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from itsdangerous import BadData, URLSafeSerializer
from markupsafe import escape
from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError

from ... import database
from ...extensions import db
from ...models import ANNOUNCEMENT_KINDS, Announcement, Event, Membership, Rsvp, User, utcnow
from ...urls import MAX_ID, absolute_url, event_url, url_pattern
from ..channels import labels
from ..errors import DomainError
from ..mail import consent
from ..mail import messages as mail
from ..tokens import url_serializer
from . import answers, seats

NOTICE = "announcement"  # the outbox notice type (worker/notices.py)
CHUNK = 1000
_ANSWER_SALT = "announcement-answer"
ANSWERS = ("going", "not_going")


def subject_for(event: Event, kind: str) -> LazyString:
    """Lazy: worded in each recipient's language when their message is queued."""
    if kind == "few_seats":
        return _l("A few seats left: %(title)s", title=event.title)
    if kind == "waitlist_open":
        return _l("The waitlist is open: %(title)s", title=event.title)
    return _l("%(group)s: %(title)s", group=event.group.name, title=event.title)


def _key(event_id: int, kind: str, user_id: int) -> str:
    return f"announce-{kind}:{event_id}:{user_id}"


# ---------------------------------------------------------------- who


def _audience(event: Event, kind: str):
    """Members who accept announcements (and, for follow-ups, haven't answered)."""
    where = [Membership.group_id == event.group_id, *consent.receives("announcements")]
    if kind != "event":
        answered = exists().where(
            Rsvp.event_id == event.id,
            Rsvp.user_id == Membership.user_id,
            Rsvp.status != "pending",
        )
        where.append(~answered)
    return where


def audience_size(event: Event, kind: str = "event") -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .where(*_audience(event, kind))
    )


def available_kinds(event: Event) -> list[str]:
    """The follow-ups that make sense now (the first announcement is always offered)."""
    kinds = ["event"]
    if event.capacity:
        free = seats.of(event.id).free
        kinds.append("few_seats" if free > 0 else "waitlist_open")
    return kinds


# ---------------------------------------------------------------- the tap


def announce(
    event: Event, organizer: User, kind: str = "event", *, now: datetime | None = None
) -> tuple[Announcement, bool]:
    """Record the announcement (the worker queues its emails): (row, True if new).
    Codes: announcement_kind, event_cancelled, event_started."""
    now = now or utcnow()
    if kind not in ANNOUNCEMENT_KINDS or (kind != "event" and kind not in available_kinds(event)):
        raise DomainError("announcement_kind")
    if event.cancelled_at is not None:
        raise DomainError("event_cancelled")
    if event.starts_at <= now:
        raise DomainError("event_started")
    existing = find(event, kind)
    if existing is not None:
        return existing, False
    row = Announcement(
        event_id=event.id,
        kind=kind,
        created_by_id=organizer.id,
        status="queueing",
        total=None,  # counted by the worker: the tap itself reads nothing about 50,000 people
        queued=0,
        created_at=now,
    )
    try:
        with db.session.begin_nested():  # two taps at once: one row
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        return find(event, kind), False
    return row, True


def find(event: Event, kind: str) -> Announcement | None:
    return db.session.scalar(
        select(Announcement).where(Announcement.event_id == event.id, Announcement.kind == kind)
    )


def of_event(event: Event) -> dict[str, Announcement]:
    rows = db.session.scalars(select(Announcement).where(Announcement.event_id == event.id))
    return {row.kind: row for row in rows}


# ---------------------------------------------------------------- the worker's job


def queue_announcements(now: datetime) -> int:
    """Queue the emails of every announcement being queued; returns how many were queued.

    Owns its transactions: each chunk of 1,000 is committed with the progress, so no lock is
    held for long and a crash resumes after the last committed chunk (the dedupe keys make a
    repeated chunk add nothing)."""
    queued = 0
    pending = db.session.scalars(
        select(Announcement.id).where(Announcement.status == "queueing").order_by(Announcement.id)
    ).all()
    for announcement_id in pending:
        queued += _queue_one(announcement_id, now)
    return queued


def _queue_one(announcement_id: int, now: datetime) -> int:
    row = db.session.get(Announcement, announcement_id)
    event = db.session.get(Event, row.event_id)
    event_id, group_id, kind = event.id, event.group_id, row.kind
    audience = (
        select(User.id, User.email, User.name, User.locale)
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .where(*_audience(event, kind))
        .order_by(User.id)
        .limit(CHUNK)
    )
    db.session.execute(
        update(Announcement)
        .where(Announcement.id == announcement_id)
        .values(total=audience_size(event, kind))
    )
    db.session.commit()
    after, queued = 0, 0
    while True:
        # Read and word the chunk as a reader; only its INSERT holds SQLite's write lock.
        with database.reading(db.session):
            people = db.session.execute(audience.where(User.id > after)).all()
            if not people:
                break
            rows = mail.notice_rows(
                people,
                lambda: subject_for(db.session.get(Event, event_id), kind),
                lambda p: {"type": NOTICE, "event_id": event_id, "kind": kind, "user_id": p.id},
                group_id=group_id,
                list_kind="announcements",
                dedupe_key=lambda p: _key(event_id, kind, p.id),
                now=now,
            )
        mail.queue_notices(rows)
        after, queued = people[-1].id, queued + len(people)
        db.session.execute(
            update(Announcement).where(Announcement.id == announcement_id).values(queued=queued)
        )
        db.session.commit()  # the progress shows; the lock (SQLite) is let go between chunks
    db.session.execute(
        update(Announcement)
        .where(Announcement.id == announcement_id)
        .values(status="done", queued=queued, total=queued, finished_at=utcnow())
    )
    db.session.commit()
    return queued


# ---------------------------------------------------------------- one-tap answers


def _signer() -> URLSafeSerializer:
    return url_serializer(_ANSWER_SALT)


def answer_token(event_id: int, user_id: int) -> str:
    return _signer().dumps([event_id, user_id])


def answer_url(token: str, answer: str) -> str:
    return absolute_url("announcements.answer", token=token, answer=answer, via="email")


@dataclass(frozen=True)
class AnswerLink:
    event: Event
    user: User


def by_answer_token(token: str) -> AnswerLink:
    """Whose link it is; `answer_link_invalid` for anything forged or someone who left."""
    try:
        event_id, user_id = _signer().loads(token)
    except (BadData, TypeError, ValueError):
        raise DomainError("answer_link_invalid") from None
    if not all(type(v) is int and 1 <= v <= MAX_ID for v in (event_id, user_id)):
        raise DomainError("answer_link_invalid")
    event, user = db.session.get(Event, event_id), db.session.get(User, user_id)
    if event is None or user is None:
        raise DomainError("answer_link_invalid")
    return AnswerLink(event, user)


def answer(link: AnswerLink, going: bool, *, now: datetime | None = None) -> Rsvp:
    """A one-tap answer, as the person would answer signed in (tapping twice keeps their
    place). A first answer records that it came through the email (the RSVP's channel), as
    does their membership if it has no channel yet."""
    event, user = link.event, link.user
    first = seats.find(event.id, user.id) is None
    channel = answers.Answers(channel=labels.EMAIL) if first else None
    rsvp = answers.answer(event, user, going, channel, now=now)
    if first:
        db.session.execute(
            update(Membership)
            .where(
                Membership.group_id == event.group_id,
                Membership.user_id == user.id,
                Membership.channel.is_(None),
            )
            .values(channel=labels.EMAIL)
            .execution_options(synchronize_session=False)
        )
    return rsvp


# ---------------------------------------------------------------- writing the email

# One announcement is the same email for thousands of people but for their name and their
# links: it is rendered once per event version, kind and language with placeholders, and each
# person's copy is made by replacing them (escaped for the HTML). Rendering two templates per
# message cost more than sending it.
_NAME, _GOING, _NOT_GOING, _UNSUBSCRIBE = "\x00name\x00", "\x00go\x00", "\x00no\x00", "\x00un\x00"
_rendered: dict[tuple, _Template] = {}


_STATE = (
    Event.group_id,
    Event.cancelled_at,
    Event.updated_at,
    Membership.mail_announcements,
    User.mail_undeliverable_at,
)
_AHEAD = "_state"  # set by prepare_notices() on a notice, taken by write_notice()


def _state_query(*where):
    return (
        select(Event.id.label("event_id"), Membership.user_id, *_STATE)
        .select_from(Event)
        .join(Membership, Membership.group_id == Event.group_id)
        .join(User, User.id == Membership.user_id)
        .where(*where)
    )


def _ids(notice: dict) -> tuple[int, int] | None:
    pair = (notice.get("event_id"), notice.get("user_id"))
    return pair if all(type(v) is int for v in pair) else None


def prepare_notices(notices: list[dict]) -> None:
    """What decides whether each of a batch's notices is sent, in one query: kept on each
    notice for write_notice (None for someone who left or an event that is gone)."""
    pairs = {pair for notice in notices if (pair := _ids(notice))}
    if not pairs:
        return
    rows = db.session.execute(
        _state_query(
            Event.id.in_({e for e, _u in pairs}), Membership.user_id.in_({u for _e, u in pairs})
        )
    )
    found = {(row.event_id, row.user_id): row for row in rows}
    for notice in notices:
        if pair := _ids(notice):
            notice[_AHEAD] = found.get(pair)


def _state(notice: dict):
    """The notice's state as read ahead, or read now (one query): None if either is gone."""
    if _AHEAD in notice:
        return notice.pop(_AHEAD)
    pair = _ids(notice)
    if pair is None:
        return None
    return db.session.execute(
        _state_query(Event.id == pair[0], Membership.user_id == pair[1])
    ).first()


@dataclass(frozen=True)
class _Template:
    text: str
    html: str
    list_id: str
    going: Callable[[str], str]  # a person's links, from their token
    not_going: Callable[[str], str]
    unsubscribe: Callable[[str], str]


def _template(event_id: int, updated_at, kind: str, named: bool, subject: str) -> _Template:
    base = current_app.config["BASE_URL"]
    key = (event_id, updated_at, kind, named, subject, str(get_locale()), base)
    if key not in _rendered:
        if len(_rendered) > 64:
            _rendered.clear()
        event = db.session.get(Event, event_id)
        context = {
            "event": event,
            "group": event.group,
            "kind": kind,
            "event_link": f"{event_url(event.key)}?via=email",
            "going_link": _GOING,
            "not_going_link": _NOT_GOING,
            "unsubscribe_link": _UNSUBSCRIBE,
        }
        name = _NAME if named else ""
        text, html = mail.render_bodies(name, "event_announcement", subject, context)
        answer = "announcements.answer"
        _rendered[key] = _Template(
            text,
            html,
            consent.list_id(event.group),
            url_pattern(answer, "token", answer="going", via=labels.EMAIL),
            url_pattern(answer, "token", answer="not_going", via=labels.EMAIL),
            url_pattern("group_mail.unsubscribe", "token"),
        )
    return _rendered[key]


def _fill(template: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        template = template.replace(placeholder, value)
    return template


def write_notice(notice: dict, *, to_name: str, subject: str) -> mail.Written | None:
    """The announcement email; None if the event is gone or cancelled, or they said no since."""
    state = _state(notice)
    event_id, user_id = notice.get("event_id"), notice.get("user_id")
    if state is None or state.cancelled_at is not None:
        return None
    if not state.mail_announcements or state.mail_undeliverable_at is not None:
        return None
    kind = notice.get("kind", "event")
    template = _template(event_id, state.updated_at, kind, bool(to_name), subject)
    token = answer_token(event_id, user_id)
    unsubscribe = consent.member_token("unsubscribe", state.group_id, user_id)
    values = {
        _NAME: to_name,
        _GOING: template.going(token),
        _NOT_GOING: template.not_going(token),
        _UNSUBSCRIBE: template.unsubscribe(unsubscribe),
    }
    escaped = {k: str(escape(v)) for k, v in values.items()}
    headers = consent.headers_for(template.list_id, values[_UNSUBSCRIBE])
    return mail.Written(
        _fill(template.text, values), _fill(template.html, escaped), headers=headers
    )
