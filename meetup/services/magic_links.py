"""Magic links: single use, 15 minutes, stored as a hash; the raw token only goes in the email.

`purpose` keeps a link to the one thing it was made for ("login", "rsvp", ...); `payload`
carries what to do once it is used (where to go next, which RSVP to confirm).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import LoginToken, utcnow
from .errors import DomainError
from .tokens import hash_token, new_token


def issue(
    email: str,
    *,
    purpose: str = "login",
    payload: dict | None = None,
    now: datetime | None = None,
) -> str:
    now = now or utcnow()
    token = new_token()
    db.session.add(
        LoginToken(
            token_hash=hash_token(token),
            email=email.lower(),
            purpose=purpose,
            payload=payload or {},
            created_at=now,
            expires_at=now + timedelta(minutes=current_app.config["MAGIC_LINK_MINUTES"]),
        )
    )
    db.session.flush()
    return token


def peek(token: str, *, purpose: str = "login", now: datetime | None = None) -> LoginToken:
    """The link's row if it can still be used (for the confirm page), else DomainError."""
    now = now or utcnow()
    row = db.session.scalar(select(LoginToken).where(LoginToken.token_hash == hash_token(token)))
    if row is None or row.purpose != purpose:
        raise DomainError("link_invalid")
    if row.used_at is not None:
        raise DomainError("link_used")
    if row.expires_at <= now:
        raise DomainError("link_expired")
    return row


def redeem(token: str, *, purpose: str = "login", now: datetime | None = None) -> LoginToken:
    """Use the link once. The row is locked, so two clicks at once can't both succeed."""
    now = now or utcnow()
    row = peek(token, purpose=purpose, now=now)
    locked = db.session.scalar(
        select(LoginToken)
        .where(LoginToken.id == row.id, LoginToken.used_at.is_(None))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:
        raise DomainError("link_used")
    locked.used_at = now
    db.session.flush()
    return locked
