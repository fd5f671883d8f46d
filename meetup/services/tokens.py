"""Secrets for links that act without a password: random, >= 128 bits, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any, TypeVar

from flask import current_app
from itsdangerous import BadSignature, Signer, URLSafeSerializer
from itsdangerous.encoding import base64_decode, base64_encode

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


class _KeyOnceSigner(Signer):
    """itsdangerous' Signer, deriving each key once rather than for every token: the same
    tokens, for a fraction of the cost when thousands are made for one email (a person's
    one-tap and unsubscribe links)."""

    _derived: dict[tuple, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else secret_key
        key = (secret, self.salt, self.key_derivation, self.digest_method)
        derived = self._derived.get(key)
        if derived is None:
            if len(self._derived) > 64:
                self._derived.clear()
            derived = self._derived[key] = super().derive_key(secret_key)
        return derived


class _CanonicalSerializer(URLSafeSerializer):
    """Reads only the token exactly as it was written. Base64 tolerates padding ("=") and
    spare low bits in its last character, so "<token>=" and variants of the last character
    passed the signature check and acted like the link itself: a mangled link must answer
    as a forged one."""

    def loads(self, s: str | bytes, salt: str | bytes | None = None, **kwargs: Any) -> Any:
        value = super().loads(s, salt, **kwargs)
        raw = s.encode() if isinstance(s, str) else s
        for part in raw.split(b"."):
            if part and base64_encode(base64_decode(part)) != part:
                raise BadSignature("token not in canonical form")
        return value


_serializers: dict[tuple[str | bytes, str], URLSafeSerializer] = {}


def url_serializer(salt: str) -> URLSafeSerializer:
    """The signer of a link's token (SHA-256, the app's secret key), made once per salt."""
    key = (current_app.secret_key, salt)
    serializer = _serializers.get(key)
    if serializer is None:
        serializer = _serializers[key] = _CanonicalSerializer(
            current_app.secret_key,
            salt=salt,
            signer=_KeyOnceSigner,
            signer_kwargs={"digest_method": hashlib.sha256},
        )
    return serializer


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
