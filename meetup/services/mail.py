"""Queue an email: render templates/email/<name>.{txt,html} into an outbox row.

The row is written in the caller's transaction, so a message exists if and only if the
change that caused it was committed. The worker (services/outbox.py) delivers it.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

from flask import render_template
from sqlalchemy import select

from ..extensions import db
from ..models import OutboxMessage, User, utcnow
from ..urls import base_host

_CONTROL = re.compile(r"[\r\n\x00-\x1f\x7f]+")


def one_line(text: str) -> str:
    """Header values can't carry CR/LF: a name like "Ana\\r\\nBcc: x" stays one harmless line."""
    return _CONTROL.sub(" ", text).strip()


def new_message_id() -> str:
    return f"<{secrets.token_hex(16)}@{base_host()}>"


def queue(
    to: User | str, template: str, subject: str, *, dedupe_key: str | None = None, **fields: Any
) -> OutboxMessage | None:
    """Add one message to the outbox; None if `dedupe_key` was already queued.

    `fields`: context, ics, ics_method, group_id, now (see build()).
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
    group_id: int | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """The outbox row for one message, not yet added: for sending many in one flush."""
    if isinstance(to, User):
        to_addr, to_name = to.email, to.name
    else:
        to_addr, to_name = to, ""
    ctx = {"recipient_name": to_name, "subject": subject, **(context or {})}
    return OutboxMessage(
        message_id=new_message_id(),
        dedupe_key=dedupe_key,
        to_addr=one_line(to_addr),
        to_name=one_line(to_name)[:120],
        subject=one_line(subject)[:300],
        body_text=render_template(f"email/{template}.txt", **ctx),
        body_html=render_template(f"email/{template}.html", **ctx),
        ics=ics,
        ics_method=ics_method,
        group_id=group_id,
        next_attempt_at=now or utcnow(),
    )
