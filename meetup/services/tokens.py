"""Secrets for links that act without a password: random, >= 128 bits, compared in constant time."""

import hashlib
import hmac
import secrets

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
