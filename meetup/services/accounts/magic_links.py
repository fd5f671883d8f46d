"""Magic links: single use, 15 minutes, stored as a hash; the raw token only goes in the email.

`purpose` keeps a link to the one thing it was made for ("login", "rsvp", ...); `payload`
carries what to do once it is used (where to go next, which RSVP to confirm).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...extensions import db
from ...models import LoginToken, User, utcnow
from ...urls import absolute_url
from ..errors import DomainError
from ..mail import messages as mail
from ..tokens import hash_token, new_token


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


def send(
    email: str,
    *,
    payload: dict | None = None,
    subject: str | None = None,
    context: dict | None = None,
    now: datetime | None = None,
) -> str:
    """Issue a sign-in link and queue the email carrying it (templates/email/magic_link.*).

    `context` reaches the template: `reason` ("login", "signup", "signup_existing") picks
    the wording, `intro` adds a sentence of your own ("...to confirm your seat at X").
    """
    token = issue(email, payload=payload, now=now)
    mail.queue(
        email,
        "magic_link",
        subject or _l("Your sign-in link for Meetup"),
        context={
            "link": absolute_url("auth.magic_link", token=token),
            "minutes": current_app.config["MAGIC_LINK_MINUTES"],
            "reason": "login",
            **(context or {}),
        },
        now=now,
    )
    return token


# What happens when a link is used, keyed by a payload field: another feature puts
# {"rsvp_id": 3} in the payload and registers `@on_sign_in("rsvp_id")` to confirm that RSVP
# in the same transaction as the sign-in. Handlers must not raise for ordinary outcomes.
SignInHandler = Callable[[User, object, datetime], None]
_handlers: dict[str, SignInHandler] = {}


def on_sign_in(payload_key: str) -> Callable[[SignInHandler], SignInHandler]:
    def register(fn: SignInHandler) -> SignInHandler:
        _handlers[payload_key] = fn
        return fn

    return register


def run_sign_in_handlers(user: User, payload: dict, now: datetime) -> None:
    for key, handler in _handlers.items():
        if key in payload:
            handler(user, payload[key], now)
