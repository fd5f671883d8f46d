"""Signing in and signing up by emailed link; the pages never say whether an address has
an account, the email does (only its owner reads it).

Signing up also goes through the email: a password is bound to an address only once its
owner has opened the link, and only to the account that link creates. An address that
already has an account (imported, or made by an RSVP, with or without a password) gets a
plain sign-in link that says so: its password is set from the profile, while signed in, so
a stranger can never choose the password of someone else's account.
"""

from __future__ import annotations

from datetime import datetime

from ...models import User, utcnow
from . import magic_links
from . import users as accounts


def request_link(
    raw_email: str, *, next_url: str | None = None, now: datetime | None = None
) -> str:
    """Email a sign-in link; an unknown address gets one that creates the account."""
    email = accounts.normalize_email(raw_email)
    return magic_links.send(email, payload=_next(next_url), now=now)


def request_signup(
    raw_email: str,
    name: str,
    password: str,
    *,
    next_url: str | None = None,
    now: datetime | None = None,
) -> str:
    """Email a link that creates the account with this password when opened.

    An address that already has an account gets a plain sign-in link instead, saying so.
    The password is hashed on both paths, so the answer takes as long whoever the address
    belongs to.
    """
    email = accounts.normalize_email(raw_email)
    password_hash = accounts.hash_password(password)
    if accounts.find_by_email(email) is not None:
        return magic_links.send(
            email, payload=_next(next_url), context={"reason": "signup_existing"}, now=now
        )
    payload = {**_next(next_url), "name": name.strip()[:120], "password_hash": password_hash}
    return magic_links.send(email, payload=payload, context={"reason": "signup"}, now=now)


def complete(token: str, *, now: datetime | None = None) -> tuple[User, dict]:
    """Use a link once: the account (made on first sight), confirmed; and the link's payload."""
    now = now or utcnow()
    link = magic_links.redeem(token, now=now)
    payload = dict(link.payload or {})
    name = payload.pop("name", "")
    password_hash = payload.pop("password_hash", None)
    link.payload = payload  # the hash has done its job: don't keep a copy in the link row
    existing = accounts.find_by_email(link.email)
    user = accounts.get_or_create(link.email, name, now=now)
    if password_hash and existing is None:
        # Only an account this link creates: one made meanwhile (an import, an RSVP) keeps
        # its owner's choice of password.
        user.password_hash = password_hash
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now
    magic_links.run_sign_in_handlers(user, payload, now)
    return user, payload


def _next(next_url: str | None) -> dict:
    return {"next": next_url} if next_url else {}
