"""People: find or create by email, passwords, profile rules, deletion."""

from __future__ import annotations

from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from ..extensions import db
from ..models import User, utcnow
from .errors import DomainError
from .tokens import new_token


def normalize_email(raw: str | None) -> str:
    """A valid, lower-cased address, or DomainError("invalid_email"). No DNS look-up."""
    try:
        info = validate_email((raw or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise DomainError("invalid_email") from exc
    return info.normalized.lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.lower()))


def get_or_create(email: str, name: str = "", *, now: datetime | None = None) -> User:
    """The account for `email`, made on first sight (magic links and imports create accounts)."""
    email = normalize_email(email)
    user = find_by_email(email)
    if user is None:
        user = User(
            email=email,
            name=name.strip()[:120],
            session_token=new_token(),
            feed_token=new_token(),
            created_at=now or utcnow(),
        )
        db.session.add(user)
        db.session.flush()
    elif name and not user.name:
        user.name = name.strip()[:120]
    return user
