"""Secrets for links that act without a password: random, >= 128 bits, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any, TypeVar

from ..extensions import db
from .errors import DomainError

Link = TypeVar("Link")

TOKEN_BYTES = 24  # 192 bits
EVENT_KEY_BYTES = 8  # 64 bits: short in a URL, yet not enumerable


def new_token(nbytes: int = TOKEN_BYTES) -> str:
    return secrets.token_urlsafe(nbytes)


def new_event_key() -> str:
    return secrets.token_urlsafe(EVENT_KEY_BYTES)


def hash_token(token: str) -> str:
    """What we store for tokens we never need to show again (magic links, door links)."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    return hmac.compare_digest(a.encode(), b.encode())


def revoke(model: type[Link], link_id: int, *, owner: tuple[str, int], now: datetime) -> Link:
    """Revoke the link `link_id` (an invite link, a door link...) that belongs to `owner`
    (`("group_id", 3)`): `not_found` if it is another's, so ids can't be probed. Revoking
    twice keeps the first time."""
    link: Any = db.session.get(model, link_id)
    field, owner_id = owner
    if link is None or getattr(link, field) != owner_id:
        raise DomainError("not_found")
    if link.revoked_at is None:
        link.revoked_at = now
        db.session.flush()
    return link
