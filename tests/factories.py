"""Rows for tests, built directly so each test states only what matters to it."""

from __future__ import annotations

import contextlib
import email
import email.policy
import itertools
import re
from datetime import datetime, timedelta

from sqlalchemy import event, select
from werkzeug.security import generate_password_hash

from meetup.extensions import db
from meetup.models import Event, Group, Invite, Membership, OutboxMessage, Rsvp, User, utcnow
from meetup.services.tokens import new_event_key, new_token

_seq = itertools.count(1)


def make_user(email: str | None = None, *, password: str | None = None, **kw) -> User:
    n = next(_seq)
    user = User(
        email=(email or f"user{n}@example.org").lower(),
        name=kw.pop("name", f"User {n}"),
        password_hash=generate_password_hash(password) if password else None,
        session_token=new_token(),
        feed_token=new_token(),
        **kw,
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_group(organizer: User | None = None, **kw) -> Group:
    n = next(_seq)
    group = Group(slug=kw.pop("slug", f"group-{n}"), name=kw.pop("name", f"Group {n}"), **kw)
    db.session.add(group)
    db.session.flush()
    if organizer is not None:
        db.session.add(
            Membership(group_id=group.id, user_id=organizer.id, role="organizer", source="created")
        )
    db.session.commit()
    return group


def add_member(group: Group, user: User, role: str = "member", **kw) -> Membership:
    m = Membership(group_id=group.id, user_id=user.id, role=role, **kw)
    db.session.add(m)
    db.session.commit()
    return m


def make_invite(group: Group, label: str = "Slack #general") -> Invite:
    invite = Invite(group_id=group.id, code=new_token(), label=label)
    db.session.add(invite)
    db.session.commit()
    return invite


def make_event(group: Group, *, starts_at: datetime | None = None, hours: float = 2, **kw) -> Event:
    starts_at = starts_at or (utcnow() + timedelta(days=7)).replace(microsecond=0)
    event = Event(
        key=new_event_key(),
        group_id=group.id,
        title=kw.pop("title", "Monthly meetup"),
        starts_at=starts_at,
        ends_at=kw.pop("ends_at", starts_at + timedelta(hours=hours)),
        timezone=kw.pop("timezone", "Europe/Paris"),
        venue_name=kw.pop("venue_name", "The Loft"),
        venue_address=kw.pop("venue_address", "1 Rue de Rivoli, Paris"),
        **kw,
    )
    db.session.add(event)
    db.session.commit()
    return event


def make_rsvp(event: Event, user: User, status: str = "going", **kw) -> Rsvp:
    rsvp = Rsvp(
        event_id=event.id,
        user_id=user.id,
        status=status,
        ticket_token=new_token() if status == "going" else None,
        **kw,
    )
    db.session.add(rsvp)
    db.session.commit()
    return rsvp


def last_link_token(email: str) -> str:
    """The token of the newest sign-in link emailed to `email`, read from the outbox."""
    body = db.session.scalar(
        select(OutboxMessage.body_text)
        .where(OutboxMessage.to_addr == email.lower())
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    assert body is not None, f"no email to {email}"
    match = re.search(r"/login/link/([A-Za-z0-9_-]+)", body)
    assert match, body
    return match.group(1)


def queue_messages(n: int, *, group_id: int | None = None, **kw) -> list[int]:
    """n outbox rows with distinct subjects ("Message 0".."Message n-1"), committed."""
    from meetup.services.mail.messages import new_message_id

    now = kw.pop("now", None) or utcnow()
    rows = [
        OutboxMessage(
            message_id=new_message_id(),
            to_addr=kw.get("to_addr", f"person{i}@example.org"),
            to_name=kw.get("to_name", f"Person {i}"),
            subject=kw.get("subject", f"Message {i}"),
            body_text=kw.get("body_text", f"Hello {i}"),
            body_html=kw.get("body_html", f"<p>Hello {i}</p>"),
            ics=kw.get("ics"),
            ics_method=kw.get("ics_method"),
            group_id=group_id,
            next_attempt_at=now,
            created_at=now,
        )
        for i in range(n)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return [r.id for r in rows]


class _Kept:
    """A mail backend that keeps each message it is given, parsed from its bytes as an SMTP
    server would receive them."""

    def __init__(self) -> None:
        self.messages: list = []

    def send(self, data, row) -> None:
        self.messages.append(email.message_from_bytes(data, policy=email.policy.default))

    def close(self) -> None:
        pass


def send_outbox() -> list:
    """The worker's delivery pass over everything queued (notices get written on the way),
    at the latest time a row was queued for (tests queue at chosen times); the built
    messages. What the test did so far is committed first, as a request would have.
    Rows read afterwards are read fresh."""
    from sqlalchemy import func

    from meetup import worker

    db.session.commit()
    latest = db.session.scalar(
        select(func.max(OutboxMessage.next_attempt_at)).where(OutboxMessage.status == "queued")
    )
    kept = _Kept()
    worker.deliver_due(backend=kept, now=max(latest or utcnow(), utcnow()))
    db.session.expire_all()
    return kept.messages


@contextlib.contextmanager
def count_queries(cold: bool = True):
    """The SQL statements run inside the block (BEGIN/SAVEPOINT aside). `cold` starts, as a
    request does, with nothing loaded in the session."""
    seen: list[str] = []

    def _count(conn, cursor, statement, *args):
        if not statement.startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            seen.append(statement)

    if cold:
        db.session.expire_all()
    event.listen(db.engine, "before_cursor_execute", _count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", _count)


def csrf_in(html: str) -> str:
    """The CSRF token a page's forms carry."""
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
