"""Queue an email: render templates/email/<name>.{txt,html} into an outbox row.

The row is written in the caller's transaction, so a message exists if and only if the
change that caused it was committed. The worker (services/mail/outbox.py) delivers it.

Each message is in its recipient's language, chosen when it is queued: their saved one, else
their group's, else the language of the page that caused it (a sign-in link asked for from a
French page comes in French). The subject may be a lazy string (`_l(...)`): it is read in that
language; anything else the caller words for the message goes inside `speaking_to()`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NamedTuple

from flask import render_template
from flask_babel import force_locale, get_locale
from sqlalchemy import insert, select

from ...extensions import db
from ...i18n import (
    SOURCE_LANGUAGE,
    UNKNOWN,
    known_locale,
    noted_group_locale,
)
from ...insert_many import insert_new
from ...models import Group, OutboxMessage, User, utcnow
from ...urls import base_host

_CONTROL = re.compile(r"[\r\n\x00-\x1f\x7f]+")


def one_line(text: str) -> str:
    """Header values can't carry CR/LF: a name like "Ana\\r\\nBcc: x" stays one harmless line."""
    return _CONTROL.sub(" ", text).strip()


def new_message_id() -> str:
    return f"<{secrets.token_hex(16)}@{base_host()}>"


# The HTML of an email carrying a ticket shows its QR code as <img src="cid:ticket-qr">; the
# image is drawn from the row's qr_url when the message is built (services/mail/outbox.py).
QR_CID = "ticket-qr"


def recipient_locale(to: User | str, group_id: int | None = None) -> str:
    """The language `to` reads their email in (see the module's docstring)."""
    user = to
    if isinstance(to, str):  # an address: someone signing in or up, maybe with an account
        user = db.session.scalar(select(User).where(User.email == to.strip().lower()))
    saved = getattr(user, "locale", None)  # a row of a few columns may leave it out
    if known_locale(saved):
        return saved
    return _unsaved_locale(group_id)


def _unsaved_locale(group_id: int | None) -> str:
    """The language of someone who chose none: their group's, else the page's."""
    if group_id:
        group_locale = noted_group_locale(group_id)
        if group_locale is UNKNOWN:
            group = db.session.get(Group, group_id)  # once per group and session
            group_locale = group.locale if group is not None else None
        if known_locale(group_locale):
            return group_locale
    current = get_locale()
    return known_locale(str(current) if current else None) or SOURCE_LANGUAGE


@contextmanager
def speaking_to(to: User | str, group_id: int | None = None) -> Iterator[str]:
    """Everything worded inside is in `to`'s language (translations, dates)."""
    locale = recipient_locale(to, group_id)
    current = get_locale()
    if current is not None and str(current) == locale:
        yield locale  # already speaking it: forcing would only reload the same catalogue
        return
    with force_locale(locale):
        yield locale


class Written(NamedTuple):
    """A message's content, as stored in its outbox row."""

    body_text: str
    body_html: str
    ics: str | None = None
    ics_method: str | None = None
    qr_url: str | None = None
    headers: dict | None = None  # List-* headers of a group email (services/mail/consent.py)


def render_bodies(to_name: str, template: str, subject: str, context: dict) -> tuple[str, str]:
    """templates/email/<template>.txt and .html."""
    ctx = {"recipient_name": to_name, "subject": subject, **context}
    return (
        render_template(f"email/{template}.txt", **ctx),
        render_template(f"email/{template}.html", **ctx),
    )


# One INSERT, prebuilt: notices are queued inside the event's lock, on every RSVP of a burst.
# Core: the ORM's bulk path costs more than the row. inline(): nothing reads the new id, so
# no RETURNING (PostgreSQL would otherwise send it back, and we would build a result for it).
NOTICE_INSERT = insert(OutboxMessage.__table__).inline()


def notice_row(
    to: User,
    subject: str,
    notice: dict,
    *,
    group_id: int | None,
    now: datetime | None = None,
    dedupe_key: str | None = None,
) -> dict[str, Any]:
    """The outbox row of a message the worker writes when it first sends it
    (worker/notices.py): every column NOTICE_INSERT writes, defaults included."""
    now = now or utcnow()
    with speaking_to(to, group_id) as locale:
        subject = str(subject)
    return {
        "message_id": new_message_id(),
        "dedupe_key": dedupe_key,
        "to_addr": one_line(to.email),
        "to_name": one_line(to.name)[:120],
        "subject": one_line(subject)[:300],
        "notice": {**notice, "locale": locale},  # the worker writes it in this language
        "group_id": group_id,
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": utcnow(),  # as the column's default: when it was written
    }


def notice_rows(
    people: Sequence[Any],
    subject: Callable[[], str],
    notice: Callable[[Any], dict],
    *,
    group_id: int | None,
    list_kind: str,
    dedupe_key: Callable[[Any], str],
    now: datetime,
) -> list[dict[str, Any]]:
    """notice_row() for many people at once (rows with id, email, name, locale), for
    queue_notices(): each one's language is found without a query, and `subject` (a
    function) is worded once per language, not once per person."""
    fallback = _unsaved_locale(group_id)
    subjects: dict[str, str] = {}
    created, host = utcnow(), base_host()
    rows = []
    for person in people:
        locale = known_locale(person.locale) or fallback
        if locale not in subjects:
            with force_locale(locale):
                subjects[locale] = one_line(str(subject()))[:300]
        rows.append(
            {
                "message_id": f"<{secrets.token_hex(16)}@{host}>",
                "dedupe_key": dedupe_key(person),
                "to_addr": one_line(person.email),
                "to_name": one_line(person.name)[:120],
                "subject": subjects[locale],
                "notice": {**notice(person), "locale": locale},
                "group_id": group_id,
                "list_kind": list_kind,
                "status": "queued",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": created,
            }
        )
    return rows


def queue_notice(row: dict[str, Any]) -> None:
    """Add a notice_row() to the outbox, in the caller's transaction."""
    db.session.connection().execute(NOTICE_INSERT, row)


def queue_notices(rows: list[dict[str, Any]]) -> None:
    """Add many notice_row()s (each with a `dedupe_key`) at once (meetup/insert_many.py); a
    row whose key was queued already is skipped (ON CONFLICT DO NOTHING): a retry adds nothing."""
    insert_new(OutboxMessage.__table__, rows)


def queue(
    to: User | str, template: str, subject: str, *, dedupe_key: str | None = None, **fields: Any
) -> OutboxMessage | None:
    """Add one message to the outbox; None if `dedupe_key` was already queued.

    `fields`: context, ics, ics_method, qr_url, group_id, list_kind, headers, now (see build()).
    """
    if dedupe_key is not None and db.session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ):
        return None
    msg = build(to, template, subject, dedupe_key=dedupe_key, **fields)
    db.session.add(msg)
    db.session.flush()
    return msg


def build(
    to: User | str,
    template: str,
    subject: str,
    *,
    context: dict | None = None,
    dedupe_key: str | None = None,
    ics: str | None = None,
    ics_method: str | None = None,
    qr_url: str | None = None,
    group_id: int | None = None,
    list_kind: str | None = None,
    headers: dict | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """The outbox row for one message, not yet added: for sending many in one flush.
    `qr_url`: a ticket's URL, shown as a QR code where the HTML has <img src="cid:QR_CID">."""
    if isinstance(to, User):
        to_addr, to_name = to.email, to.name
    else:
        to_addr, to_name = to, ""
    with speaking_to(to, group_id):
        subject = str(subject)
        body_text, body_html = render_bodies(to_name, template, subject, context or {})
    return OutboxMessage(
        message_id=new_message_id(),
        dedupe_key=dedupe_key,
        to_addr=one_line(to_addr),
        to_name=one_line(to_name)[:120],
        subject=one_line(subject)[:300],
        body_text=body_text,
        body_html=body_html,
        ics=ics,
        ics_method=ics_method,
        qr_url=qr_url,
        group_id=group_id,
        list_kind=list_kind,
        headers=headers,
        next_attempt_at=now or utcnow(),
    )
